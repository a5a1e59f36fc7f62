"""`flask portal budget-check`: the budget's triggers and derived rows against the documents."""

from __future__ import annotations

import click

from portal.services import budget_ledger


@click.command("budget-check")
@click.option("--repair", is_flag=True, help="Reinstall the triggers, recompute every derived row.")
def budget_check_command(repair: bool):
    """Check the triggers are there, recompute every derived row, list what differs (exit 1)."""
    missing = budget_ledger.missing_triggers()
    drift = budget_ledger.check_ledger()
    if not missing and not drift:
        click.echo("Budget figures match the documents.")
        return
    if missing:
        click.echo(f"Budget triggers missing: {', '.join(missing)}", err=True)
    for row in drift[:20]:
        click.echo(
            f"{row.ledger} line {row.key}: stored {row.stored}, documents say {row.expected}",
            err=True,
        )
    if len(drift) > 20:
        click.echo(f"... and {len(drift) - 20:,} more", err=True)
    if not repair:
        click.echo(f"{len(drift):,} derived rows differ: run with --repair to rebuild.", err=True)
        raise SystemExit(1)
    left = budget_ledger.repair_ledger()
    click.echo(f"Triggers installed, rows rebuilt from the documents; {len(left):,} still differ.")
    if left or budget_ledger.missing_triggers():
        raise SystemExit(1)
