"""The three shared write mechanisms: unit of work, row lock, idempotent submission."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.extensions import db
from portal.models import Site, Submission, User, UserRole
from portal.services._uow import FormAlreadyUsed, locked, submitted_once, unit_of_work
from tests.concurrency import run_at_once
from tests.factories import make_site, make_user

calls: list[str] = []


@submitted_once("test_site")
def make_named_site(
    code: str, *, actor: User, fail: bool = False, submission_id: str | None = None
) -> Site:
    """A use case for the tests: makes a site, counting each time the work really runs."""
    with unit_of_work() as session:
        calls.append(code)
        site = Site(code=code, name=f"Site {code}")
        session.add(site)
        session.flush()
        if fail:
            raise DomainError("refused")
        return site


@pytest.fixture(autouse=True)
def _forget_calls():
    calls.clear()


def _sites() -> int:
    return db.session.scalar(select(func.count(Site.id)))


def test_an_inner_unit_of_work_joins_the_outer_transaction(database):
    with pytest.raises(RuntimeError), unit_of_work() as session:
        with unit_of_work() as inner:
            inner.add(Site(code="IN", name="Inner"))
        assert session.scalar(select(func.count(Site.id))) == 1
        raise RuntimeError("the outer block fails after the inner one ended")
    assert _sites() == 0


def test_locked_names_a_missing_row(database):
    with pytest.raises(NotFound, match="Site 999 does not exist"), unit_of_work() as session:
        locked(session, Site, 999)


def test_the_same_submission_twice_does_the_work_once_and_returns_the_first_result(database):
    user = make_user(database)
    submission = uuid.uuid4().hex
    first = make_named_site("A1", actor=user, submission_id=submission)
    second = make_named_site("A2", actor=user, submission_id=submission)
    assert second.id == first.id and second.code == "A1"
    assert calls == ["A1"] and _sites() == 1


def test_a_failed_first_post_leaves_nothing_so_the_retry_does_the_work(database):
    user = make_user(database)
    submission = uuid.uuid4().hex
    with pytest.raises(DomainError):
        make_named_site("B1", actor=user, submission_id=submission, fail=True)
    site = make_named_site("B2", actor=user, submission_id=submission)
    assert site.code == "B2" and _sites() == 1
    assert database.session.get(Submission, submission).kind == "test_site"


def test_a_submission_id_from_someone_else_is_refused(database):
    owner, other = make_user(database), make_user(database)
    submission = uuid.uuid4().hex
    make_named_site("C1", actor=owner, submission_id=submission)
    with pytest.raises(NotAllowed):
        make_named_site("C2", actor=other, submission_id=submission)


def test_a_submission_id_reused_by_another_kind_of_form_is_refused(database):
    user = make_user(database)
    submission = uuid.uuid4().hex

    @submitted_once("another_form")
    def other_form(*, actor, submission_id=None):
        with unit_of_work():
            return make_site(database)

    make_named_site("D1", actor=user, submission_id=submission)
    with pytest.raises(FormAlreadyUsed):
        other_form(actor=user, submission_id=submission)


def test_a_use_case_that_does_not_declare_the_submission_id_is_refused_at_once():
    with pytest.raises(TypeError, match="must declare submission_id"):

        @submitted_once("careless")
        def careless(*, actor):
            return None


@pytest.mark.parametrize("bad", ["x", "a" * 65, "bad id with spaces", "\x00" * 10])
def test_a_malformed_submission_id_is_refused_in_words(database, bad):
    user = make_user(database)
    with pytest.raises(FormAlreadyUsed, match="out of date"):
        make_named_site("E1", actor=user, submission_id=bad)
    assert _sites() == 0


def test_racing_posts_of_one_form_make_one_site_and_all_get_it(race_app):
    with race_app.app_context():
        user = User(username="racer", full_name="Racer")
        user.set_password("x")
        user.role_rows = [UserRole(role="technician")]
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    submission = uuid.uuid4().hex

    def post(_ready):
        actor = db.session.get(User, user_id)
        return make_named_site("R1", actor=actor, submission_id=submission).id

    ids, errors = run_at_once(race_app, [post] * 6)
    assert errors == []
    assert len(set(ids)) == 1
    with race_app.app_context():
        assert db.session.scalar(select(func.count(Site.id))) == 1


def test_locked_makes_a_second_transaction_wait_for_the_first(race_app):
    with race_app.app_context():
        db.session.add(Site(code="L1", name="Before"))
        db.session.commit()
        site_id = db.session.scalar(select(Site.id))
    holding = threading.Event()
    seen: list[str] = []

    def first(_ready):
        with unit_of_work() as session:
            site = locked(session, Site, site_id)
            holding.set()
            time.sleep(0.5)
            site.name = site.name + " +first"

    def second(_ready):
        holding.wait(timeout=10)
        with unit_of_work() as session:
            site = locked(session, Site, site_id)
            seen.append(site.name)
            site.name = site.name + " +second"

    _, errors = run_at_once(race_app, [first, second])
    assert errors == []
    assert seen == ["Before +first"]
    with race_app.app_context():
        assert db.session.get(Site, site_id).name == "Before +first +second"
