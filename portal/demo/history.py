"""The demo's year of history, played through the real use cases at the dates it happened.

portal/demo/history_plan.py decides what happened; this module has the people do it, each
step when it was due (portal/demo/timeline.py sets the portal's clock): the supervisor raises
the work, the technician works it, takes parts from stock and asks for what is missing, the
supervisor or an approver decides by the approval matrix, the buyer orders, the storekeeper
receives (the parts go to the work order), the AP clerk enters the vendor's invoice (matched
on entry) and pays monthly; an approver releases the holds that deserve it.

Why through the use cases and not as fast rows: documents made beside the services drifted
from them (receipts in another shape, invoices with no gross amount, stock movements with no
stock moved). The cost is time: the year is some 1,200 steps, most of the demo's load time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.demo.builders import APPROVAL_MATRIX
from portal.demo.history_plan import HistoryPlan, Job, Purchase
from portal.demo.steps import (
    NO_FORM,
    Demo,
    approve_and_issue,
    decide,
    enter_invoice,
    export_if_payable,
    log_hours,
    move,
    order,
    paid_own_money,
    po_lines,
    receive,
    request_part,
    take_from_stock,
)
from portal.demo.timeline import Story, Sub
from portal.demo.world import POLICY_RULES
from portal.domain.money import line_total, money
from portal.domain.statuses import InvoiceStatus, InvoiceType
from portal.domain.work_orders import WorkOrderStatus, WorkOrderType
from portal.models import PurchaseRequestLine, User
from portal.models.base import utcnow
from portal.services import (
    approvals,
    invoices,
    out_of_pocket,
    parts,
    policy,
    purchase_orders,
    work_orders,
)

S = WorkOrderStatus
H = timedelta(hours=1)
PRICE_RISE = Decimal("1.05")


def history_stories(demo: Demo, plan: HistoryPlan) -> list[Story]:
    """The purchasing policy, every job of the plan, and the monthly payment runs."""
    start = plan.jobs[0].raised if plan.jobs else demo.ago(365)
    stories = [_policy(demo, start - timedelta(days=1))]
    stories.extend(_job(demo, job) for job in plan.jobs)
    stories.extend(_payment_run(demo, when) for when in plan.payment_runs)
    return stories


def _policy(demo: Demo, when: datetime) -> Story:
    """The admin writes the purchasing policy before the year begins."""
    yield when
    for name, kind, limit, categories, kinds, message in POLICY_RULES:
        policy.create_rule(
            name=str(name),
            kind=str(kind),
            amount=limit,
            categories=categories,
            item_kinds=[k.strip() for k in (kinds or "").split(",") if k.strip()],
            message=message,
            actor=demo.user("admin"),
            **NO_FORM,
        )


def _payment_run(demo: Demo, when: datetime) -> Story:
    """The AP clerk exports what is approved for payment."""
    yield when
    export_if_payable(demo.session, demo.user("ap_clerk"))


def _job(demo: Demo, job: Job) -> Story:
    """One work order from raising to closing, with its parts, purchase and labour."""
    tech, supervisor = demo.user(job.technician), demo.user("supervisor")
    yield job.raised
    wo = work_orders.create_work_order(
        work_orders.NewWorkOrder(
            title=job.title,
            asset_id=demo.asset_ids[job.asset_tag],
            type=WorkOrderType.corrective if job.corrective else WorkOrderType.preventive,
            priority=job.priority,
            assignee_user_id=tech.id,
            due=job.raised + timedelta(days=3),
            down_at=job.raised if job.down else None,
        ),
        actor=supervisor,
    ).id
    yield job.raised + H
    move(wo, S.in_progress, actor=tech)
    if job.from_stock is not None:
        yield job.raised + 2 * H
        part_number, qty = job.from_stock
        line = take_from_stock(demo, wo, part_number, str(qty), actor=tech)
        yield job.raised + 3 * H
        parts.issue_part_line(line, actor=demo.user("storekeeper"))
    done = job.raised + 10 * H
    if job.own_money is not None:
        yield job.raised + 4 * H
        done = max(done, (yield from _own_money(demo, wo, job.own_money, tech)))
    arrived = None
    if job.purchase is not None:
        asked = max(utcnow(), job.raised + timedelta(hours=2, minutes=20))
        arrived = yield from _purchase(demo, wo, job.purchase, tech, asked)
        done = max(done, arrived + 6 * H)
    yield done
    log_hours(wo, job.work_hours, worked_on=done.date(), actor=tech)
    move(wo, S.completed, actor=tech)
    yield done + 24 * H
    move(wo, S.closed, actor=supervisor)
    if job.purchase is not None and arrived is not None and wo in demo.history_orders:
        yield from _invoice(demo, wo, job.purchase, arrived)


def _own_money(demo: Demo, wo: int, buy: tuple[str, str, Decimal, str], tech: User) -> Sub:
    """A buy with the technician's own money, today; reimbursed the next morning."""
    what, shop, amount, category = buy
    purchase = paid_own_money(
        wo,
        what,
        shop=shop,
        amount=amount,
        category=category,
        bought_on=utcnow().date(),
        why="Needed at once; the store had none.",
        actor=tech,
    )
    yield utcnow() + 18 * H
    out_of_pocket.review_purchase(
        purchase.id,
        approve=True,
        reason="Small amount, receipt attached.",
        actor=demo.user("supervisor"),
    )
    return utcnow()


def _purchase(demo: Demo, wo: int, buy: Purchase, tech: User, asked: datetime) -> Sub:
    """Ask, decide, order and receive the part; when it arrived (or was refused)."""
    yield asked
    pr_id = request_part(demo, wo, buy.part_number, str(buy.qty), actor=tech, today=asked.date())
    decided = asked + buy.decided_after
    yield decided
    if buy.rejected:
        approvals.reject_purchase_request(
            pr_id, approver=_approvers(demo, pr_id)[0], reason="Use the stock at the other site"
        )
        return decided
    decide(pr_id, approvers=_approvers(demo, pr_id))
    buyer = demo.user("buyer")
    yield decided + H
    (po,) = order(demo, [pr_id], buyer=buyer, vendor_for_all=buy.other_vendor)
    approve_and_issue(po.id, buyer=buyer, issue=False)
    yield decided + 2 * H
    purchase_orders.issue_purchase_order(po.id, actor=buyer)
    arrived = decided + timedelta(days=buy.delivery_days, hours=3)
    yield arrived
    receive(demo, po.id, {1: buy.qty}, receiver=demo.user("storekeeper"))
    demo.history_orders[wo] = po.id
    return arrived


def _approvers(demo: Demo, pr_id: int) -> list[User]:
    """Who decides a request of this amount by the demo's approval matrix."""
    total = money(
        sum(
            (
                line_total(qty, price)
                for qty, price in demo.session.execute(
                    select(PurchaseRequestLine.qty, PurchaseRequestLine.unit_price).where(
                        PurchaseRequestLine.purchase_request_id == pr_id
                    )
                )
            ),
            Decimal(0),
        )
    )
    for role, low, high, needed in APPROVAL_MATRIX:
        if Decimal(low) <= total and (high is None or total <= Decimal(high)):
            people = ["supervisor"] if role == "supervisor" else ["approver", "approver2"]
            return [demo.user(name) for name in people[:needed]]
    raise LookupError(f"no approval band for {total}")


def _invoice(demo: Demo, wo: int, buy: Purchase, arrived: datetime) -> Story:
    """The vendor's invoice: entered, matched or held (some holds released), maybe credited;
    the buyer closes the PO once it is settled."""
    po_id = demo.history_orders.pop(wo)
    line = po_lines(demo.session, po_id)[1]
    price = money(line.unit_price * PRICE_RISE) if buy.price_over else line.unit_price
    entered = arrived + timedelta(days=buy.invoice_days + 2)
    dated = asked_before(arrived, buy) if buy.after_the_fact else entered - timedelta(days=1)
    yield entered
    clerk = demo.user("ap_clerk")
    code = line.purchase_order.vendor.code
    invoice = enter_invoice(
        demo,
        po_id,
        f"{code}-{40000 + po_id}",
        invoice_on=dated.date(),
        billed={1: (buy.qty, price)},
        clerk=clerk,
    )
    settled = invoice.status is not InvoiceStatus.hold
    if not settled and (buy.released or buy.after_the_fact or entered < demo.ago(60)):
        yield entered + 48 * H
        invoices.release_hold(invoice.id, approver=demo.user("approver"), reason=_why(buy))
        settled = True
    if buy.credit:
        yield entered + 72 * H
        enter_invoice(
            demo,
            po_id,
            f"{code}-{40000 + po_id}-CR",
            invoice_on=(entered + 72 * H).date(),
            billed={1: ("1", price)},
            clerk=clerk,
            invoice_type=InvoiceType.credit_memo,
        )
    if settled:
        yield entered + 96 * H
        purchase_orders.close_purchase_order(po_id, reason=None, actor=demo.user("buyer"))


def asked_before(arrived: datetime, buy: Purchase) -> datetime:
    """An invoice date before the PO was approved: bought by phone, ordered afterwards."""
    return arrived - timedelta(days=buy.delivery_days + 4) - buy.decided_after


def _why(buy: Purchase) -> str:
    """The approver's reason for releasing the hold."""
    if buy.after_the_fact:
        return "Bought by phone in a breakdown; the PO followed. Agreed."
    return "Freight surcharge agreed by phone."
