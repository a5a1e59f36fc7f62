"""Assets and their QR tags: finding one from a scan, its page, rotating a lost label."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from portal.domain.errors import NotFound
from portal.domain.work_orders import OPEN_STATUSES
from portal.extensions import db
from portal.models import Asset, Location, User, WorkOrder
from portal.models.base import utcnow
from portal.read_models import costs
from portal.read_models.costs import CostRollup
from portal.services import audit
from portal.services._uow import unit_of_work

HISTORY_SIZE = 10
_CODE_NOISE = re.compile(r"[\s\-_.]")


def new_qr_token() -> str:
    """An opaque, unguessable token for a QR label (192 random bits)."""
    return secrets.token_urlsafe(24)


def by_token(token: str) -> Asset | None:
    """The active asset whose QR label carries `token`, or None (unknown, rotated or forged)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Asset)
        .where(Asset.qr_token == token, Asset.active.is_(True))
        .options(joinedload(Asset.location).joinedload(Location.site))
    )


def by_code(code: str) -> Asset | None:
    """The asset a person typed: its short code (any case, spaces and dashes ignored) or its tag."""
    text = (code or "").strip()
    if not text or len(text) > 64:
        return None
    if "/a/" in text:  # a whole QR address was typed or pasted
        return by_token(text.rsplit("/a/", 1)[1].strip("/"))
    squeezed = _CODE_NOISE.sub("", text).upper()
    return db.session.scalar(
        select(Asset).where(
            Asset.active.is_(True),
            or_(Asset.short_code == squeezed, func.upper(Asset.tag) == text.upper()),
        )
    )


@dataclass
class AssetPage:
    """Everything the asset page shows."""

    asset: Asset
    open_orders: list[WorkOrder]
    history: list[WorkOrder]
    costs: CostRollup

    @property
    def total_cost(self) -> Decimal:
        """Cost so far: what has been spent over all its work orders (see read_models.costs)."""
        return self.costs.actual


def page(asset_id: int) -> AssetPage:
    """The asset with its open work, recent history and cost so far (a fixed number of queries)."""
    asset = db.session.scalar(
        select(Asset)
        .where(Asset.id == asset_id)
        .options(joinedload(Asset.location).joinedload(Location.site))
    )
    if asset is None:
        raise NotFound(f"Asset {asset_id} does not exist.")
    listed = (
        select(WorkOrder)
        .where(WorkOrder.asset_id == asset_id)
        .options(
            joinedload(WorkOrder.assignee_user),
            joinedload(WorkOrder.asset),
            joinedload(WorkOrder.location),
        )
    )
    open_statuses = [s.value for s in OPEN_STATUSES]
    open_orders = list(
        db.session.scalars(
            listed.where(WorkOrder.status.in_(open_statuses)).order_by(WorkOrder.due_at)
        ).unique()
    )
    history = list(
        db.session.scalars(
            listed.where(WorkOrder.status.not_in(open_statuses))
            .order_by(WorkOrder.id.desc())
            .limit(HISTORY_SIZE)
        ).unique()
    )
    return AssetPage(asset, open_orders, history, costs.asset_costs(asset_id))


def rotate_token(asset_id: int, *, actor: User, reason: str) -> Asset:
    """Give the asset a new QR token (the old label stops working); audited with the reason."""
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id, with_for_update=True)
        if asset is None:
            raise NotFound(f"Asset {asset_id} does not exist.")
        asset.qr_token = new_qr_token()
        asset.qr_rotated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="asset.qr_rotated",
            subject=asset,
            subject_label=asset.tag,
            why=reason,
        )  # the token itself is never logged
    return asset


def search(text: str | None, site_id: int | None = None, limit: int = 200) -> list[Asset]:
    """Assets by tag or name (for choosing labels to print), with their locations."""
    stmt = (
        select(Asset)
        .join(Asset.location)
        .options(joinedload(Asset.location).joinedload(Location.site))
        .where(Asset.active.is_(True))
        .order_by(Asset.tag)
        .limit(limit)
    )
    needle = (text or "").strip().lower()
    if needle:
        like = f"%{needle}%"
        stmt = stmt.where(or_(func.lower(Asset.tag).like(like), func.lower(Asset.name).like(like)))
    if site_id:
        stmt = stmt.where(Location.site_id == site_id)
    return list(db.session.scalars(stmt).unique())


def for_labels(asset_ids: list[int]) -> list[Asset]:
    """The chosen assets, in tag order, for a label sheet (at most 300 at once)."""
    if not asset_ids:
        return []
    return list(
        db.session.scalars(
            select(Asset)
            .where(Asset.id.in_(asset_ids[:300]))
            .options(joinedload(Asset.location).joinedload(Location.site))
            .order_by(Asset.tag)
        ).unique()
    )
