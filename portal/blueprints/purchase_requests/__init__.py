from flask import Blueprint

bp = Blueprint("purchase_requests", __name__)

from portal.blueprints.purchase_requests import views  # noqa: E402,F401
