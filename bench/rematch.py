"""Re-match throughput: invoice lines per second through portal.services.matching.rematch_all.

Run from the repo root: ``python -m bench.rematch [--lines 100000] [--batch 2000]
[--database-url postgresql://postgres@127.0.0.1:5432/portal_invoices]``.

It makes a scratch database (a temporary SQLite file, or a new database on the PostgreSQL server
given, dropped afterwards), creates the tables, and bulk-inserts POs of 5 lines with one receipt
each and one entered invoice of 5 lines per PO: most exact, some over the received quantity, some
priced over tolerance, a few with a possible duplicate. Then it re-matches every entered invoice in
batches (first run: every invoice gets a result, holds and a status), and again (second run: only
the held ones are left, and their inputs are unchanged, so they are skipped by digest). It prints
invoice lines per second of wall-clock time for each run, and per CPU second of this process
(SQLite runs in-process, so that figure is fair on a busy machine; PostgreSQL's own CPU is not
in it). On PostgreSQL the scratch tables are ANALYZEd after loading, as bench.generate does and
autovacuum would. The target is 5,000 lines/s for the first run.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.config import normalise_database_url
from portal.demo import builders as build
from portal.demo import rows_buying as buying
from portal.domain.statuses import InvoiceStatus
from portal.extensions import db
from portal.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    Hold,
    PurchaseOrder,
    PurchaseOrderLine,
    VendorInvoice,
    VendorInvoiceLine,
)
from portal.services.matching import rematch_all

TARGET_LINES_PER_SECOND = 5_000
LINES_PER_INVOICE = 5
VENDORS = 50


def _scratch(url: str | None):
    """(database URL, cleanup) for a fresh scratch database."""
    if url is None:
        path = Path(tempfile.mkdtemp()) / "rematch.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    base = make_url(normalise_database_url(url))
    name = f"{base.database}_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def _chunks(rows: list[dict], size: int = 5000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(session, model, rows: list[dict]) -> None:
    for chunk in _chunks(rows):
        session.execute(insert(model), chunk)


def generate(session, lines: int, seed: int) -> int:
    """Bulk-insert the POs, receipts and entered invoices; returns the invoice count."""
    rng = random.Random(seed)
    orders = max(lines // LINES_PER_INVOICE, 1)
    clerk = build.add_user(session, username="bench", full_name="Bench Clerk", roles=["ap_clerk"])
    for v in range(1, VENDORS + 1):
        build.add_vendor(session, id=v, code=f"V{v}", name=f"Vendor {v}")
    session.flush()
    now = datetime.now(UTC).replace(microsecond=0)
    pos, po_lines, receipts, receipt_lines, invoices, invoice_lines = [], [], [], [], [], []
    for n in range(1, orders + 1):
        vendor = rng.randint(1, VENDORS)
        approved = now - timedelta(days=rng.randint(20, 400))
        pos.append(
            buying.purchase_order_row(
                id=n,
                number=f"PO-B-{n:07d}",
                vendor_id=vendor,
                payment_terms="Net 30",
                approved_at=approved,
            )
        )
        receipts.append(
            buying.receipt_row(
                id=n,
                number=f"GR-B-{n:07d}",
                purchase_order_id=n,
                received_by_id=clerk.id,
                received_at=approved + timedelta(days=3),
            )
        )
        invoice_on = approved.date() + timedelta(days=rng.randint(4, 15))
        kind = rng.random()
        billed = []
        for line_no in range(1, LINES_PER_INVOICE + 1):
            line_id = (n - 1) * LINES_PER_INVOICE + line_no
            qty = Decimal(rng.randint(1, 40))
            price = Decimal(rng.randint(100, 20000)) / 100
            received = qty - 1 if kind < 0.05 and line_no == 1 else qty
            billed_price = price * Decimal("1.05") if kind > 0.95 and line_no == 2 else price
            po_lines.append(
                buying.order_line_row(
                    id=line_id,
                    purchase_order_id=n,
                    line_no=line_no,
                    description=f"Item {line_no}",
                    qty=qty,
                    unit_price=price,
                    received_qty=received,
                )
            )
            receipt_lines.append(
                buying.receipt_line_row(
                    goods_receipt_id=n, purchase_order_line_id=line_id, accepted_qty=received
                )
            )
            invoice_lines.append(
                buying.invoice_line_row(
                    invoice_id=n,
                    position=line_no,
                    purchase_order_line_id=line_id,
                    qty=qty,
                    unit_price=billed_price.quantize(Decimal("0.01")),
                    uom="EA",
                )
            )
            billed.append((qty, invoice_lines[-1]["unit_price"]))
        invoices.append(
            buying.invoice_row(
                id=n,
                vendor_id=vendor,
                purchase_order_id=n,
                number=f"INV-{n:07d}",
                invoice_on=invoice_on,
                due_on=invoice_on + timedelta(days=30),
                billed=billed,
                status=InvoiceStatus.entered,
                entered_by_id=clerk.id,
            )
        )
    for model, rows in (
        (PurchaseOrder, pos),
        (PurchaseOrderLine, po_lines),
        (GoodsReceipt, receipts),
        (GoodsReceiptLine, receipt_lines),
        (VendorInvoice, invoices),
        (VendorInvoiceLine, invoice_lines),
    ):
        _insert(session, model, rows)
    session.commit()
    return len(invoices)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000, help="invoices per transaction")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server (scratch db)")
    args = parser.parse_args()
    url, cleanup = _scratch(args.database_url)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            count = generate(db.session, args.lines, args.seed)
            if db.engine.dialect.name == "postgresql":
                # As bench.generate does, and as autovacuum would within a minute of a real
                # load: without statistics on the fresh tables the planner scans whole tables
                # in the budget triggers' per-row statements (339 instead of 7,950 lines/s).
                db.session.commit()
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            print(f"database: {make_url(url).get_backend_name()}")
            print(
                f"generated {count:,} invoices, {count * LINES_PER_INVOICE:,} lines "
                f"in {time.perf_counter() - started:.1f} s"
            )
            for label in ("first run (all entered)", "second run (held, unchanged)"):
                started, cpu = time.perf_counter(), time.process_time()
                stats = rematch_all(batch=args.batch)
                seconds = time.perf_counter() - started
                cpu = time.process_time() - cpu
                rate = stats.lines / seconds if seconds else 0.0
                cpu_rate = stats.lines / cpu if cpu else 0.0
                print(
                    f"{label}: {stats.invoices:,} invoices, {stats.lines:,} lines, "
                    f"{stats.changed:,} re-evaluated, {stats.unchanged:,} unchanged, "
                    f"{stats.batches} batches in {seconds:.1f} s = {rate:,.0f} lines/s wall, "
                    f"{cpu_rate:,.0f} lines per CPU second of this process"
                )
            held = db.session.scalar(
                select(func.count()).where(VendorInvoice.status == InvoiceStatus.hold)
            )
            holds = db.session.scalar(select(func.count()).select_from(Hold))
            print(
                f"held invoices: {held:,}; hold rows: {holds:,}; "
                f"target {TARGET_LINES_PER_SECOND:,} lines/s"
            )
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()


if __name__ == "__main__":
    main()
