"""The outbox's tables (migration 0008), on the same Base as `models` (kept apart for its size).

- OutboxEvent: one row per thing that happened, written in the same transaction as the change
  it reports (`core.outbox.events.emit`); its id is stable, so a receiver can drop a duplicate.
- OutboxDelivery: one row per e-mail or webhook call the event asks for; the worker
  (`core.outbox.worker`) claims due rows, sends, and records the outcome.
- WebhookEndpoint: where admins want the events sent (`core.outbox.webhooks`).
- PasswordReset: a reset link's token, by its SHA-256 only (`core.identity.resets`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.platform.models import Base, UTCDateTime
from core.rules.vocabulary import DELIVERY_PENDING


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "evt_" + 24 hex digits
    type: Mapped[str] = mapped_column(String(40), index=True)  # core.rules.vocabulary EVENT_*
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # no foreign key: the event outlives the account's purge (its data holds nothing personal
    # once sent; see core.outbox.events)
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    data: Mapped[str] = mapped_column(Text)  # JSON: the webhook body's "data"


class OutboxDelivery(Base):
    __tablename__ = "outbox_deliveries"
    __table_args__ = (Index("ix_outbox_deliveries_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(
        ForeignKey("outbox_events.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10))  # CHANNEL_EMAIL / CHANNEL_WEBHOOK
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="SET NULL"), index=True
    )
    # an e-mail address, or the endpoint's URL when the delivery was made (shown to admins)
    recipient: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5), default="en")  # an e-mail's language
    status: Mapped[str] = mapped_column(String(10), default=DELIVERY_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # a worker that claimed the row holds it until then; after, another may take it again
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(100))  # signs each body (HMAC-SHA256)
    event_types: Mapped[str] = mapped_column(Text)  # JSON list of EVENT_* names
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PasswordReset(Base):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
