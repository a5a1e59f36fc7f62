"""Workers share nothing but the databases: login throttling counts live in Redis."""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager

import pytest
import redis
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import RateLimitCounter
from tests.conftest import base_config, scratch_database
from tests.factories import make_user

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def _limiter_back_on_memory():
    """Flask-Limiter keeps one storage for every app of the process, and these tests point it at
    Redis or the database: point it back at memory:// for the tests that run after them."""
    yield
    create_app(base_config(SQLALCHEMY_DATABASE_URI="sqlite://"))


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("PORTAL_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def test_two_workers_share_the_sign_in_throttle_through_redis(tmp_path):
    _redis_or_skip()
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    prefix = f"test-{uuid.uuid4().hex}"
    settings = base_config(
        SQLALCHEMY_DATABASE_URI=url, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix
    )
    worker_a, worker_b = create_app(settings), create_app(settings)
    with worker_a.app_context():
        db.create_all()
        make_user(db, username="tomas", password="pump-seal-42")
        db.engine.dispose()
    bad = {"username": "tomas", "password": "guess"}
    for n in range(5):
        worker = worker_a if n % 2 == 0 else worker_b
        assert worker.test_client().post("/login", data=bad).status_code == 422
    # The sixth try lands on the other worker, which knows about the five failures.
    assert worker_b.test_client().post("/login", data=bad).status_code == 429
    # ...because the counts are in Redis, not in either process.
    store = redis.Redis.from_url(REDIS_URL)
    keys = store.keys(f"*{prefix}*")
    assert keys
    store.delete(*keys)


@contextmanager
def _two_workers_on_one_database(tmp_path, **overrides):
    """Two apps (as two gunicorn workers would be) on one new database of the kind under test
    (SQLite or PostgreSQL), tables made and Tomás in it."""
    with scratch_database(tmp_path) as url:
        settings = base_config(SQLALCHEMY_DATABASE_URI=url, **overrides)
        workers = create_app(settings), create_app(settings)
        with workers[0].app_context():
            db.create_all()
            make_user(db, username="tomas", password="pump-seal-42")
        try:
            yield workers
        finally:
            for worker in workers:
                with worker.app_context():
                    db.engine.dispose()


def test_two_workers_share_the_sign_in_throttle_through_the_database(tmp_path):
    with _two_workers_on_one_database(tmp_path, RATELIMIT_STORAGE_URI="database://") as workers:
        _five_failures_then_refused_on_the_other_worker(*workers)


def _five_failures_then_refused_on_the_other_worker(worker_a, worker_b):
    bad = {"username": "tomas", "password": "guess"}
    for n in range(5):
        worker = worker_a if n % 2 == 0 else worker_b
        assert worker.test_client().post("/login", data=bad).status_code == 422
    refused = worker_b.test_client().post("/login", data=bad)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # The counts are rows in the database both workers use, not in either process.
    with worker_a.app_context():
        keys = set(db.session.scalars(select(RateLimitCounter.key)))
    assert any("/sign-in/failures/" in key for key in keys)
    assert any("/sign-in/wait/" in key for key in keys)


def _post(app, password, address, username="tomas"):
    return app.test_client().post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_stranger_cannot_lock_the_user_out_from_another_client(tmp_path):
    with _two_workers_on_one_database(tmp_path, RATELIMIT_STORAGE_URI="database://") as (worker, _):
        stranger, tomas = "198.51.100.66", "10.20.0.5"
        codes = [_post(worker, f"guess{n}", stranger).status_code for n in range(12)]
        assert codes[:5] == [422] * 5 and set(codes[5:]) == {429}
        # The stranger is slowed; Tomás, on his own phone, signs in at once.
        assert _post(worker, "pump-seal-42", tomas).status_code == 303
        # Even the right password waits from the stranger's address (guessing stays slow there).
        assert _post(worker, "pump-seal-42", stranger).status_code == 429


class _Clock:
    """time.time() for the throttle and its database storage, moved on by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_each_further_failure_doubles_the_wait(tmp_path, monkeypatch):
    clock = _Clock(1_900_000_000.0)
    monkeypatch.setattr("portal.throttling.time", clock)
    with _two_workers_on_one_database(tmp_path, RATELIMIT_STORAGE_URI="database://") as (worker, _):
        address = "10.20.0.5"
        for n in range(4):
            assert _post(worker, f"guess{n}", address).status_code == 422
        waits = []
        for n in range(4):
            failed = _post(worker, f"again{n}", address)
            assert failed.status_code == 422 and "Retry-After" in failed.headers
            # (the header's number is Flask-Limiter's merge with the real clock: read the words)
            amount, unit = re.search(r"wait (\d+) (seconds|minutes)", failed.text).groups()
            waits.append(int(amount) * (60 if unit == "minutes" else 1))
            assert _post(worker, "pump-seal-42", address).status_code == 429  # not even checked
            clock.now += waits[-1]
        assert waits == [30, 60, 120, 240]
        # After the wait the right password is heard, and forgives the failures.
        assert _post(worker, "pump-seal-42", address).status_code == 303
        assert _post(worker, "guess-after", address).status_code == 422
        again = _post(worker, "guess-again", address)
        assert again.status_code == 422 and "wait" not in again.text


def test_one_client_is_limited_across_every_account(tmp_path):
    with _two_workers_on_one_database(
        tmp_path, RATELIMIT_STORAGE_URI="database://", LOGIN_LIMIT_PER_CLIENT="8 per minute"
    ) as (worker, _):
        address = "198.51.100.66"
        codes = [
            _post(worker, "guess", address, username=f"user{n}").status_code for n in range(10)
        ]
        assert codes[:8] == [422] * 8 and codes[8:] == [429, 429]
        assert _post(worker, "pump-seal-42", "10.20.0.5").status_code == 303  # others unaffected
