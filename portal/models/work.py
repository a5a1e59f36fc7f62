"""Work requests from anyone, work orders and everything hung on them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.statuses import PartLineStatus, WorkRequestStatus
from portal.domain.uploads import Photo
from portal.domain.work_orders import (
    OPEN_STATUSES,
    PRIORITY_RANK,
    Priority,
    WorkOrderStatus,
    WorkOrderType,
    accepts_work,
    is_overdue,
    records_downtime,
)
from portal.models.accounts import Team, User
from portal.models.assets import Asset
from portal.models.base import (
    ZERO,
    Base,
    IdMixin,
    Money,
    Quantity,
    StrEnumType,
    TimestampMixin,
    UTCDateTime,
    utcnow,
)
from portal.models.sites import Location, Site

if TYPE_CHECKING:
    from portal.models.inventory import Item
    from portal.models.vendors import Vendor


class WorkRequest(IdMixin, Base):
    """What a tenant or anyone reports on the public form; triaged into a work order."""

    __tablename__ = "work_request"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    requester_name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    unit_text: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Priority] = mapped_column(StrEnumType(Priority), default=Priority.normal)
    status: Mapped[WorkRequestStatus] = mapped_column(
        StrEnumType(WorkRequestStatus), default=WorkRequestStatus.new, index=True
    )
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("work_request.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


IS_OPEN_SQL = "CASE WHEN status IN ({}) THEN 1 ELSE 0 END".format(
    ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES))
)
PRIORITY_RANK_SQL = "CASE priority {} ELSE 9 END".format(
    " ".join(f"WHEN '{p.value}' THEN {rank}" for p, rank in PRIORITY_RANK.items())
)


class WorkOrder(IdMixin, TimestampMixin, Base):
    """The authorised task: WO-000123, with its type, priority, assignee, labour and parts."""

    __tablename__ = "work_order"
    __table_args__ = (
        Index("ix_work_order_status_due", "status", "due_at"),
        Index("ix_work_order_assignee_status", "assignee_user_id", "status"),
        # Queues read open work most urgent first: these make that an index walk with a LIMIT,
        # not a sort of every open work order.
        Index("ix_work_order_queue", "is_open", "priority_rank", "due_at", "id"),
        Index(
            "ix_work_order_assignee_queue",
            "assignee_user_id",
            "is_open",
            "priority_rank",
            "due_at",
            "id",
        ),
        Index("ix_work_order_open_due", "is_open", "due_at"),
    )

    number: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[WorkOrderType] = mapped_column(
        StrEnumType(WorkOrderType), default=WorkOrderType.corrective
    )
    priority: Mapped[Priority] = mapped_column(StrEnumType(Priority), default=Priority.normal)
    status: Mapped[WorkOrderStatus] = mapped_column(
        StrEnumType(WorkOrderStatus), default=WorkOrderStatus.requested
    )
    # Derived by the database from status and priority (stored generated columns), so they can
    # never disagree with them; 1/0 rather than a boolean so SQLite and PostgreSQL index alike.
    is_open: Mapped[int] = mapped_column(Integer, Computed(IS_OPEN_SQL, persisted=True))
    priority_rank: Mapped[int] = mapped_column(Integer, Computed(PRIORITY_RANK_SQL, persisted=True))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"), index=True)
    cost_centre_id: Mapped[int | None] = mapped_column(ForeignKey("cost_centre.id"), index=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    requester_name: Mapped[str | None] = mapped_column(String(120))
    department: Mapped[str | None] = mapped_column(String(80))
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    assignee_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    assignee_vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendor.id"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    audit_reference: Mapped[str | None] = mapped_column(String(80), index=True)
    down_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    site: Mapped[Site] = relationship()
    location: Mapped[Location | None] = relationship()
    asset: Mapped[Asset | None] = relationship()
    assignee_user: Mapped[User | None] = relationship(foreign_keys=[assignee_user_id])
    assignee_team: Mapped[Team | None] = relationship()
    assignee_vendor: Mapped[Vendor | None] = relationship()
    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id])
    part_lines: Mapped[list[PartLine]] = relationship(
        back_populates="work_order", order_by="PartLine.id"
    )
    checklist: Mapped[list[ChecklistItem]] = relationship(order_by="ChecklistItem.position")
    status_changes: Mapped[list[WorkOrderStatusChange]] = relationship(
        order_by="WorkOrderStatusChange.id"
    )

    @property
    def overdue(self) -> bool:
        """Open and past its due time, now."""
        return is_overdue(self.status, self.due_at, utcnow())

    @property
    def accepts_work(self) -> bool:
        """Labour and downtime can still be recorded on it."""
        return accepts_work(self.status)

    @property
    def records_downtime(self) -> bool:
        """Corrective work that can still record the asset going down or coming back up."""
        return records_downtime(self.type) and self.accepts_work

    @property
    def assignee_label(self) -> str:
        """Who does the work, in words."""
        if self.assignee_user is not None:
            return self.assignee_user.full_name
        if self.assignee_team is not None:
            return self.assignee_team.name
        if self.assignee_vendor is not None:
            return f"{self.assignee_vendor.name} (contractor)"
        return "Unassigned"


class WorkOrderStatusChange(IdMixin, Base):
    """One status move of a work order: the status history."""

    __tablename__ = "work_order_status_change"
    # The waiting-for-parts report finds moves into waiting_parts by date.
    __table_args__ = (Index("ix_work_order_status_change_to_status_at", "to_status", "changed_at"),)

    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), index=True)
    from_status: Mapped[WorkOrderStatus | None] = mapped_column(StrEnumType(WorkOrderStatus))
    to_status: Mapped[WorkOrderStatus] = mapped_column(StrEnumType(WorkOrderStatus))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(500))


class ChecklistItem(IdMixin, Base):
    """One step of a work order's instructions."""

    __tablename__ = "checklist_item"

    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(500))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkOrderComment(IdMixin, Base):
    """A note on a work order, maybe with a photo."""

    __tablename__ = "work_order_comment"

    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class Attachment(IdMixin, Base):
    """A photo on a work order, work request, expense receipt or goods receipt: re-encoded on
    upload (domain/uploads.prepare_photo) and served only through the object it belongs to.
    `thumbnail` (JPEG) is what lists show; rows from before re-encoding have none."""

    __tablename__ = "attachment"

    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    work_request_id: Mapped[int | None] = mapped_column(ForeignKey("work_request.id"), index=True)
    goods_receipt_id: Mapped[int | None] = mapped_column(ForeignKey("goods_receipt.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # loaded when served
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def of_photo(cls, photo: Photo, **owner: int | None) -> Attachment:
        """A new attachment holding a re-encoded photo; `owner`: the object it belongs to
        (work_order_id, work_request_id or goods_receipt_id) and uploaded_by_id."""
        return cls(
            filename=photo.filename,
            content_type=photo.content_type,
            size_bytes=len(photo.data),
            data=photo.data,
            thumbnail=photo.thumbnail,
            **owner,
        )


class LabourEntry(IdMixin, Base):
    """Hours worked on a work order by a person at a rate."""

    __tablename__ = "labour_entry"

    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    worked_on: Mapped[date] = mapped_column(Date, index=True)
    hours: Mapped[Decimal] = mapped_column(Quantity)
    rate: Mapped[Decimal] = mapped_column(Money)
    cost_amount: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class PartLine(IdMixin, Base):
    """A part or service a work order needs, and how it is being met."""

    __tablename__ = "part_line"

    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    needed_qty: Mapped[Decimal] = mapped_column(Quantity)
    reserved_qty: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    issued_qty: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    requested_qty: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    status: Mapped[PartLineStatus] = mapped_column(
        StrEnumType(PartLineStatus), default=PartLineStatus.needed
    )
    issued_cost_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    note: Mapped[str | None] = mapped_column(String(500))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    work_order: Mapped[WorkOrder] = relationship(back_populates="part_lines")
    item: Mapped[Item] = relationship()


class AuditFinding(IdMixin, Base):
    """A finding of a compliance audit that became a work order."""

    __tablename__ = "audit_finding"

    audit_reference: Mapped[str] = mapped_column(String(80), index=True)
    finding: Mapped[str] = mapped_column(Text)
    deadline_on: Mapped[date | None] = mapped_column(Date)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
