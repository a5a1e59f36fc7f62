"""Sending a stored photo: the one response behind every photo route.

Photo routes belong to the object the photo is on (a work order's note, a tenant's request, an
expense claim, a goods receipt) and check that object's permission before calling this. The
response names the file safely (inline for images a browser shows, attachment otherwise),
is never cached (Cache-Control: private, no-store), and is not sniffed as another type.
"""

from __future__ import annotations

from io import BytesIO

from flask import Response, send_file

from portal.domain.uploads import INLINE_TYPES, UploadRefused, safe_filename
from portal.models import Attachment
from portal.services.photos import prepare_photo


def _re_encoded(attachment: Attachment, *, thumbnail: bool) -> tuple[bytes, str]:
    """A photo kept as it was sent (before uploads were re-encoded), cleaned on the way out;
    bytes that are no photo at all go out empty, as a download."""
    try:
        photo = prepare_photo(attachment.data, attachment.filename)
    except UploadRefused:
        return b"", "application/octet-stream"
    return (photo.thumbnail, "image/jpeg") if thumbnail else (photo.data, photo.content_type)


def send_photo(attachment: Attachment, *, thumbnail: bool = False) -> Response:
    """The photo (or its thumbnail) with Content-Disposition, Cache-Control private, nosniff.

    A photo stored before uploads were re-encoded (no thumbnail) is re-encoded on the way out,
    so its EXIF (GPS) never leaves the server either.
    """
    filename, small = attachment.filename, attachment.thumbnail
    if thumbnail and small is not None:  # a list's thumbnail: the full photo is not even read
        data, content_type = small, "image/jpeg"
    elif small is not None:
        data, content_type = attachment.data, attachment.content_type
    else:
        data, content_type = _re_encoded(attachment, thumbnail=thumbnail)
    inline = content_type in INLINE_TYPES
    response = send_file(
        BytesIO(data),
        mimetype=content_type,
        as_attachment=not inline,
        download_name=safe_filename(
            filename.rsplit(".", 1)[0] + ("-thumbnail" if thumbnail else ""), content_type
        ),
        max_age=None,
        etag=False,
        conditional=False,
    )
    # Only the viewer's browser, and not kept there: phones on the shop floor are shared.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
