"""outbox_mail for mail delivered by the worker; attachment.thumbnail for re-encoded photos

Mail is written to `outbox_mail` in the transaction of the change that causes it and delivered
by `flask portal worker` with retries. Photos are re-encoded on upload and get a thumbnail;
rows from before keep a NULL thumbnail and are re-encoded when they are served.

Revision ID: a14b00000005
Revises: a14a00000004
Create Date: 2026-12-07 18:10:00

"""
from alembic import op
import sqlalchemy as sa

from portal.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'a14b00000005'
down_revision = "a14a00000004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('to', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('last_attempt_at', UTCDateTime(), nullable=True),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mail')),
    )
    op.create_index(
        'ix_outbox_mail_status_next_attempt_at',
        'outbox_mail',
        ['status', 'next_attempt_at'],
        unique=False,
    )
    op.add_column('attachment', sa.Column('thumbnail', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('attachment') as batch_op:
        batch_op.drop_column('thumbnail')
    op.drop_index('ix_outbox_mail_status_next_attempt_at', table_name='outbox_mail')
    op.drop_table('outbox_mail')
