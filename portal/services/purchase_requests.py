"""Buying what a work order is missing: purchase request lines with the suggested source.

A part line not (fully) met from stock becomes a PR line for the uncovered quantity, on the work
order's open purchase request or a new one, priced from a valid contract or a preferred vendor;
the work order then waits for parts (it reacts to `PartsRequested`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import Session

from portal.domain import parts as rules
from portal.domain import policy as policy_rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.events import PartsRequested
from portal.domain.money import line_total, quantity
from portal.domain.numbering import Sequence
from portal.domain.permissions import Capability as C
from portal.domain.statuses import ItemKind, PurchaseRequestStatus, VendorStatus
from portal.models import (
    Approval,
    Contract,
    ContractPrice,
    CostCentre,
    Item,
    PartLine,
    PreferredVendor,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    Vendor,
    WorkOrder,
)
from portal.models.base import utcnow
from portal.services import audit, policy
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize, authorize_on_work_order
from portal.services.messagebus import publish
from portal.services.numbering import next_number
from portal.services.parts import restatus, uncovered


@submitted_once("part_line.unavailable")
def mark_part_line_unavailable(
    line_id: int,
    *,
    actor: User,
    reason: str | None = None,
    today: date | None = None,
    submission_id: str | None = None,
) -> PurchaseRequestLine | PartLine:
    """Request what the line is missing on the work order's open PR; the WO waits for parts.
    Returns the PR line raised, or the part line when nothing of it was missing
    (read_models.parts.requested says which in words); a double tap requests once."""
    with unit_of_work() as session:
        wo_id = session.scalar(_WORK_ORDER_OF_LINE, {"line_id": line_id})
        if wo_id is None:
            raise NotFound(f"Part line {line_id} does not exist.")
        # Work order first, then the line: two lines of one WO never open two PRs at once.
        wo = locked(session, WorkOrder, wo_id)
        authorize_on_work_order(actor, C.plan_parts, wo)
        line = locked(session, PartLine, line_id)
        made = request_missing(session, line, wo=wo, actor=actor, reason=reason, today=today)
    return made or line


def request_missing(
    session: Session,
    line: PartLine,
    *,
    wo: WorkOrder,
    actor: User,
    reason: str | None = None,
    today: date | None = None,
) -> PurchaseRequestLine | None:
    """Raise a PR line for what the line is missing inside the caller's transaction (the use case
    calling it checks whose work order it is); None when nothing is missing."""
    authorize(actor, C.plan_parts)
    item = line.item
    rules.check_may_take_stock_or_buy(wo.status)
    missing = uncovered(line)
    if missing <= 0:
        return None
    now = utcnow()
    pr, new = open_request(session, wo), False
    if pr is None:
        pr, new = new_request(session, wo, actor=actor, now=now), True
    source, preferred_ids, names = _suggest_source(session, item, today or date.today())
    decisions = policy.decisions_for(
        session,
        _need(item, missing, source, preferred_ids, _vendor_name(session, source.vendor_id, names)),
    )
    warnings: list[str | dict] = [*source.warnings, *(d.as_dict() for d in decisions)]
    pr_line = _line_for(pr, line, item, missing, source, warnings)
    session.add(pr_line)
    po_before = pr.po_required
    if policy_rules.po_required(decisions):
        pr.po_required = True
    before = line.requested_qty
    line.requested_qty = quantity(before + missing)
    restatus(line)
    session.flush()
    why = (reason or "").strip()[:1000] or _why_bought(item, wo)
    audit.record(
        session,
        actor=actor,
        action="purchase_request.raised",
        subject=pr,
        changes={
            "new_purchase_request": new,
            "item": item.part_number,
            "part_line_id": line.id,
            "qty": [None, missing],
            "unit_price": source.unit_price,
            "suggested_vendor_id": source.vendor_id,
            "part_line.requested_qty": [before, line.requested_qty],
            "policy_warnings": warnings,
            **({"po_required": [po_before, True]} if pr.po_required != po_before else {}),
        },
        why=why,
    )
    publish(
        session,
        PartsRequested(
            work_order_id=wo.id,
            purchase_request_id=pr.id,
            actor_id=actor.id,
            reason=f"Waiting for {item.part_number} on {pr.number}",
        ),
    )
    return pr_line


def _line_for(
    pr: PurchaseRequest,
    line: PartLine,
    item: Item,
    missing: Decimal,
    source: rules.SourceSuggestion,
    warnings: list[str | dict],
) -> PurchaseRequestLine:
    """The PR line asking for what the part line is missing, from the suggested source."""
    return PurchaseRequestLine(
        purchase_request_id=pr.id,
        part_line_id=line.id,
        item_id=item.id,
        description=item.description[:200],
        kind=rules.purchase_line_kind(item.kind),
        qty=missing,
        uom=item.uom,
        unit_price=source.unit_price,
        suggested_vendor_id=source.vendor_id,
        contract_price_id=source.contract_price_id,
        policy_warnings=warnings,
    )


def _why_bought(item: Item, wo: WorkOrder) -> str:
    """Why the item is bought, when the person did not say."""
    if item.kind is ItemKind.stock:
        return f"{item.part_number} not in stock for {wo.number}"
    return f"{item.part_number} is bought when needed, for {wo.number}"


def _need(
    item: Item,
    qty: Decimal,
    source: rules.SourceSuggestion,
    preferred_ids: set[int],
    vendor_name: str | None,
) -> policy_rules.Need:
    """The facts the purchasing policy weighs for buying `qty` of `item` from the suggestion."""
    return policy_rules.Need(
        amount=line_total(qty, source.unit_price),
        item_kind=item.kind,
        item_label=item.part_number,
        category=item.category,
        vendor_name=vendor_name,
        preferred=(source.vendor_id in preferred_ids) if preferred_ids else None,
        on_contract=source.contract_price_id is not None,
    )


def _vendor_name(session: Session, vendor_id: int | None, known: dict[int, str]) -> str | None:
    """The suggested vendor's name, for the policy's words (`known`: names already read)."""
    if vendor_id is None:
        return None
    if vendor_id in known:
        return known[vendor_id]
    return session.scalar(select(Vendor.name).where(Vendor.id == vendor_id))


def open_request(session: Session, wo: WorkOrder) -> PurchaseRequest | None:
    """The work order's PR still waiting for its first decision, if there is one."""
    return session.scalar(_OPEN_REQUEST, {"wo_id": wo.id})


# The statements every missing part runs, built once (building and keying one cost about as
# much as running it). Item and preferred-vendor categories are never NULL, so "= :category"
# finds what "== item.category" did.
_WORK_ORDER_OF_LINE = select(PartLine.work_order_id).where(PartLine.id == bindparam("line_id"))
_OPEN_REQUEST = (
    select(PurchaseRequest)
    .where(
        PurchaseRequest.work_order_id == bindparam("wo_id"),
        PurchaseRequest.status == PurchaseRequestStatus.submitted,
        PurchaseRequest.decided_at.is_(None),
        ~exists().where(Approval.purchase_request_id == PurchaseRequest.id),
    )
    .order_by(PurchaseRequest.id.desc())
    .limit(1)
)
_CONTRACT_OFFERS = (
    select(ContractPrice, Contract, Vendor)
    .join(Contract, Contract.id == ContractPrice.contract_id)
    .join(Vendor, Vendor.id == Contract.vendor_id)
    .where(
        or_(
            ContractPrice.item_id == bindparam("item_id"),
            (ContractPrice.item_id.is_(None)) & (ContractPrice.category == bindparam("category")),
        )
    )
    .order_by(ContractPrice.id)
)
_PREFERRED_VENDORS = (
    select(Vendor.id, Vendor.code, Vendor.status, Vendor.name)
    .join(PreferredVendor, PreferredVendor.vendor_id == Vendor.id)
    .where(PreferredVendor.category == bindparam("category"))
    .order_by(Vendor.code)
)


def new_request(session: Session, wo: WorkOrder, *, actor: User, now) -> PurchaseRequest:
    """A submitted PR for the work order, paid by its cost centre (or its site's first one)."""
    centre_id = wo.cost_centre_id or session.scalar(
        select(CostCentre.id)
        .where(CostCentre.site_id == wo.site_id)
        .order_by(CostCentre.id)
        .limit(1)
    )
    if centre_id is None:
        raise DomainError(
            "This work order has no cost centre and its site has none: ask an admin to set one "
            "up before parts are requested."
        )
    pr = PurchaseRequest(
        number=next_number(session, Sequence.purchase_request),
        work_order_id=wo.id,
        cost_centre_id=centre_id,
        requested_by_id=actor.id,
        status=PurchaseRequestStatus.submitted,
        reason=f"Parts for {wo.number}: {wo.title}"[:1000],
        needed_by_on=wo.due_at.date() if wo.due_at else None,
        submitted_at=now,
    )
    session.add(pr)
    session.flush()
    return pr


def _suggest_source(
    session: Session, item: Item, today: date
) -> tuple[rules.SourceSuggestion, set[int], dict[int, str]]:
    """The rules' pick from the item's contract prices and preferred vendors (2 queries), the
    ids of the vendors preferred for its category, and the names of every vendor considered."""
    rows = session.execute(_CONTRACT_OFFERS, {"item_id": item.id, "category": item.category}).all()
    contracts = [
        rules.ContractOffer(
            contract_price_id=price.id,
            contract_reference=contract.reference,
            vendor_id=vendor.id,
            vendor_code=vendor.code,
            vendor_active=vendor.status is VendorStatus.active,
            valid_from=contract.valid_from,
            valid_to=contract.valid_to,
            unit_price=price.unit_price,
            uom=price.uom,
            for_item=price.item_id is not None,
        )
        for price, contract, vendor in rows
    ]
    names = {vendor.id: vendor.name for _price, _contract, vendor in rows}
    preferred = []
    for vendor_id, code, status, name in session.execute(
        _PREFERRED_VENDORS, {"category": item.category}
    ):
        preferred.append(rules.PreferredOffer(vendor_id, code, status is VendorStatus.active))
        names[vendor_id] = name
    suggestion = rules.suggest_source(
        today=today,
        uom=item.uom,
        category=item.category,
        standard_cost=item.standard_cost,
        contracts=contracts,
        preferred=preferred,
    )
    return suggestion, {p.vendor_id for p in preferred}, names
