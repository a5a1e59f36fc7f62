"""Races for the concurrency tests: many people doing something at the same instant."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from portal.extensions import db
from tests.conftest import sign_in


def run_at_once(
    app, calls: list[Callable[[Any], Any]], *, before: Callable[[], Any] = lambda: None
) -> tuple[list, list[Exception]]:
    """Run each call in its own thread and app context, all released together by a barrier.

    `before()` runs in each thread first (load the person acting, outside the race) and its
    value is what each call receives. Returns (results, errors) in the order they finished.
    """
    results: list = []
    errors: list[Exception] = []
    lock = threading.Lock()
    start = threading.Barrier(len(calls))

    def worker(call):
        with app.app_context():
            try:
                ready = before()
                start.wait(timeout=60)
                outcome = call(ready)
                with lock:
                    results.append(outcome)
            except Exception as err:  # noqa: BLE001 (collected and asserted by the test)
                with lock:
                    errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def post_at_once(app, user_id: int, url: str, data: dict, *, times: int = 2) -> list:
    """The same form posted `times` times at the same instant by one signed-in person (a double
    tap, or a retry racing the first post): the responses, in the order they finished.

    Each post has its own test client (its own connection), so on PostgreSQL the posts are
    real concurrent transactions. `app` must be on a database of its own (`race_app`).
    """
    clients = []
    for _ in range(times):
        client = app.test_client()
        sign_in(client, user_id)
        clients.append(client)
    calls = [lambda _ready, c=client: c.post(url, data=data) for client in clients]
    responses, errors = run_at_once(app, calls)
    if errors:
        raise errors[0]
    return responses
