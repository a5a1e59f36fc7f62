"""Sites and locations for pickers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import Location, Site


def all_sites() -> list[Site]:
    """Every site by name."""
    return list(db.session.scalars(select(Site).order_by(Site.name)))


def location_choices() -> list[tuple[int, str]]:
    """(id, 'Site › Area') for every location, for a select."""
    rows = db.session.scalars(
        select(Location)
        .options(joinedload(Location.site), joinedload(Location.parent))
        .order_by(Location.site_id, Location.name)
    ).unique()
    return [(loc.id, f"{loc.site.name} › {loc.name}") for loc in rows]
