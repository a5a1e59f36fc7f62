from flask import Blueprint

bp = Blueprint("policy", __name__)

from portal.blueprints.policy import views  # noqa: E402,F401
