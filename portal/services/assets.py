"""Assets and their QR tags: rotating a lost label (what the asset pages show is in
read_models/assets.py)."""

from __future__ import annotations

import secrets

from portal.domain.permissions import Capability
from portal.models import Asset, User
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize


def new_qr_token() -> str:
    """An opaque, unguessable token for a QR label (192 random bits)."""
    return secrets.token_urlsafe(24)


@submitted_once("qr_rotation")
def rotate_token(
    asset_id: int, *, actor: User, reason: str, submission_id: str | None = None
) -> Asset:
    """Give the asset a new QR token (the old label stops working); audited with the reason.
    One rotation per form submission: a double tap must not void the label just printed."""
    authorize(actor, Capability.rotate_qr_token)
    with unit_of_work() as session:
        asset = locked(session, Asset, asset_id, missing=f"Asset {asset_id} does not exist.")
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
