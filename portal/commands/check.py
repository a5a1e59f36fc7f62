"""`flask portal check`: the invariants of services/invariants.py, against the documents."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.services import invariants
from portal.services._uow import current_session

SHOWN_PER_CHECK = 50  # a broken import can break thousands of rows: name the first ones


@click.command("check")
@with_appcontext
@click.option("--only", "names", multiple=True, help="Run only this check (repeatable).")
def check_command(names: tuple[str, ...]):
    """Check stock, reservations, receipts, invoices, budget and audit trail (exit 1 on any)."""
    known = [c.name for c in invariants.CHECKS]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise click.BadParameter(
            f"no check named {', '.join(unknown)}; the checks are {', '.join(known)}",
            param_hint="--only",
        )
    outcomes = invariants.run_checks(current_session(), list(names) or None)
    broken = [o for o in outcomes if o.violations]
    if not broken:
        click.echo(f"All {len(outcomes)} invariants hold ({', '.join(o.name for o in outcomes)}).")
        return
    total = sum(len(o.violations) for o in broken)
    for outcome in broken:
        n = len(outcome.violations)
        plural = "s" if n != 1 else ""
        click.echo(f'{n:,} violation{plural} of "{outcome.title}" ({outcome.name}):', err=True)
        for sentence in outcome.violations[:SHOWN_PER_CHECK]:
            click.echo(f"  - {sentence}", err=True)
        if len(outcome.violations) > SHOWN_PER_CHECK:
            click.echo(f"  ... and {len(outcome.violations) - SHOWN_PER_CHECK:,} more", err=True)
    click.echo(
        f"{total:,} violation{'s' if total != 1 else ''} in {len(broken)} of "
        f"{len(outcomes)} checks.",
        err=True,
    )
    raise SystemExit(1)
