"""lifecycle and out-of-pocket rules: PO line flags for cancelled work, what a claim was for

A PO line whose work order was cancelled is flagged to the buyer (purchase_order_line_flag);
an out-of-pocket claim names an item or a spend category, keeps what the purchasing policy said
about it and who approved it so far. Only nullable columns are added to the existing table
(no rebuild, so no trigger or generated column is touched on SQLite).

Revision ID: a13c00000003
Revises: a13b00000002
Create Date: 2026-12-07 18:00:00

"""

import sqlalchemy as sa
from alembic import op

import portal.models.base

# revision identifiers, used by Alembic.
revision = "a13c00000003"
down_revision = "a13b00000002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "purchase_order_line_flag",
        sa.Column("purchase_order_line_id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("raised_at", portal.models.base.UTCDateTime(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("resolution_reason", sa.String(length=1000), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", portal.models.base.UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_purchase_order_line_flag_purchase_order_line_id_purchase_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"],
            ["user.id"],
            name=op.f("fk_purchase_order_line_flag_raised_by_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["user.id"],
            name=op.f("fk_purchase_order_line_flag_resolved_by_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_purchase_order_line_flag_work_order_id_work_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_line_flag")),
    )
    with op.batch_alter_table("purchase_order_line_flag", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_order_line_flag_purchase_order_line_id"),
            ["purchase_order_line_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_order_line_flag_resolution"), ["resolution"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_order_line_flag_work_order_id"),
            ["work_order_id"],
            unique=False,
        )

    # Plain ADD COLUMN (nullable) on both databases: no table rebuild. SQLite takes a column
    # REFERENCES clause in ADD COLUMN, but Alembic would ask for batch mode (a rebuild).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE out_of_pocket_purchase ADD COLUMN item_id INTEGER "
            "CONSTRAINT fk_out_of_pocket_purchase_item_id_item REFERENCES item (id)"
        )
    else:
        op.add_column("out_of_pocket_purchase", sa.Column("item_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_out_of_pocket_purchase_item_id_item",
            "out_of_pocket_purchase",
            "item",
            ["item_id"],
            ["id"],
        )
    op.add_column("out_of_pocket_purchase", sa.Column("category", sa.String(60), nullable=True))
    op.add_column("out_of_pocket_purchase", sa.Column("policy_warnings", sa.JSON(), nullable=True))
    op.add_column("out_of_pocket_purchase", sa.Column("approved_by", sa.JSON(), nullable=True))
    op.create_index(
        "ix_out_of_pocket_purchase_item_id", "out_of_pocket_purchase", ["item_id"], unique=False
    )


def downgrade():
    op.drop_index("ix_out_of_pocket_purchase_item_id", table_name="out_of_pocket_purchase")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a column in place (no rebuild of the table).
        for column in ("approved_by", "policy_warnings", "category", "item_id"):
            op.execute(f"ALTER TABLE out_of_pocket_purchase DROP COLUMN {column}")
    else:
        for column in ("approved_by", "policy_warnings", "category"):
            op.drop_column("out_of_pocket_purchase", column)
        op.drop_constraint(
            "fk_out_of_pocket_purchase_item_id_item", "out_of_pocket_purchase", type_="foreignkey"
        )
        op.drop_column("out_of_pocket_purchase", "item_id")
    with op.batch_alter_table("purchase_order_line_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_order_line_flag_work_order_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_order_line_flag_resolution"))
        batch_op.drop_index(batch_op.f("ix_purchase_order_line_flag_purchase_order_line_id"))
    op.drop_table("purchase_order_line_flag")
