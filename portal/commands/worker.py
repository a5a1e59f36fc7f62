"""``flask portal worker [--once]``: deliver the mail outbox, beside the web workers.

`make run` starts one in the background next to gunicorn. It polls `outbox_mail` every
`--interval` seconds; `--once` delivers what is due now and exits (tests, cron).
"""

from __future__ import annotations

import logging
import signal
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.extensions import db
from portal.services import outbox
from portal.services.mailer import settings_from_app

log = logging.getLogger("portal.mail")


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
@with_appcontext
def worker_command(once: bool, interval: float) -> None:
    """Deliver queued mail with retries and back-off (Ctrl-C or SIGTERM stops it)."""
    policy = outbox.RetryPolicy.from_config(current_app.config)
    if once:
        run = outbox.deliver_due(settings_from_app(), policy)
        click.echo(
            f"Outbox: {run.sent} sent, {run.retrying} to retry, {run.failed} failed, "
            f"{run.skipped} skipped; {outbox.waiting()} waiting."
        )
        return
    stopping = False

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    click.echo(f"Mail worker polling the outbox every {interval:g} s.")
    while not stopping:
        try:
            run = outbox.deliver_due(settings_from_app(), policy)
        except KeyboardInterrupt:
            break
        except Exception:  # a database that restarts, a bug in one mail: log, wait, go on
            log.exception("Mail worker pass failed; trying again in %g s", interval)
            db.session.remove()
            run = outbox.DeliveryRun()
        db.session.remove()
        if run.tried == 0 or run.retrying:
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                break
