"""Builders: make_<thing>(database, **overrides) with defaults for everything; they commit."""

from __future__ import annotations

import itertools
import secrets
from datetime import timedelta

from portal.domain.numbering import Sequence, format_number
from portal.domain.roles import Role
from portal.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType
from portal.models import Asset, Location, Site, User, UserRole, WorkOrder
from portal.models.base import utcnow

_seq = itertools.count(1)


def make_user(database, *, roles=("technician",), password="secret-pw", **overrides) -> User:
    n = next(_seq)
    user = User(
        username=overrides.pop("username", f"user{n}"),
        full_name=overrides.pop("full_name", f"Test Person {n}"),
        **overrides,
    )
    user.set_password(password)
    user.role_rows = [UserRole(role=Role(r)) for r in roles]
    database.session.add(user)
    database.session.commit()
    return user


def make_site(database, **overrides) -> Site:
    n = next(_seq)
    site = Site(
        code=overrides.pop("code", f"S{n}"), name=overrides.pop("name", f"Site {n}"), **overrides
    )
    database.session.add(site)
    database.session.commit()
    return site


def make_asset(database, *, site=None, **overrides) -> Asset:
    n = next(_seq)
    site = site or make_site(database)
    location = Location(site=site, code=f"L{n}", name=f"Area {n}", kind="area")
    asset = Asset(
        tag=overrides.pop("tag", f"T-{n}"),
        name=overrides.pop("name", f"Machine {n}"),
        category=overrides.pop("category", "Pumps"),
        location=location,
        qr_token=secrets.token_urlsafe(24),
        short_code=overrides.pop("short_code", f"C{n:05d}"),
        **overrides,
    )
    database.session.add(asset)
    database.session.commit()
    return asset


def make_work_order(
    database, *, title="Fix it", asset=None, assignee=None, **overrides
) -> WorkOrder:
    n = next(_seq)
    asset = asset or make_asset(database)
    wo = WorkOrder(
        number=overrides.pop("number", format_number(Sequence.work_order, n)),
        title=title,
        type=overrides.pop("type", WorkOrderType.corrective),
        priority=overrides.pop("priority", Priority.normal),
        status=overrides.pop("status", WorkOrderStatus.assigned),
        site_id=asset.location.site_id,
        location_id=asset.location_id,
        asset_id=asset.id,
        assignee_user_id=assignee.id if assignee else None,
        due_at=overrides.pop("due_at", utcnow() + timedelta(days=3)),
        **overrides,
    )
    database.session.add(wo)
    database.session.commit()
    return wo


JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
