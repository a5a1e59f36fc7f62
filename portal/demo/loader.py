"""Loading the demo: master data as plain rows, then a year of work through the real use cases.

One transaction: the demo is there whole or not at all, and a second run finds the plant and
changes nothing. The documents are made by the people whose work it is, each on the day it
happened (the portal's clock is set for each step and is back to real time afterwards), in the
order of the calendar; the audit trail is the one the portal writes, and verifies.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app, has_app_context
from sqlalchemy import func, select

from portal.demo.current_buying import buying_stories
from portal.demo.current_money import money_stories
from portal.demo.current_work import request_stories, work_stories
from portal.demo.history import history_stories
from portal.demo.history_plan import plan_history
from portal.demo.master import build_master_data
from portal.demo.timeline import play
from portal.demo.world import DEMO_PASSWORD, PLANT
from portal.models import Asset, Item, Site, Storeroom, User, Vendor
from portal.models.base import clock_set_to, utcnow
from portal.services import audit
from portal.services._uow import unit_of_work

ALREADY_LOADED = "Demo data is already loaded; nothing changed."


def load_demo(progress: Callable[[str], None] = lambda _message: None) -> str:
    """Create the demo world in one transaction; a second run finds it and changes nothing."""
    if has_app_context() and current_app.config.get("PORTAL_ENV") == "production":
        # Its people sign in with the password `demo`: never in production.
        raise RuntimeError("Refusing to load demo data into a production configuration.")
    started = time.perf_counter()
    with unit_of_work() as session:
        if session.scalar(select(Site.id).where(Site.code == PLANT[0])) is not None:
            return ALREADY_LOADED
        now = utcnow().replace(microsecond=0)
        plan = plan_history(now)
        with clock_set_to(now) as move_to:
            progress("people, places, assets, items and stock, vendors, budgets")
            demo = build_master_data(
                session, now=now, move_to=move_to, stock_used=plan.stock_used()
            )
            progress(f"a year of history ({len(plan.jobs)} closed work orders) and this month")
            steps = play(
                [
                    *history_stories(demo, plan),
                    *work_stories(demo),
                    *request_stories(demo),
                    *buying_stories(demo),
                    *money_stories(demo),
                ],
                move_to,
            )
        counts = {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Asset, Item, Storeroom, Vendor, User)
        }
        audit.record(
            session,
            actor=None,
            action="demo.loaded",
            subject_type="system",
            changes={**counts, "steps": steps},
        )
    progress(f"{steps} steps in {time.perf_counter() - started:.1f} s")
    return (
        f"Demo data loaded: {counts['Asset']} assets, {counts['Item']} items in "
        f"{counts['Storeroom']} storerooms, {counts['Vendor']} vendors, {counts['User']} demo "
        f"users (password '{DEMO_PASSWORD}')."
    )
