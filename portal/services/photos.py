"""Photos as they are kept: decoded and written again by Pillow so only the pixels survive.

Every photo that comes in (a note's photo, a tenant's photo, an expense receipt, a packing
slip) goes through `prepare_photo`: its size in bytes and its declared pixel size are checked
(domain/uploads.py) before anything is decoded, the camera's orientation is applied, and it is
re-encoded without its EXIF (GPS position, camera serial numbers, the owner's name) or any
other metadata. A thumbnail is made for lists. Importing this module caps Pillow's own
decompression-bomb limit (`Image.MAX_IMAGE_PIXELS`) at the same figure for the whole process.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps
from pillow_heif import register_heif_opener

from portal.domain.uploads import (
    JPEG_QUALITY,
    MAX_PHOTO_BYTES,
    MAX_PHOTO_PIXELS,
    STORED_SIDE,
    THUMBNAIL_SIDE,
    Photo,
    UploadRefused,
    check_dimensions,
    check_photo,
    safe_filename,
)

Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS  # Pillow refuses (2x) or warns (1x) beyond this
register_heif_opener()  # iPhones' HEIC photos decode like any other


def _open(data: bytes, filename: str) -> Image.Image:
    """The photo opened (header read, pixels not yet decoded), its declared size checked."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UploadRefused(
                f"{filename or 'The photo'} declares more than "
                f"{MAX_PHOTO_PIXELS // 1_000_000} megapixels; send a smaller photo."
            ) from None
        except (OSError, SyntaxError, ValueError):
            raise UploadRefused(f"{filename or 'The file'} cannot be read as a photo.") from None
    check_dimensions(*image.size, filename=filename)  # before a single pixel is decoded
    return image


def _encoded(image: Image.Image, content_type: str, icc_profile: bytes | None) -> bytes:
    """`image` written as `content_type`, with no metadata but its colour profile."""
    out = io.BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if content_type == "image/png":
        image.save(out, format="PNG", optimize=True, **extra)
    else:
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, **extra)
    return out.getvalue()


def prepare_photo(data: bytes, filename: str, max_bytes: int = MAX_PHOTO_BYTES) -> Photo:
    """The photo as it is kept: checked, turned upright, shrunk to STORED_SIDE, re-encoded
    without EXIF/GPS or other metadata (PNG stays PNG, every other format becomes JPEG), with
    a JPEG thumbnail. UploadRefused, in words, for anything else."""
    check_photo(data, filename, max_bytes)
    image = _open(data, filename)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            icc_profile = image.info.get("icc_profile")
            upright = ImageOps.exif_transpose(image) or image
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning):
        raise UploadRefused(f"{filename or 'The file'} cannot be read as a photo.") from None
    keep_png = image.format == "PNG"
    content_type = "image/png" if keep_png else "image/jpeg"
    if keep_png:
        mode = "RGBA" if upright.mode in ("RGBA", "LA", "P", "PA") else "RGB"
    else:
        mode = "L" if upright.mode in ("1", "L", "I;16") else "RGB"
    if upright.mode in ("RGBA", "LA", "PA") and not keep_png:
        flat = Image.new("RGB", upright.size, "white")  # JPEG has no transparency
        flat.paste(upright, mask=upright.convert("RGBA").getchannel("A"))
        upright = flat
    clean = upright.convert(mode)  # a new image: no info, no EXIF, no text chunks
    clean.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.LANCZOS)
    small = clean.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    if small.mode != "RGB":
        flat = Image.new("RGB", small.size, "white")
        flat.paste(small, mask=small.getchannel("A") if small.mode == "RGBA" else None)
        small = flat
    return Photo(
        data=_encoded(clean, content_type, icc_profile),
        content_type=content_type,
        filename=safe_filename(filename, content_type),
        width=clean.width,
        height=clean.height,
        thumbnail=_encoded(small, "image/jpeg", None),
    )
