"""End-to-end purchasing flow through the service layer, in one process: flows per second.

Run from the repo root: ``python -m bench.flow [--flows 200] [--database-url URL]``.

Each flow is what the product exists for, step by step through the same services the pages call
(one transaction each, audited): a technician raises a work order and lists 3 parts that are not
in stock, marking each unavailable (a purchase request line each, the WO waits for parts); the
approver approves the PR; the buyer turns its lines into a PO, approves and issues it; the
storekeeper receives everything (the parts are issued to the WO, which goes back to work); the AP
clerk enters the vendor's invoice, which the match engine matches. At the end every invoice must
be matched, or the run fails (exit 1).

It builds its own small world first (users, a site and asset, a cost centre with budget, the
approval rule, a preferred vendor and three bought-when-needed items) in a fresh SQLite file under
bench/out/ unless --database-url names another (empty) database. Printed: flows/s (wall clock and
per CPU second of this process), the time per step, and the process's peak memory (ru_maxrss).
Target: at least 10 flows/s on SQLite.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from portal import create_app
from portal.demo import builders as build
from portal.domain.roles import Role
from portal.domain.statuses import InvoiceStatus, ItemKind
from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.extensions import db
from portal.models import (
    PartLine,
    PurchaseRequestLine,
    User,
    VendorInvoice,
)
from portal.services import (
    approvals,
    invoices,
    parts,
    po_creation,
    purchase_orders,
    receiving,
    work_orders,
)
from portal.services import purchase_requests as requests

TARGET_FLOWS_PER_SECOND = 10.0
ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"


def build_world() -> dict:
    """Users, a place, money and three items bought when needed from one preferred vendor."""
    s = db.session
    users = {
        name: build.add_user(
            s, username=f"flow-{name}", full_name=f"Flow {name.title()}", roles=[role]
        )
        for name, role in (
            ("tech", Role.technician),
            ("supervisor", Role.supervisor),
            ("approver", Role.approver),
            ("buyer", Role.buyer),
            ("storekeeper", Role.storekeeper),
            ("clerk", Role.ap_clerk),
        )
    }
    site = build.add_site(s, code="FLOW", name="Flow plant")
    location = build.add_location(s, site=site, code="FLOW-1", name="Line 1")
    asset = build.add_asset(
        s, location=location, tag="FLOW-P1", name="Flow pump", short_code="FLOW01"
    )
    build.add_cost_centre(
        s, code="CC-FLOW", name="Flow maintenance", site=site, budget="100000000.00"
    )
    build.add_approval_rule(s, role=Role.approver, min_amount="0.00")
    build.add_vendor(s, code="FLOWV", name="Flow Supply", payment_terms="2/10 Net 30",
                     preferred_for=["Seals"])  # fmt: skip
    items = [
        build.add_item(
            s,
            part_number=f"FLOW-{n}",
            description=f"Seal kit {n}",
            category="Seals",
            kind=ItemKind.non_stock,
            standard_cost=price,
        )
        for n, price in ((1, "12.40"), (2, "36.00"), (3, "7.15"))
    ]
    s.commit()
    return {
        "user_ids": {name: user.id for name, user in users.items()},
        "site_id": site.id,
        "asset_id": asset.id,
        "item_ids": [item.id for item in items],
    }


def one_flow(n: int, world: dict, steps: dict[str, float]) -> int:
    """Raise, request, approve, order, receive, invoice: the invoice's id."""
    # Each flow is its own run of requests: the people are loaded afresh, as a request would.
    u = {name: db.session.get(User, user_id) for name, user_id in world["user_ids"].items()}
    clock = time.perf_counter

    t = clock()
    wo = work_orders.create_work_order(
        work_orders.NewWorkOrder(
            title=f"Replace seals on the flow pump ({n})",
            asset_id=world["asset_id"],
            priority=Priority.high,
            assignee_user_id=u["tech"].id,
        ),
        actor=u["tech"],
        submission_id=uuid.uuid4().hex,
    )
    moves = (  # a supervisor approves the work (domain/permissions), its technician does it
        (WorkOrderStatus.approved, u["supervisor"]),
        (WorkOrderStatus.assigned, u["tech"]),
        (WorkOrderStatus.in_progress, u["tech"]),
    )
    for status, mover in moves:
        if wo.status is not status:
            wo = work_orders.change_status(wo.id, status, actor=mover)
    steps["work order"] += clock() - t

    # Quantities differ per flow, so no two invoices look alike (same vendor, amount and date
    # would rightly be held as a possible duplicate).
    qty = str(n + 1)
    t = clock()
    for item_id in world["item_ids"]:
        added = parts.add_part_line(
            wo.id, item_id=item_id, qty=qty, actor=u["tech"], submission_id=uuid.uuid4().hex
        )
        requests.mark_part_line_unavailable(
            added.id, actor=u["tech"], submission_id=uuid.uuid4().hex
        )
    steps["3 parts unavailable"] += clock() - t

    t = clock()
    pr_id, line_ids = _request_of(wo.id)
    approvals.approve_purchase_request(pr_id, approver=u["approver"])
    steps["approve PR"] += clock() - t

    t = clock()
    [po] = po_creation.create_purchase_orders(
        line_ids, buyer=u["buyer"], submission_id=uuid.uuid4().hex
    )
    purchase_orders.approve_purchase_order(po.id, actor=u["buyer"])
    purchase_orders.issue_purchase_order(po.id, actor=u["buyer"])
    steps["PO approved and issued"] += clock() - t

    t = clock()
    lines = [(line.id, line.qty, Decimal(0), None) for line in _po_lines(po.id)]
    receiving.record_receipt(
        po.id, lines=lines, receiver=u["storekeeper"], submission_id=uuid.uuid4().hex
    )
    steps["received in full"] += clock() - t

    t = clock()
    invoice = invoices.enter_invoice(
        purchase_order_id=po.id,
        number=f"FS-{n:06d}",
        invoice_on=date.today(),
        lines=[
            invoices.NewLine(po_line_id=line.id, qty=line.qty, unit_price=line.unit_price)
            for line in _po_lines(po.id)
        ],
        actor=u["clerk"],
        submission_id=uuid.uuid4().hex,
    )
    steps["invoiced and matched"] += clock() - t
    invoice_id = invoice.id
    db.session.remove()  # a request ends here: nothing carried into the next flow
    return invoice_id


def _request_of(wo_id: int) -> tuple[int, list[int]]:
    rows = db.session.execute(
        select(PurchaseRequestLine.purchase_request_id, PurchaseRequestLine.id)
        .join(PartLine, PartLine.id == PurchaseRequestLine.part_line_id)
        .where(PartLine.work_order_id == wo_id)
        .order_by(PurchaseRequestLine.id)
    ).all()
    return rows[0][0], [line_id for _, line_id in rows]


def _po_lines(po_id: int):
    from portal.models import PurchaseOrderLine

    return db.session.scalars(
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.purchase_order_id == po_id)
        .order_by(PurchaseOrderLine.line_no)
    ).all()


def main(argv: list[str] | None = None) -> int:
    """Build the world, run the flows, check every invoice matched, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    args = parser.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    if url is None:
        path = OUT_DIR / "flow.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    with app.app_context():
        db.create_all()
        world = build_world()
        steps: dict[str, float] = defaultdict(float)
        one_flow(0, world, defaultdict(float))  # warm: first-use caches are not a flow's cost
        ids = []
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(1, args.flows + 1):
            ids.append(one_flow(n, world, steps))
            if n % 50 == 0:
                print(f"  {n} flows ...", file=sys.stderr, flush=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        statuses = db.session.scalars(
            select(VendorInvoice.status).where(VendorInvoice.id.in_(ids))
        ).all()
        matched = sum(1 for status in statuses if status is InvoiceStatus.matched)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = args.flows / wall
    print(f"database: {url.split(':', 1)[0]}")
    print(f"flows: {args.flows} (3 parts each: WO, 3 PR lines, approval, PO, receipt, invoice)")
    print(f"invoices matched: {matched} of {args.flows}")
    print("seconds per flow, by step:")
    for step, seconds in steps.items():
        print(f"  {step:<24} {1000 * seconds / args.flows:8.1f} ms")
    print(f"wall: {wall:.2f} s, cpu: {cpu:.2f} s")
    print(f"flows/s: {rate:.1f} wall, {args.flows / cpu:.1f} per CPU second")
    print(f"peak memory (ru_maxrss): {peak_mb:.1f} MB")
    met = rate >= TARGET_FLOWS_PER_SECOND
    print(f"target >= {TARGET_FLOWS_PER_SECOND:.0f} flows/s: {'met' if met else 'NOT met'}")
    if matched != args.flows:
        print("FAILED: not every invoice matched", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
