"""The migration chain builds exactly the schema the models declare, and unwinds."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from portal import create_app
from portal.demo import load_demo
from portal.extensions import db
from portal.models import WorkOrder
from tests.conftest import base_config, scratch_database


def test_migrations_build_the_models_schema_with_no_difference(tmp_path):
    with scratch_database(tmp_path) as url:
        app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "render_as_batch": True}
                )
                diff = compare_metadata(context, db.metadata)
            assert diff == []
            tables = set(inspect(db.engine).get_table_names())
            assert {"work_order", "purchase_order_line", "vendor_invoice", "audit_event"} <= tables
            # The newest migration must also unwind and replay on a database full of data.
            load_demo()
            db.session.remove()
            downgrade(revision="-1")
            upgrade()
            assert db.session.scalar(select(func.count()).select_from(WorkOrder)) > 0
            db.session.remove()
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            db.engine.dispose()
