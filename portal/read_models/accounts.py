"""Who has an account, and who work can be given to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.domain.permissions import Capability as C
from portal.domain.permissions import roles_with
from portal.models import User, UserRole
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
