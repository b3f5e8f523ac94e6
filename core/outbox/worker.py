"""The delivery worker: claims due deliveries, sends them, records what happened.

One run (`run_once`) does three things, each in its own short step:

1. **Claim** up to `limit` due deliveries (pending, never tried or due again, not held by
   another worker) in one short transaction: on PostgreSQL `SELECT ... FOR UPDATE SKIP
   LOCKED`, so several workers on several machines each take different rows; on SQLite the
   write transaction holds the database's one write lock. A claim sets `locked_until` (now +
   the lease), adds one to `attempts` and sets `last_attempt_at`.
2. **Send** each one outside any transaction: an e-mail through `core.outbox.mail` (with no
   SMTP server configured it is "kept", not sent: the support desk shows it), a webhook
   through `core.outbox.webhooks` with the endpoint's current URL and secret.
3. **Record** the outcome in a new transaction, and only if the row is still this worker's
   (same `locked_until` and `attempts`): a worker that outlived its lease changes nothing.

A failed send is tried again after 30 s, 1, 2, 4, 8, 16, 32 minutes, then every hour, until
the event is a day old: then the delivery is "failed" and waits for an admin's "send again".
A worker killed in the middle of a send leaves its rows claimed; once the lease runs out the
next run sends them again, with the same event id (at-least-once: receivers drop duplicates
by the id).

What is personal is forgotten once it has served: after the erasure e-mail is sent its address
is blanked (the account is gone); an event of that account that was still being sent when the
purge ran is deleted once done, as the purge deleted the others; after a password-reset e-mail
is sent the link is removed from the event (only the token's hash is kept anywhere).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update

from core.outbox import mail, webhooks
from core.platform import clock
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import DatabaseUnavailable
from core.platform.outbox import DeliveryError
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent, WebhookEndpoint
from core.rules.vocabulary import (
    CHANNEL_EMAIL,
    DELIVERY_FAILED,
    DELIVERY_KEPT,
    DELIVERY_PENDING,
    DELIVERY_SENT,
    EVENT_ACCOUNT_ERASED,
    EVENT_PASSWORD_RESET,
)

log = logging.getLogger(__name__)

FIRST_RETRY = dt.timedelta(seconds=30)  # then doubled after each failure ...
LONGEST_WAIT = dt.timedelta(hours=1)  # ... up to an hour between two tries
GIVE_UP_AFTER = dt.timedelta(days=1)  # an event older than this is not tried again by itself
SMTP_TIMEOUT = 30.0  # seconds one e-mail may take
WEBHOOK_TIMEOUT = 10.0  # seconds one webhook call may take, answer included
ERROR_LENGTH = 500  # what is kept of a failure's reason


@dataclass(frozen=True)
class RunResult:
    """What one run did: sent, kept (e-mails, no SMTP server), to be tried again, failed."""

    sent: int = 0
    kept: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.kept + self.retried + self.failed

    def __add__(self, other: RunResult) -> RunResult:
        return RunResult(
            self.sent + other.sent,
            self.kept + other.kept,
            self.retried + other.retried,
            self.failed + other.failed,
        )

    def line(self) -> str:
        return (
            f"{self.sent} sent, {self.kept} kept (no SMTP server), "
            f"{self.retried} to try again, {self.failed} failed"
        )


@dataclass(frozen=True)
class _Claim:
    """A delivery this worker holds until `locked_until`, with what sending it needs."""

    delivery_id: int
    locked_until: dt.datetime
    attempts: int
    channel: str
    recipient: str
    language: str
    endpoint_id: int | None
    event_id: str
    event_type: str
    event_created: dt.datetime
    account_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True)
class _Outcome:
    status: str  # DELIVERY_SENT, DELIVERY_KEPT, or DELIVERY_PENDING for "try again"
    error: str = ""
    final: bool = False  # a failure no retry can mend (the endpoint was deleted)


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed try: 30 s, doubled each time, at most
    an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def _claim(db: Database, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[_Claim]:
    until = now + lease
    with db.transaction(write=True) as s:
        due = (
            select(OutboxDelivery)
            .where(
                OutboxDelivery.status == DELIVERY_PENDING,
                # never tried: due at once, even when dated ahead (the demo clock's events)
                or_(OutboxDelivery.attempts == 0, OutboxDelivery.next_attempt_at <= now),
                or_(OutboxDelivery.locked_until.is_(None), OutboxDelivery.locked_until <= now),
            )
            .order_by(OutboxDelivery.next_attempt_at, OutboxDelivery.id)
            .limit(limit)
        )
        if db.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        rows = s.scalars(due).all()
        if not rows:
            return []
        events = {
            e.id: e
            for e in s.scalars(
                select(OutboxEvent).where(OutboxEvent.id.in_({r.event_id for r in rows}))
            )
        }
        claims = []
        for row in rows:
            row.locked_until = until
            row.attempts += 1
            row.last_attempt_at = now
            event = events[row.event_id]
            claims.append(
                _Claim(
                    delivery_id=row.id,
                    locked_until=until,
                    attempts=row.attempts,
                    channel=row.channel,
                    recipient=row.recipient,
                    language=row.language,
                    endpoint_id=row.endpoint_id,
                    event_id=event.id,
                    event_type=event.type,
                    event_created=event.created_at,
                    account_id=event.account_id,
                    data=json.loads(event.data),
                )
            )
        return claims


def _send_email(claim: _Claim, settings: Settings, timeout: float) -> _Outcome:
    if not settings.smtp_url:
        return _Outcome(DELIVERY_KEPT)
    rendered = mail.render(claim.event_type, claim.data, claim.language, settings)
    msg = mail.message(rendered, to=claim.recipient, event_id=claim.event_id, settings=settings)
    mail.send(msg, settings, timeout=timeout)
    return _Outcome(DELIVERY_SENT)


def _send_webhook(
    db: Database, claim: _Claim, settings: Settings, now: dt.datetime, timeout: float
) -> _Outcome:
    with db.transaction() as s:
        endpoint = s.get(WebhookEndpoint, claim.endpoint_id) if claim.endpoint_id else None
    if endpoint is None:
        return _Outcome(DELIVERY_PENDING, "the endpoint was deleted", final=True)
    if not endpoint.enabled:
        return _Outcome(DELIVERY_PENDING, "the endpoint is disabled", final=True)
    body = webhooks.body(claim.event_id, claim.event_type, claim.event_created, claim.data)
    webhooks.send(endpoint.url, endpoint.secret, body, settings, now=now, timeout=timeout)
    return _Outcome(DELIVERY_SENT)


def _timeout(claim: _Claim, timeout: float | None) -> float:
    return timeout or (SMTP_TIMEOUT if claim.channel == CHANNEL_EMAIL else WEBHOOK_TIMEOUT)


def _attempt(
    db: Database, claim: _Claim, settings: Settings, now: dt.datetime, timeout: float
) -> _Outcome:
    """Send one claimed delivery; any failure becomes an outcome with its reason (one bad
    delivery never stops the others)."""
    try:
        if claim.channel == CHANNEL_EMAIL:
            return _send_email(claim, settings, timeout)
        return _send_webhook(db, claim, settings, now, timeout)
    except DeliveryError as exc:
        return _Outcome(DELIVERY_PENDING, str(exc) or "not delivered")
    except DatabaseUnavailable:
        raise
    except Exception as exc:  # a bad setting or a bug: recorded, shown to admins, retried
        log.exception("delivery %s of event %s", claim.delivery_id, claim.event_id)
        return _Outcome(DELIVERY_PENDING, f"{type(exc).__name__}: {exc}")


def _record(db: Database, claim: _Claim, outcome: _Outcome, now: dt.datetime) -> str:
    """Write the outcome if the row is still ours; the status it got ("" if it was not)."""
    values: dict[str, Any] = {"locked_until": None, "last_error": outcome.error[:ERROR_LENGTH]}
    if outcome.status in (DELIVERY_SENT, DELIVERY_KEPT):
        values["status"] = outcome.status
        if outcome.status == DELIVERY_SENT:
            values["sent_at"] = now
    elif outcome.final or now - claim.event_created >= GIVE_UP_AFTER:
        values["status"] = DELIVERY_FAILED
    else:
        values["next_attempt_at"] = now + backoff(claim.attempts)
    if outcome.status == DELIVERY_SENT and claim.event_type == EVENT_ACCOUNT_ERASED:
        values["recipient"] = ""  # the account is gone: so is its address, once told
    with db.transaction(write=True) as s:
        changed = s.execute(
            update(OutboxDelivery)
            .where(
                OutboxDelivery.id == claim.delivery_id,
                OutboxDelivery.status == DELIVERY_PENDING,
                OutboxDelivery.locked_until == claim.locked_until,
                OutboxDelivery.attempts == claim.attempts,
            )
            .values(**values)
        ).rowcount
        if changed != 1:
            log.warning("delivery %s: lease lost, outcome not recorded", claim.delivery_id)
            return ""
        if outcome.status == DELIVERY_SENT and claim.event_type == EVENT_PASSWORD_RESET:
            _forget_reset_link(s, claim.event_id)
        if "status" in values and claim.event_type != EVENT_ACCOUNT_ERASED:
            _after_erasure(s, claim)
    return values.get("status", DELIVERY_PENDING)


def _after_erasure(s: Any, claim: _Claim) -> None:
    """An event of an account erased while the event was still being sent (the purge keeps
    those): once its last delivery is done, it goes as the purge's others went, deliveries
    and all; until then this delivery's address is blanked."""
    if claim.account_id is None:
        return
    erased = s.scalar(
        select(OutboxEvent.id)
        .where(OutboxEvent.account_id == claim.account_id, OutboxEvent.type == EVENT_ACCOUNT_ERASED)
        .limit(1)
    )
    if erased is None:
        return
    still = s.scalar(
        select(OutboxDelivery.id)
        .where(OutboxDelivery.event_id == claim.event_id, OutboxDelivery.status == DELIVERY_PENDING)
        .limit(1)
    )
    if still is None:
        s.execute(delete(OutboxDelivery).where(OutboxDelivery.event_id == claim.event_id))
        s.execute(delete(OutboxEvent).where(OutboxEvent.id == claim.event_id))
    else:
        s.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id == claim.delivery_id)
            .values(recipient="")
        )


def _forget_reset_link(s: Any, event_id: str) -> None:
    event = s.get(OutboxEvent, event_id, with_for_update=True)
    if event is None:
        return
    data = json.loads(event.data)
    if data.get("reset_url"):
        data["reset_url"] = ""
        event.data = json.dumps(data, sort_keys=True, ensure_ascii=False)


def _release(db: Database, claims: list[_Claim]) -> None:
    """Give back claims this run will not send in time (its lease would run out first)."""
    with db.transaction(write=True) as s:
        for claim in claims:
            s.execute(
                update(OutboxDelivery)
                .where(
                    OutboxDelivery.id == claim.delivery_id,
                    OutboxDelivery.locked_until == claim.locked_until,
                    OutboxDelivery.attempts == claim.attempts,
                )
                .values(locked_until=None, attempts=claim.attempts - 1)
            )


def run_once(
    db: Database,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
    limit: int = 100,
    lease_seconds: float = 300,
    timeout: float | None = None,
    stop: threading.Event | None = None,
) -> RunResult:
    """Claim, send and record up to `limit` due deliveries; what was done.

    `timeout`: seconds one send may take (default: 30 for an e-mail, 10 for a webhook); the
    lease must be longer. A claim that could not be sent before the lease runs out, or after
    `stop` was set, is given back for the next run."""
    if lease_seconds <= (timeout or max(SMTP_TIMEOUT, WEBHOOK_TIMEOUT)):
        raise ValueError("the lease must be longer than one send's timeout")
    settings = settings or load_settings()
    fixed_now = now
    now = clock.now(now)
    claims = _claim(db, now, limit, dt.timedelta(seconds=lease_seconds))
    started = time.monotonic()
    counts = {DELIVERY_SENT: 0, DELIVERY_KEPT: 0, DELIVERY_PENDING: 0, DELIVERY_FAILED: 0}
    for i, claim in enumerate(claims):
        took = _timeout(claim, timeout)
        if time.monotonic() - started + took >= lease_seconds or (stop and stop.is_set()):
            _release(db, claims[i:])  # another run sends them (the lease would run out)
            break
        outcome = _attempt(db, claim, settings, clock.now(fixed_now), took)
        at = clock.now(fixed_now)  # the real time after the send (or the caller's fixed time)
        status = _record(db, claim, outcome, at)
        if status:
            counts[status] += 1
    return RunResult(
        sent=counts[DELIVERY_SENT],
        kept=counts[DELIVERY_KEPT],
        retried=counts[DELIVERY_PENDING],
        failed=counts[DELIVERY_FAILED],
    )


def run_loop(
    db: Database,
    *,
    settings: Settings | None = None,
    poll_seconds: float = 5.0,
    stop: threading.Event | None = None,
    on_result: Callable[[RunResult], None] | None = None,
    limit: int = 100,
    lease_seconds: float = 300,
) -> None:
    """Run until `stop` is set: a run, then a pause of `poll_seconds` unless the run took a
    full batch (then straight on). A database that is down, or any other error, is logged and
    the loop carries on after the pause."""
    stop = stop or threading.Event()
    settings = settings or load_settings()
    while not stop.is_set():
        result = RunResult()
        try:
            result = run_once(
                db, settings=settings, limit=limit, lease_seconds=lease_seconds, stop=stop
            )
        except DatabaseUnavailable:
            log.warning("outbox worker: the database is unavailable; trying again shortly")
        except Exception:
            log.exception("outbox worker: a run failed")
        if on_result is not None:
            on_result(result)
        if result.total < limit:
            stop.wait(poll_seconds)
