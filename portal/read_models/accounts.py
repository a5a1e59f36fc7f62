"""Who has an account, and who work can be given to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.domain.permissions import Capability as C
from portal.domain.permissions import roles_with
from portal.models import User, UserRole, UserSession
from portal.models.base import utcnow
from portal.services._uow import current_session


def list_users() -> list[User]:
    """All users by username, roles loaded with them."""
    return list(
        current_session().scalars(
            select(User).options(selectinload(User.role_rows)).order_by(User.username)
        )
    )


def assignable_people() -> list[User]:
    """Active people who may work on work orders (technicians and supervisors), by name: who
    work can be given to."""
    workers = sorted(roles_with(C.work_on_work_order))
    holders = select(UserRole.user_id).where(UserRole.role.in_(workers))
    return list(
        current_session().scalars(
            select(User).where(User.active.is_(True), User.id.in_(holders)).order_by(User.full_name)
        )
    )


@dataclass(frozen=True)
class SignIn:
    """One of a person's sign-ins, as the account page lists it."""

    id: int
    started_at: datetime
    last_seen_at: datetime
    remembered: bool
    device: str  # the browser's User-Agent, as it said at sign-in
    client_address: str | None
    is_this_one: bool


def sign_ins(user_id: int, *, this_token: str | None) -> list[SignIn]:
    """The user's sign-ins that have not ended, this device first, then the latest used."""
    this_hash = UserSession.hash_token(this_token) if this_token else None
    rows = current_session().scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    found = [
        SignIn(
            id=row.id,
            started_at=row.created_at,
            last_seen_at=row.last_seen_at,
            remembered=row.remember,
            device=row.user_agent or "Unknown browser",
            client_address=row.client_address,
            is_this_one=row.token_hash == this_hash,
        )
        for row in rows
    ]
    return sorted(found, key=lambda s: not s.is_this_one)
