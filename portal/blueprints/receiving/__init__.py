from flask import Blueprint

bp = Blueprint("receiving", __name__)

from portal.blueprints.receiving import views  # noqa: E402,F401
