from flask import Blueprint

bp = Blueprint("work_requests", __name__)

from portal.blueprints.work_requests import views  # noqa: E402,F401
