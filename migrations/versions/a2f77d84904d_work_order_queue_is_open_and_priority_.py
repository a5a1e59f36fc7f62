"""work order queue: is_open and priority_rank generated columns with queue indexes

Revision ID: a2f77d84904d
Revises: c2ad409b22df
Create Date: 2026-11-25 13:30:03.909949

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base


# revision identifiers, used by Alembic.
revision = 'a2f77d84904d'
down_revision = 'c2ad409b22df'
branch_labels = None
depends_on = None


def _rebuild():
    return "always" if op.get_context().dialect.name == "sqlite" else "auto"


def upgrade():
    # SQLite cannot ADD a STORED generated column, so the table is rebuilt there; PostgreSQL
    # adds the columns in place.
    with op.batch_alter_table('work_order', schema=None, recreate=_rebuild()) as batch_op:
        batch_op.add_column(sa.Column('is_open', sa.Integer(), sa.Computed("CASE WHEN status IN ('approved', 'assigned', 'in_progress', 'requested', 'waiting_parts') THEN 1 ELSE 0 END", persisted=True), nullable=False))
        batch_op.add_column(sa.Column('priority_rank', sa.Integer(), sa.Computed("CASE priority WHEN 'emergency' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 WHEN 'low' THEN 3 ELSE 9 END", persisted=True), nullable=False))
        batch_op.create_index('ix_work_order_assignee_queue', ['assignee_user_id', 'is_open', 'priority_rank', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_work_order_open_due', ['is_open', 'due_at'], unique=False)
        batch_op.create_index('ix_work_order_queue', ['is_open', 'priority_rank', 'due_at', 'id'], unique=False)

    # ### end Alembic commands ###


def downgrade():
    with op.batch_alter_table('work_order', schema=None, recreate=_rebuild()) as batch_op:
        batch_op.drop_index('ix_work_order_queue')
        batch_op.drop_index('ix_work_order_open_due')
        batch_op.drop_index('ix_work_order_assignee_queue')
        batch_op.drop_column('priority_rank')
        batch_op.drop_column('is_open')

    # ### end Alembic commands ###
