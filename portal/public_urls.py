"""Links that leave the portal (e-mails, QR labels, documents) built on PUBLIC_BASE_URL only.

A request's Host header is chosen by whoever sends the request, so a link built from it can
point anywhere: these links are built from configuration and never from the request.
"""

from __future__ import annotations

from flask import current_app

from portal.config import public_base_url


def external_url(endpoint: str, **values: object) -> str:
    """The absolute URL of `endpoint` on PUBLIC_BASE_URL (a path prefix in it is kept)."""
    base = public_base_url(current_app.config)
    path = current_app.url_map.bind("portal.invalid").build(endpoint, values)
    return base + path
