from flask import Blueprint

bp = Blueprint("invoices", __name__)

from portal.blueprints.invoices import views  # noqa: E402,F401
