from flask import Blueprint

bp = Blueprint("vendors", __name__)

from portal.blueprints.vendors import views  # noqa: E402,F401
