"""open PO lines by expected date: a partial index for the dock's expected board

Revision ID: 2ca6b0a39b2a
Revises: 51a400c24e25
Create Date: 2026-12-06 13:40:47.515363

/receiving/ reads the lines still to come (received_qty < qty) due by today; the plain
expected_on index had no other reader and is replaced.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2ca6b0a39b2a'
down_revision = '51a400c24e25'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('purchase_order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_order_line_expected_on'))
        batch_op.create_index('ix_purchase_order_line_open_expected_on', ['expected_on'], unique=False, sqlite_where=sa.text('received_qty < qty'), postgresql_where=sa.text('received_qty < qty'))


def downgrade():
    with op.batch_alter_table('purchase_order_line', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_order_line_open_expected_on', sqlite_where=sa.text('received_qty < qty'), postgresql_where=sa.text('received_qty < qty'))
        batch_op.create_index(batch_op.f('ix_purchase_order_line_expected_on'), ['expected_on'], unique=False)
