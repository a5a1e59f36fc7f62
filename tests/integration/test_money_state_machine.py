"""Random sequences of the real use cases never break a promise `flask portal check` keeps.

A hypothesis RuleBasedStateMachine plays the purchasing loop on the test database, in any
order: raise work, reserve and issue stock, mark parts unavailable, approve or reject the
request, order, issue the PO, receive (sometimes more than ordered, sometimes rejecting),
invoice (sometimes more than received, or above the price), credit, release holds, pay,
complete, close and cancel work, buy with one's own money. After every step every check of
services/invariants.py runs and the test fails with its words.

A refusal in words (a DomainError: "only issued purchase orders can be received") is a right
answer to a random step and is counted, not failed; anything else (a NotAllowed for the person
the rule chose, an IntegrityError, a 500 waiting to happen) fails the test.

Adding a rule (another branch's use case: approve a PO above the request, cancel a request,
edit a PO, ...): a method with `@rule(...)`, its arguments drawn from strategies (`pick` picks
one of the candidates a query finds), `@precondition` when it needs a document in some state,
and the use case called through `self.attempt(...)`. The checks run after it on their own.

Settings come from the hypothesis profile (tests/conftest.py): "ci" (the default) is
derandomised and short; HYPOTHESIS_PROFILE=long runs many more and longer sequences.
"""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Select, exists, select

from portal.demo.world import RECEIPT_PHOTO
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.invoices import APPROVED_FOR_PAYMENT
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    OutOfPocketStatus,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.domain.work_orders import OPEN_STATUSES, WorkOrderStatus
from portal.extensions import db
from portal.models import (
    PartLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
)
from portal.services import (
    approvals,
    invariants,
    invoices,
    out_of_pocket,
    parts,
    po_creation,
    purchase_orders,
    receiving,
    work_orders,
)
from portal.services import purchase_requests as requests
from tests.conftest import _empty_all_tables as empty_all_tables
from tests.money_world import (
    ITEMS,
    build_money_world,
    buy_for_work_order,
    once,
    raise_work_order,
    today,
)

S = WorkOrderStatus
PART_NUMBERS = [number for number, _kind, _cost, _on_hand in ITEMS]
QTY = st.integers(min_value=1, max_value=4)
PICK = st.integers(min_value=0, max_value=50)
# How often each use case succeeded, over all the sequences of a run.
DONE: Counter[str] = Counter()
# Invoices that still count as billed (the match engine's "active" documents).
ACTIVE_INVOICE = (
    InvoiceStatus.entered,
    InvoiceStatus.matched,
    InvoiceStatus.hold,
    InvoiceStatus.released,
    InvoiceStatus.exported,
)


class MoneyMachine(RuleBasedStateMachine):
    """The purchasing loop on a small plant, one use case a step, the checks after each."""

    def __init__(self) -> None:
        super().__init__()
        empty_all_tables()
        self.world = build_money_world(db.session)
        self.numbers = itertools.count(1)
        self.refusals: list[str] = []

    # ------------------------------------------------------------ helpers

    def person(self, name: str):
        """One of the plant's six people, in the current session."""
        return self.world.user(db.session, name)

    def attempt(self, use_case, *args, **kwargs):
        """Call a use case; a refusal in words is kept, any other error fails the test."""
        try:
            done = use_case(*args, **kwargs)
        except (NotAllowed, NotFound):
            raise  # the rule asked the wrong person or a missing document: the rule is wrong
        except DomainError as refusal:
            self.refusals.append(str(refusal))
            note(f"{use_case.__name__} refused: {refusal}")  # shown with a failing sequence
            return None
        DONE[use_case.__name__] += 1
        return done

    @staticmethod
    def candidates(stmt: Select) -> list:
        """The ids (or rows) a query finds, in a stable order."""
        return list(db.session.execute(stmt).all())

    def pick(self, stmt: Select, pick: int):
        """One of the query's rows, chosen by `pick` (None when it finds none)."""
        rows = self.candidates(stmt)
        return rows[pick % len(rows)] if rows else None

    def has(self, stmt: Select) -> bool:
        """Whether the query finds anything: for preconditions."""
        return bool(self.candidates(stmt.limit(1)))

    # ------------------------------------------------------------ candidates

    @staticmethod
    def open_work(*statuses: WorkOrderStatus) -> Select:
        return (
            select(WorkOrder.id)
            .where(WorkOrder.status.in_(statuses or OPEN_STATUSES))
            .order_by(WorkOrder.id)
        )

    @staticmethod
    def reserved_lines() -> Select:
        return (
            select(PartLine.id)
            .join(WorkOrder, WorkOrder.id == PartLine.work_order_id)
            .where(PartLine.reserved_qty > 0, WorkOrder.status.in_(OPEN_STATUSES))
            .order_by(PartLine.id)
        )

    @staticmethod
    def requests_in(status: PurchaseRequestStatus) -> Select:
        return (
            select(PurchaseRequest.id)
            .where(PurchaseRequest.status == status)
            .order_by(PurchaseRequest.id)
        )

    @staticmethod
    def approved_lines_to_order() -> Select:
        ordered = exists().where(
            PurchaseOrderLine.purchase_request_line_id == PurchaseRequestLine.id
        )
        return (
            select(PurchaseRequestLine.id)
            .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
            .where(PurchaseRequest.status == PurchaseRequestStatus.approved, ~ordered)
            .order_by(PurchaseRequestLine.id)
        )

    @staticmethod
    def orders_in(*statuses: PurchaseOrderStatus) -> Select:
        return (
            select(PurchaseOrder.id)
            .where(PurchaseOrder.status.in_(statuses))
            .order_by(PurchaseOrder.id)
        )

    @staticmethod
    def lines_to_receive() -> Select:
        return (
            select(PurchaseOrderLine.purchase_order_id, PurchaseOrderLine.id, PurchaseOrderLine.qty)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(
                PurchaseOrder.status.in_(
                    (PurchaseOrderStatus.issued, PurchaseOrderStatus.partially_received)
                ),
                PurchaseOrderLine.received_qty < PurchaseOrderLine.qty,
            )
            .order_by(PurchaseOrderLine.id)
        )

    @staticmethod
    def invoices_in(*statuses: InvoiceStatus, type_=InvoiceType.invoice) -> Select:
        return (
            select(VendorInvoice.id)
            .where(VendorInvoice.status.in_(statuses), VendorInvoice.type == type_)
            .order_by(VendorInvoice.id)
        )

    @staticmethod
    def billed_so_far(po_line_id: int) -> Decimal:
        """What active invoices less credit memos bill on a PO line so far."""
        rows = db.session.execute(
            select(VendorInvoice.type, VendorInvoiceLine.qty)
            .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
            .where(
                VendorInvoiceLine.purchase_order_line_id == po_line_id,
                VendorInvoice.status.in_(ACTIVE_INVOICE),
            )
        ).all()
        return sum(
            (-qty if kind is InvoiceType.credit_memo else qty for kind, qty in rows), Decimal(0)
        )

    @initialize()
    def a_job_waits_for_an_issued_order(self) -> None:
        """Every sequence starts with one part on order, so receipts and invoices come early."""
        wo_id = raise_work_order(db.session, self.world, "Filters for the pump")
        buy_for_work_order(db.session, self.world, wo_id, "MW-FLT-10", "3")

    # ------------------------------------------------------------ work and stock

    @rule()
    def raise_work(self) -> None:
        """The technician raises work; the supervisor approves it; the technician starts."""
        raise_work_order(db.session, self.world, f"Job {next(self.numbers)}")

    def add_part(self, pick: int, part: str, qty: int):
        """The technician adds a part line to one of the open work orders (None if refused)."""
        (wo_id,) = self.pick(self.open_work(), pick)
        return self.attempt(
            parts.add_part_line,
            wo_id,
            item_id=self.world.item_ids[part],
            qty=str(qty),
            actor=self.person("tech"),
            submission_id=once(),
        )

    @precondition(lambda self: self.has(self.open_work()))
    @rule(pick=PICK, part=st.sampled_from(PART_NUMBERS[:2]), qty=QTY)
    def reserve_stock(self, pick: int, part: str, qty: int) -> None:
        """A part line from stock, reserved (all of it, part of it, or none: a shortage)."""
        line = self.add_part(pick, part, qty)
        if line is not None:
            self.attempt(
                parts.reserve_part_line, line.id, actor=self.person("tech"), submission_id=once()
            )

    @precondition(lambda self: self.has(self.open_work()))
    @rule(pick=PICK, part=st.sampled_from(PART_NUMBERS), qty=QTY)
    def mark_unavailable(self, pick: int, part: str, qty: int) -> None:
        """A part line marked unavailable: what is missing becomes a purchase request line."""
        line = self.add_part(pick, part, qty)
        if line is not None:
            self.attempt(
                requests.mark_part_line_unavailable,
                line.id,
                actor=self.person("tech"),
                submission_id=once(),
            )

    @precondition(lambda self: self.has(self.reserved_lines()))
    @rule(pick=PICK)
    def issue_reserved(self, pick: int) -> None:
        """The storekeeper hands the reserved stock out to the work order."""
        (line_id,) = self.pick(self.reserved_lines(), pick)
        self.attempt(
            parts.issue_part_line, line_id, actor=self.person("storekeeper"), submission_id=once()
        )

    @precondition(lambda self: self.has(self.reserved_lines()))
    @rule(pick=PICK)
    def release_reserved(self, pick: int) -> None:
        """The technician gives reserved stock back."""
        (line_id,) = self.pick(self.reserved_lines(), pick)
        self.attempt(parts.release_part_line, line_id, actor=self.person("tech"))

    @precondition(lambda self: self.has(self.open_work(S.in_progress)))
    @rule(pick=PICK)
    def complete_work(self, pick: int) -> None:
        """The technician finishes the job."""
        (wo_id,) = self.pick(self.open_work(S.in_progress), pick)
        self.attempt(work_orders.change_status, wo_id, S.completed, actor=self.person("tech"))

    @precondition(lambda self: self.has(self.open_work(S.completed)))
    @rule(pick=PICK)
    def close_work(self, pick: int) -> None:
        """The supervisor closes finished work."""
        (wo_id,) = self.pick(self.open_work(S.completed), pick)
        self.attempt(work_orders.change_status, wo_id, S.closed, actor=self.person("supervisor"))

    @precondition(lambda self: self.has(self.open_work()))
    @rule(pick=PICK)
    def cancel_work(self, pick: int) -> None:
        """The supervisor cancels open work, with the reason."""
        (wo_id,) = self.pick(self.open_work(), pick)
        self.attempt(
            work_orders.change_status,
            wo_id,
            S.cancelled,
            actor=self.person("supervisor"),
            reason="The asset is being replaced.",
        )

    @precondition(lambda self: self.has(self.open_work()))
    @rule(pick=PICK, amount=st.sampled_from(["4.20", "18.50", "240.00"]))
    def buy_with_own_money(self, pick: int, amount: str) -> None:
        """The technician pays at the hardware store; an approver reviews it at once (the approval
        matrix decides who may reimburse, as for purchase requests)."""
        (wo_id,) = self.pick(self.open_work(), pick)
        claim = self.attempt(
            out_of_pocket.submit_purchase,
            wo_id,
            description="Hose clamps",
            shop_name="Corner Hardware",
            amount=Decimal(amount),
            qty=None,
            bought_on=today(),
            why="Needed at once",
            category="Hardware",
            receipt=(RECEIPT_PHOTO, "receipt.jpg"),
            actor=self.person("tech"),
            submission_id=once(),
        )
        if claim is not None and claim.status is OutOfPocketStatus.submitted:
            self.attempt(
                out_of_pocket.review_purchase,
                claim.id,
                approve=amount != "240.00",
                reason="Small amount, receipt attached.",
                actor=self.person("approver"),
            )

    # ------------------------------------------------------------ requests and orders

    @precondition(lambda self: self.has(self.requests_in(PurchaseRequestStatus.submitted)))
    @rule(pick=PICK, approve=st.booleans())
    def decide_request(self, pick: int, approve: bool) -> None:
        """The approver approves (or rejects, with the reason) a waiting request."""
        (pr_id,) = self.pick(self.requests_in(PurchaseRequestStatus.submitted), pick)
        if approve:
            self.attempt(
                approvals.approve_purchase_request, pr_id, approver=self.person("approver")
            )
        else:
            self.attempt(
                approvals.reject_purchase_request,
                pr_id,
                approver=self.person("approver"),
                reason="Use the spare from the other line.",
            )

    @precondition(lambda self: self.has(self.approved_lines_to_order()))
    @rule()
    def order(self) -> None:
        """The buyer turns every approved line into draft POs, one per vendor."""
        line_ids = [line_id for (line_id,) in self.candidates(self.approved_lines_to_order())]
        self.attempt(
            po_creation.create_purchase_orders,
            line_ids,
            buyer=self.person("buyer"),
            submission_id=once(),
        )

    @precondition(lambda self: self.has(self.orders_in(PurchaseOrderStatus.draft)))
    @rule(pick=PICK)
    def approve_and_issue(self, pick: int) -> None:
        """The buyer approves a draft PO and sends it to the vendor."""
        (po_id,) = self.pick(self.orders_in(PurchaseOrderStatus.draft), pick)
        buyer = self.person("buyer")
        if self.attempt(purchase_orders.approve_purchase_order, po_id, actor=buyer) is not None:
            self.attempt(purchase_orders.issue_purchase_order, po_id, actor=buyer)

    @precondition(lambda self: self.has(self.lines_to_receive()))
    @rule(pick=PICK, accepted=st.integers(min_value=0, max_value=5), rejected=st.booleans())
    def receive(self, pick: int, accepted: int, rejected: bool) -> None:
        """The storekeeper receives a delivery on one line: any quantity (more than ordered is
        refused), maybe one unit rejected as damaged."""
        po_id, line_id, _ordered = self.pick(self.lines_to_receive(), pick)
        self.attempt(
            receiving.record_receipt,
            po_id,
            lines=[
                (
                    line_id,
                    Decimal(accepted),
                    Decimal(int(rejected)),
                    "Damaged in transit" if rejected else None,
                )
            ],
            receiver=self.person("storekeeper"),
            submission_id=once(),
        )

    # ------------------------------------------------------------ invoices and payment

    def received_po_lines(self) -> Select:
        return (
            select(PurchaseOrderLine.purchase_order_id)
            .where(PurchaseOrderLine.received_qty > 0)
            .distinct()
            .order_by(PurchaseOrderLine.purchase_order_id)
        )

    @precondition(lambda self: self.has(self.received_po_lines()))
    @rule(pick=PICK, extra=st.integers(min_value=0, max_value=1), dearer=st.booleans())
    def invoice(self, pick: int, extra: int, dearer: bool) -> None:
        """The AP clerk enters the vendor's invoice for what was received and not yet billed,
        sometimes one unit more than that, sometimes above the PO price (matched on entry)."""
        (po_id,) = self.pick(self.received_po_lines(), pick)
        billed = []
        for line in db.session.scalars(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.purchase_order_id == po_id)
            .order_by(PurchaseOrderLine.line_no)
        ):
            qty = line.received_qty - self.billed_so_far(line.id) + extra
            price = line.unit_price * Decimal("1.10") if dearer else line.unit_price
            if qty > 0:
                billed.append(invoices.NewLine(line.id, qty, price.quantize(Decimal("0.01"))))
        if billed:
            self.attempt(
                invoices.enter_invoice,
                purchase_order_id=po_id,
                number=f"MW-{next(self.numbers)}",
                invoice_on=today(),
                lines=billed,
                actor=self.person("clerk"),
                submission_id=once(),
            )

    @precondition(lambda self: self.has(self.invoices_in(*APPROVED_FOR_PAYMENT)))
    @rule(pick=PICK)
    def credit(self, pick: int) -> None:
        """The vendor credits one unit of an approved invoice's first line."""
        (invoice_id,) = self.pick(self.invoices_in(*APPROVED_FOR_PAYMENT), pick)
        invoice = db.session.get(VendorInvoice, invoice_id)
        first = invoice.lines[0]
        self.attempt(
            invoices.enter_invoice,
            purchase_order_id=invoice.purchase_order_id,
            number=f"MW-{next(self.numbers)}-CR",
            invoice_on=today(),
            lines=[invoices.NewLine(first.purchase_order_line_id, Decimal(1), first.unit_price)],
            actor=self.person("clerk"),
            invoice_type=InvoiceType.credit_memo,
            submission_id=once(),
        )

    @precondition(lambda self: self.has(self.invoices_in(InvoiceStatus.hold)))
    @rule(pick=PICK)
    def release_hold(self, pick: int) -> None:
        """The approver releases a held invoice, saying why."""
        (invoice_id,) = self.pick(self.invoices_in(InvoiceStatus.hold), pick)
        self.attempt(
            invoices.release_hold,
            invoice_id,
            approver=self.person("approver"),
            reason="Agreed with the vendor by phone.",
        )

    @precondition(lambda self: self.has(self.invoices_in(*APPROVED_FOR_PAYMENT)))
    @rule()
    def pay(self) -> None:
        """The AP clerk exports what is approved for payment."""
        self.attempt(invoices.export_payments, actor=self.person("clerk"), submission_id=once())

    # ------------------------------------------------------------ the promises

    @invariant()
    def every_promise_holds(self) -> None:
        """Every check of `flask portal check`, after every step."""
        db.session.rollback()  # read what is committed, as the command does
        found = invariants.violations(db.session)
        assert not found, "flask portal check:\n" + "\n".join(found)

    def teardown(self) -> None:
        db.session.rollback()


def test_random_sequences_of_the_use_cases_keep_every_promise(database):
    """Settings: the hypothesis profile (tests/conftest.py), derandomised in CI."""
    DONE.clear()
    run_state_machine_as_test(MoneyMachine)
    # Not a vacuous run: goods arrived and were invoiced, and most use cases did something
    # (which ones varies with the sequences drawn).
    assert DONE["record_receipt"] > 0 and DONE["enter_invoice"] > 0, dict(DONE)
    assert len(DONE) >= 8, dict(DONE)
