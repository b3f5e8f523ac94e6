"""Forgot password: a reset link by e-mail, single use, valid RESET_MINUTES minutes.

`request_reset` answers the same whether or not an account uses the address (the page always
says "if an account uses this address, we have sent a link"), after the same work: a token is
made and hashed either way. For a known address it stores only the token's SHA-256 (a
`PasswordReset` row) and emits EVENT_PASSWORD_RESET with the link, which the outbox e-mails to
that address (never to a webhook; the worker blanks the link once the e-mail is sent).
Requests are counted per address, known or not, like failed sign-ins: after
`max_failed_sign_ins` requests the address gets no more links for `lockout_minutes`. The
counter lives in the sign-in throttle's table under a key of its own ("reset:" and a keyed
digest of the address), so asking for links never pauses signing in.

`reset_password` uses a link once: the new password's Argon2 hash, every open link of that
user spent, every session of that user signed out, the sign-in pause of the address lifted,
and an audit entry (no password, no token).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.identity.auth import normalise_email
from core.identity.passwords import check_new_password, hash_password
from core.platform import audit, clock, outbox, secret_key
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.i18n import normalise_language
from core.platform.models import SignInThrottle, User, UserSession
from core.platform.outbox_tables import PasswordReset
from core.rules.vocabulary import ACTION_PASSWORD_RESET, EVENT_PASSWORD_RESET

RESET_MINUTES = 30
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters
# what a token can look like; anything else is not looked up
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
EXPIRED = "resets.error.expired"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _throttle_key(email: str) -> str:
    """The reset counter's row in the sign-in throttle's table: apart from the sign-in
    failures of the same address, and naming nobody (HMAC with the server's secret)."""
    digest = hmac.new(secret_key.secret_key(), email.encode("utf-8"), hashlib.sha256)
    return "reset:" + digest.hexdigest()


def _count_request(s: Session, email: str, now: dt.datetime, settings: Settings) -> None:
    """Count one request for the address; refused (InvalidInput, nothing written) while the
    address is paused. The request that reaches the limit is served and starts the pause."""
    key = _throttle_key(email)
    throttle = s.get(SignInThrottle, key, with_for_update=True)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        raise InvalidInput("resets.error.too_many", minutes=minutes)
    window = dt.timedelta(minutes=settings.lockout_minutes)
    if throttle is None:
        throttle = SignInThrottle(email=key, failures=0)
        s.add(throttle)
    elif throttle.last_failure_at is None or now - throttle.last_failure_at > window:
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    throttle.locked_until = None
    if throttle.failures >= settings.max_failed_sign_ins:
        throttle.locked_until = now + window
        throttle.failures = 0


def request_reset(
    db: Database,
    email: str,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> None:
    """Send a reset link to the address if an account uses it; the same answer (None) if not.

    An address that cannot be one gets the sign-in page's message for it (that tells nothing
    about accounts); too many requests for one address: InvalidInput("resets.error.too_many").
    """
    settings = settings or load_settings()
    now = clock.now(now)
    if not isinstance(email, str) or not email.strip():
        raise InvalidInput("resets.error.empty")
    email = normalise_email(email)
    token = secrets.token_urlsafe(TOKEN_BYTES)  # made and hashed for any address
    token_hash = _digest(token)
    expires_at = now + dt.timedelta(minutes=RESET_MINUTES)
    # on PostgreSQL two first requests for one address may both insert its counter: once more
    for attempt in (1, 2):
        try:
            with db.transaction(write=True) as s:
                _count_request(s, email, now, settings)
                user = s.scalars(select(User).where(User.email == email)).first()
                if user is None:
                    return
                s.add(
                    PasswordReset(
                        user_id=user.id,
                        token_hash=token_hash,
                        created_at=now,
                        expires_at=expires_at,
                    )
                )
                outbox.emit(
                    s,
                    EVENT_PASSWORD_RESET,
                    account_id=user.account_id,
                    at=now,
                    data={
                        "reset_url": f"{settings.public_url}/?reset={token}",
                        "expires_at": expires_at,
                        "valid_minutes": RESET_MINUTES,
                    },
                    mail_to=(user.email, normalise_language(user.language or lang)),
                )
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _open_reset(token: str) -> ColumnElement[bool]:
    """The condition of an unused link with this token (not yet checked for expiry)."""
    return and_(PasswordReset.token_hash == _digest(token), PasswordReset.used_at.is_(None))


def _well_formed(token: object) -> bool:
    return isinstance(token, str) and bool(_TOKEN_RE.match(token))


def reset_valid(db: Database, token: str, *, now: dt.datetime | None = None) -> bool:
    """Whether the link can still be used (the page shows the form, or says it has expired)."""
    if not _well_formed(token):
        return False
    now = clock.now(now)
    with db.transaction() as s:
        found = s.scalar(
            select(PasswordReset.id).where(_open_reset(token), PasswordReset.expires_at > now)
        )
    return found is not None


def reset_password(
    db: Database,
    token: str,
    new_password: str,
    *,
    repeat: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Set the new password with a reset link, once (`repeat`: the password typed again, when
    the form asks for it twice).

    An unknown, used or expired link: InvalidInput(EXPIRED), one message for all three. Then
    the password's rules (`passwords.check_new_password`). Using the link spends every open
    link of the user, signs out every session of the user and lifts the sign-in pause of the
    address; audited ACTION_PASSWORD_RESET."""
    now = clock.now(now)
    email = None
    if _well_formed(token):
        with db.transaction() as s:
            email = s.scalar(
                select(User.email)
                .join(PasswordReset, PasswordReset.user_id == User.id)
                .where(_open_reset(token), PasswordReset.expires_at > now)
            )
    if email is None:
        raise InvalidInput(EXPIRED)
    check_new_password(new_password, repeat=repeat, email=email)
    password_hash = hash_password(new_password)  # Argon2 outside the transaction
    with db.transaction(write=True) as s:
        # spent here and now, or by someone else first (the other request wins, this one fails)
        reset = s.scalars(
            select(PasswordReset)
            .where(_open_reset(token), PasswordReset.expires_at > now)
            .with_for_update()
        ).first()
        user = s.get(User, reset.user_id) if reset is not None else None
        if reset is None or user is None:
            raise InvalidInput(EXPIRED)
        spent = s.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        user.password_hash = password_hash
        signed_out = s.execute(
            update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        s.execute(delete(SignInThrottle).where(SignInThrottle.email == user.email))
        audit.record(
            s,
            action=ACTION_PASSWORD_RESET,
            account_id=user.account_id,
            before={},
            after={"sessions_signed_out": signed_out, "links_spent": spent},
            at=now,
            actor_user_id=user.id,
            actor_name=user.email,
        )
