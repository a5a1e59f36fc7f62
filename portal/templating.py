"""Jinja filters and globals: how dates, money and statuses read on a page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from portal.domain.labels import label
from portal.domain.money import format_money, format_qty
from portal.models.base import utcnow


def when(value: datetime | None) -> str:
    """A UTC time shown in the portal's time zone: '25 Nov 14:30', with the year if not this one."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(current_app.config.get("PORTAL_TIMEZONE", "UTC")))
    now = utcnow().astimezone(local.tzinfo)
    pattern = "%d %b %H:%M" if local.year == now.year else "%d %b %Y %H:%M"
    return local.strftime(pattern).lstrip("0")


def init_templating(app: Flask) -> None:
    """Register the filters and the `now` global on the app."""
    app.jinja_env.add_extension("jinja2.ext.do")
    app.add_template_filter(when)
    app.add_template_filter(label)
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_qty, "qty")

    @app.context_processor
    def clock():
        return {"now": utcnow()}
