"""Workers share nothing but the databases: login throttling counts live in Redis."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from portal import create_app
from portal.extensions import db
from tests.conftest import base_config
from tests.factories import make_user

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


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
