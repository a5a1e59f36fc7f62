"""Accounts: creating users and checking passwords (who has one: read_models/accounts.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.domain.errors import DomainError
from portal.domain.permissions import Capability
from portal.domain.roles import Role
from portal.models import User, UserRole
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import unit_of_work
from portal.services.authz import authorize

# Checked against when the username is unknown, so both paths cost one hash (no timing oracle).
_DUMMY_HASH = generate_password_hash("no such user")


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None; records the sign-in."""
    name = (username or "").strip().lower()
    with unit_of_work() as session:
        user = session.scalar(select(User).where(func.lower(User.username) == name))
        if user is None or not user.active:
            check_password_hash(_DUMMY_HASH, password)
            return None
        if not user.check_password(password):
            return None
        user.last_login_at = utcnow()
        return user


def create_user(
    username: str,
    *,
    password: str,
    full_name: str,
    roles: list[Role],
    email: str | None = None,
    department: str | None = None,
    actor: User | None = None,
) -> User:
    """Create a user with roles; a taken username is refused in words."""
    authorize(actor, Capability.manage_users)
    username = username.strip().lower()
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise DomainError("A username is letters, digits, dots and underscores.")
    if len(password) < 4:
        raise DomainError("A password needs at least 4 characters.")
    with unit_of_work() as session:
        taken = session.scalar(select(User.id).where(func.lower(User.username) == username))
        if taken is not None:
            raise DomainError(f"The username {username!r} is taken.")
        user = User(username=username, full_name=full_name, email=email, department=department)
        user.set_password(password)
        user.role_rows = [UserRole(role=role) for role in roles]
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="user.created",
            subject=user,
            subject_label=username,
            changes={"roles": sorted(r.value for r in roles)},
        )
    return user
