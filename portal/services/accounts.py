"""Accounts: users, passwords and sign-ins (who has one: read_models/accounts.py).

A sign-in is a UserSession row; the browser holds its random token (in the session cookie and,
when "keep me signed in" was ticked, in the remember-me cookie), the database only its SHA-256.
Signing out, changing the password and "sign out everywhere" delete rows, which is what ends a
session for good: a copy of the cookie finds no row.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from portal.domain.errors import DomainError, NotFound
from portal.domain.passwords import password_problem
from portal.domain.permissions import Capability
from portal.domain.roles import Role
from portal.models import User, UserRole, UserSession
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import current_session, locked, unit_of_work
from portal.services.authz import authorize

# Checked against when the username is unknown, so both paths cost one hash (no timing oracle).
_DUMMY_HASH = generate_password_hash("no such user")


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None; records the sign-in."""
    name = (username or "").strip().lower()
    with unit_of_work() as session:
        user = session.scalar(select(User).where(func.lower(User.username) == name))
        if user is None or not user.active:
            check_password_hash(_DUMMY_HASH, password)
            return None
        if not user.check_password(password):
            return None
        if _temporary_password_expired(user):
            return None  # an administrator resets it again
        user.last_login_at = utcnow()
        if _production() and password_problem(password, username=user.username) is not None:
            # A password from before the rules (or a demo `demo` in a production database)
            # still opens the door once, straight to the change-password page.
            user.must_change_password = True
        return user


def _temporary_password_expired(user: User) -> bool:
    """True when the user still has an administrator's temporary password, and it is too old."""
    if not user.must_change_password or user.password_reset_at is None:
        return False
    config = current_app.config if has_app_context() else {}
    lifetime = config.get("TEMPORARY_PASSWORD_LIFETIME", timedelta(hours=72))
    return utcnow() - user.password_reset_at > lifetime


def _production() -> bool:
    return has_app_context() and current_app.config.get("PORTAL_ENV") == "production"


def create_user(
    username: str,
    *,
    password: str,
    full_name: str,
    roles: list[Role],
    email: str | None = None,
    department: str | None = None,
    actor: User | None = None,
) -> User:
    """Create a user with roles; a taken username is refused in words."""
    authorize(actor, Capability.manage_users)
    username = username.strip().lower()
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise DomainError("A username is letters, digits, dots and underscores.")
    _check_new_password(password, username=username)
    with unit_of_work() as session:
        taken = session.scalar(select(User.id).where(func.lower(User.username) == username))
        if taken is not None:
            raise DomainError(f"The username {username!r} is taken.")
        user = User(username=username, full_name=full_name, email=email, department=department)
        user.set_password(password)
        user.role_rows = [UserRole(role=role) for role in roles]
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="user.created",
            subject=user,
            subject_label=username,
            changes={"roles": sorted(r.value for r in roles)},
        )
    return user


def _check_new_password(password: str, *, username: str) -> None:
    """Raise DomainError, in words, when `password` may not be used (domain/passwords.py)."""
    problem = password_problem(password, username=username)
    if problem is not None:
        raise DomainError(problem)


@dataclass(frozen=True)
class SessionLimits:
    """How long a sign-in lasts: unused (idle) and at most (absolute), from the config."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_config(cls) -> SessionLimits:
        config = current_app.config if has_app_context() else {}
        return cls(
            idle=config.get("SESSION_IDLE_TIMEOUT", timedelta(hours=12)),
            absolute=config.get("SESSION_ABSOLUTE_LIFETIME", timedelta(days=7)),
        )


def start_session(
    user: User,
    *,
    remember: bool = False,
    user_agent: str | None = None,
    client_address: str | None = None,
) -> str:
    """Open a sign-in for `user` and return its token (what the cookies carry)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with unit_of_work() as session:
        session.add(
            UserSession(
                user_id=user.id,
                token_hash=UserSession.hash_token(token),
                remember=remember,
                created_at=now,
                last_seen_at=now,
                expires_at=now + SessionLimits.from_config().absolute,
                # Shown on the account page; whatever the browser sent, printable only.
                user_agent="".join(c for c in (user_agent or "") if c.isprintable())[:200] or None,
                client_address=(client_address or "")[:64] or None,
            )
        )
    user.signed_in_with(token)
    return token


# How stale last_seen_at may get before a request writes it again: a write per request would
# cost more than the idle timeout is worth; this bounds how early a session may end (a little).
_TOUCH_FRACTION = 20


def user_for_session(token: str) -> User | None:
    """The active user signed in with `token`, or None when that sign-in has ended, has been
    idle too long or has reached its absolute lifetime (it is then deleted).

    Runs on every signed-in request: one statement (sign-in, user and roles together), and a
    write only when the sign-in ends or its last_seen_at is due to move on.
    """
    if not token or len(token) > 100:
        return None
    row = (
        current_session()
        .scalars(_by_token, {"token_hash": UserSession.hash_token(token)})
        .unique()
        .one_or_none()
    )
    if row is None:
        return None
    now = utcnow()
    limits = SessionLimits.from_config()
    if now >= row.expires_at or now - row.last_seen_at >= limits.idle:
        with unit_of_work() as session:
            session.execute(delete(UserSession).where(UserSession.id == row.id))
        return None
    user = row.user
    if now - row.last_seen_at >= limits.idle / _TOUCH_FRACTION:
        with unit_of_work():
            row.last_seen_at = now
    if not user.active:
        return None
    user.signed_in_with(token)
    return user


_by_token = (
    select(UserSession)
    .where(UserSession.token_hash == bindparam("token_hash"))
    .options(joinedload(UserSession.user).joinedload(User.role_rows))
)


def end_session(token: str | None) -> None:
    """Sign out: the sign-in with `token` ends, whichever cookie held it."""
    if not token:
        return
    with unit_of_work() as session:
        session.execute(
            delete(UserSession).where(UserSession.token_hash == UserSession.hash_token(token))
        )


def end_all_sessions(user: User, *, actor: User, why: str) -> int:
    """Sign `user` out on every device (their own "sign out everywhere", or an administrator's
    reset); returns how many sign-ins ended."""
    with unit_of_work() as session:
        ended = session.execute(delete(UserSession).where(UserSession.user_id == user.id))
        count = int(getattr(ended, "rowcount", 0) or 0)
        audit.record(
            session,
            actor=actor,
            action="user.signed_out_everywhere",
            subject=user,
            subject_label=user.username,
            changes={"sessions_ended": count},
            why=why,
        )
    return count


def revoke_session(session_id: int, *, actor: User) -> None:
    """End one of the actor's own sign-ins (a lost phone, on the account page)."""
    with unit_of_work() as session:
        row = session.get(UserSession, session_id)
        if row is None or row.user_id != actor.id:
            raise NotFound("That sign-in has already ended.")
        session.delete(row)
        audit.record(
            session,
            actor=actor,
            action="user.session_revoked",
            subject=actor,
            subject_label=actor.username,
            changes={"session": session_id, "started": row.created_at.isoformat()},
        )


def change_password(user: User, *, current: str, new: str) -> None:
    """Change the user's own password; every sign-in ends (the caller starts a new one)."""
    with unit_of_work() as session:
        me = locked(session, User, user.id)
        if not me.check_password(current):
            raise DomainError("The current password is not right.")
        if new == current:
            raise DomainError("The new password must differ from the current one.")
        _check_new_password(new, username=me.username)
        _replace_password(session, me, new, must_change=False, actor=me, action="changed")


def reset_password(user_id: int, *, actor: User) -> tuple[User, str]:
    """An administrator's reset: a random temporary password, every sign-in of the user ended,
    and a new password to choose at the next sign-in. Returns the user and the temporary
    password (shown once to the administrator, never stored or audited)."""
    authorize(actor, Capability.manage_users)
    temporary = "-".join(secrets.token_hex(3) for _ in range(4))  # 27 characters, 96 bits
    with unit_of_work() as session:
        user = locked(session, User, user_id, missing=f"User {user_id} does not exist.")
        _replace_password(session, user, temporary, must_change=True, actor=actor, action="reset")
    return user, temporary


def _replace_password(
    session: Session, user: User, password: str, *, must_change: bool, actor: User, action: str
) -> None:
    """Store the new password's hash and end every sign-in of the user, audited."""
    user.set_password(password)
    user.must_change_password = must_change
    user.password_reset_at = utcnow() if must_change else None
    ended = session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit.record(
        session,
        actor=actor,
        action=f"user.password_{action}",
        subject=user,
        subject_label=user.username,
        changes={
            "must_change_password": must_change,
            "sessions_ended": int(getattr(ended, "rowcount", 0) or 0),
        },
    )
