"""audit event sequence numbers: a removed or inserted event shows as a gap or an extra number

Revision ID: 404cf8ead0c3
Revises: 5381efa498d4
Create Date: 2026-11-25 14:57:14.918994

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '404cf8ead0c3'
down_revision = '5381efa498d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
    # Events written so far are numbered in the order they were written (id order); the hash
    # chain does not cover the number, so existing hashes stay valid.
    op.execute(
        "UPDATE audit_event SET seq = "
        "(SELECT COUNT(*) FROM audit_event AS earlier WHERE earlier.id <= audit_event.id)"
    )
    # The AUDIT counter was bumped once per recorded event; make sure it exists and is not
    # behind the rows already there.
    op.execute(
        "INSERT INTO document_counter (key, last_value) "
        "SELECT 'AUDIT', (SELECT COUNT(*) FROM audit_event) "
        "WHERE NOT EXISTS (SELECT 1 FROM document_counter WHERE key = 'AUDIT')"
    )
    op.execute(
        "UPDATE document_counter SET last_value = (SELECT COUNT(*) FROM audit_event) "
        "WHERE key = 'AUDIT' AND last_value < (SELECT COUNT(*) FROM audit_event)"
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_seq'), ['seq'])


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_event_seq'), type_='unique')
        batch_op.drop_column('seq')
