"""The audit trail is chained; document numbers never repeat, even under concurrency."""

from __future__ import annotations

import threading

from sqlalchemy import update

from portal import create_app
from portal.domain.numbering import Sequence
from portal.extensions import db
from portal.models import AuditEvent
from portal.services import audit
from portal.services._uow import unit_of_work
from portal.services.numbering import next_number
from tests.conftest import base_config, scratch_database
from tests.factories import make_user


def test_audit_events_chain_and_tampering_is_detected(database):
    user = make_user(database)
    with unit_of_work() as session:
        for n in range(3):
            audit.record(
                session,
                actor=user,
                action="test.event",
                subject=user,
                changes={"n": [n, n + 1]},
                why="because",
            )
    assert audit.verify_chain(database.session) == (True, None)
    second = database.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()[1]
    # Through the ORM this is refused (append-only); straight SQL on the table is what tampering is.
    table = AuditEvent.__table__
    database.session.execute(
        update(table).where(table.c.id == second.id).values(why="edited later")
    )
    database.session.commit()
    assert audit.verify_chain(database.session) == (False, second.id)


def test_events_after_a_savepoint_rolls_back_chain_to_what_was_kept(database):
    # One transaction remembers the hash it wrote last; a savepoint rolled back must not leave
    # the next event chained to an event that was never stored.
    user = make_user(database)
    with unit_of_work() as session:
        audit.record(session, actor=user, action="test.kept", subject=user)
        try:
            with session.begin_nested():
                audit.record(session, actor=user, action="test.undone", subject=user)
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        audit.record(session, actor=user, action="test.after", subject=user)
        audit.record(session, actor=user, action="test.last")
    with unit_of_work() as session:
        audit.record(session, actor=user, action="test.next_transaction", subject=user)
    events = database.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == [
        "test.kept",
        "test.after",
        "test.last",
        "test.next_transaction",
    ]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]


def test_numbers_count_up_without_gaps(database):
    with unit_of_work() as session:
        numbers = [next_number(session, Sequence.work_order) for _ in range(3)]
    assert numbers == ["WO-000001", "WO-000002", "WO-000003"]


def test_concurrent_transactions_never_get_the_same_number(tmp_path):
    with scratch_database(tmp_path) as url:
        app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            db.create_all()
        drawn: list[str] = []
        errors: list[Exception] = []
        lock = threading.Lock()
        start = threading.Barrier(6)

        def worker():
            with app.app_context():
                start.wait()
                for _ in range(5):
                    try:
                        with unit_of_work() as session:
                            number = next_number(session, Sequence.work_order)
                        with lock:
                            drawn.append(number)
                    except Exception as err:  # noqa: BLE001 (collected and asserted below)
                        errors.append(err)
                db.session.remove()

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(drawn) == [f"WO-{n:06d}" for n in range(1, 31)]
        with app.app_context():
            db.engine.dispose()
