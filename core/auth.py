"""Sign-in, lockout, browser sessions and the role checks every other use case relies on.

A successful sign-in opens a session row and hands back a one-time code (valid for a minute).
The browser trades the code at `/auth/session` (see `core.http`) for an HttpOnly cookie that
holds a random token; only SHA-256 hashes of the code and the token are stored, so a copy of
the database signs nobody in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config import Settings, load_settings
from core.db import Database
from core.errors import AccountLocked, InvalidCredentials, InvalidInput, NotAuthorized
from core.i18n import LANGUAGES
from core.models import (
    ROLE_ADMIN,
    ROLE_CUSTOMER,
    STATUS_ENDED,
    SignInThrottle,
    Subscription,
    User,
    UserSession,
)
from core.passwords import DUMMY_HASH, verify_password

MAX_EMAIL = 254
MAX_PASSWORD = 1024
CODE_SECONDS = 60
EMAIL_RE = re.compile(r"^[^@\s`<>]+@[^@\s`<>]+\.[^@\s`<>]+$")


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    full_name: str
    role: str
    account_id: int | None
    language: str | None
    session_id: int
    subscription_status: str | None = None  # customers: what their account may still do

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


@dataclass(frozen=True)
class SignedIn:
    user: CurrentUser
    code: str  # one-time, for the cookie hand-off


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_email(raw: str) -> str:
    """Trimmed and lower-cased; raises InvalidInput when it cannot be an email address."""
    email = (raw or "").strip().lower()
    if not email:
        raise InvalidInput("signin.error.empty")
    if len(email) > MAX_EMAIL or not EMAIL_RE.match(email) or _invisible(email):
        raise InvalidInput("signin.error.email_format")
    return email


def _invisible(text: str) -> bool:
    """Control, format (zero-width, right-to-left override), unassigned or surrogate
    characters: never part of an address, and a NUL or a surrogate would trouble the driver."""
    return any(unicodedata.category(ch)[0] == "C" for ch in text)


def _current(s: Session, user: User, session_id: int) -> CurrentUser:
    status = None
    if user.account_id is not None:
        status = s.scalar(
            select(Subscription.status).where(Subscription.account_id == user.account_id)
        )
    return CurrentUser(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        account_id=user.account_id,
        language=user.language,
        session_id=session_id,
        subscription_status=status,
    )


def sign_in(
    db: Database,
    email: str,
    password: str,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> SignedIn:
    """Check the credentials; after too many failures the address is locked for a while.

    Unknown address and wrong password give the same error, after the same hashing work.
    """
    settings = settings or load_settings()
    now = _now(now)
    if not email or not email.strip() or not password:
        raise InvalidInput("signin.error.empty")
    email = normalise_email(email)
    if len(password) > MAX_PASSWORD:
        raise InvalidCredentials()

    # 1. read (no lock held while Argon2 works, so sign-ins do not queue behind each other)
    with db.transaction() as s:
        _raise_if_locked(s.get(SignInThrottle, email), now)
        found = s.execute(select(User.id, User.password_hash).where(User.email == email)).first()
    ok = verify_password(found.password_hash if found else DUMMY_HASH, password)

    # 2. write, holding SQLite's write lock from BEGIN (a deferred transaction that read first
    #    fails at once with "database is locked" when another sign-in wrote meanwhile). The
    #    throttle is read again under the lock, so failures at the same moment all count; on
    #    PostgreSQL two first failures may both insert its row, and the second tries again.
    for attempt in (1, 2):
        try:
            result = _record_sign_in(db, email, found, ok, now, settings)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    if result is None:  # raised after the commit, so the failure is counted
        raise InvalidCredentials()
    return result


def _record_sign_in(
    db: Database, email: str, found: Any, ok: bool, now: dt.datetime, settings: Settings
) -> SignedIn | None:
    """Count a failure (None), or open a session for the user whose hash was checked."""
    with db.transaction(write=True) as s:
        throttle = s.get(SignInThrottle, email, with_for_update=True)
        _raise_if_locked(throttle, now)
        user = s.get(User, found.id) if found else None
        if not ok or user is None or user.password_hash != found.password_hash:
            _record_failure(s, email, throttle, now, settings)
            return None
        if throttle:
            s.delete(throttle)
        code = secrets.token_urlsafe(32)
        session = UserSession(
            user_id=user.id,
            code_hash=_digest(code),
            code_expires_at=now + dt.timedelta(seconds=CODE_SECONDS),
            created_at=now,
            expires_at=now + dt.timedelta(days=settings.session_days),
        )
        s.add(session)
        s.flush()
        return SignedIn(user=_current(s, user, session.id), code=code)


def _raise_if_locked(throttle: SignInThrottle | None, now: dt.datetime) -> None:
    if throttle and throttle.locked_until and throttle.locked_until > now:
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        raise AccountLocked(minutes=minutes)


def _record_failure(
    s: object, email: str, throttle: SignInThrottle | None, now: dt.datetime, settings: Settings
) -> None:
    window = dt.timedelta(minutes=settings.lockout_minutes)
    if throttle is None:
        throttle = SignInThrottle(email=email, failures=0)
        s.add(throttle)  # type: ignore[attr-defined]
    elif throttle.last_failure_at and now - throttle.last_failure_at > window:
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= settings.max_failed_sign_ins:
        throttle.locked_until = now + window
        throttle.failures = 0


def exchange_code(db: Database, code: str, *, now: dt.datetime | None = None) -> str | None:
    """Trade a fresh one-time code for the long-lived cookie token; None if not valid."""
    now = _now(now)
    if not code or len(code) > 100:
        return None
    token = secrets.token_urlsafe(32)
    with db.transaction() as s:
        changed = s.execute(
            update(UserSession)
            .where(
                UserSession.code_hash == _digest(code),
                UserSession.code_expires_at > now,
                UserSession.revoked_at.is_(None),
                UserSession.token_hash.is_(None),
            )
            .values(token_hash=_digest(token), code_hash=None, code_expires_at=None)
        ).rowcount
    return token if changed == 1 else None


def _live_session_user(db: Database, condition: object, now: dt.datetime) -> CurrentUser | None:
    with db.transaction() as s:
        row = s.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(condition, UserSession.revoked_at.is_(None), UserSession.expires_at > now)  # type: ignore[arg-type]
        ).first()
        if row is None:
            return None
        session, user = row
        return _current(s, user, session.id)


def user_for_token(
    db: Database, token: str | None, *, now: dt.datetime | None = None
) -> CurrentUser | None:
    """The user a session cookie belongs to, if the session is still open."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    return _live_session_user(db, UserSession.token_hash == _digest(token), _now(now))


def user_for_session(
    db: Database, session_id: int | None, *, now: dt.datetime | None = None
) -> CurrentUser | None:
    """Re-read a signed-in user on every page run, so a sign-out elsewhere takes effect."""
    if session_id is None:
        return None
    return _live_session_user(db, UserSession.id == session_id, _now(now))


def sign_out(db: Database, session_id: int, *, now: dt.datetime | None = None) -> None:
    with db.transaction() as s:
        s.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=_now(now))
        )


def revoke_by_token(db: Database, token: str | None, *, now: dt.datetime | None = None) -> None:
    if token and len(token) <= 100:
        with db.transaction() as s:
            s.execute(
                update(UserSession)
                .where(UserSession.token_hash == _digest(token), UserSession.revoked_at.is_(None))
                .values(revoked_at=_now(now))
            )


def purge_expired_sessions(db: Database, *, now: dt.datetime | None = None) -> int:
    with db.transaction() as s:
        return s.execute(delete(UserSession).where(UserSession.expires_at <= _now(now))).rowcount


def set_language(db: Database, actor: CurrentUser | None, language: str) -> None:
    """Remember the language the user picked, for every later visit."""
    actor = require_signed_in(actor)
    if language not in LANGUAGES:
        raise InvalidInput("error.invalid_language")
    with db.transaction() as s:
        s.execute(update(User).where(User.id == actor.id).values(language=language))


# --- Role checks: every use case that touches account data goes through these -------------


def require_signed_in(actor: CurrentUser | None) -> CurrentUser:
    if actor is None:
        raise NotAuthorized()
    return actor


def require_admin(actor: CurrentUser | None) -> CurrentUser:
    actor = require_signed_in(actor)
    if actor.role != ROLE_ADMIN:
        raise NotAuthorized()
    return actor


def require_account(actor: CurrentUser | None, account_id: int) -> CurrentUser:
    """The owner of the account, or an admin; anyone else is refused."""
    actor = require_signed_in(actor)
    if actor.role == ROLE_ADMIN:
        return actor
    if actor.role == ROLE_CUSTOMER and actor.account_id == account_id:
        return actor
    raise NotAuthorized()


CUSTOMER_PAGES = ("overview", "export", "cancel")
ENDED_PAGES = ("ended",)  # after the cycle: the status and how to reactivate, no data pages
ADMIN_PAGES = ("insights", "support")


def pages_for(actor: CurrentUser | None) -> tuple[str, ...]:
    """The screens this user may open; the router builds the navigation from it."""
    if actor is None:
        return ("sign_in",)
    if actor.role == ROLE_ADMIN:
        return ADMIN_PAGES
    if actor.role == ROLE_CUSTOMER and actor.account_id is not None:
        if actor.subscription_status == STATUS_ENDED:
            return ENDED_PAGES
        if actor.subscription_status is None or actor.subscription_status == "purged":
            return ()
        return CUSTOMER_PAGES
    return ()
