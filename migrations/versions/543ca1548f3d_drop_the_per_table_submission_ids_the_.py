"""drop the per-table submission ids: the submission table is the one record of handled posts

Every form post is now claimed in `submission` (portal/services/_uow.py, submitted_once), so the
per-table columns are never written.

PostgreSQL drops them in place. SQLite cannot drop a UNIQUE column in place, and Alembic's batch
mode cannot rebuild these tables (it copies values into the generated columns of work_order and
purchase_request_line, and swapping a table under the budget triggers fails), so on SQLite each
table is rebuilt here by SQLite's own recipe: the stored CREATE TABLE text without the column,
the rows copied (generated columns left to compute themselves), the old table dropped, the new
one renamed, its indexes made again; the budget triggers are dropped first and installed again
at the end, as the migration that made them does.

Revision ID: 543ca1548f3d
Revises: 463c3e102382
Create Date: 2026-12-07 15:47:19.847154

"""
import re

from alembic import op
import sqlalchemy as sa

from portal.services.budget_ledger import TRIGGERS, install_ledger_triggers


# revision identifiers, used by Alembic.
revision = '543ca1548f3d'
down_revision = '463c3e102382'
branch_labels = None
depends_on = None

# table -> the name of the constraint (or index) on its submission_id column
COLUMNS = {
    'approval': 'uq_approval_submission_id',
    'audit_finding': 'uq_audit_finding_submission_id',
    'goods_receipt': 'uq_goods_receipt_submission_id',
    'goods_receipt_line': 'uq_goods_receipt_line_submission_id',
    'labour_entry': 'uq_labour_entry_submission_id',
    'out_of_pocket_purchase': 'uq_out_of_pocket_purchase_submission_id',
    'part_line': 'uq_part_line_submission_id',
    'policy_rule': 'uq_policy_rule_submission_id',
    'purchase_order': 'ix_purchase_order_submission_id',  # an index, not unique: one post, several POs
    'purchase_request_line': 'uq_purchase_request_line_submission_id',
    'vendor_invoice': 'uq_vendor_invoice_submission_id',
    'work_order': 'uq_work_order_submission_id',
    'work_order_comment': 'uq_work_order_comment_submission_id',
    'work_request': 'uq_work_request_submission_id',
}


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        for table, constraint in COLUMNS.items():
            if constraint.startswith('ix_'):
                op.drop_index(constraint, table_name=table)
            else:
                op.drop_constraint(constraint, table, type_='unique')
            op.drop_column(table, 'submission_id')
        return
    for name, *_rest in TRIGGERS:
        bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')
    for table, constraint in COLUMNS.items():
        _sqlite_rebuild_without(bind, table, 'submission_id', constraint)
    install_ledger_triggers(bind)


def _table_sql(bind, table):
    """The CREATE TABLE text SQLite keeps for `table`."""
    return bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()


def _sqlite_rebuild_without(bind, table, column, constraint):
    """The table again without `column` and the constraint on it."""
    create = _table_sql(bind, table)
    new = re.sub(rf',\s*CONSTRAINT {constraint} UNIQUE \({column}\)', '', create)
    new = re.sub(rf'\s*{column} VARCHAR\(64\)( NOT NULL)?,', '', new, count=1)
    new = re.sub(rf',\s*{column} VARCHAR\(64\)( NOT NULL)?(?=[,\s)])', '', new, count=1)
    if column in new:
        raise RuntimeError(f'could not take {column} out of {table}: {new}')
    _sqlite_rebuild(bind, table, new, leave_out=column, drop_index=constraint)


def _sqlite_rebuild_with(bind, table, column, constraint):
    """The table again with `column` (empty) and its UNIQUE constraint, as before."""
    create = _table_sql(bind, table).rstrip()
    first_constraint = re.search(r',\s*CONSTRAINT ', create)  # columns come before constraints
    cut = first_constraint.start() if first_constraint else len(create) - 1
    new = create[:cut] + f',\n\t{column} VARCHAR(64)' + create[cut:]
    if not constraint.startswith('ix_'):
        new = new[:-1].rstrip() + f',\n\tCONSTRAINT {constraint} UNIQUE ({column})\n)'
    _sqlite_rebuild(bind, table, new, leave_out=column, drop_index=None)
    if constraint.startswith('ix_'):
        bind.exec_driver_sql(f'CREATE INDEX {constraint} ON "{table}" ({column})')


def _sqlite_rebuild(bind, table, create, *, leave_out, drop_index):
    """SQLite's recipe for a change ALTER TABLE cannot make: a new table, the rows, a rename.

    Foreign keys are off for the whole migration (migrations/env.py), and checked after.
    """
    indexes = [
        sql for (name, sql) in bind.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        )
        if name != drop_index
    ]
    kept = [
        row[1] for row in bind.exec_driver_sql(f'PRAGMA table_xinfo("{table}")')
        if row[1] != leave_out and row[6] == 0  # hidden 0: a stored column, not a generated one
    ]
    names = ', '.join(f'"{name}"' for name in kept)
    new = re.sub(rf'^CREATE TABLE ("{table}"|{table})', 'CREATE TABLE "_rebuild"', create)
    bind.exec_driver_sql('PRAGMA legacy_alter_table = ON')  # rename without rewriting others
    bind.exec_driver_sql(new)
    bind.exec_driver_sql(f'INSERT INTO "_rebuild" ({names}) SELECT {names} FROM "{table}"')
    bind.exec_driver_sql(f'DROP TABLE "{table}"')
    bind.exec_driver_sql(f'ALTER TABLE "_rebuild" RENAME TO "{table}"')
    bind.exec_driver_sql('PRAGMA legacy_alter_table = OFF')
    for sql in indexes:
        bind.exec_driver_sql(sql)


def downgrade():
    # The columns come back empty and nullable: the ids they held are in `submission` only.
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        for table, constraint in COLUMNS.items():
            op.add_column(table, sa.Column('submission_id', sa.String(length=64), nullable=True))
            if constraint.startswith('ix_'):
                op.create_index(constraint, table, ['submission_id'])
            else:
                op.create_unique_constraint(constraint, table, ['submission_id'])
        return
    for name, *_rest in TRIGGERS:
        bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')
    for table, constraint in COLUMNS.items():
        _sqlite_rebuild_with(bind, table, 'submission_id', constraint)
    install_ledger_triggers(bind)
