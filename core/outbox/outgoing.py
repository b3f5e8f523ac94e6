"""What the support desk's "Outgoing" tab shows (admins only): every e-mail and webhook call
with its status, tries and last error, an e-mail as the customer gets it, and "send again" for
one that failed (audited)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import func, select, update

from core.identity.auth import CurrentUser, require_admin
from core.outbox import mail
from core.platform import audit, clock
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotFound
from core.platform.models import Account
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent, WebhookEndpoint
from core.rules.vocabulary import (
    ACTION_DELIVERY_RETRIED,
    CHANNEL_EMAIL,
    CHANNEL_WEBHOOK,
    DELIVERY_FAILED,
    DELIVERY_KEPT,
    DELIVERY_PENDING,
    DELIVERY_STATUSES,
)


@dataclass(frozen=True)
class OutgoingRow:
    delivery_id: int
    event_id: str
    event_type: str
    channel: str  # CHANNEL_EMAIL or CHANNEL_WEBHOOK
    recipient: str  # the address, or the endpoint's URL ("" once an erasure e-mail is sent)
    status: str  # DELIVERY_PENDING, SENT, KEPT or FAILED
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None  # pending ones only
    last_attempt_at: dt.datetime | None
    last_error: str
    sent_at: dt.datetime | None
    account_id: int | None
    company: str  # "" when the account was erased


@dataclass(frozen=True)
class OutgoingPage:
    rows: tuple[OutgoingRow, ...]
    total: int  # how many match the filter, over every page


def _check_id(delivery_id: object) -> None:
    """A delivery's id is a whole number the database can hold; anything else is not found."""
    if isinstance(delivery_id, bool) or not isinstance(delivery_id, int):
        raise NotFound("outbox.error.not_found")
    if not 0 < delivery_id < 2**31:
        raise NotFound("outbox.error.not_found")


def deliveries(
    db: Database,
    actor: CurrentUser | None,
    *,
    status: str | None = None,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> OutgoingPage:
    """A page of deliveries, the newest first, optionally of one status and one channel."""
    require_admin(actor)
    if (status and status not in DELIVERY_STATUSES) or (
        channel and channel not in (CHANNEL_EMAIL, CHANNEL_WEBHOOK)
    ):
        raise InvalidInput("outbox.error.filter")
    limit, offset = max(1, min(int(limit), 500)), max(0, int(offset))
    conditions = []
    if status:
        conditions.append(OutboxDelivery.status == status)
    if channel:
        conditions.append(OutboxDelivery.channel == channel)
    with db.transaction() as s:
        total = s.scalar(select(func.count(OutboxDelivery.id)).where(*conditions)) or 0
        found = s.execute(
            select(OutboxDelivery, OutboxEvent.type, OutboxEvent.account_id, Account.company)
            .join(OutboxEvent, OutboxEvent.id == OutboxDelivery.event_id)
            .outerjoin(Account, Account.id == OutboxEvent.account_id)
            .where(*conditions)
            .order_by(OutboxDelivery.created_at.desc(), OutboxDelivery.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
    rows = tuple(
        OutgoingRow(
            delivery_id=d.id,
            event_id=d.event_id,
            event_type=event_type,
            channel=d.channel,
            recipient=d.recipient,
            status=d.status,
            attempts=d.attempts,
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at if d.status == DELIVERY_PENDING else None,
            last_attempt_at=d.last_attempt_at,
            last_error=d.last_error or "",
            sent_at=d.sent_at,
            account_id=account_id,
            company=company or "",
        )
        for d, event_type, account_id, company in found
    )
    return OutgoingPage(rows, total)


def delivery_mail(
    db: Database, actor: CurrentUser | None, delivery_id: int, *, settings: Settings | None = None
) -> mail.Mail:
    """The e-mail of a delivery as the customer gets it (in their language)."""
    require_admin(actor)
    _check_id(delivery_id)
    with db.transaction() as s:
        d, e = OutboxDelivery, OutboxEvent
        found = s.execute(
            select(d.channel, d.language, e.type, e.data)
            .join(e, e.id == d.event_id)
            .where(d.id == delivery_id)
        ).first()
    if found is None:
        raise NotFound("outbox.error.not_found")
    if found.channel != CHANNEL_EMAIL:
        raise InvalidInput("outbox.error.not_an_email")
    return mail.render(
        found.type, json.loads(found.data), found.language, settings or load_settings()
    )


def send_again(
    db: Database,
    actor: CurrentUser | None,
    delivery_id: int,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> None:
    """A failed delivery (or a kept e-mail, once an SMTP server is set) goes back to the
    worker, due at once; audited. The worker tries it once more: if that fails too, it is
    failed again, with the new reason."""
    actor = require_admin(actor)
    _check_id(delivery_id)
    now = clock.now(now)
    settings = settings or load_settings()
    with db.transaction(write=True) as s:
        row = s.execute(
            select(OutboxDelivery, OutboxEvent.account_id, OutboxEvent.type)
            .join(OutboxEvent, OutboxEvent.id == OutboxDelivery.event_id)
            .where(OutboxDelivery.id == delivery_id)
            .with_for_update(of=OutboxDelivery)
        ).first()
        if row is None:
            raise NotFound("outbox.error.not_found")
        delivery, account_id, event_type = row
        if delivery.status == DELIVERY_KEPT and not settings.smtp_url:
            raise InvalidInput("outbox.error.kept_without_smtp")
        if delivery.status == DELIVERY_PENDING:
            raise InvalidInput("outbox.error.still_pending")
        if delivery.status not in (DELIVERY_FAILED, DELIVERY_KEPT):
            raise InvalidInput("outbox.error.already_sent")
        if delivery.channel == CHANNEL_WEBHOOK:
            endpoint = (
                s.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
            )
            if endpoint is None:
                raise InvalidInput("outbox.error.endpoint_deleted")
            if not endpoint.enabled:
                raise InvalidInput("outbox.error.endpoint_disabled")
        before = {
            "delivery": delivery.id,
            "event": delivery.event_id,
            "type": event_type,
            "channel": delivery.channel,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "last_error": delivery.last_error,
        }
        s.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id == delivery.id)
            .values(status=DELIVERY_PENDING, next_attempt_at=now, locked_until=None)
        )
        audit.record(
            s,
            action=ACTION_DELIVERY_RETRIED,
            account_id=account_id,
            before=before,
            after={"delivery": delivery.id, "status": DELIVERY_PENDING, "due": now},
            at=now,
            actor_user_id=actor.id,
            actor_name=actor.email,
        )


def status_counts(db: Database, actor: CurrentUser | None) -> dict[str, int]:
    """How many deliveries are in each status (every status named, 0 included)."""
    require_admin(actor)
    with db.transaction() as s:
        found = dict(
            s.execute(
                select(OutboxDelivery.status, func.count(OutboxDelivery.id)).group_by(
                    OutboxDelivery.status
                )
            ).all()
        )
    return {status: int(found.get(status, 0)) for status in DELIVERY_STATUSES}
