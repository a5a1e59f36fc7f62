"""What a password must be: long enough, not on the list of common passwords, not the username.

OWASP ASVS 4.0 V2.1: at least 12 characters (2.1.1), up to 128 at least (2.1.2, we allow 200),
any characters, no composition rules (2.1.9), checked against breached passwords (2.1.7).
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 200


@cache
def common_passwords() -> frozenset[str]:
    """The 20,000 common passwords shipped in portal/data (see its README for where from)."""
    data = resources.files("portal").joinpath("data", "common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").splitlines())


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why `password` may not be used, in words; None when it may."""
    if len(password) < MIN_LENGTH:
        return f"A password needs at least {MIN_LENGTH} characters; a short sentence works well."
    if len(password) > MAX_LENGTH:
        return f"A password may have at most {MAX_LENGTH} characters."
    folded = password.strip().lower()
    if folded in common_passwords() or len(set(folded)) < 4:
        return "That password is one of the most common ones. Choose one nobody would guess."
    if username and username.strip().lower() in folded:
        return "A password must not contain the username."
    return None
