"""What uploads are accepted: photos by their real bytes, not by their name."""

from __future__ import annotations

from portal.domain.errors import DomainError

MAX_PHOTO_BYTES = 8 * 1024 * 1024

# Magic numbers of the photo formats phones produce.
_SIGNATURES: list[tuple[str, bytes, int]] = [
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/webp", b"WEBP", 8),
    ("image/heic", b"ftypheic", 4),
    ("image/heic", b"ftypheix", 4),
    ("image/heic", b"ftypmif1", 4),
]


class UploadRefused(DomainError):
    """An upload that is too large, empty, or not a photo."""


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
