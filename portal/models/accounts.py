"""People who sign in, their roles and teams."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, false
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
    # Set by an administrator's password reset: the next sign-in leads to the change-password
    # page and nowhere else until a new password is chosen.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # When that reset was made: its temporary password expires (TEMPORARY_PASSWORD_LIFETIME).
    password_reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Loaded with the signed-in user (security.load_user) and where a page lists roles; other
    # users reached through relationships (assignees, authors) do not need them.
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str | None:
        """The token of the sign-in this request runs under (UserSession), not the user id:
        Flask-Login puts it in the session cookie and the remember cookie, and security.py
        loads the user back by it, so a sign-in that has ended can't be brought back."""
        return self.__dict__.get("_session_token")

    def signed_in_with(self, token: str) -> None:
        """Remember which sign-in (its token) this user object was loaded through."""
        self.__dict__["_session_token"] = token

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


class UserSession(IdMixin, Base):
    """One sign-in on one device: the server-side half of a session cookie.

    The cookie holds a random token; only its SHA-256 is stored. Signing out deletes the row, so
    a copy of the cookie (or of the remember-me cookie, which holds the same token) is worth
    nothing afterwards. `last_seen_at` and `expires_at` bound it in time (config: idle timeout
    and absolute lifetime).
    """

    __tablename__ = "user_session"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the account page shows so a person can tell their devices apart.
    user_agent: Mapped[str | None] = mapped_column(String(200))
    client_address: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()

    @staticmethod
    def hash_token(token: str) -> str:
        """What is stored of a token: its SHA-256, so a copy of the table signs nobody in."""
        return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
