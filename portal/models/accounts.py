"""People who sign in, their roles and teams."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.domain import permissions
from portal.domain.permissions import Capability
from portal.domain.roles import Role, allows
from portal.models.base import Base, IdMixin, Money, StrEnumType, UTCDateTime, utcnow


class User(IdMixin, UserMixin, Base):
    """A person with a sign-in; holds one or more roles."""

    __tablename__ = "user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    department: Mapped[str | None] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    budget_authority: Mapped[bool] = mapped_column(Boolean, default=False)
    hourly_rate: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Loaded with the signed-in user (security.load_user) and where a page lists roles; other
    # users reached through relationships (assignees, authors) do not need them.
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password, never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def roles(self) -> set[str]:
        """Names of the roles this user holds."""
        return {row.role.value for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        """True when the user holds one of `roles` (admin holds them all)."""
        return allows(self.roles, roles)

    def can(self, capability: Capability | str) -> bool:
        """True when one of the user's roles holds `capability` (domain/permissions.py)."""
        return permissions.can(self.roles, Capability(capability))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def first_name(self) -> str:
        """What the home page greets the person with."""
        return self.full_name.split()[0] if self.full_name else self.username

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(Base):
    """One role held by one user."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(StrEnumType(Role), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class Team(IdMixin, Base):
    """A group of people a work order can be assigned to."""

    __tablename__ = "team"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    members: Mapped[list[TeamMember]] = relationship(cascade="all, delete-orphan")


class TeamMember(Base):
    """A user's membership of a team."""

    __tablename__ = "team_member"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    user: Mapped[User] = relationship()
