"""An audit's findings become compliance work orders: dry run first, then all or nothing."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event, func, select

from portal.domain.work_orders import Priority, WorkOrderType
from portal.models import AuditEvent, AuditFinding, ChecklistItem, WorkOrder
from portal.models.base import utcnow
from portal.services import audit
from tests.factories import make_asset, make_site, make_user

HEADER = "audit_reference,finding,asset_tag,location,deadline,priority,instructions"


@pytest.fixture
def supervisor(database):
    return make_user(database, roles=["supervisor"], full_name="Sam Okafor")


@pytest.fixture
def assets(database):
    site = make_site(database, code="RBP")
    return [make_asset(database, site=site, tag=f"P-{100 + n}") for n in range(1, 6)]


def deadline(days: int = 30):
    return (utcnow() + timedelta(days=days)).date()


def audit_csv(assets, count: int = 20, *, bad_row: int | None = None, ref="FS-2026-014") -> str:
    """`count` findings spread over `assets`; the finding at spreadsheet row `bad_row` names
    an asset that does not exist."""
    lines = [HEADER]
    for n in range(count):
        row = n + 2  # the header is row 1
        tag = "P-999" if row == bad_row else assets[n % len(assets)].tag
        priority = ["high", "normal", "low", "emergency"][n % 4]
        due = deadline(30 + n).isoformat()
        steps = "Isolate | Fix | Test" if n % 2 == 0 else ""
        lines.append(
            f"{ref},Finding {n + 1}: guard missing on coupling,{tag},,{due},{priority},{steps}"
        )
    return "\n".join(lines) + "\n"


def upload(client, text: str, *, name="audit.csv", encoding="utf-8"):
    return client.post(
        "/audits/import/preview",
        data={"file": (io.BytesIO(text.encode(encoding)), name)},
        content_type="multipart/form-data",
    )


def hidden(page_text: str, name: str) -> str:
    """The value of a hidden input on a page, as the browser would post it back."""
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page_text)
    assert match, f"no hidden {name} on the page"
    return html.unescape(match.group(1))


def counts(database) -> tuple[int, int, int]:
    """Work orders, findings and audit events: what an import writes."""
    session = database.session
    return (
        session.scalar(select(func.count()).select_from(WorkOrder)),
        session.scalar(select(func.count()).select_from(AuditFinding)),
        session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def test_a_dry_run_of_twenty_findings_lists_every_row_and_writes_nothing(
    database, login_as, supervisor, assets
):
    page = upload(login_as(supervisor), audit_csv(assets))
    assert page.status_code == 200
    assert "20 rows checked" in page.text
    assert page.text.count('class="card audit-row"') == 20
    assert "Create 20 work orders" in page.text
    assert "Finding 20: guard missing on coupling" in page.text
    assert counts(database) == (0, 0, 0)


def test_creating_after_the_dry_run_makes_twenty_compliance_work_orders(
    database, login_as, supervisor, assets
):
    client = login_as(supervisor)
    text = audit_csv(assets)
    preview = upload(client, text)
    response = client.post(
        "/audits/import",
        data={
            "csv_text": hidden(preview.text, "csv_text"),
            "submission_id": hidden(preview.text, "submission_id"),
        },
    )
    assert response.status_code == 303
    result = client.get(response.headers["Location"])
    orders = database.session.scalars(select(WorkOrder).order_by(WorkOrder.id)).all()
    assert len(orders) == 20
    for wo in orders:  # the result page lists every number, linked to its page
        assert f'href="/work-orders/{wo.id}"' in result.text and wo.number in result.text
    assert "20 work orders for FS-2026-014" in result.text
    first = orders[0]
    assert {wo.type for wo in orders} == {WorkOrderType.compliance}
    assert {wo.audit_reference for wo in orders} == {"FS-2026-014"}
    assert first.title == "Finding 1: guard missing on coupling"
    assert first.asset_id == assets[0].id and first.location_id == assets[0].location_id
    assert first.priority is Priority.high and orders[3].priority is Priority.emergency
    assert first.due_at == datetime.combine(deadline(30), time(23, 59, 59), tzinfo=UTC)
    assert orders[19].due_at.date() == deadline(49)
    steps = database.session.scalars(
        select(ChecklistItem.text)
        .where(ChecklistItem.work_order_id == first.id)
        .order_by(ChecklistItem.position)
    ).all()
    assert steps == ["Isolate", "Fix", "Test"]
    findings = database.session.scalars(select(AuditFinding).order_by(AuditFinding.id)).all()
    assert [f.work_order_id for f in findings] == [wo.id for wo in orders]
    assert findings[0].deadline_on == deadline(30)
    actions = database.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("work_order.created") == 20
    assert actions.count("audit_findings.imported") == 1
    imported = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "audit_findings.imported")
    )
    assert imported.changes["count"] == 20 and imported.actor_id == supervisor.id
    assert audit.verify_chain(database.session) == (True, None)


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_row(
    database, login_as, supervisor, assets
):
    client = login_as(supervisor)
    text = audit_csv(assets, bad_row=7)
    preview = upload(client, text)
    assert preview.status_code == 200
    assert "Row 7: asset tag P-999 is not known" in preview.text
    assert "19 ready" in preview.text and "1 with problems" in preview.text
    assert "Create 19" not in preview.text and 'name="csv_text"' not in preview.text
    assert counts(database) == (0, 0, 0)

    # Posting the file anyway (an old tab, a crafted request) is refused the same way.
    created = client.post("/audits/import", data={"csv_text": text, "submission_id": "a" * 32})
    assert created.status_code == 422
    assert "Nothing was imported. Row 7: asset tag P-999 is not known" in created.text
    assert counts(database) == (0, 0, 0)


def test_the_same_submission_twice_imports_once(database, login_as, supervisor, assets):
    client = login_as(supervisor)
    form = {"csv_text": audit_csv(assets), "submission_id": "b" * 32}
    first = client.post("/audits/import", data=form)
    second = client.post("/audits/import", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert counts(database)[:2] == (20, 20)
    assert "20 work orders" in client.get(second.headers["Location"]).text


def test_the_same_file_again_is_flagged_in_the_dry_run(database, login_as, supervisor, assets):
    client = login_as(supervisor)
    text = audit_csv(assets, count=3)
    client.post("/audits/import", data={"csv_text": text, "submission_id": "c" * 32})
    again = upload(client, text)
    assert "Audit FS-2026-014 already has 3 finding(s) imported" in again.text


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/audits/import"),
        ("post", "/audits/import/preview"),
        ("post", "/audits/import"),
        ("get", "/audits/new"),
        ("post", "/audits/new"),
        ("get", "/audits/imports/" + "d" * 32),
    ],
)
def test_a_technician_cannot_import_findings(database, login_as, method, path):
    tech = make_user(database, roles=["technician"])
    response = getattr(login_as(tech), method)(path)
    assert response.status_code == 403
    assert counts(database) == (0, 0, 0)


def test_an_admin_may_import_findings(database, login_as, assets):
    admin = make_user(database, roles=["admin"])
    assert upload(login_as(admin), audit_csv(assets, count=2)).status_code == 200


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/audits/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_semicolon_file_with_a_byte_order_mark_is_read(database, login_as, supervisor, assets):
    text = "\ufeff" + audit_csv(assets, count=3).replace(",", ";")
    page = upload(login_as(supervisor), text)
    assert "3 rows checked" in page.text and "Create 3 work orders" in page.text


def test_pasted_rows_are_checked_like_a_file(database, login_as, supervisor, assets):
    page = login_as(supervisor).post(
        "/audits/import/preview", data={"text": audit_csv(assets, count=2)}
    )
    assert page.status_code == 200 and "2 rows checked" in page.text


def test_a_file_that_is_not_csv_or_not_utf8_is_refused_in_words(
    database, login_as, supervisor, assets
):
    client = login_as(supervisor)
    wrong_kind = upload(client, audit_csv(assets), name="audit.xlsx")
    assert wrong_kind.status_code == 422 and "Choose a .csv file." in wrong_kind.text
    latin1 = upload(client, HEADER + "\nFS-1,Prüfung,P-101,,2030-01-01,,\n", encoding="cp1252")
    assert latin1.status_code == 422 and "not UTF-8" in latin1.text
    nothing = client.post("/audits/import/preview", data={})
    assert nothing.status_code == 422 and "Choose a CSV file, or paste the rows." in nothing.text


def test_a_file_without_a_header_is_refused_before_any_row(database, login_as, supervisor, assets):
    text = audit_csv(assets, count=2).split("\n", 1)[1]
    page = upload(login_as(supervisor), text)
    assert "The first row must be the header" in page.text
    assert 'name="csv_text"' not in page.text and "rows checked" not in page.text


def test_the_dry_run_asks_the_database_the_same_number_of_times_for_5_or_40_rows(
    app, database, login_as, supervisor, assets
):
    client = login_as(supervisor)

    def statements(text: str) -> int:
        seen = []

        def count(*args):
            seen.append(1)

        event.listen(database.engine, "before_cursor_execute", count)
        try:
            assert upload(client, text).status_code == 200
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        assert seen
        return len(seen)

    statements(audit_csv(assets, count=1))  # warm: the signed-in user's roles load once
    assert statements(audit_csv(assets, count=5)) == statements(audit_csv(assets, count=40))


def lines_form(**overrides) -> dict:
    form = {
        "submission_id": "e" * 32,
        "audit_reference": "LOLER-2026-03",
        "deadline": deadline(14).isoformat(),
        "priority": "normal",
        "lines-0-finding": "Sling tag illegible",
        "lines-0-asset_tag": "P-101",
        "lines-1-finding": "",
        "lines-1-asset_tag": "",
        "lines-2-finding": "Hoist limit switch sticks",
        "lines-2-asset_tag": "p-102",
        "lines-3-finding": "",
        "lines-3-asset_tag": "",
        "lines-4-finding": "",
        "lines-4-asset_tag": "",
    }
    form.update(overrides)
    return form


def test_the_many_lines_form_creates_one_work_order_per_filled_line(
    database, login_as, supervisor, assets
):
    client = login_as(supervisor)
    blank = client.get("/audits/new")
    assert blank.status_code == 200 and blank.text.count("<legend") == 5
    response = client.post("/audits/new", data=lines_form())
    assert response.status_code == 303
    orders = database.session.scalars(select(WorkOrder).order_by(WorkOrder.id)).all()
    assert [(wo.title, wo.asset_id) for wo in orders] == [
        ("Sling tag illegible", assets[0].id),
        ("Hoist limit switch sticks", assets[1].id),
    ]
    assert {wo.audit_reference for wo in orders} == {"LOLER-2026-03"}
    assert {wo.priority for wo in orders} == {Priority.normal}
    assert {wo.type for wo in orders} == {WorkOrderType.compliance}
    assert orders[0].due_at.date() == deadline(14)
    assert counts(database)[1] == 2
    assert client.post("/audits/new", data=lines_form()).status_code == 303  # a double tap
    assert counts(database)[:2] == (2, 2)


def test_a_bad_line_on_the_form_writes_nothing_and_is_marked(
    database, login_as, supervisor, assets
):
    page = login_as(supervisor).post(
        "/audits/new", data=lines_form(**{"lines-2-asset_tag": "H-404"})
    )
    assert page.status_code == 422
    assert "asset tag H-404 is not known" in page.text
    assert 'id="line-3-problems"' in page.text  # beside the third line, where it was typed
    assert "Sling tag illegible" in page.text  # what was typed is kept
    assert counts(database) == (0, 0, 0)


def test_the_form_needs_at_least_one_finding(database, login_as, supervisor):
    empty = ("lines-0-finding", "lines-0-asset_tag", "lines-2-finding", "lines-2-asset_tag")
    form = lines_form(**dict.fromkeys(empty, ""))
    page = login_as(supervisor).post("/audits/new", data=form)
    assert page.status_code == 422 and "Write at least one finding." in page.text


def test_add_another_line_without_javascript_redraws_the_form_with_one_more(
    database, login_as, supervisor
):
    page = login_as(supervisor).post("/audits/new", data=lines_form(add_line="1"))
    assert page.status_code == 200
    assert page.text.count("<legend") == 6
    assert "Sling tag illegible" in page.text
    assert counts(database) == (0, 0, 0)


def test_add_another_line_with_htmx_sends_only_the_new_line(database, login_as, supervisor):
    page = login_as(supervisor).post(
        "/audits/new", data=lines_form(add_line="1"), headers={"HX-Request": "true"}
    )
    assert page.status_code == 200
    assert "<html" not in page.text
    assert page.text.count("<legend") == 1 and "Finding 6" in page.text
    assert 'name="lines-5-finding"' in page.text


def test_an_unknown_import_has_no_result_page(database, login_as, supervisor):
    assert login_as(supervisor).get("/audits/imports/" + "f" * 32).status_code == 404


def test_the_template_download_has_the_documented_header(database, login_as, supervisor):
    response = login_as(supervisor).get("/audits/import/template.csv")
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith(HEADER + "\r\n")


def test_a_past_deadline_on_the_form_is_said_once_beside_the_field(
    database, login_as, supervisor, assets
):
    past = (utcnow() - timedelta(days=1)).date().isoformat()
    page = login_as(supervisor).post("/audits/new", data=lines_form(deadline=past))
    assert page.status_code == 422
    assert page.text.count(f"The deadline {past} is in the past.") == 1
    assert counts(database) == (0, 0, 0)


def test_the_form_stops_adding_lines_at_its_limit(database, login_as, supervisor):
    from portal.blueprints.audits.forms import MAX_LINES

    full = lines_form(add_line="1")
    for n in range(MAX_LINES):
        full.setdefault(f"lines-{n}-finding", "")
    page = login_as(supervisor).post("/audits/new", data=full, headers={"HX-Request": "true"})
    assert "<legend" not in page.text
    assert f"At most {MAX_LINES} lines here; import a CSV file for more." in page.text
