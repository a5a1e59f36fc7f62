from flask import Blueprint

bp = Blueprint("audits", __name__)

from portal.blueprints.audits import views  # noqa: E402,F401
