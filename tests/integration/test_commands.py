"""The `flask portal` commands: create-user, and demo refused in production (the demo world
itself: tests/integration/test_demo.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Asset, AuditEvent, User
from tests.conftest import isolated_app


def test_create_user_command_makes_an_account_that_can_sign_in(app, database):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "portal",
            "create-user",
            "bea",
            "--name",
            "Bea Nakamura",
            "--roles",
            "buyer,approver",
            "--password",
            "pallet-jack-07",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created bea (approver, buyer)" in result.output
    response = app.test_client().post(
        "/login", data={"username": "bea", "password": "pallet-jack-07"}
    )
    assert response.status_code == 303
    event = database.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert event.changes == {"roles": ["approver", "buyer"]}


def test_create_user_refuses_a_taken_name_and_unknown_roles(app, database):
    runner = app.test_cli_runner()
    args = ["portal", "create-user", "bea", "--name", "Bea", "--password", "pallet-jack-07"]
    assert runner.invoke(args=[*args, "--roles", "buyer"]).exit_code == 0
    taken = runner.invoke(args=[*args, "--roles", "buyer"])
    assert taken.exit_code != 0 and "taken" in taken.output
    unknown = runner.invoke(
        args=[
            "portal",
            "create-user",
            "zed",
            "--name",
            "Zed",
            "--password",
            "pallet-jack-07",
            "--roles",
            "wizard",
        ]
    )
    assert unknown.exit_code != 0 and "unknown role(s): wizard" in unknown.output
    assert database.session.scalar(select(func.count()).select_from(User)) == 1


def test_demo_refuses_a_production_configuration(tmp_path):
    with isolated_app(tmp_path, PORTAL_ENV="production") as prod:
        result = prod.test_cli_runner().invoke(args=["portal", "demo"])
        assert result.exit_code != 0 and "production configuration" in result.output
        with prod.app_context():
            assert db.session.scalar(select(func.count()).select_from(Asset)) == 0
