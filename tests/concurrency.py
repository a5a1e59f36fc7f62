"""Races for the concurrency tests: many people doing something at the same instant."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from portal.extensions import db


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
