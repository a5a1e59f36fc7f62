"""Feature blueprints and the bottom navigation they contribute."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from flask_login import current_user

from portal.domain.permissions import Capability
from portal.domain.roles import Role
from portal.security import may_open


@dataclass(frozen=True)
class NavItem:
    """One tab of the navigation.

    Shown when the person may open the page (its view's capability) and holds `capability`
    when one is named (a narrower reason to make it a tab: approvers get "Approvals", though
    anyone may read the list). `lead_roles`: the jobs for which this is a main desk; for them it
    comes right after the everyday tabs.
    """

    endpoint: str
    label: str
    icon: str
    capability: Capability | None = None
    lead_roles: tuple[Role, ...] = ()
    prefix: str = ""


# Whether a tab is shown at all is the view's capability (may_open) and the item's; `lead_roles`
# only orders the tabs a person may open, their own desk first (a layout choice, not a rule).
# The bottom bar holds at most this many tabs; past that, the last tab is "More" (/menu), which
# lists every section the person may open.
BOTTOM_TABS = 5

C = Capability
NAVIGATION: list[NavItem] = [
    NavItem("main.home", "Home", "home"),
    NavItem("work_orders.index", "Work", "wrench", prefix="/work-orders"),
    NavItem("assets.scan", "Scan", "scan", C.read_assets, prefix="/scan"),
    NavItem(
        "receiving.index",
        "Receive",
        "cart",
        C.see_all_deliveries,
        lead_roles=(Role.storekeeper,),
        prefix="/receiving",
    ),
    NavItem(
        "invoices.index",
        "Invoices",
        "cart",
        lead_roles=(Role.ap_clerk, Role.approver),
        prefix="/invoices",
    ),
    NavItem(
        "purchase_orders.index",
        "Orders",
        "cart",
        C.manage_purchase_orders,
        lead_roles=(Role.buyer,),
        prefix="/purchase-orders",
    ),
    NavItem(
        "work_requests.index",
        "Requests",
        "inbox",
        lead_roles=(Role.supervisor,),
        prefix="/work-requests",
    ),
    NavItem(
        "purchase_requests.index",
        "Approvals",
        "cart",
        C.approve_purchase_requests,
        lead_roles=(Role.supervisor, Role.approver),
        prefix="/purchase-requests",
    ),
    NavItem("audit_trail.index", "Audit", "search", lead_roles=(Role.auditor,), prefix="/audit/"),
    NavItem("vendors.index", "Vendors", "cart", prefix="/vendors"),
    NavItem("budgets.index", "Budgets", "chart", prefix="/budgets"),
    NavItem("reports.index", "Reports", "chart", prefix="/reports"),
    NavItem("maverick.index", "Maverick spend", "chart", prefix="/maverick"),
    NavItem("policy.index", "Policy", "shield", prefix="/policy"),
    NavItem("admin.users", "Admin", "shield", prefix="/admin"),
    NavItem("main.account", "Me", "user", prefix="/account"),
]

EVERYDAY = 3  # Home, Work, Scan: the first tabs for everyone who may open them


def navigation_for(user, endpoint_allowed) -> list[NavItem]:
    """The tabs `user` gets, in order: everyday ones, their jobs' desks, then the rest."""
    shown = [
        item
        for item in NAVIGATION
        if endpoint_allowed(item.endpoint)
        and (item.capability is None or user.can(item.capability))
    ]
    everyday = [i for i in shown if i in NAVIGATION[:EVERYDAY]]
    held = user.roles
    leads = [i for i in shown if i not in everyday and set(i.lead_roles) & held]
    rest = [i for i in shown if i not in everyday and i not in leads]
    return everyday + leads + rest


def register_blueprints(app: Flask) -> None:
    """Attach every feature blueprint and the navigation context."""
    from portal.blueprints.admin import bp as admin_bp
    from portal.blueprints.assets import bp as assets_bp
    from portal.blueprints.audit_trail import bp as audit_trail_bp
    from portal.blueprints.audits import bp as audits_bp
    from portal.blueprints.auth import bp as auth_bp
    from portal.blueprints.budgets import bp as budgets_bp
    from portal.blueprints.errors import bp as errors_bp
    from portal.blueprints.invoices import bp as invoices_bp
    from portal.blueprints.main import bp as main_bp
    from portal.blueprints.maverick import bp as maverick_bp
    from portal.blueprints.parts import bp as parts_bp
    from portal.blueprints.policy import bp as policy_bp
    from portal.blueprints.purchase_orders import bp as purchase_orders_bp
    from portal.blueprints.purchase_requests import bp as purchase_requests_bp
    from portal.blueprints.receiving import bp as receiving_bp
    from portal.blueprints.reports import bp as reports_bp
    from portal.blueprints.vendors import bp as vendors_bp
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
    app.register_blueprint(purchase_requests_bp, url_prefix="/purchase-requests")
    app.register_blueprint(vendors_bp)  # /vendors/..., /work-orders/<id>/contractor
    app.register_blueprint(purchase_orders_bp, url_prefix="/purchase-orders")
    app.register_blueprint(receiving_bp)  # /receiving/...
    app.register_blueprint(invoices_bp, url_prefix="/invoices")
    app.register_blueprint(budgets_bp, url_prefix="/budgets")
    app.register_blueprint(audit_trail_bp, url_prefix="/audit")
    app.register_blueprint(
        policy_bp
    )  # /policy/..., /out-of-pocket/..., /work-orders/<id>/out-of-pocket
    app.register_blueprint(maverick_bp, url_prefix="/maverick")
    app.register_blueprint(reports_bp, url_prefix="/reports")

    @app.context_processor
    def navigation():
        if not current_user.is_authenticated:
            return {"nav_items": [], "menu_items": []}
        items = []
        for item in navigation_for(current_user, may_open):
            if item.prefix:
                active = request.path.startswith(item.prefix)
            else:
                active = request.endpoint == item.endpoint
            items.append((item, active))
        return {"nav_items": bottom_tabs(items), "menu_items": items}


def bottom_tabs(items: list[tuple[NavItem, bool]]) -> list[tuple[NavItem, bool]]:
    """The tabs that fit the bar: all of them, or the first ones and "More" for the rest."""
    if len(items) <= BOTTOM_TABS:
        return items
    shown = items[: BOTTOM_TABS - 1]
    hidden_active = any(active for _, active in items[BOTTOM_TABS - 1 :])
    more = NavItem("main.menu", "More", "menu", prefix="/menu")
    return [*shown, (more, hidden_active or request.endpoint == "main.menu")]
