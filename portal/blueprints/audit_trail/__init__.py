from flask import Blueprint

bp = Blueprint("audit_trail", __name__)

from portal.blueprints.audit_trail import views  # noqa: E402,F401
