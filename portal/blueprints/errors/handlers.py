"""Friendly error pages for people, JSON errors for JSON callers."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from portal.blueprints.auth.forms import LoginForm
from portal.blueprints.errors import bp
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.extensions import db

MESSAGES = {
    400: ("That request did not make sense", "Something in it was missing or malformed."),
    403: ("Not for your role", "Your account cannot open this page. Ask an admin if you need it."),
    404: ("Nothing here", "The page or record does not exist, or it has moved."),
    405: ("Not like that", "This address does not take that kind of request."),
    413: ("Too large", "The upload is larger than this form accepts."),
    422: ("Please check the form", "Some of what was sent could not be accepted."),
    429: ("Slow down", "Too many attempts in a short time. Wait a minute, then try again."),
    500: (
        "Something broke on our side",
        "Nothing was saved. Try again; if it keeps happening, tell an admin.",
    ),
}


def wants_json_response() -> bool:
    """JSON callers (Accept: application/json preferred) get JSON errors."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(code: int, detail: str | None = None):
    """The error page (or JSON) for `code`."""
    title, text = MESSAGES.get(code, MESSAGES[500 if code >= 500 else 400])
    if wants_json_response():
        return jsonify(error=detail or title), code
    if request.endpoint == "auth.login" and code == 429:
        form = LoginForm()
        form.form_errors.append("Too many sign-in attempts. Wait a minute before trying again.")
        return render_template("auth/login.html", form=form), 429
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    """A form from an old page or another site: say so plainly."""
    return error_response(400, "The form had expired. Go back, reload the page and send it again.")


@bp.app_errorhandler(NotFound)
def domain_not_found(error: NotFound):
    """A record a use case looked for and did not find: the 404 page, with what was missing."""
    db.session.rollback()
    return error_response(404, str(error) or None)


@bp.app_errorhandler(NotAllowed)
def domain_not_allowed(error: NotAllowed):
    """A use case refused the actor (role, whose work, separation of duties): 403 in words."""
    db.session.rollback()
    return error_response(403, str(error) or None)


@bp.app_errorhandler(DomainError)
def domain_refusal(error: DomainError):
    """Any other business rule that said no and that no form put into words: 422, in words."""
    db.session.rollback()
    return error_response(422, str(error) or None)


@bp.app_errorhandler(SecurityError)
def untrusted_host(error: SecurityError):
    """A Host header outside TRUSTED_HOSTS: no page can be built for it (no links), so plain
    words; nothing is done for a host the portal does not serve."""
    return "This portal does not answer for that host name.", 400, {"Content-Type": "text/plain"}


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """403, 404, 429 and friends as friendly pages (with the words a view gave, if any)."""
    said = error.description if error.description != type(error).description else None
    return error_response(error.code or 500, said)


@bp.app_errorhandler(Exception)
def internal_error(error: Exception):
    """Roll back whatever was half done, then show the friendly 500."""
    db.session.rollback()
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500)
