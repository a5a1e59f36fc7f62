"""What the asset pages show: finding an asset from a scan or a typed code, its page, the
list and the label sheet. Plain reads; no unit of work."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from portal.domain.errors import NotFound
from portal.domain.work_orders import OPEN_STATUSES
from portal.models import Asset, Location, WorkOrder
from portal.services._uow import current_session

HISTORY_SIZE = 10
_CODE_NOISE = re.compile(r"[\s\-_.]")


def by_token(token: str) -> Asset | None:
    """The active asset whose QR label carries `token`, or None (unknown, rotated or forged)."""
    if not token or len(token) > 64:
        return None
    return current_session().scalar(
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
    return current_session().scalar(
        select(Asset).where(
            Asset.active.is_(True),
            or_(Asset.short_code == squeezed, func.upper(Asset.tag) == text.upper()),
        )
    )


def find(asset_id: int) -> Asset | None:
    """One asset with its location and site, or None."""
    return current_session().scalar(
        select(Asset)
        .where(Asset.id == asset_id)
        .options(joinedload(Asset.location).joinedload(Location.site))
    )


@dataclass
class AssetPage:
    """The asset with its open work and recent history (its costs come from the cost reads)."""

    asset: Asset
    open_orders: list[WorkOrder]
    history: list[WorkOrder]


def page(asset_id: int) -> AssetPage:
    """The asset with its open work and recent history (a fixed number of queries); NotFound."""
    asset = find(asset_id)
    if asset is None:
        raise NotFound(f"Asset {asset_id} does not exist.")
    session = current_session()
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
        session.scalars(
            listed.where(WorkOrder.status.in_(open_statuses)).order_by(WorkOrder.due_at)
        ).unique()
    )
    history = list(
        session.scalars(
            listed.where(WorkOrder.status.not_in(open_statuses))
            .order_by(WorkOrder.id.desc())
            .limit(HISTORY_SIZE)
        ).unique()
    )
    return AssetPage(asset, open_orders, history)


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
    return list(current_session().scalars(stmt).unique())


def for_labels(asset_ids: list[int]) -> list[Asset]:
    """The chosen assets, in tag order, for a label sheet (at most 300 at once)."""
    if not asset_ids:
        return []
    return list(
        current_session()
        .scalars(
            select(Asset)
            .where(Asset.id.in_(asset_ids[:300]))
            .options(joinedload(Asset.location).joinedload(Location.site))
            .order_by(Asset.tag)
        )
        .unique()
    )
