"""Sites and locations, for pickers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.models import Location, Site
from portal.services._uow import current_session


def all_sites() -> list[Site]:
    """Every site by name."""
    return list(current_session().scalars(select(Site).order_by(Site.name)))


def location_choices() -> list[tuple[int, str]]:
    """(id, 'Site › Area') for every location, for a select."""
    rows = (
        current_session()
        .scalars(
            select(Location)
            .options(joinedload(Location.site), joinedload(Location.parent))
            .order_by(Location.site_id, Location.name)
        )
        .unique()
    )
    return [(loc.id, f"{loc.site.name} › {loc.name}") for loc in rows]
