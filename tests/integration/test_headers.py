"""Security headers on every page: CSP without inline code, no framing, no sniffing, no caching.

Every GET route of the app is opened with real ids from the demo world, as each role the route
lets in (tests/data/route_access.csv) and signed out, and every answer must carry the headers.
Every HTML page that comes back, and every template, must be free of inline script, inline event
handlers and style attributes: the Content-Security-Policy would block them in the browser.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import select
from werkzeug.routing import AnyConverter, Rule

from portal.config import HTMX_SRI, HTMX_VERSION
from portal.domain.roles import Role
from portal.extensions import db
from portal.headers import CAMERA_ENDPOINTS, content_security_policy
from portal.models import (
    Asset,
    Attachment,
    Contract,
    CostCentre,
    GoodsReceipt,
    OutOfPocketPurchase,
    PaymentExport,
    PolicyRule,
    PurchaseOrder,
    PurchaseRequest,
    Submission,
    Vendor,
    VendorInvoice,
    WorkOrder,
    WorkRequest,
)
from portal.services import audit_findings, csv_import
from tests.integration import test_demo

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "portal" / "templates"
MATRIX = ROOT / "tests" / "data" / "route_access.csv"
ROLES = [role.value for role in Role]
demo = test_demo.demo  # the demo world on a scratch database, loaded once for this module
# Served through the object they belong to; the uploads' own rules decide how private they are.
# A photo itself (portal/photo_response.py) is sent with a stricter policy than a page: it may
# load nothing and runs sandboxed, should a browser ever render it as a document.
PHOTO_ENDPOINTS = {
    "work_orders.photo",
    "work_orders.photo_thumbnail",
    "work_requests.photo",
    "work_requests.photo_thumbnail",
    "receiving.packing_slip",
    "receiving.packing_slip_thumbnail",
    "policy.receipt",
}
PHOTO_POLICY = "default-src 'none'; sandbox"


def _first(statement) -> object:
    return db.session.scalars(statement.limit(1)).first()


def _ids(endpoint: str) -> dict[str, object]:
    """Real values for a route's arguments, taken from the demo world."""
    first_id = {
        "asset_id": Asset.id,
        "cost_centre_id": CostCentre.id,
        "invoice_id": VendorInvoice.id,
        "po_id": PurchaseOrder.id,
        "pr_id": PurchaseRequest.id,
        "wo_id": WorkOrder.id,
        "wr_id": WorkRequest.id,
        "vendor_id": Vendor.id,
        "contract_id": Contract.id,
        "rule_id": PolicyRule.id,
        "receipt_id": GoodsReceipt.id,
        "export_id": PaymentExport.id,
    }
    values = {name: _first(select(column).order_by(column)) for name, column in first_id.items()}
    wo_photo = _first(select(Attachment).where(Attachment.work_order_id.is_not(None)))
    wr_photo = _first(select(Attachment).where(Attachment.work_request_id.is_not(None)))
    imported = _first(
        select(Submission.submission_id).where(
            Submission.kind.in_((csv_import.KIND, audit_findings.FORM_KIND))
        )
    )
    values.update(
        attachment_id=wo_photo.id if wo_photo else 1,
        submission_id=imported or "none",
        slug="spend",
        filename="css/app.css",
    )
    if wr_photo is not None:
        values.update(wr_id=wr_photo.work_request_id, photo_id=wr_photo.id)
    if endpoint == "policy.receipt":
        values["purchase_id"] = _first(
            select(OutOfPocketPurchase.id).where(
                OutOfPocketPurchase.receipt_attachment_id.is_not(None)
            )
        )
    if endpoint == "purchase_orders.edit":
        values["po_id"] = _first(select(PurchaseOrder.id).where(PurchaseOrder.status == "draft"))
    if endpoint == "purchase_orders.revise":
        values["po_id"] = _first(select(PurchaseOrder.id).where(PurchaseOrder.status == "issued"))
    if endpoint == "policy.new_purchase":
        values["wo_id"] = _first(select(WorkOrder.id).where(WorkOrder.status == "in_progress"))
    if endpoint == "assets.labels":
        values["ids"] = values["asset_id"]
    if endpoint == "assets.by_token":
        values["token"] = _first(select(Asset.qr_token))
    if endpoint == "work_requests.track":
        values["token"] = _first(select(WorkRequest.tracking_token))
    return values


def _url(rule: Rule) -> str:
    values = _ids(rule.endpoint)
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        values.setdefault(name, 1)
    arguments = set(rule.arguments) | ({"ids"} & values.keys())
    built = rule.build({name: values[name] for name in arguments}, append_unknown=True)
    assert built is not None, rule.rule
    return built[1]


def _get_routes(app) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda rule: rule.endpoint,
    )


def _who_may_open() -> dict[str, list[str]]:
    """Per GET endpoint, the roles route_access.csv lets in."""
    with MATRIX.open(newline="", encoding="utf-8") as file:
        return {
            row["endpoint"]: [role for role in ROLES if row[role] == "allow"]
            for row in csv.DictReader(file)
            if row["method"] == "GET"
        }


class InlineCode(HTMLParser):
    """Collects what a strict CSP blocks: inline <script> and <style>, on* handlers, style=."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value for name, value in attrs}
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.found.append("an inline <script>")
        if tag == "style":
            self.found.append("a <style> element")
        for name, value in names.items():
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"an inline handler {name}= on <{tag}>")
            if name == "style":
                self.found.append(f'a style="{value}" attribute on <{tag}>')
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"a javascript: URL in {name}= on <{tag}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("code inside a <script src> element")


def _inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def _header_problems(answer, endpoint: str, policy: str) -> list[str]:
    """What is missing or wrong in one answer's headers, in words."""
    headers = answer.headers
    photo = endpoint in PHOTO_ENDPOINTS and answer.mimetype != "text/html"
    expected = {
        "Content-Security-Policy": PHOTO_POLICY if photo else policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
    }
    problems = [
        f"{name} is {headers.get(name)!r}, expected {value!r}"
        for name, value in expected.items()
        if headers.get(name) != value
    ]
    if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer"):  # tokens: none
        problems.append(f"Referrer-Policy is {headers.get('Referrer-Policy')!r}")
    camera = "camera=(self)" if endpoint in CAMERA_ENDPOINTS else "camera=()"
    if camera not in headers.get("Permissions-Policy", ""):
        problems.append(f"Permissions-Policy {headers.get('Permissions-Policy')!r} lacks {camera}")
    cache = headers.get("Cache-Control", "")
    if endpoint == "static":
        if "no-store" in cache:
            problems.append("a static file is sent no-store: it would be fetched on every page")
    elif endpoint in PHOTO_ENDPOINTS:
        if "no-store" not in cache and "private" not in cache:
            problems.append(f"a photo is sent Cache-Control {cache!r}: shared caches may keep it")
    elif "no-store" not in cache:
        problems.append(f"Cache-Control is {cache!r}, expected no-store")
    if answer.status_code >= 500:
        problems.append(f"answered {answer.status_code}")
    if answer.mimetype == "text/html":
        problems += _inline_code(answer.get_data(as_text=True))
    return problems


def _sign_in(app, username: str):
    client = app.test_client()
    answer = client.post("/login", data={"username": username, "password": "demo"})
    assert answer.status_code == 303 and "/login" not in answer.location, f"{username} is out"
    return client


def test_every_get_route_sends_the_security_headers_to_each_role_and_signed_out(demo):
    policy = content_security_policy(demo.config["HTMX_URL"])
    allowed = _who_may_open()
    wrong: list[str] = []
    opened = 0
    with demo.app_context():
        routes = [(rule.endpoint, _url(rule)) for rule in _get_routes(demo)]
        db.session.remove()
    visitors = [("signed out", demo.test_client(), None)]
    visitors += [(role, _sign_in(demo, role), role) for role in ROLES]
    for who, client, role in visitors:
        for endpoint, url in routes:
            if role is not None and role not in allowed.get(endpoint, []):
                continue
            answer = client.get(url)
            opened += 1
            wrong += [
                f"GET {url} as {who}: {p}" for p in _header_problems(answer, endpoint, policy)
            ]
            answer.close()
    assert opened > 300, f"only {opened} pages opened: the walk lost its routes"
    assert not wrong, f"{len(wrong)} problems:\n" + "\n".join(wrong)


def test_pages_are_really_opened_with_demo_ids(demo):
    """The walk above is worth something only if the pages open: admin gets 200 on each."""
    client = _sign_in(demo, "admin")
    with demo.app_context():
        routes = [(rule.endpoint, _url(rule)) for rule in _get_routes(demo)]
        db.session.remove()
    statuses = {endpoint: client.get(url).status_code for endpoint, url in routes}
    not_opened = {e: s for e, s in statuses.items() if s != 200}
    assert not_opened == {
        "auth.login": 302,  # signed in already: sent home
        "assets.by_token": 303,  # a label scanned by staff opens the asset page
        "audits.result": 404,  # the demo imports no audit findings
        "main.security_txt": 404,  # no SECURITY_CONTACT set: see the test below
        "vendors.check": 422,  # the source check asks for an item and a quantity
        "work_requests.photo": 404,  # no tenant sent a photo in the demo
        "work_requests.photo_thumbnail": 404,
        "work_orders.photo": 404,  # no note in the demo has a photo (receipts are not served
        "work_orders.photo_thumbnail": 404,  # as a work order's photo: policy.receipt is)
        "receiving.packing_slip": 404,  # no packing slip was photographed in the demo
        "receiving.packing_slip_thumbnail": 404,
    }


def test_no_template_has_inline_script_event_handlers_or_style_attributes():
    patterns = {
        "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
        "an inline event handler": re.compile(r"\s(?:on[a-z]+|hx-on[:\w-]*)\s*=", re.I),
        "a style attribute": re.compile(r"\sstyle\s*=", re.I),
        "a <style> element": re.compile(r"<style\b", re.I),
        "a javascript: URL": re.compile(r"javascript:", re.I),
    }
    found = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}: {what}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for text in [path.read_text(encoding="utf-8")]
        for what, pattern in patterns.items()
        for m in pattern.finditer(text)
    ]
    assert found == []


def test_the_htmx_script_is_pinned_with_the_hash_of_the_vendored_file(client):
    vendored = ROOT / "portal" / "static" / "vendor" / f"htmx-{HTMX_VERSION}.min.js"
    digest = base64.b64encode(hashlib.sha384(vendored.read_bytes()).digest()).decode()
    assert f"sha384-{digest}" == HTMX_SRI
    page = client.get("/login").get_data(as_text=True)
    assert f'integrity="{HTMX_SRI}"' in page
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert f"script-src 'self' https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_a_page_served_with_a_local_htmx_allows_only_its_own_scripts(tmp_path):
    from tests.conftest import isolated_app

    with isolated_app(tmp_path, HTMX_URL="/static/vendor/htmx.min.js") as app:
        policy = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy


def test_production_tells_browsers_to_use_https_only(tmp_path):
    from tests.conftest import isolated_app

    with isolated_app(tmp_path, PORTAL_ENV="production") as app:
        production = app.test_client().get("/healthz").headers
    with isolated_app(tmp_path, PORTAL_ENV="development") as app:
        development = app.test_client().get("/healthz").headers
    assert production["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in development


def test_a_boosted_visit_to_a_scan_page_loads_the_whole_page_so_the_camera_is_allowed(
    database, login_as
):
    from tests.factories import make_user

    tech = make_user(database, roles=["technician"])
    client = login_as(tech)
    boosted = client.get("/scan?code=", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.headers["HX-Redirect"] == "/scan?code="
    assert boosted.get_data() == b""
    whole = client.get("/scan")
    assert "camera=(self)" in whole.headers["Permissions-Policy"]
    assert 'id="scan-start"' in whole.get_data(as_text=True)


def test_security_txt_tells_where_to_report_a_vulnerability_when_a_contact_is_set(tmp_path):
    from tests.conftest import isolated_app

    with isolated_app(tmp_path, SECURITY_CONTACT="mailto:psirt@example.org") as app:
        answer = app.test_client().get("/.well-known/security.txt")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    assert answer.get_data(as_text=True).startswith("Contact: mailto:psirt@example.org\nExpires: ")
    with isolated_app(tmp_path) as app:
        assert app.test_client().get("/.well-known/security.txt").status_code == 404
