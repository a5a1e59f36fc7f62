from flask import Blueprint

bp = Blueprint("assets", __name__)

from portal.blueprints.assets import views  # noqa: E402,F401
