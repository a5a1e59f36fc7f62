from flask import Blueprint

bp = Blueprint("parts", __name__)

from portal.blueprints.parts import views  # noqa: E402,F401
