"""What every request passes before a view sees it: ids in the URL within the id column's
range, and no NUL or other control characters in the path, the query string or a form."""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from portal.domain.fields import ID_MAX, has_control_characters

CONTROL_CHARACTERS_REFUSED = (
    "The request held a control character (such as a NUL byte) that no field of the portal "
    "takes. Remove it and send again."
)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits only, at most the Integer column's maximum,
    so an id that cannot exist is a 404 before the database is asked."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, ID_MAX if max is None else max, signed)
        if signed:
            self.regex = r"-?[0-9]+"


def _control_characters_anywhere() -> bool:
    if has_control_characters(request.path):
        return True
    for key, value in request.args.items(multi=True):
        if has_control_characters(key) or has_control_characters(value):
            return True
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for key, value in request.form.items(multi=True):
            if has_control_characters(key) or has_control_characters(
                value, line_breaks_allowed=True
            ):
                return True
    return False


def refuse_control_characters():
    """400, in words, when a control character came in (tab and line breaks pass in forms)."""
    if _control_characters_anywhere():
        abort(400, description=CONTROL_CHARACTERS_REFUSED)


def init_edge(app: Flask) -> None:
    """Bound `<int:...>` and refuse control characters on every request. Call before the
    blueprints are registered, so their routes use the bounded converter."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_control_characters)
