"""Each unit of money counted once: the work order and budget figures recomputed from the
documents, independently of the SQL the pages use, and every difference named in words.

`violations(session)` is one of the invariants `flask portal check` runs. It reads, it never
writes. The rule book is docs/money.md; each check below names the row of it that it enforces.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import costing
from portal.domain.money import format_money, money
from portal.domain.statuses import (
    InvoiceType,
    MovementKind,
    OutOfPocketStatus,
    PurchaseRequestStatus,
)
from portal.models import (
    Budget,
    CostCentre,
    ExchangeRate,
    GoodsReceiptLine,
    LabourEntry,
    OutOfPocketPurchase,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    StockMovement,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
)
from portal.read_models.budgets import period_around, position
from portal.read_models.costs import work_order_costs
from portal.read_models.spend_sql import COMMITTING_PO, SPENT_INVOICE

ZERO = Decimal(0)


def violations(session: Session, *, on: date | None = None) -> list[str]:
    """Every amount counted twice, or missing, in work order and budget figures, in words."""
    docs = _Documents(session)
    return (
        docs.unbooked()
        + docs.misbooked()
        + docs.arrivals_charged_elsewhere()
        + docs.unconverted_commitments()
        + docs.work_order_differences()
        + docs.budget_differences(on or date.today())
    )


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _open_value(qty, price, discount) -> Decimal:
    return _dec(qty) * _dec(price) * (100 - _dec(discount)) / 100


class _Documents:
    """The documents that carry money, read once, as plain rows."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.invoice_lines = session.execute(
            select(
                VendorInvoiceLine.id,
                VendorInvoiceLine.invoice_id,
                VendorInvoiceLine.purchase_order_line_id,
                VendorInvoiceLine.qty,
                VendorInvoiceLine.unit_price,
                VendorInvoiceLine.booked_amount,
                VendorInvoice.number,
                VendorInvoice.type,
                VendorInvoice.status,
                VendorInvoice.currency,
                VendorInvoice.invoice_on,
                VendorInvoice.freight_amount,
                VendorInvoice.tax_amount,
            ).join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        ).all()
        self.po_lines = {
            row.id: row
            for row in session.execute(
                select(
                    PurchaseOrderLine.id,
                    PurchaseOrderLine.work_order_id,
                    PurchaseOrderLine.cost_centre_id,
                    PurchaseOrderLine.qty,
                    PurchaseOrderLine.unit_price,
                    PurchaseOrderLine.discount_percent,
                    PurchaseOrder.status,
                    PurchaseOrder.number,
                    PurchaseOrderLine.line_no,
                    PurchaseOrderLine.kind,
                    PurchaseOrder.currency,
                    PurchaseOrder.approved_at,
                ).join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            )
        }
        self.wo_centre = dict(session.execute(select(WorkOrder.id, WorkOrder.cost_centre_id)).all())
        self.rates: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        for currency, valid_from, rate in session.execute(
            select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate).order_by(
                ExchangeRate.valid_from.desc()
            )
        ):
            self.rates[currency].append((valid_from, _dec(rate)))

    def _po_rate(self, line) -> Decimal | None:
        """The rate converting a PO line: 1 in the base currency, else the one valid on the day
        its PO was approved; None when there is none."""
        if line.currency == costing.BASE_CURRENCY:
            return Decimal(1)
        if line.approved_at is None:
            return None
        day = line.approved_at.date()
        return next(
            (rate for valid_from, rate in self.rates[line.currency] if valid_from <= day), None
        )

    def _open_in_base(self, line) -> Decimal:
        """A PO line's ordered value in the base currency (0 when it cannot be converted)."""
        rate = self._po_rate(line)
        value = _open_value(line.qty, line.unit_price, line.discount_percent)
        return value * rate if rate is not None else ZERO

    # -- invoices ------------------------------------------------------------------------------

    def _booked(self, row) -> Decimal | None:
        """The line's amount as docs/money.md books it, signed; None when it cannot be booked."""
        if row.booked_amount is not None:
            amount = _dec(row.booked_amount)
        elif row.currency == costing.BASE_CURRENCY:
            amount = _dec(row.qty) * _dec(row.unit_price)
        else:
            return None
        return -amount if row.type == InvoiceType.credit_memo else amount

    def unbooked(self) -> list[str]:
        """Lines in another currency never converted: missing from their WO and budget."""
        return [
            f"Invoice {row.number} is in {row.currency} and has no exchange rate for "
            f"{row.invoice_on.isoformat()}: its line {row.id} is missing from its work order "
            f"and budget (an amount is converted, never added as it is)."
            for row in self.invoice_lines
            if row.status in SPENT_INVOICE and self._booked(row) is None
        ]

    def misbooked(self) -> list[str]:
        """Invoices whose booked lines do not add up to lines + freight + tax (base currency):
        freight or tax lost, or counted twice."""
        by_invoice: dict[int, list] = defaultdict(list)
        for row in self.invoice_lines:
            by_invoice[row.invoice_id].append(row)
        found = []
        for rows in by_invoice.values():
            first = rows[0]
            if first.currency != costing.BASE_CURRENCY or any(
                r.booked_amount is None for r in rows
            ):
                continue  # converted at the rate of the day, or booked at line value: see above
            gross = money(
                sum((money(_dec(r.qty) * _dec(r.unit_price)) for r in rows), ZERO)
                + _dec(first.freight_amount)
                + _dec(first.tax_amount)
            )
            booked = money(sum((_dec(r.booked_amount) for r in rows), ZERO))
            if booked != gross:
                found.append(
                    f"Invoice {first.number} books {format_money(booked)} on its work orders "
                    f"and budgets but bills {format_money(gross)} (lines, freight and tax): "
                    f"{format_money(abs(booked - gross))} "
                    f"{'counted twice' if booked > gross else 'missing'}."
                )
        return found

    def unconverted_commitments(self) -> list[str]:
        """PO lines on order in a currency with no rate on their PO's approval day: their
        commitment is missing from their work order and budget."""
        return [
            f"{line.number} line {line.line_no} is in {line.currency} and has no exchange rate "
            f"for the day it was approved: its commitment is missing from its work order and "
            f"budget (an amount is converted, never added as it is)."
            for line in self.po_lines.values()
            if line.status in COMMITTING_PO and self._po_rate(line) is None
        ]

    # -- stock bought for a work order ----------------------------------------------------------

    def arrivals_charged_elsewhere(self) -> list[str]:
        """An issue on arrival is not costed (its invoice is): it must go to the work order its
        PO line was bought for, or that work order's cost is missing and the other's is free."""
        rows = self.session.execute(
            select(
                StockMovement.id,
                StockMovement.work_order_id,
                GoodsReceiptLine.purchase_order_line_id,
            )
            .join(GoodsReceiptLine, GoodsReceiptLine.id == StockMovement.goods_receipt_line_id)
            .where(StockMovement.kind == MovementKind.issue)
        ).all()
        found = []
        for movement_id, wo_id, po_line_id in rows:
            po_line = self.po_lines.get(po_line_id)
            if po_line is not None and po_line.work_order_id != wo_id:
                found.append(
                    f"Stock movement {movement_id} issued goods of {po_line.number} line "
                    f"{po_line.line_no} to work order {wo_id}, but the line was bought for "
                    f"work order {po_line.work_order_id}: the money is on one, the goods on "
                    f"the other."
                )
        return found

    # -- work orders ---------------------------------------------------------------------------

    def _work_order_sums(self) -> dict[int, Decimal]:
        """Each work order's cost (actual and committed) summed from its documents, each part
        rounded to the cent as the cost panel rounds it."""
        parts: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
        for wo_id, amount in self.session.execute(
            select(LabourEntry.work_order_id, LabourEntry.cost_amount)
        ):
            parts[wo_id]["labour"] += _dec(amount)
        for wo_id, qty, unit_cost in self._charged_movements():
            parts[wo_id]["stock"] += -_dec(qty) * _dec(unit_cost)
        for wo_id, amount in self.session.execute(
            select(OutOfPocketPurchase.work_order_id, OutOfPocketPurchase.amount).where(
                OutOfPocketPurchase.status == OutOfPocketStatus.reimbursed
            )
        ):
            parts[wo_id]["out_of_pocket"] += _dec(amount)
        billed = self._billed_per_po_line()
        for line in self.po_lines.values():
            if line.work_order_id is None:
                continue
            spent = billed.get(line.id, ZERO)
            parts[line.work_order_id][f"billed {line.kind}"] += spent
            if line.status in COMMITTING_PO:
                left = self._open_in_base(line) - spent
                parts[line.work_order_id][f"ordered {line.kind}"] += max(left, ZERO)
        for wo_id, kind, amount in self._approved_requests(PurchaseRequest.work_order_id):
            if wo_id is not None:
                parts[wo_id][f"requested {kind}"] += amount
        return {
            wo_id: sum((money(v) for v in by_part.values()), ZERO)
            for wo_id, by_part in parts.items()
        }

    def _charged_movements(self, *columns):
        """(work order, qty, unit cost, *columns) of the movements docs/money.md costs."""
        return self.session.execute(
            select(
                StockMovement.work_order_id,
                StockMovement.qty,
                StockMovement.unit_cost,
                *columns,
            ).where(
                StockMovement.work_order_id.is_not(None),
                (StockMovement.kind == MovementKind.return_)
                | (
                    (StockMovement.kind == MovementKind.issue)
                    & StockMovement.goods_receipt_line_id.is_(None)
                ),
            )
        ).all()

    def _billed_per_po_line(self, start: date | None = None, end: date | None = None):
        billed: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for row in self.invoice_lines:
            if row.status not in SPENT_INVOICE or row.purchase_order_line_id is None:
                continue
            if start is not None and end is not None and not start <= row.invoice_on <= end:
                continue
            billed[row.purchase_order_line_id] += self._booked(row) or ZERO
        return billed

    def _approved_requests(self, key):
        return [
            (owner, kind, _dec(qty) * _dec(price))
            for owner, kind, qty, price in self.session.execute(
                select(
                    key,
                    PurchaseRequestLine.kind,
                    PurchaseRequestLine.qty,
                    PurchaseRequestLine.unit_price,
                )
                .join(
                    PurchaseRequest,
                    PurchaseRequest.id == PurchaseRequestLine.purchase_request_id,
                )
                .where(PurchaseRequest.status == PurchaseRequestStatus.approved)
            )
        ]

    def work_order_differences(self) -> list[str]:
        """A work order whose cost panel differs from what its documents add up to."""
        found = []
        expected = self._work_order_sums()
        numbers = dict(
            self.session.execute(
                select(WorkOrder.id, WorkOrder.number).where(WorkOrder.id.in_(list(expected)))
            ).all()
        )
        for wo_id in sorted(expected):
            want = money(expected[wo_id])
            have = work_order_costs(wo_id).total
            if have != want:
                found.append(
                    f"{numbers.get(wo_id, f'Work order {wo_id}')}: its cost shows "
                    f"{format_money(have)} but its documents add up to {format_money(want)}: "
                    f"{format_money(abs(have - want))} "
                    f"{'counted twice' if have > want else 'missing'}."
                )
        return found

    # -- budgets -------------------------------------------------------------------------------

    def budget_differences(self, on: date) -> list[str]:
        """A cost centre whose committed or actual differs from its documents (period of `on`)."""
        found = []
        for centre in self.session.scalars(select(CostCentre).order_by(CostCentre.code)):
            budget = self.session.scalar(
                select(Budget).where(
                    Budget.cost_centre_id == centre.id,
                    Budget.period_start <= on,
                    Budget.period_end >= on,
                )
            )
            start, end = (budget.period_start, budget.period_end) if budget else period_around(on)
            want_committed, want_actual = self._centre_sums(centre.id, start, end)
            have = position(centre.id, on)
            for what, shown, want in (
                ("committed", have.committed, want_committed),
                ("spent", have.actual, want_actual),
            ):
                if shown != want:
                    found.append(
                        f"Cost centre {centre.code}: {what} shows {format_money(shown)} for "
                        f"{start.isoformat()} to {end.isoformat()} but its documents add up to "
                        f"{format_money(want)}: {format_money(abs(shown - want))} "
                        f"{'counted twice' if shown > want else 'missing'}."
                    )
        return found

    def _centre_sums(self, centre_id: int, start: date, end: date) -> tuple[Decimal, Decimal]:
        """(committed, actual) from the documents, each part rounded as the budget rounds it."""
        requested = ordered = billed = stock = labour = own_money = ZERO
        for owner, _kind, amount in self._approved_requests(PurchaseRequest.cost_centre_id):
            if owner == centre_id:
                requested += amount
        billed_ever = self._billed_per_po_line()
        billed_in = self._billed_per_po_line(start, end)
        for line in self.po_lines.values():
            if line.cost_centre_id != centre_id:
                continue
            billed += billed_in.get(line.id, ZERO)
            if line.status in COMMITTING_PO:
                left = self._open_in_base(line)
                ordered += max(left - billed_ever.get(line.id, ZERO), ZERO)
        lo = datetime.combine(start, datetime.min.time(), UTC)
        for wo_id, qty, unit_cost, moved_at in self._charged_movements(StockMovement.moved_at):
            at = moved_at if moved_at.tzinfo else moved_at.replace(tzinfo=UTC)
            if self.wo_centre.get(wo_id) == centre_id and lo <= at and at.date() <= end:
                stock += -_dec(qty) * _dec(unit_cost)
        for wo_id, amount, day in self.session.execute(
            select(LabourEntry.work_order_id, LabourEntry.cost_amount, LabourEntry.worked_on)
        ):
            if self.wo_centre.get(wo_id) == centre_id and start <= day <= end:
                labour += _dec(amount)
        for wo_id, amount, day in self.session.execute(
            select(
                OutOfPocketPurchase.work_order_id,
                OutOfPocketPurchase.amount,
                OutOfPocketPurchase.bought_on,
            ).where(OutOfPocketPurchase.status == OutOfPocketStatus.reimbursed)
        ):
            if self.wo_centre.get(wo_id) == centre_id and start <= day <= end:
                own_money += _dec(amount)
        committed = money(requested) + money(ordered)
        actual = money(billed) + money(stock) + money(labour) + money(own_money)
        return money(committed), money(actual)
