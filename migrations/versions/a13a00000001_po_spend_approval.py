"""approval binds spend: approved amounts on PO lines, PO approvals, pending revisions,
the approval tolerance, the contract a PO consumes

New tables are created as usual. Columns on existing tables are added in place (nullable, or with
a server default): on SQLite a foreign key column is added by SQLite's own ADD COLUMN ...
REFERENCES, because Alembic would rebuild the table (batch mode), which the budget triggers and
generated columns on these tables do not survive.

Revision ID: a13a00000001
Revises: 543ca1548f3d
Create Date: 2026-12-07 18:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base


# revision identifiers, used by Alembic.
revision = 'a13a00000001'
down_revision = "543ca1548f3d"
branch_labels = None
depends_on = None

# (table, column, referenced table, constraint name)
FOREIGN_KEYS = [
    ('purchase_order', 'contract_id', 'contract', 'fk_purchase_order_contract_id_contract'),
    ('purchase_order', 'amended_by_id', 'user', 'fk_purchase_order_amended_by_id_user'),
]


def _add_foreign_key_column(table: str, column: str, target: str, name: str) -> None:
    """A nullable integer column referencing target.id, without rebuilding the table."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            f'ALTER TABLE "{table}" ADD COLUMN "{column}" INTEGER '
            f'CONSTRAINT {name} REFERENCES "{target}" (id)'
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ['id'])


def upgrade():
    op.create_table('approval_tolerance',
    sa.Column('percent', sa.Numeric(precision=7, scale=3), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_approval_tolerance_changed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_tolerance'))
    )
    op.create_table('purchase_order_approval',
    sa.Column('purchase_order_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.Column('approver_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('approved', 'rejected', name='approvaldecision', native_enum=False, length=24), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('why_needed', sa.String(length=1000), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('over_budget', sa.Boolean(), nullable=False),
    sa.Column('decided_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['approver_id'], ['user.id'], name=op.f('fk_purchase_order_approval_approver_id_user')),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_order.id'], name=op.f('fk_purchase_order_approval_purchase_order_id_purchase_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_approval')),
    sa.UniqueConstraint('purchase_order_id', 'round', 'approver_id', name=op.f('uq_purchase_order_approval_purchase_order_id_round_approver_id'))
    )
    op.create_index(op.f('ix_purchase_order_approval_approver_id'), 'purchase_order_approval', ['approver_id'], unique=False)
    op.create_index(op.f('ix_purchase_order_approval_purchase_order_id'), 'purchase_order_approval', ['purchase_order_id'], unique=False)

    for table, column, target, name in FOREIGN_KEYS:
        _add_foreign_key_column(table, column, target, name)
    op.add_column('purchase_order', sa.Column('approval_round', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.create_index(op.f('ix_purchase_order_contract_id'), 'purchase_order', ['contract_id'], unique=False)
    op.add_column('purchase_order_line', sa.Column('approved_amount', sa.Numeric(precision=14, scale=2), nullable=True))
    op.add_column('purchase_order_line', sa.Column('authorised_amount', sa.Numeric(precision=14, scale=2), nullable=True))
    # What the request lines behind existing PO lines approved (the invariant checker then names
    # any existing line above it); lines without a request stay NULL (nothing was approved).
    op.execute(
        'UPDATE purchase_order_line SET approved_amount = ('
        'SELECT ROUND(purchase_request_line.qty * purchase_request_line.unit_price, 2) '
        'FROM purchase_request_line '
        'WHERE purchase_request_line.id = purchase_order_line.purchase_request_line_id) '
        'WHERE purchase_request_line_id IS NOT NULL'
    )
    op.add_column('purchase_order_revision', sa.Column('status', sa.String(length=12), server_default=sa.text("'applied'"), nullable=False))
    op.add_column('purchase_order_revision', sa.Column('proposed', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('purchase_order_revision', 'proposed')
    op.drop_column('purchase_order_revision', 'status')
    op.drop_column('purchase_order_line', 'authorised_amount')
    op.drop_column('purchase_order_line', 'approved_amount')
    op.drop_index(op.f('ix_purchase_order_contract_id'), table_name='purchase_order')
    op.drop_column('purchase_order', 'approval_round')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, column, _target, name in reversed(FOREIGN_KEYS):
        if not sqlite:
            op.drop_constraint(name, table, type_='foreignkey')
        # SQLite (3.35+) drops a column its foreign key names in place; no rebuild.
        op.drop_column(table, column)
    op.drop_index(op.f('ix_purchase_order_approval_purchase_order_id'), table_name='purchase_order_approval')
    op.drop_index(op.f('ix_purchase_order_approval_approver_id'), table_name='purchase_order_approval')
    op.drop_table('purchase_order_approval')
    op.drop_table('approval_tolerance')
