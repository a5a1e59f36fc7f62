"""Form posts as a rendered form sends them: every write form carries a fresh submission id."""

from __future__ import annotations

import uuid


def once(fields: dict, *, prefix: str = "") -> dict:
    """`fields` plus a fresh submission id (named `<prefix>-submission_id` for a prefixed form)."""
    key = f"{prefix}-submission_id" if prefix else "submission_id"
    return {**fields, key: uuid.uuid4().hex}
