"""Status and kind values of the purchasing side, in the glossary's words."""

from enum import StrEnum


class WorkRequestStatus(StrEnum):
    """A tenant's or anyone's report, before and after triage."""

    new = "new"
    accepted = "accepted"
    rejected = "rejected"
    merged = "merged"


class RequestIntake(StrEnum):
    """How a site lets public requests in."""

    triage = "triage"
    first_come = "first_come"


class Criticality(StrEnum):
    """How much it hurts when the asset is down."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


class ItemKind(StrEnum):
    """Stocked part, bought-when-needed part, or an outside service."""

    stock = "stock"
    non_stock = "non_stock"
    service = "service"


class PartLineStatus(StrEnum):
    """How a part line on a WO is being met."""

    needed = "needed"
    reserved = "reserved"
    issued = "issued"
    requested = "requested"
    cancelled = "cancelled"


class ReservationStatus(StrEnum):
    """Stock set aside for a WO."""

    active = "active"
    issued = "issued"
    released = "released"


class MovementKind(StrEnum):
    """Why on-hand stock changed."""

    receipt = "receipt"
    issue = "issue"
    return_ = "return"
    adjustment = "adjustment"


class VendorStatus(StrEnum):
    """Blocked vendors cannot be used on new PRs or POs."""

    active = "active"
    blocked = "blocked"


class PurchaseRequestStatus(StrEnum):
    """A PR from draft to ordered."""

    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    ordered = "ordered"
    cancelled = "cancelled"


class ApprovalDecision(StrEnum):
    """What an approver said."""

    approved = "approved"
    rejected = "rejected"


class PurchaseOrderStatus(StrEnum):
    """A PO from draft to closed."""

    draft = "draft"
    approved = "approved"
    issued = "issued"
    partially_received = "partially_received"
    received = "received"
    closed = "closed"
    cancelled = "cancelled"


class LineKind(StrEnum):
    """Goods are three-way matched; services two-way unless the policy says otherwise."""

    goods = "goods"
    service = "service"


class InvoiceType(StrEnum):
    """A credit memo is an invoice with negative effect."""

    invoice = "invoice"
    credit_memo = "credit_memo"


class InvoiceStatus(StrEnum):
    """A vendor invoice from entry to payment."""

    entered = "entered"
    matched = "matched"
    hold = "hold"
    released = "released"
    rejected = "rejected"
    exported = "exported"
    cancelled = "cancelled"


class MatchStatus(StrEnum):
    """The engine's verdict."""

    matched = "matched"
    hold = "hold"
    error = "error"


class HoldStatus(StrEnum):
    """A hold is open until released by a person or cleared by a re-match."""

    open = "open"
    released = "released"
    cleared = "cleared"


class OutOfPocketStatus(StrEnum):
    """A technician's own-money purchase under review."""

    submitted = "submitted"
    reimbursed = "reimbursed"
    refused = "refused"
