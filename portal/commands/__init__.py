"""The `flask portal ...` command group."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.commands.audit import audit_cli
from portal.commands.budgets import budget_check_command
from portal.commands.check import check_command
from portal.commands.match import match_command
from portal.commands.worker import worker_command
from portal.domain.errors import DomainError
from portal.domain.roles import parse_roles
from portal.services import accounts

portal_cli = AppGroup("portal", help="Field Portal administration.")


@portal_cli.command("create-user")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name shown on pages.")
@click.option("--roles", required=True, help="Comma-separated: technician,supervisor,...")
@click.option("--email", default=None)
@click.option("--department", default=None)
@click.password_option(help="Asked for (twice) when not given.")
def create_user_command(username, full_name, roles, email, department, password):
    """Create a user who can sign in with USERNAME."""
    # As the system (actor=None): this is how the first administrator comes to exist.
    try:
        user = accounts.create_user(
            username,
            password=password,
            full_name=full_name,
            roles=parse_roles(roles),
            email=email,
            department=department,
            actor=None,
        )
    except (DomainError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Created {user.username} ({', '.join(sorted(user.roles))}).")


@portal_cli.command("demo")
def demo_command():
    """Load the demo plant and apartment block (idempotent; refused in production)."""
    from portal.demo import load_demo

    if current_app.config.get("PORTAL_ENV") == "production":
        raise click.ClickException(
            "Refusing to load demo data into a production configuration (PORTAL_ENV=production)."
        )
    summary = load_demo(progress=lambda message: click.echo(f"  {message}"))
    click.echo(summary)


portal_cli.add_command(match_command)
portal_cli.add_command(audit_cli)
portal_cli.add_command(budget_check_command)
portal_cli.add_command(check_command)
portal_cli.add_command(worker_command)
