"""`flask portal budget-check`: the budget's derived rows against the documents."""

from __future__ import annotations

import click


@click.command("budget-check")
@click.option("--repair", is_flag=True, help="Recompute every derived row from the documents.")
def budget_check_command(repair: bool):
    """Recompute committed PO lines and spent invoice lines; list any that differ (exit 1)."""
    from portal.extensions import db
    from portal.services import budgets

    drift = budgets.check_ledger()
    if not drift:
        click.echo("Budget figures match the documents.")
        return
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
    budgets.rebuild_ledger(db.session.connection())
    db.session.commit()
    left = budgets.check_ledger()
    click.echo(f"Rebuilt from the documents; {len(left):,} rows still differ.")
    if left:
        raise SystemExit(1)
