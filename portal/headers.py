"""Security headers on every response: what a page may load, who may frame it, what may be cached.

One after_request hook sets them all, so no view can forget them. The policy is strict because
the pages need nothing more: every script is a file of ours or the pinned htmx file, and no page
has inline script, inline event handlers or style attributes (tests/integration/test_headers.py
reads every template and every page to keep it so).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

# The pages that open the phone's camera to read QR codes (static/js/scan.js); every other
# page may not use the camera at all.
CAMERA_ENDPOINTS = frozenset({"assets.scan", "receiving.index"})

# Features no page uses: camera everywhere but the scan pages, the rest nowhere.
_NO_FEATURES = "microphone=(), geolocation=(), payment=(), usb=()"


def script_sources(htmx_url: str) -> str:
    """'self', plus the pinned htmx file when it comes from another origin (a CDN)."""
    parts = urlsplit(htmx_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"'self' {parts.scheme}://{parts.netloc}{parts.path}"
    return "'self'"


def content_security_policy(htmx_url: str) -> str:
    """The policy every page is sent: nothing inline, nothing from elsewhere but htmx."""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {script_sources(htmx_url)}",
            "style-src 'self'",
            "img-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def permissions_policy(endpoint: str | None) -> str:
    """Camera for the scan pages (same origin only), no camera anywhere else."""
    camera = "camera=(self)" if endpoint in CAMERA_ENDPOINTS else "camera=()"
    return f"{camera}, {_NO_FEATURES}"


def _is_download(response: Response) -> bool:
    """A CSV, PDF or any file sent as an attachment (exports, documents)."""
    return response.mimetype in ("text/csv", "application/pdf") or (
        "attachment" in response.headers.get("Content-Disposition", "")
    )


def _cache_control(response: Response) -> None:
    """no-store on everything but static files: pages carry CSRF tokens and private figures,
    exports carry money; a response that already chose `private` or `no-store` keeps it."""
    if request.endpoint == "static":
        return
    chosen = response.headers.get("Cache-Control", "")
    if "no-store" in chosen or ("private" in chosen and not _is_download(response)):
        return
    response.headers["Cache-Control"] = "no-store"


def init_headers(app: Flask) -> None:
    """Send the security headers on every response of `app`."""

    @app.before_request
    def camera_pages_load_whole():
        # The Permissions-Policy of the page a person started on stays in force through boosted
        # (htmx) navigation and history restores, so such a visit to a scan page would have no
        # camera: tell htmx to load it as a whole page instead.
        if (
            request.endpoint in CAMERA_ENDPOINTS
            and request.method == "GET"
            and "true"
            in (
                request.headers.get("HX-Boosted"),
                request.headers.get("HX-History-Restore-Request"),
            )
        ):
            response = current_app.response_class(status=200)
            response.headers["HX-Redirect"] = request.full_path.rstrip("?")
            return response
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy", content_security_policy(current_app.config["HTMX_URL"])
        )
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", permissions_policy(request.endpoint))
        if current_app.config.get("PORTAL_ENV") == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        _cache_control(response)
        return response
