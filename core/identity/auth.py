"""Sign-in, lockout, browser sessions and the role checks every other use case relies on.

A successful sign-in opens a session row and hands back a one-time code (valid for a minute).
The browser trades the code at `/auth/session` (see `core.web.http`) for an HttpOnly cookie that
holds a random token; only SHA-256 hashes of the code and the token are stored, so a copy of
the database signs nobody in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.identity.passwords import DUMMY_HASH, MAX_PASSWORD, verify_password
from core.platform import clock, secret_key
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import (
    AccountLocked,
    InvalidCredentials,
    InvalidInput,
    NotAuthorized,
    PortalError,
)
from core.platform.i18n import LANGUAGES
from core.platform.models import (
    ErasedSignIn,
    SignInThrottle,
    Subscription,
    User,
    UserSession,
)
from core.rules import billing
from core.rules.vocabulary import ROLE_ADMIN, ROLE_CUSTOMER, STATUS_ENDED, STATUS_PURGED

MAX_EMAIL = 254
CODE_SECONDS = 60
EMAIL_RE = re.compile(r"^[^@\s`<>]+@[^@\s`<>]+\.[^@\s`<>]+$")
# From this many tries left before the lockout, a failed sign-in says how many are left
# (with the defaults of 5 failures and 15 minutes: from the third failure, "2 tries left").
WARN_FROM_TRIES_LEFT = 2
# How long the sign-in page remembers an erased account (see `remember_erased`).
ERASED_NOTICE_DAYS = 365


class AccountErased(PortalError):
    """The right password of an account whose data was erased: when, and what it means."""

    key = "signin.error.erased"


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
    # an ended subscription: the last day its data can still be exported (read-only)
    export_until: dt.date | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


@dataclass(frozen=True)
class SignedIn:
    user: CurrentUser
    code: str  # one-time, for the cookie hand-off


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


def export_last_day(ended_on: dt.date, settings: Settings | None = None) -> dt.date:
    """The last day an ended subscription's data can be exported: the one rule behind every
    sentence that states it (`billing.export_last_day` with the configured window)."""
    settings = settings or load_settings()
    return billing.export_last_day(
        ended_on, settings.export_days_after_end, settings.reactivation_months
    )


def current_user(s: Session, user: User, session_id: int = 0) -> CurrentUser:
    """The user as the use cases see them: role, account, and the subscription's state (its
    status and the last day of its export window). `session_id` 0: no browser session (the
    operator's command line)."""
    status = export_until = None
    if user.account_id is not None:
        row = s.execute(
            select(
                Subscription.status, Subscription.ended_on, Subscription.current_period_end
            ).where(Subscription.account_id == user.account_id)
        ).first()
        if row is not None:
            status = row.status
            if status == STATUS_ENDED:
                export_until = export_last_day(row.ended_on or row.current_period_end)
    return CurrentUser(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        account_id=user.account_id,
        language=user.language,
        session_id=session_id,
        subscription_status=status,
        export_until=export_until,
    )


def sign_in(
    db: Database,
    email: str,
    password: str,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
    language: str | None = None,
) -> SignedIn:
    """Check the credentials; after too many failures the address is locked for a while.
    `language`: the page's, remembered as the user's `last_language` (their e-mails are
    written in it unless they chose one).

    Unknown address and wrong password give the same error, after the same hashing work; from
    WARN_FROM_TRIES_LEFT tries left it says how many are left, and the failure that uses the
    last one says the address is now paused. The right password of an erased account gets
    `AccountErased` with the day of the erasure (see `remember_erased`).
    """
    settings = settings or load_settings()
    now = clock.now(now)
    if not email or not email.strip() or not password:
        raise InvalidInput("signin.error.empty")
    email = normalise_email(email)
    if len(password) > MAX_PASSWORD:
        raise InvalidCredentials()

    # 1. read (no lock held while Argon2 works, so sign-ins do not queue behind each other)
    with db.transaction() as s:
        _raise_if_locked(s.get(SignInThrottle, email), now)
        found = s.execute(select(User.id, User.password_hash).where(User.email == email)).first()
        erased = None if found else _erased(s, email, now.date())
    checked = found.password_hash if found else erased.password_hash if erased else DUMMY_HASH
    ok = verify_password(checked, password)
    if erased is not None and ok:  # the person who had the account: say what became of it
        raise AccountErased(date=erased.erased_on)

    # 2. write, holding SQLite's write lock from BEGIN (a deferred transaction that read first
    #    fails at once with "database is locked" when another sign-in wrote meanwhile). The
    #    throttle is read again under the lock, so failures at the same moment all count; on
    #    PostgreSQL two first failures may both insert its row, and the second tries again.
    for attempt in (1, 2):
        try:
            result = _record_sign_in(db, email, found, ok, now, settings, language)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    if isinstance(result, int):  # raised after the commit, so the failure is counted
        raise _failure_error(result, settings)
    return result


def _failure_error(tries_left: int, settings: Settings) -> PortalError:
    """What a failed sign-in says: locked now, how many tries are left, or just "not right"."""
    minutes = settings.lockout_minutes
    if tries_left <= 0:
        return AccountLocked(minutes=minutes)
    if tries_left <= WARN_FROM_TRIES_LEFT:
        key = "signin.error.tries_left_one" if tries_left == 1 else "signin.error.tries_left"
        return InvalidCredentials(key, tries=tries_left, minutes=minutes)
    return InvalidCredentials()


def _record_sign_in(
    db: Database,
    email: str,
    found: Any,
    ok: bool,
    now: dt.datetime,
    settings: Settings,
    language: str | None = None,
) -> SignedIn | int:
    """Count a failure (the tries left before the lockout; 0: locked now), or open a session
    for the user whose hash was checked."""
    with db.transaction(write=True) as s:
        throttle = s.get(SignInThrottle, email, with_for_update=True)
        _raise_if_locked(throttle, now)
        user = s.get(User, found.id) if found else None
        if not ok or user is None or user.password_hash != found.password_hash:
            return _record_failure(s, email, throttle, now, settings)
        if throttle:
            s.delete(throttle)
        if language in LANGUAGES:
            user.last_language = language
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
        return SignedIn(user=current_user(s, user, session.id), code=code)


def _raise_if_locked(throttle: SignInThrottle | None, now: dt.datetime) -> None:
    if throttle and throttle.locked_until and throttle.locked_until > now:
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        raise AccountLocked(minutes=minutes)


def _record_failure(
    s: object, email: str, throttle: SignInThrottle | None, now: dt.datetime, settings: Settings
) -> int:
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
        return 0
    return settings.max_failed_sign_ins - throttle.failures


# --- Erased accounts: what the sign-in page may say about them -----------------------------


def _email_digest(email: str) -> str:
    """HMAC-SHA256 of the normalised address with the server's secret: the same address gives
    the same digest on every app server, and the digest alone names nobody."""
    return hmac.new(secret_key.secret_key(), email.encode("utf-8"), hashlib.sha256).hexdigest()


def _erased(s: Session, email: str, today: dt.date) -> ErasedSignIn | None:
    row = s.get(ErasedSignIn, _email_digest(email))
    return row if row is not None and row.forget_after >= today else None


def remember_erased(s: Session, account_id: int, erased_on: dt.date) -> None:
    """Inside the purge's transaction, before the users are deleted: for each user of the
    account, the keyed digest of the address, the password's Argon2 hash and the day, so
    that the sign-in page can tell the person who signs in with the right password that the
    account was closed and its data erased on that day. Nothing else is kept, and the rows
    are forgotten ERASED_NOTICE_DAYS later (stale rows go at the next purge)."""
    s.execute(delete(ErasedSignIn).where(ErasedSignIn.forget_after < erased_on))
    users = s.execute(
        select(User.email, User.password_hash).where(User.account_id == account_id)
    ).all()
    for email, password_hash in users:
        digest = _email_digest(email)
        row = s.get(ErasedSignIn, digest) or ErasedSignIn(email_digest=digest)
        row.password_hash = password_hash
        row.erased_on = erased_on
        row.forget_after = erased_on + dt.timedelta(days=ERASED_NOTICE_DAYS)
        s.add(row)


def exchange_code(db: Database, code: str, *, now: dt.datetime | None = None) -> str | None:
    """Trade a fresh one-time code for the long-lived cookie token; None if not valid."""
    now = clock.now(now)
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
        return current_user(s, user, session.id)


def user_for_token(
    db: Database, token: str | None, *, now: dt.datetime | None = None
) -> CurrentUser | None:
    """The user a session cookie belongs to, if the session is still open."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    return _live_session_user(db, UserSession.token_hash == _digest(token), clock.now(now))


def user_for_session(
    db: Database, session_id: int | None, *, now: dt.datetime | None = None
) -> CurrentUser | None:
    """Re-read a signed-in user on every page run, so a sign-out elsewhere takes effect."""
    if session_id is None:
        return None
    return _live_session_user(db, UserSession.id == session_id, clock.now(now))


def sign_out(db: Database, session_id: int, *, now: dt.datetime | None = None) -> None:
    with db.transaction() as s:
        s.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=clock.now(now))
        )


def revoke_by_token(db: Database, token: str | None, *, now: dt.datetime | None = None) -> None:
    if token and len(token) <= 100:
        with db.transaction() as s:
            s.execute(
                update(UserSession)
                .where(UserSession.token_hash == _digest(token), UserSession.revoked_at.is_(None))
                .values(revoked_at=clock.now(now))
            )


def purge_expired_sessions(db: Database, *, now: dt.datetime | None = None) -> int:
    """Delete the sessions that have expired (signed out or not): the lifecycle job's chore.
    Returns how many were deleted."""
    with db.transaction() as s:
        return s.execute(
            delete(UserSession).where(UserSession.expires_at <= clock.now(now))
        ).rowcount


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


def require_customer(actor: CurrentUser | None) -> CurrentUser:
    """A customer acting on their own account (the cancellation flow, their requests): never
    an admin, whose changes go through the support desk."""
    actor = require_signed_in(actor)
    if actor.account_id is None or actor.is_admin:
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
ENDED_EXPORT_PAGES = ("ended", "export")  # ... and, during the export window, Export data
ADMIN_PAGES = ("insights", "support", "playbook")


def export_window_open(user: CurrentUser | None, today: dt.date | None = None) -> bool:
    """Whether an ended customer may still export (read-only) today (the navigation only:
    every export function checks again, `exports.open_for_export`)."""
    today = today or clock.today()
    return bool(user and user.export_until and today <= user.export_until)


def pages_for(actor: CurrentUser | None, today: dt.date | None = None) -> tuple[str, ...]:
    """The screens this user may open; the router builds the navigation from it."""
    if actor is None:
        return ("sign_in",)
    if actor.role == ROLE_ADMIN:
        return ADMIN_PAGES
    if actor.role == ROLE_CUSTOMER and actor.account_id is not None:
        if actor.subscription_status == STATUS_ENDED:
            return ENDED_EXPORT_PAGES if export_window_open(actor, today) else ENDED_PAGES
        if actor.subscription_status is None or actor.subscription_status == STATUS_PURGED:
            return ()
        return CUSTOMER_PAGES
    return ()
