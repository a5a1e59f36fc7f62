"""Who has an account, and who work can be given to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.domain.roles import Role
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
    """Active technicians and supervisors, by name: who work can be given to."""
    holders = select(UserRole.user_id).where(UserRole.role.in_([Role.technician, Role.supervisor]))
    return list(
        current_session().scalars(
            select(User).where(User.active.is_(True), User.id.in_(holders)).order_by(User.full_name)
        )
    )
