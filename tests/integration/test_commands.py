"""The `flask portal` commands: create-user and demo."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Asset, AuditEvent, Item, StockLevel, Storeroom, User, Vendor
from portal.services.audit import verify_chain
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
            "s3cret-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created bea (approver, buyer)" in result.output
    response = app.test_client().post("/login", data={"username": "bea", "password": "s3cret-pw"})
    assert response.status_code == 303
    event = database.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert event.changes == {"roles": ["approver", "buyer"]}


def test_create_user_refuses_a_taken_name_and_unknown_roles(app, database):
    runner = app.test_cli_runner()
    args = ["portal", "create-user", "bea", "--name", "Bea", "--password", "s3cret-pw"]
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
            "s3cret-pw",
            "--roles",
            "wizard",
        ]
    )
    assert unknown.exit_code != 0 and "unknown role(s): wizard" in unknown.output
    assert database.session.scalar(select(func.count()).select_from(User)) == 1


def _counts(session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in (User, Asset, Item, Storeroom, StockLevel, Vendor, AuditEvent)
    }


def test_demo_loads_a_believable_world_once(app, database):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["portal", "demo"])
    assert first.exit_code == 0, first.output
    counts = _counts(database.session)
    # 6 vendors from the demo data, plus any a feature demo adds (orders: a cleaning contractor)
    assert counts["Asset"] == 50 and counts["Item"] >= 30 and counts["Vendor"] >= 6
    assert counts["Storeroom"] == 2
    for role in (
        "technician",
        "supervisor",
        "storekeeper",
        "buyer",
        "approver",
        "ap_clerk",
        "admin",
    ):
        user = database.session.scalar(select(User).where(User.username == role))
        assert user is not None and user.check_password("demo") and user.has_role(role)
    second = runner.invoke(args=["portal", "demo"])
    assert second.exit_code == 0 and "nothing changed" in second.output
    assert _counts(database.session) == counts
    assert verify_chain(database.session) == (True, None)


def test_demo_sign_in_shows_the_technicians_queue(app, database):
    app.test_cli_runner().invoke(args=["portal", "demo"])
    client = app.test_client()
    client.post("/login", data={"username": "technician", "password": "demo"})
    home = client.get("/")
    assert "Hello, Tomás" in home.text and "Syrup dosing pump leaking at seal" in home.text


def test_demo_refuses_a_production_configuration(tmp_path):
    with isolated_app(tmp_path, PORTAL_ENV="production") as prod:
        result = prod.test_cli_runner().invoke(args=["portal", "demo"])
        assert result.exit_code != 0 and "production configuration" in result.output
        with prod.app_context():
            assert db.session.scalar(select(func.count()).select_from(Asset)) == 0
