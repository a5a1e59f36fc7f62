"""htmx helpers: full page or one block of it from the same template, and flashes on swaps."""

from __future__ import annotations

from flask import (
    Flask,
    get_flashed_messages,
    make_response,
    render_template,
    request,
    session,
)
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """True only when htmx will swap part of the page (not a boost, not a history restore)."""
    h = request.headers
    if h.get("HX-Request") != "true":
        return False
    return h.get("HX-Boosted") != "true" and h.get("HX-History-Restore-Request") != "true"


def page_or_block(template: str, block: str, *, status: int = 200, **context):
    """Render the whole page, or only `block` when htmx asked for a fragment."""
    if wants_fragment():
        html = render_block(template, block, **context)
    else:
        html = render_template(template, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")  # caches must key on it
    return response


def init_htmx(app: Flask) -> None:
    """Append pending flash messages out-of-band to every htmx fragment, so they still show."""

    @app.after_request
    def flashes_out_of_band(response):
        if not wants_fragment() or response.mimetype != "text/html" or response.direct_passthrough:
            return response
        if not session.get("_flashes"):
            return response
        messages = get_flashed_messages(with_categories=True)
        html = render_template("_flashes.html", messages=messages, oob=True)
        response.set_data(response.get_data(as_text=True) + html)
        return response
