"""Feature blueprints and the bottom navigation they contribute."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    """One tab of the bottom navigation; shown to users holding one of `roles` (empty: all)."""

    endpoint: str
    label: str
    icon: str
    roles: tuple[str, ...] = ()
    prefix: str = ""


NAVIGATION: list[NavItem] = [
    NavItem("main.home", "Home", "home"),
    NavItem("work_orders.index", "Work", "wrench", prefix="/work-orders"),
    NavItem("assets.scan", "Scan", "scan", prefix="/scan"),
    NavItem(
        "work_requests.index", "Requests", "inbox", roles=("supervisor",), prefix="/work-requests"
    ),
    NavItem(
        "reports.index",
        "Reports",
        "chart",
        roles=("approver", "buyer", "supervisor", "admin", "auditor"),
        prefix="/reports",
    ),
    NavItem("admin.users", "Admin", "shield", roles=("admin",), prefix="/admin"),
    NavItem("main.account", "Me", "user", prefix="/account"),
]


def register_blueprints(app: Flask) -> None:
    """Attach every feature blueprint and the navigation context."""
    from portal.blueprints.admin import bp as admin_bp
    from portal.blueprints.assets import bp as assets_bp
    from portal.blueprints.audits import bp as audits_bp
    from portal.blueprints.auth import bp as auth_bp
    from portal.blueprints.errors import bp as errors_bp
    from portal.blueprints.main import bp as main_bp
    from portal.blueprints.parts import bp as parts_bp
    from portal.blueprints.reports import bp as reports_bp
    from portal.blueprints.work_orders import bp as work_orders_bp
    from portal.blueprints.work_requests import bp as work_requests_bp

    app.register_blueprint(errors_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(work_orders_bp, url_prefix="/work-orders")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(assets_bp)  # /a/<token>, /assets/..., /scan
    app.register_blueprint(parts_bp)  # /work-orders/<id>/parts/..., /items/search
    app.register_blueprint(work_requests_bp)  # public /request, /track/<token>; /work-requests/
    app.register_blueprint(audits_bp)
    app.register_blueprint(reports_bp, url_prefix="/reports")

    @app.context_processor
    def navigation():
        if not current_user.is_authenticated:
            return {"nav_items": []}
        items = []
        for item in NAVIGATION:
            if item.roles and not current_user.has_role(*item.roles):
                continue
            if item.endpoint not in app.view_functions:
                continue
            if item.prefix:
                active = request.path.startswith(item.prefix)
            else:
                active = request.endpoint == item.endpoint
            items.append((item, active))
        return {"nav_items": items}
