"""Purchase orders: from approved request lines to the issued PO document."""

from flask import Blueprint

bp = Blueprint("purchase_orders", __name__)

from portal.blueprints.purchase_orders import views  # noqa: E402,F401
