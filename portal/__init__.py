"""Field Portal: work orders and purchase orders in one product."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from sqlalchemy import exc as sa_exc

from portal import config
from portal.extensions import csrf, db, limiter, login_manager, migrate

# SQLite has no DECIMAL type; our Numeric columns are quantised back to their scale on read,
# which is exact for the 14-digit precision we allow. PostgreSQL stores them exactly.
warnings.filterwarnings(
    "ignore", message=".*does \\*not\\* support Decimal", category=sa_exc.SAWarning
)


def create_app(overrides: Mapping | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, CLI commands."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(config.DEFAULTS)
    if overrides is None:
        app.config.update(config.from_environment(Path(app.instance_path)))
    else:
        app.config.update(overrides)
        app.config["SQLALCHEMY_DATABASE_URI"] = config.normalise_database_url(
            app.config.get("SQLALCHEMY_DATABASE_URI", "sqlite://")
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    import portal.throttling  # noqa: F401  (the database:// rate-limit storage)

    limiter.init_app(app)

    from portal import models  # noqa: F401  (registers every table on db.metadata)
    from portal.security import init_login, trust_proxies
    from portal.services import budget_ledger  # noqa: F401  (create_all makes its triggers)

    init_login(app)
    trust_proxies(app)

    from portal.services import handlers

    handlers.register()

    from portal.edge import init_edge

    init_edge(app)  # before the blueprints: their <int:...> routes use the bounded converter

    from portal.blueprints import register_blueprints

    register_blueprints(app)

    from portal.htmx import init_htmx
    from portal.templating import init_templating

    init_htmx(app)
    init_templating(app)

    from portal.headers import init_headers

    init_headers(app)

    from portal.commands import portal_cli

    app.cli.add_command(portal_cli)
    return app
