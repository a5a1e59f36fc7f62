"""exchange rates; invoice lines booked with their share of freight and tax, in the base currency

Stock issued on arrival for a work order is no longer counted beside the invoice of the same PO
line, and spent invoice lines count their booked amount (docs/money.md): the ledger's triggers
are installed again and its derived rows rebuilt, as the budget ledger's first migration says a
change to what "spent" means must.

Revision ID: a13b00000002
Revises: a13a00000001
Create Date: 2026-12-07 18:00:00
"""

from decimal import Decimal

from alembic import op
import sqlalchemy as sa

from portal.domain.costing import BASE_CURRENCY, booked_amounts
from portal.services.budget_ledger import (
    drop_ledger_triggers,
    install_ledger_triggers,
    rebuild_ledger,
)


# revision identifiers, used by Alembic.
revision = "a13b00000002"
down_revision = "a13a00000001"
branch_labels = None
depends_on = None


def _dec(value) -> Decimal:
    return Decimal(str(value or 0))


def _book_base_currency_invoices(bind) -> None:
    """Booked amounts for the invoices already entered in the base currency (others wait for a
    rate: `costing.book_unbooked`, and `flask portal check` names them until then)."""
    invoices = bind.execute(
        sa.text("SELECT id, freight_amount, tax_amount FROM vendor_invoice WHERE currency = :base"),
        {"base": BASE_CURRENCY},
    ).all()
    for invoice_id, freight, tax in invoices:
        lines = bind.execute(
            sa.text(
                "SELECT id, qty, unit_price FROM vendor_invoice_line "
                "WHERE invoice_id = :id ORDER BY position, id"
            ),
            {"id": invoice_id},
        ).all()
        if not lines:
            continue
        booked = booked_amounts(
            [(_dec(q), _dec(p)) for _i, q, p in lines], _dec(freight), _dec(tax)
        )
        for (line_id, _q, _p), amount in zip(lines, booked):
            bind.execute(
                sa.text(
                    "UPDATE vendor_invoice_line SET booked_amount = :a WHERE id = :id"
                ).bindparams(sa.bindparam("a", type_=sa.Numeric(14, 2))),
                {"a": amount, "id": line_id},
            )


def upgrade():
    op.create_table(
        "exchange_rate",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["user.id"], name=op.f("fk_exchange_rate_set_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rate")),
        sa.UniqueConstraint(
            "currency", "valid_from", name=op.f("uq_exchange_rate_currency_valid_from")
        ),
    )
    op.add_column(
        "vendor_invoice_line",
        sa.Column("booked_amount", sa.Numeric(precision=14, scale=2), nullable=True),
    )
    bind = op.get_bind()
    _book_base_currency_invoices(bind)
    install_ledger_triggers(bind)
    rebuild_ledger(bind)


def downgrade():
    # The triggers of this code read booked_amount: they go first (a SQLite batch rebuild would
    # drop those on vendor_invoice_line anyway). The code of the revision below reinstalls its
    # own with `flask portal budget-check --repair`, which names them missing until then.
    drop_ledger_triggers(op.get_bind())
    with op.batch_alter_table("vendor_invoice_line", schema=None) as batch_op:
        batch_op.drop_column("booked_amount")
    op.drop_table("exchange_rate")
