"""What uploads are accepted: photos by their real bytes, not by their name, within limits of
bytes and of declared pixels; and how a kept photo is named. The decoding and re-encoding
itself (Pillow) is services/photos.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.domain.errors import DomainError

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_SIDE = 12_000  # pixels on the longer side, as the file declares it
MAX_PHOTO_PIXELS = 50_000_000  # 50 megapixels: a 48 MP phone camera fits
STORED_SIDE = 2560  # photos are kept at most this many pixels on the longer side
THUMBNAIL_SIDE = 640  # the small copy lists show (sharp at 320 CSS px on a 2x phone)
JPEG_QUALITY = 85

# Magic numbers of the photo formats phones produce.
_SIGNATURES: list[tuple[str, bytes, int]] = [
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/webp", b"WEBP", 8),
    ("image/heic", b"ftypheic", 4),
    ("image/heic", b"ftypheix", 4),
    ("image/heic", b"ftypmif1", 4),
]

# What the browser is sent for each content type we store, and the file name's extension.
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


class UploadRefused(DomainError):
    """An upload that is too large, empty, not a photo, or not readable as one."""


@dataclass(frozen=True)
class Photo:
    """A photo as it is kept: re-encoded bytes without metadata, and a thumbnail (JPEG)."""

    data: bytes
    content_type: str
    filename: str
    width: int
    height: int
    thumbnail: bytes


def photo_type(data: bytes) -> str | None:
    """The photo's real content type from its first bytes, or None if it is not a photo we take."""
    for content_type, signature, offset in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            if content_type == "image/webp" and data[:4] != b"RIFF":
                continue
            return content_type
    return None


def check_photo(data: bytes, filename: str, max_bytes: int = MAX_PHOTO_BYTES) -> str:
    """The content type of an acceptable photo; UploadRefused, in words, otherwise."""
    if not data:
        raise UploadRefused(f"{filename or 'The file'} is empty.")
    if len(data) > max_bytes:
        raise UploadRefused(
            f"{filename or 'The photo'} is {len(data) / 1_048_576:.1f} MB; "
            f"photos can be at most {max_bytes // 1_048_576} MB."
        )
    content_type = photo_type(data)
    if content_type is None:
        raise UploadRefused(f"{filename or 'The file'} is not a photo (JPEG, PNG, WebP or HEIC).")
    return content_type


def check_dimensions(width: int, height: int, filename: str = "") -> None:
    """Refuse, in words, a photo whose declared size is beyond what we decode."""
    name = filename or "The photo"
    if width <= 0 or height <= 0:
        raise UploadRefused(f"{name} has no pixels.")
    if max(width, height) > MAX_PHOTO_SIDE or width * height > MAX_PHOTO_PIXELS:
        raise UploadRefused(
            f"{name} is {width:,} × {height:,} pixels; photos can be at most "
            f"{MAX_PHOTO_SIDE:,} pixels on a side and {MAX_PHOTO_PIXELS // 1_000_000} megapixels. "
            "Send a smaller photo."
        )


def safe_filename(filename: str, content_type: str) -> str:
    """A file name fit for a header: ASCII letters, digits, dot, dash and underscore, with the
    extension of what is really stored."""
    base = re.split(r"[/\\]", filename or "")[-1]  # no folders, from any system
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80] or "photo"
    return f"{stem}.{EXTENSIONS.get(content_type, 'bin')}"
