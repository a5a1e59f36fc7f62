from flask import Blueprint

bp = Blueprint("maverick", __name__)

from portal.blueprints.maverick import views  # noqa: E402,F401
