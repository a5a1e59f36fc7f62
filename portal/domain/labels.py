"""Every enum value in words: the one table behind the `label` filter and every message.

A status or kind is shown through `label(value)` wherever it appears (pages, badges, PDFs,
e-mails, CSV headers are not labels), so one status never reads two ways on two pages. A
test asserts that every enum a page can show has its words here.
"""

from __future__ import annotations

from enum import StrEnum

from portal.domain import statuses as st
from portal.domain.approvals import STATUS_LABELS as PR_STATUS_LABELS
from portal.domain.maverick import GroupBy, MaverickKind
from portal.domain.policy import RULE_KIND_LABELS, RuleKind
from portal.domain.purchase_orders import STATUS_LABELS as PO_STATUS_LABELS
from portal.domain.roles import ROLE_LABELS, Role
from portal.domain.work_orders import PRIORITY_LABELS, Priority, WorkOrderStatus, WorkOrderType
from portal.domain.work_orders import STATUS_LABELS as WO_STATUS_LABELS

LABELS: dict[type[StrEnum], dict] = {
    WorkOrderStatus: WO_STATUS_LABELS,
    Priority: PRIORITY_LABELS,
    RuleKind: RULE_KIND_LABELS,
    Role: ROLE_LABELS,
    st.WorkRequestStatus: {
        st.WorkRequestStatus.new: "Waiting",
        st.WorkRequestStatus.accepted: "Accepted",
        st.WorkRequestStatus.rejected: "Rejected",
        st.WorkRequestStatus.merged: "Merged",
    },
    st.RequestIntake: {
        st.RequestIntake.triage: "Triage by a supervisor",
        st.RequestIntake.first_come: "First come, first served",
    },
    st.Criticality: {
        st.Criticality.critical: "Critical",
        st.Criticality.high: "High",
        st.Criticality.medium: "Medium",
        st.Criticality.low: "Low",
    },
    st.ItemKind: {
        st.ItemKind.stock: "Stock part",
        st.ItemKind.non_stock: "Non-stock part",
        st.ItemKind.service: "Service",
    },
    st.PartLineStatus: {
        st.PartLineStatus.needed: "Needed",
        st.PartLineStatus.reserved: "Reserved",
        st.PartLineStatus.issued: "Issued",
        st.PartLineStatus.requested: "Requested",
        st.PartLineStatus.cancelled: "Cancelled",
    },
    st.ReservationStatus: {
        st.ReservationStatus.active: "Reserved",
        st.ReservationStatus.issued: "Issued",
        st.ReservationStatus.released: "Released",
    },
    st.MovementKind: {
        st.MovementKind.receipt: "Receipt",
        st.MovementKind.issue: "Issue",
        st.MovementKind.return_: "Return",
        st.MovementKind.adjustment: "Adjustment",
    },
    st.VendorStatus: {st.VendorStatus.active: "Active", st.VendorStatus.blocked: "Blocked"},
    st.PurchaseRequestStatus: PR_STATUS_LABELS,
    st.ApprovalDecision: {
        st.ApprovalDecision.approved: "Approved",
        st.ApprovalDecision.rejected: "Rejected",
    },
    st.PurchaseOrderStatus: PO_STATUS_LABELS,
    st.LineKind: {st.LineKind.goods: "Goods", st.LineKind.service: "Service"},
    st.InvoiceType: {
        st.InvoiceType.invoice: "Invoice",
        st.InvoiceType.credit_memo: "Credit memo",
    },
    st.InvoiceStatus: {
        st.InvoiceStatus.entered: "Entered",
        st.InvoiceStatus.matched: "Matched",
        st.InvoiceStatus.hold: "On hold",
        st.InvoiceStatus.released: "Released",
        st.InvoiceStatus.rejected: "Rejected",
        st.InvoiceStatus.exported: "Exported for payment",
        st.InvoiceStatus.cancelled: "Cancelled",
    },
    st.MatchStatus: {
        st.MatchStatus.matched: "Matched",
        st.MatchStatus.hold: "On hold",
        st.MatchStatus.error: "Could not be matched",
    },
    st.HoldStatus: {
        st.HoldStatus.open: "Open",
        st.HoldStatus.released: "Released",
        st.HoldStatus.cleared: "Cleared",  # by a re-match, or when the invoice is rejected
    },
    st.OutOfPocketStatus: {
        st.OutOfPocketStatus.submitted: "Waiting for review",
        st.OutOfPocketStatus.reimbursed: "Reimbursed",
        st.OutOfPocketStatus.refused: "Refused",
    },
    WorkOrderType: {
        WorkOrderType.corrective: "Corrective",
        WorkOrderType.preventive: "Preventive",
        WorkOrderType.inspection: "Inspection",
        WorkOrderType.compliance: "Compliance",
    },
    # -- oversight: maverick spend
    MaverickKind: {
        MaverickKind.after_the_fact: "After the fact",
        MaverickKind.off_contract: "Off contract",
        MaverickKind.non_preferred: "Non-preferred vendor",
        MaverickKind.out_of_pocket: "Out of pocket",
    },
    GroupBy: {
        GroupBy.site: "Site",
        GroupBy.technician: "Technician",
        GroupBy.vendor: "Vendor",
        GroupBy.month: "Month",
    },
}


def label(value: object) -> str:
    """An enum value in words; any other value as text (an unknown value, humanised)."""
    if value is None:
        return ""
    if isinstance(value, StrEnum):
        words = LABELS.get(type(value), {}).get(value)
        if words is not None:
            return words
        return value.value.replace("_", " ").capitalize()
    return str(value)
