"""What the match engine decided, as pages read it: the tolerance policy in force and the
latest stored result of an invoice."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import MatchResult

_POLICY_KEYS = {
    "price_pct": "MATCH_PRICE_PCT",
    "price_abs": "MATCH_PRICE_ABS",
    "qty_pct": "MATCH_QTY_PCT",
    "qty_abs": "MATCH_QTY_ABS",
    "amount_abs": "MATCH_AMOUNT_ABS",
    "freight_abs": "MATCH_FREIGHT_ABS",
    "service_match": "MATCH_SERVICE_MATCH",
}


def policy() -> dict[str, str | None]:
    """The tolerance policy in force, as the engine reads it (from the MATCH_* settings)."""
    config = current_app.config
    return {
        key: (None if config.get(name) is None else str(config[name]))
        for key, name in _POLICY_KEYS.items()
    }


def latest_result(session: Session, invoice_id: int) -> MatchResult | None:
    """The newest stored match result of an invoice."""
    return session.scalar(
        select(MatchResult)
        .where(MatchResult.invoice_id == invoice_id)
        .order_by(MatchResult.id.desc())
        .limit(1)
    )
