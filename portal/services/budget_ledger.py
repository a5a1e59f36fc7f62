"""The derived rows behind the budget sums, and the database triggers that keep them.

`committed_pr_line`, `committed_po_line` and `spent_invoice_line` hold, per document line, what
read_models.budgets sums (approved PR lines, PO line value not yet invoiced, spent invoice
lines). Triggers recompute the affected rows in the same transaction as the PR, PO, invoice and
line rows that move them, with the same SQL expressions as the budget figures
(read_models/spend_sql.py; never adding deltas); `check_ledger()` (and `flask portal
budget-check`) recomputes every row and compares, `repair_ledger()` rebuilds them.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, event, insert, inspect, select, text

from portal.domain.statuses import PurchaseRequestStatus
from portal.extensions import db
from portal.models import (
    CommittedPoLine,
    CommittedPrLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    SpentInvoiceLine,
    VendorInvoice,
    VendorInvoiceLine,
)
from portal.read_models.spend_sql import (
    COMMITTING_PO,
    SPENT_INVOICE,
    amount_sql,
    billed_sql,
    still_committed_sql,
    without_booked_column,
)
from portal.services._uow import current_session, unit_of_work


def committed_pr_line_rows(ids=None):
    """(PR line, cost centre, qty x price) for lines of approved purchase requests."""
    stmt = (
        select(
            PurchaseRequestLine.id,
            PurchaseRequest.cost_centre_id,
            amount_sql(PurchaseRequestLine.qty, PurchaseRequestLine.unit_price),
        )
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
        .where(PurchaseRequest.status == PurchaseRequestStatus.approved)
    )
    return stmt if ids is None else stmt.where(PurchaseRequestLine.id.in_(ids))


def committed_po_line_rows(ids=None):
    """(PO line, cost centre, value not yet invoiced) for lines of committing POs, where > 0."""
    still = still_committed_sql()
    stmt = (
        select(PurchaseOrderLine.id, PurchaseOrderLine.cost_centre_id, still)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrder.status.in_(COMMITTING_PO),
            PurchaseOrderLine.cost_centre_id.is_not(None),
            still > 0,
        )
    )
    return stmt if ids is None else stmt.where(PurchaseOrderLine.id.in_(ids))


def spent_invoice_line_rows(ids=None):
    """(invoice line, cost centre, invoice date, amount) for lines of spent invoices."""
    stmt = (
        select(
            VendorInvoiceLine.id,
            PurchaseOrderLine.cost_centre_id,
            VendorInvoice.invoice_on,
            billed_sql(),
        )
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == VendorInvoiceLine.purchase_order_line_id)
        .where(
            VendorInvoice.status.in_(SPENT_INVOICE),
            PurchaseOrderLine.cost_centre_id.is_not(None),
        )
    )
    return stmt if ids is None else stmt.where(VendorInvoiceLine.id.in_(ids))


# (derived table, its key, the recomputing query, its columns)
_LEDGERS = {
    "requested": (
        CommittedPrLine,
        CommittedPrLine.purchase_request_line_id,
        committed_pr_line_rows,
        ["purchase_request_line_id", "cost_centre_id", "amount"],
    ),
    "committed": (
        CommittedPoLine,
        CommittedPoLine.purchase_order_line_id,
        committed_po_line_rows,
        ["purchase_order_line_id", "cost_centre_id", "amount"],
    ),
    "spent": (
        SpentInvoiceLine,
        SpentInvoiceLine.vendor_invoice_line_id,
        spent_invoice_line_rows,
        ["vendor_invoice_line_id", "cost_centre_id", "spent_on", "amount"],
    ),
}

_LINES_OF_PR = "SELECT id FROM purchase_request_line WHERE purchase_request_id = NEW.id"
_LINES_OF_PO = "SELECT id FROM purchase_order_line WHERE purchase_order_id = NEW.id"
_INVOICE_LINES_OF_PO_LINE = (
    "SELECT id FROM vendor_invoice_line WHERE purchase_order_line_id = NEW.id"
)
# PO lines whose commitment a rate converts (NEW or OLD exchange_rate row).
_LINES_IN_CURRENCY = (
    "SELECT purchase_order_line.id FROM purchase_order_line JOIN purchase_order "
    "ON purchase_order.id = purchase_order_line.purchase_order_id "
    "WHERE purchase_order.currency = %s.currency"
)
_LINES_OF_INVOICE = "SELECT id FROM vendor_invoice_line WHERE invoice_id = NEW.id"
_PO_LINES_OF_INVOICE = (
    "SELECT purchase_order_line_id FROM vendor_invoice_line WHERE invoice_id = NEW.id"
)

# (trigger, table, event, [(ledger, the ids whose rows to recompute, as SQL)]). Together they
# cover every column the recomputing queries read; receipts (received_qty) fire none.
TRIGGERS = [
    (
        "budget_pr_changed",
        "purchase_request",
        "UPDATE OF status, cost_centre_id",
        [("requested", _LINES_OF_PR)],
    ),
    ("budget_pr_line_added", "purchase_request_line", "INSERT", [("requested", "NEW.id")]),
    (
        "budget_pr_line_changed",
        "purchase_request_line",
        "UPDATE OF qty, unit_price, purchase_request_id",
        [("requested", "NEW.id")],
    ),
    ("budget_pr_line_removed", "purchase_request_line", "DELETE", [("requested", "OLD.id")]),
    ("budget_po_line_added", "purchase_order_line", "INSERT", [("committed", "NEW.id")]),
    (
        "budget_po_line_changed",
        "purchase_order_line",
        "UPDATE OF qty, unit_price, discount_percent, cost_centre_id, purchase_order_id",
        [("committed", "NEW.id"), ("spent", _INVOICE_LINES_OF_PO_LINE)],
    ),
    ("budget_po_line_removed", "purchase_order_line", "DELETE", [("committed", "OLD.id")]),
    (
        "budget_po_status_changed",
        "purchase_order",
        "UPDATE OF status, currency, approved_at",
        [("committed", _LINES_OF_PO)],
    ),
    ("budget_rate_added", "exchange_rate", "INSERT", [("committed", _LINES_IN_CURRENCY % "NEW")]),
    (
        "budget_rate_changed",
        "exchange_rate",
        "UPDATE",
        [("committed", _LINES_IN_CURRENCY % "NEW"), ("committed", _LINES_IN_CURRENCY % "OLD")],
    ),
    (
        "budget_rate_removed",
        "exchange_rate",
        "DELETE",
        [("committed", _LINES_IN_CURRENCY % "OLD")],
    ),
    (
        "budget_invoice_line_added",
        "vendor_invoice_line",
        "INSERT",
        [("spent", "NEW.id"), ("committed", "NEW.purchase_order_line_id")],
    ),
    (
        "budget_invoice_line_changed",
        "vendor_invoice_line",
        "UPDATE",
        [
            ("spent", "NEW.id"),
            ("committed", "NEW.purchase_order_line_id, OLD.purchase_order_line_id"),
        ],
    ),
    (
        "budget_invoice_line_removed",
        "vendor_invoice_line",
        "DELETE",
        [("spent", "OLD.id"), ("committed", "OLD.purchase_order_line_id")],
    ),
    (
        "budget_invoice_changed",
        "vendor_invoice",
        "UPDATE OF status, type, invoice_on",
        [("spent", _LINES_OF_INVOICE), ("committed", _PO_LINES_OF_INVOICE)],
    ),
]


def _refresh_statements(ledger: str, ids: str | None, dialect) -> list[str]:
    """Delete the derived rows of `ids` (all when None) and insert them again from the documents."""
    table, key, rows, columns = _LEDGERS[ledger]
    where = text(ids) if ids is not None else None
    gone = delete(table) if where is None else delete(table).where(key.in_(where))
    again = insert(table).from_select(columns, rows(where))
    return [
        str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        for stmt in (gone, again)
    ]


# PostgreSQL: every trigger first takes this transaction-scoped lock, so transactions that move
# budget figures take turns from their first such row to their commit. Each then recomputes
# with a fresh snapshot (READ COMMITTED: one per statement) that holds the other's committed
# rows, e.g. a line added to an invoice while another transaction changes the invoice's status;
# without it a recompute could miss a change committed meanwhile, or two could insert the same
# key. Purchasing writes are short and few; SQLite writes take turns anyway.
LEDGER_LOCK = 7_301_200


def _trigger_ddl(name: str, table: str, when: str, refresh, dialect) -> list[str]:
    """The statements that (re)create one trigger on this database."""
    body = [sql for ledger, ids in refresh for sql in _refresh_statements(ledger, ids, dialect)]
    if dialect.name == "postgresql":
        statements = ";\n  ".join([f"PERFORM pg_advisory_xact_lock({LEDGER_LOCK})", *body])
        return [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n  {statements};\n  RETURN NULL;\nEND $$",
            f"CREATE TRIGGER {name} AFTER {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
    statements = ";\n  ".join(body)
    return [
        f"DROP TRIGGER IF EXISTS {name}",
        f"CREATE TRIGGER {name} AFTER {when} ON {table} FOR EACH ROW BEGIN\n  {statements};\nEND",
    ]


def _as_migrated(connection) -> AbstractContextManager:
    """The SQL of this code, or, on a database migrated only as far as the ledger's first
    migration (no booked amounts, no rate table yet), the values as they are in their place."""
    columns = {c["name"] for c in inspect(connection).get_columns("vendor_invoice_line")}
    return nullcontext() if "booked_amount" in columns else without_booked_column()


def install_ledger_triggers(connection) -> None:
    """(Re)create the triggers on this connection's database (a migration, create_all); on a
    database without the rate table yet, those on it are left out."""
    tables = set(inspect(connection).get_table_names())
    with _as_migrated(connection):
        for name, table, when, refresh in TRIGGERS:
            if table not in tables:
                continue
            for statement in _trigger_ddl(name, table, when, refresh, connection.dialect):
                connection.exec_driver_sql(statement)


def drop_ledger_triggers(connection) -> None:
    """Remove the triggers (a migration that changes a column they read, on its way down)."""
    for name, table, _when, _refresh in TRIGGERS:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def rebuild_ledger(connection) -> None:
    """Recompute every derived row from the documents (a migration, or a repair after drift)."""
    with _as_migrated(connection):
        for ledger in _LEDGERS:
            for statement in _refresh_statements(ledger, None, connection.dialect):
                connection.exec_driver_sql(statement)


@event.listens_for(db.metadata, "after_create")
def _triggers_with_the_tables(target, connection, **kw) -> None:
    """db.create_all() (tests, a fresh development database) gets the triggers too."""
    install_ledger_triggers(connection)


def missing_triggers() -> list[str]:
    """Triggers of TRIGGERS the database lacks. A SQLite migration that rebuilds one of their
    tables (batch "recreate") drops its triggers with it: install_ledger_triggers again."""
    if current_session().get_bind().dialect.name == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    present = set(current_session().scalars(text(sql)))
    return [name for name, _table, _when, _refresh in TRIGGERS if name not in present]


@dataclass(frozen=True)
class Drift:
    """A derived row that does not match what the documents say."""

    ledger: str
    key: int
    stored: tuple | None
    expected: tuple | None


def check_ledger() -> list[Drift]:
    """Every derived row recomputed from the documents and compared (exact, row by row)."""
    found = []
    for ledger, (table, _key, rows, _columns) in _LEDGERS.items():
        stored = {
            row[0]: tuple(row[1:])
            for row in current_session().execute(select(*table.__table__.columns)).all()
        }
        expected = {row[0]: tuple(row[1:]) for row in current_session().execute(rows()).all()}
        for line_id in sorted(stored.keys() | expected.keys()):
            have, want = stored.get(line_id), expected.get(line_id)
            if _normal(have) != _normal(want):
                found.append(Drift(ledger, line_id, have, want))
    return found


def _normal(row: tuple | None) -> tuple | None:
    """A row with its amount as an exact Decimal, for comparing stored and recomputed rows."""
    if row is None:
        return None
    return tuple(Decimal(str(v)) if isinstance(v, (Decimal, float, int)) else v for v in row)


def repair_ledger() -> list[Drift]:
    """Reinstall the triggers and recompute every derived row from the documents, as the system
    (`flask portal budget-check --repair`); what still differs afterwards (nothing, normally)."""
    with unit_of_work() as session:
        connection = session.connection()
        install_ledger_triggers(connection)
        rebuild_ledger(connection)
    return check_ledger()
