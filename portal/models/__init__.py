"""Every table of the product; importing this package registers them on db.metadata."""

from portal.models.accounts import Team, TeamMember, User, UserRole, UserSession
from portal.models.assets import Asset
from portal.models.audit import AuditEvent, DocumentCounter
from portal.models.base import Base
from portal.models.budgets import (
    ApprovalRule,
    ApprovalTolerance,
    Budget,
    CommittedPoLine,
    CommittedPrLine,
    CostCentre,
    SpentInvoiceLine,
)
from portal.models.inventory import (
    Item,
    Reservation,
    StockLevel,
    StockMovement,
    Storeroom,
    UomConversion,
)
from portal.models.invoicing import (
    Hold,
    MatchResult,
    OutOfPocketPurchase,
    PaymentExport,
    Task,
    VendorInvoice,
    VendorInvoiceLine,
)
from portal.models.outbox import OutboxMail
from portal.models.policy import PolicyRule
from portal.models.purchasing import (
    Approval,
    PurchaseOrder,
    PurchaseOrderApproval,
    PurchaseOrderLine,
    PurchaseOrderLineFlag,
    PurchaseOrderRevision,
    PurchaseRequest,
    PurchaseRequestLine,
)
from portal.models.rates import ExchangeRate
from portal.models.receiving import GoodsReceipt, GoodsReceiptLine
from portal.models.sites import Location, Site
from portal.models.submissions import Submission
from portal.models.throttling import RateLimitCounter
from portal.models.vendors import Contract, ContractPrice, PreferredVendor, Vendor
from portal.models.work import (
    Attachment,
    AuditFinding,
    ChecklistItem,
    LabourEntry,
    PartLine,
    WorkOrder,
    WorkOrderComment,
    WorkOrderStatusChange,
    WorkRequest,
)

__all__ = [
    "Approval",
    "RateLimitCounter",
    "UserSession",
    "ApprovalRule",
    "ApprovalTolerance",
    "Asset",
    "Attachment",
    "AuditEvent",
    "AuditFinding",
    "Base",
    "Budget",
    "ChecklistItem",
    "CommittedPoLine",
    "CommittedPrLine",
    "Contract",
    "ContractPrice",
    "CostCentre",
    "DocumentCounter",
    "ExchangeRate",
    "GoodsReceipt",
    "GoodsReceiptLine",
    "Hold",
    "Item",
    "LabourEntry",
    "Location",
    "MatchResult",
    "OutOfPocketPurchase",
    "OutboxMail",
    "PartLine",
    "PaymentExport",
    "Task",
    "PolicyRule",
    "PreferredVendor",
    "PurchaseOrder",
    "PurchaseOrderApproval",
    "PurchaseOrderLine",
    "PurchaseOrderLineFlag",
    "PurchaseOrderRevision",
    "PurchaseRequest",
    "PurchaseRequestLine",
    "Reservation",
    "Site",
    "Submission",
    "SpentInvoiceLine",
    "StockLevel",
    "StockMovement",
    "Storeroom",
    "Team",
    "TeamMember",
    "UomConversion",
    "User",
    "UserRole",
    "Vendor",
    "VendorInvoice",
    "VendorInvoiceLine",
    "WorkOrder",
    "WorkOrderComment",
    "WorkOrderStatusChange",
    "WorkRequest",
]
