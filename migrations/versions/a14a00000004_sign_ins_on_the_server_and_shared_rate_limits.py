"""sign-ins on the server, a forced password change, and rate-limit counters in the database

- user_session: one row per sign-in (the SHA-256 of the token its cookies carry); deleting the
  row is what signs a device out.
- user.must_change_password, user.password_reset_at: set by an administrator's reset (its
  temporary password expires).
- rate_limit_counter: the rate limiter's counters when REDIS_URL is not set, shared by workers.

Existing sessions (cookies holding a user id) load nobody afterwards: everyone signs in again.

Revision ID: a14a00000004
Revises: a13c00000003
Create Date: 2026-12-07 18:00:00

"""
from alembic import op
import sqlalchemy as sa

from portal.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'a14a00000004'
down_revision = "a13c00000003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'user',
        sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column('user', sa.Column('password_reset_at', UTCDateTime(), nullable=True))
    op.create_table('user_session',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    op.create_table('rate_limit_counter',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counter'))
    )
    with op.batch_alter_table('rate_limit_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counter_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('rate_limit_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counter_expires_at'))
    op.drop_table('rate_limit_counter')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
    op.drop_table('user_session')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('password_reset_at')
        batch_op.drop_column('must_change_password')
