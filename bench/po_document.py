"""How long the PO PDF (fpdf2 + the segno QR code) takes to draw, by number of lines.

The PDF is drawn in the request, so its cost is what a buyer or the dock waits for. No database:
the PO page's data is built in memory. Prints milliseconds per document (median of --repeat
runs) and per line, and the PDF size; compare the figures between releases, never assert on them.

    .venv/bin/python -m bench.po_document --lines 1 10 100 500 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from portal.domain import purchase_orders as rules
from portal.domain.statuses import LineKind, PurchaseOrderStatus
from portal.models import PurchaseOrder, PurchaseOrderLine, Vendor
from portal.read_models.purchase_orders import LineView, PoPage
from portal.services.po_document import render_pdf


def page_with(lines: int) -> PoPage:
    """An issued PO with `lines` lines, as the PO page's read model holds it."""
    vendor = Vendor(
        code="NBS",
        name="Northern Bearing Supply",
        payment_terms="2/10 Net 30",
        address="1 Dock Road, Riverside",
        contact_name="Orders desk",
        email="orders@nbs.example",
        phone="+1 555 0100",
    )
    po = PurchaseOrder(
        number="PO-2026-000123",
        vendor=vendor,
        status=PurchaseOrderStatus.issued,
        revision=1,
        currency="USD",
        payment_terms="2/10 Net 30",
        ship_to="Plant main storeroom, Riverside Bottling Plant, 14 Mill Road, Riverside",
        notes="Deliver to the goods-in door, weekdays 07:00-15:00.",
        issued_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    )
    views = []
    for n in range(1, lines + 1):
        line = PurchaseOrderLine(
            line_no=n,
            description=f"Ball bearing 6205-2RS, sealed both sides, batch {n}",
            kind=LineKind.goods,
            qty=Decimal("4"),
            uom="EA",
            unit_price=Decimal("7.60"),
            discount_percent=Decimal("2.5") if n % 3 == 0 else Decimal("0"),
            expected_on=date(2026, 12, 5),
            received_qty=Decimal("0"),
        )
        views.append(
            LineView(
                line=line,
                amount=rules.line_amount(line.qty, line.unit_price, line.discount_percent),
                backorder=line.qty,
                wo_number=f"WO-{n:06d}",
                warnings=[],
            )
        )
    po.lines = [v.line for v in views]
    return PoPage(
        po=po,
        lines=views,
        total=rules.po_total(po.lines),
        revisions=[],
        moves=[],
        any_received=False,
        buyer_name="Bea Nakamura",
    )


def main() -> None:
    """Draw each size --repeat times and print the median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1, 10, 100, 500])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'lines':>6} {'ms/doc':>9} {'ms/line':>9} {'pages':>6} {'KiB':>8}")
    for size in args.lines:
        view = page_with(size)
        timings, data = [], b""
        for _ in range(args.repeat):
            start = time.perf_counter()
            data = render_pdf(view)
            timings.append((time.perf_counter() - start) * 1000)
        median = statistics.median(timings)
        pages = data.count(b"/Type /Page\n") or data.count(b"/Type /Page")
        print(f"{size:>6} {median:>9.1f} {median / size:>9.2f} {pages:>6} {len(data) / 1024:>8.1f}")


if __name__ == "__main__":
    main()
