"""What happened, in the domain's words: one feature says it, others react (services/handlers.py).

Events are plain frozen dataclasses of ids and values, so a handler reads what it needs in
the same transaction, and no feature imports another to tell it something happened.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """Base of every domain event."""
