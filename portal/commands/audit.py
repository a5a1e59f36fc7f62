"""`flask portal audit ...`: checking the audit trail from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.services import audit
from portal.services._uow import current_session

audit_cli = AppGroup("audit", help="The audit trail: append-only and hash-chained.")


@audit_cli.command("verify")
def verify_command():
    """Check the whole trail; name the first event altered, removed or inserted (exit 1)."""
    check = audit.verify_trail(current_session())
    if check.intact:
        click.echo(f"Audit trail intact: {check.count:,} events")
        return
    first = check.breaks[0]
    click.echo(f"Audit trail BROKEN: {first.kind}: {first.detail}", err=True)
    for later in check.breaks[1:]:
        click.echo(f"  also {later.kind}: {later.detail}", err=True)
    click.echo(f"({check.count:,} events checked)", err=True)
    raise SystemExit(1)
