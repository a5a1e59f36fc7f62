"""Audit trail: verify names what was altered, removed or inserted; timelines; auditors page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, text, update

from portal.models import AuditEvent
from portal.models.audit import AuditTrailIsAppendOnly
from portal.models.base import utcnow
from portal.read_models import audit_trail
from portal.services import audit
from portal.services._uow import unit_of_work
from tests.factories import make_user, make_work_order

TABLE = AuditEvent.__table__


def _record(database, count=5, *, actor=None, subject=None, action="test.event", why="because"):
    actor = actor or make_user(database)
    with unit_of_work() as session:
        for n in range(count):
            audit.record(
                session,
                actor=actor,
                action=action,
                subject=subject or actor,
                changes={"n": [n, n + 1]},
                why=why,
            )
    return list(database.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def _run(app):
    try:
        return app.test_cli_runner(mix_stderr=False).invoke(args=["portal", "audit", "verify"])
    except TypeError:  # Click 8.2 keeps stderr apart already
        return app.test_cli_runner().invoke(args=["portal", "audit", "verify"])


def test_an_untouched_trail_is_reported_intact(app, database):
    _record(database, 3)
    result = _run(app)
    assert result.exit_code == 0
    assert result.stdout.strip() == "Audit trail intact: 3 events"


def test_a_row_changed_with_sql_is_named_as_altered(app, database):
    events = _record(database)
    database.session.execute(
        text("UPDATE audit_event SET why = 'nothing to see' WHERE id = :id"), {"id": events[2].id}
    )
    database.session.commit()
    result = _run(app)
    assert result.exit_code == 1
    assert f"altered: event #{events[2].id} (test.event) was altered" in result.stderr


def test_a_deleted_row_is_named_as_removed(app, database):
    events = _record(database)
    database.session.execute(delete(TABLE).where(TABLE.c.id == events[1].id))
    database.session.commit()
    result = _run(app)
    assert result.exit_code == 1
    assert (
        f"removed: 1 event removed before event #{events[2].id}: sequence 2 is missing"
        in result.stderr
    )


def test_the_last_rows_deleted_are_named_as_removed(app, database):
    events = _record(database)
    database.session.execute(delete(TABLE).where(TABLE.c.seq >= events[3].seq))
    database.session.commit()
    result = _run(app)
    assert result.exit_code == 1
    assert "the last 2 events were removed: sequence 4 to 5 is missing" in result.stderr


def test_a_forged_row_is_named_as_inserted_even_with_a_correct_hash(app, database):
    events = _record(database, 3)
    last = events[-1]
    fields = {
        "at": utcnow().replace(microsecond=0).isoformat(),
        "actor_id": None,
        "actor_label": "system",
        "action": "invoice.released",
        "subject_type": "VendorInvoice",
        "subject_id": 1,
        "subject_label": "INV-1",
        "changes": {},
        "why": None,
    }
    digest = audit.event_digest(last.hash, fields)
    values = {**fields, "at": utcnow().replace(microsecond=0), "seq": last.seq + 1}
    database.session.execute(insert(TABLE).values(prev_hash=last.hash, hash=digest, **values))
    database.session.commit()
    forged = database.session.scalar(select(AuditEvent.id).where(AuditEvent.seq == last.seq + 1))
    result = _run(app)
    assert result.exit_code == 1
    assert f"inserted: event #{forged} (invoice.released) was written outside the portal" in (
        result.stderr
    )


def test_all_three_breaks_are_reported_the_first_one_first(app, database):
    events = _record(database, 6)
    database.session.execute(
        update(TABLE).where(TABLE.c.id == events[1].id).values(action="test.edited")
    )
    database.session.execute(delete(TABLE).where(TABLE.c.id == events[3].id))
    database.session.execute(
        insert(TABLE).values(
            seq=99,
            at=utcnow(),
            actor_label="x",
            action="forged",
            subject_type="x",
            changes={},
            prev_hash="0" * 64,
            hash="f" * 64,
        )
    )
    database.session.commit()
    check = audit.verify_trail(database.session)
    assert [(b.kind, b.event_id) for b in check.breaks][:3] == [
        ("altered", events[1].id),
        ("removed", events[4].id),
        ("inserted", check.breaks[2].event_id),
    ]
    result = _run(app)
    assert result.stderr.startswith("Audit trail BROKEN: altered:")


def test_the_orm_refuses_to_change_or_delete_audit_events(database):
    event = _record(database, 1)[0]
    event.why = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        database.session.commit()
    database.session.rollback()
    database.session.delete(database.session.get(AuditEvent, event.id))
    with pytest.raises(AuditTrailIsAppendOnly):
        database.session.commit()
    database.session.rollback()
    for statement in (update(AuditEvent).values(why="x"), delete(AuditEvent)):
        with pytest.raises(AuditTrailIsAppendOnly):
            database.session.execute(statement)
        database.session.rollback()
    assert audit.verify_chain(database.session) == (True, None)


# ---- timeline ----------------------------------------------------------------------------------


def test_timeline_tells_a_work_orders_story_newest_first_in_words(database, login_as):
    supervisor = make_user(database, roles=["supervisor"], full_name="Sam Okafor")
    wo = make_work_order(database)
    with unit_of_work() as session:
        audit.record(
            session,
            actor=supervisor,
            action="work_order.status_changed",
            subject=wo,
            changes={"status": ["assigned", "in_progress"]},
            why="Parts arrived",
        )
        audit.record(session, actor=supervisor, action="work_order.commented", subject=wo)
    timeline = audit_trail.timeline_for("WorkOrder", wo.id)
    assert [entry.what for entry in timeline] == [
        "Work order commented",
        "Work order status changed",
    ]
    moved = timeline[1]
    assert (moved.who, moved.why) == (supervisor.username, "Parts arrived")
    assert [(c.field, c.before, c.after) for c in moved.changes] == [
        ("status", "assigned", "in progress")
    ]
    page = login_as(supervisor).get(f"/work-orders/{wo.id}")
    section = page.text[page.text.index('id="audit-timeline"') :]
    assert "Status: assigned → in progress" in section and "Why: Parts arrived" in section


def test_timeline_is_bounded(database):
    user = make_user(database)
    _record(database, audit_trail.TIMELINE_SIZE + 5, actor=user)
    assert len(audit_trail.timeline_for("User", user.id)) == audit_trail.TIMELINE_SIZE


def test_audit_changes_read_as_words_even_when_nested():
    changes = audit_trail.describe_changes(
        {
            "status": ["assigned", "in_progress"],
            "stock": [{"storeroom": "RBP-MAIN", "reserved_qty": ["0.000", "2.000"]}],
            "photo": True,
        }
    )
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("status", "assigned", "in progress"),
        ("stock", None, "storeroom RBP-MAIN, reserved qty 0.000 → 2.000"),
        ("photo", None, "yes"),
    ]


# ---- the auditors' page ------------------------------------------------------------------------


def _trail(database):
    bea = make_user(database, username="bea", roles=["buyer"])
    sam = make_user(database, username="sam", roles=["supervisor"])
    wo = make_work_order(database, number="WO-004242")
    with unit_of_work() as session:
        audit.record(
            session,
            actor=bea,
            action="purchase_order.issued",
            subject=bea,
            subject_label="PO-2026-000007",
            why="Urgent pump seal",
        )
        audit.record(
            session,
            actor=sam,
            action="work_order.status_changed",
            subject=wo,
            changes={"status": ["assigned", "in_progress"]},
        )
        audit.record(session, actor=sam, action="work_order.commented", subject=wo)
    old = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "purchase_order.issued")
    )
    # Back-date one event the only way possible: straight SQL (the chain is re-checked below).
    database.session.execute(
        update(TABLE).where(TABLE.c.id == old.id).values(at=utcnow() - timedelta(days=40))
    )
    database.session.commit()
    return bea, sam, wo


def _auditor(database, login_as):
    return login_as(make_user(database, username="aino", roles=["auditor"]))


def test_auditor_filters_by_text_actor_action_document_and_dates(database, login_as):
    _trail(database)
    client = _auditor(database, login_as)
    headers = {"HX-Request": "true"}

    def found(query):
        page = client.get(f"/audit/?{query}", headers=headers)
        assert page.status_code == 200 and "<html" not in page.text
        return page.text

    assert "Purchase order issued" in found("q=pump+seal")
    assert "Work order" not in found("q=pump+seal")
    by_sam = found("actor=sam")
    assert "Work order status changed" in by_sam and "Purchase order issued" not in by_sam
    assert "2 events" in found("action=work_order")
    assert "2 events" in found("subject=wo-004242")
    recent = found(f"date_from={(utcnow() - timedelta(days=7)).date().isoformat()}")
    assert "2 events" in recent and "Purchase order issued" not in recent
    assert "1 event" in found(f"date_to={(utcnow() - timedelta(days=30)).date().isoformat()}")
    assert "No events match." in found("q=%25")  # a literal percent sign matches nothing


def test_backwards_dates_are_refused_in_words(database, login_as):
    page = _auditor(database, login_as).get("/audit/?date_from=2026-05-01&date_to=2026-04-01")
    assert page.status_code == 422
    assert "The end date is before the start date." in page.text


def test_auditor_page_is_paginated(database, login_as):
    _record(database, audit_trail.SEARCH_PAGE_SIZE + 3)
    client = _auditor(database, login_as)
    first = client.get("/audit/")
    assert "page 1 of 2" in first.text and first.text.count('class="audit-event"') == 50
    second = client.get("/audit/?page=2")
    assert second.text.count('class="audit-event"') == 3


def test_csv_export_has_the_filtered_events_oldest_first(database, login_as):
    _trail(database)
    response = _auditor(database, login_as).get("/audit/events.csv?actor=sam")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == audit_trail.CSV_COLUMNS
    assert [row[3] for row in rows[1:]] == ["work_order.status_changed", "work_order.commented"]
    assert rows[1][5] == "WO-004242" and '"status": ["assigned", "in_progress"]' in rows[1][6]


def test_the_trail_is_for_auditors_and_admins_only(database, login_as):
    for role, status in (("technician", 403), ("approver", 403), ("auditor", 200), ("admin", 200)):
        client = login_as(make_user(database, roles=[role]))
        assert client.get("/audit/").status_code == status
        assert client.get("/audit/events.csv").status_code == status


@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",  # the day after cannot be written down: the download broke off
        "date_from=0001-01-01",
        "date_from=2026-05-01&date_to=2026-04-01",
    ],
)
def test_an_export_with_filters_that_cannot_be_searched_is_refused_before_it_begins(
    database, login_as, query
):
    _record(database, 3)
    client = _auditor(database, login_as)
    answer = client.get(f"/audit/events.csv?{query}")
    assert answer.status_code == 422 and answer.mimetype == "text/plain"
    assert "The filters are not valid" in answer.text
    page = client.get(f"/audit/?{query}")
    assert page.status_code == 422 and "Fix the filters above" in page.text


def test_a_formula_in_an_audit_event_is_neutralised_in_the_export(database, login_as):
    wo = make_work_order(database, title="=HYPERLINK(1)")
    with unit_of_work() as session:
        audit.record(
            session,
            actor=None,
            action="work_order.renamed",
            subject=wo,
            subject_label="=HYPERLINK(1)",
            why="@SUM(A1)",
        )
    answer = _auditor(database, login_as).get("/audit/events.csv")
    rows = list(csv.reader(io.StringIO(answer.text.removeprefix("\ufeff"))))
    assert rows[-1][5] == "'=HYPERLINK(1)" and rows[-1][7] == "'@SUM(A1)"
