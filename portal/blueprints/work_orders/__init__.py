from flask import Blueprint

bp = Blueprint("work_orders", __name__)

from portal.blueprints.work_orders import views  # noqa: E402,F401
