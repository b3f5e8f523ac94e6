"""The outbox writer: `emit` writes an event and its deliveries in the transaction of the
change it reports (beside the audit writer; `core.outbox` delivers them).

A use case calls `emit(s, EVENT_..., account_id=..., at=now, data={...})` beside its audit
entry; the event commits with the change or not at all, and the worker sends it later. The
event's id ("evt_" and 24 hex digits) is the webhook body's `id`: stable across retries, so a
receiver can drop a duplicate.

Deliveries made here:
- an e-mail to the account's customer (its first customer user, in their language) when the
  type is one the customer is told of and `mail` is true;
- a webhook call to every enabled endpoint subscribed to the type (never for
  EVENT_PASSWORD_RESET, which carries a secret).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.platform.models import Account, Subscription, SupportRequest, User
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent, WebhookEndpoint
from core.rules.vocabulary import (
    CHANNEL_EMAIL,
    CHANNEL_WEBHOOK,
    DELIVERY_PENDING,
    EVENT_CANCELLATION_SAVED,
    EVENT_SUPPORT_REQUEST,
    EVENT_TYPES,
    ROLE_CUSTOMER,
    WEBHOOK_EVENTS,
)


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def _json(data: dict[str, Any]) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        if isinstance(value, dt.date):
            return value.isoformat()
        raise TypeError(f"not JSON: {value!r}")

    return json.dumps(data, default=plain, sort_keys=True, ensure_ascii=False)


def account_facts(s: Session, account_id: int) -> dict[str, Any]:
    """What every account event's data starts with: the account's number, company, plan and
    status as they are inside the transaction."""
    account = s.get(Account, account_id)
    sub = s.scalars(select(Subscription).where(Subscription.account_id == account_id)).first()
    return {
        "account_id": account_id,
        "company": account.company if account else "",
        "plan": sub.plan.code if sub else None,
        "plan_name": sub.plan.name if sub else None,
        "status": sub.status if sub else None,
    }


def customer_contact(s: Session, account_id: int) -> tuple[str, str] | None:
    """The account's contact address and language: its first customer user's, and the
    language they chose, else that of the browser they last signed in from."""
    row = s.execute(
        select(User.email, User.language, User.last_language)
        .where(User.account_id == account_id, User.role == ROLE_CUSTOMER)
        .order_by(User.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return row.email, row.language or row.last_language or "en"


def _delivery(
    event_id: str, channel: str, at: dt.datetime, *, recipient: str, language: str = "en",
    endpoint_id: int | None = None,
) -> OutboxDelivery:  # fmt: skip
    return OutboxDelivery(
        event_id=event_id,
        channel=channel,
        endpoint_id=endpoint_id,
        recipient=recipient,
        language=language,
        status=DELIVERY_PENDING,
        attempts=0,
        created_at=at,
        next_attempt_at=at,
        last_error="",
    )


def emit(
    s: Session,
    type: str,
    *,
    at: dt.datetime,
    data: dict[str, Any],
    account_id: int | None = None,
    mail: bool = True,
    mail_to: tuple[str, str] | None = None,
) -> str:
    """Write the event and its deliveries into `s`'s transaction; returns the event's id.

    `mail`: whether the customer gets an e-mail of it; `mail_to`: (address, language) when it
    is not the account's customer (a password reset)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event_id = new_event_id()
    body = {"account_id": account_id, **data} if account_id is not None else dict(data)
    s.add(
        OutboxEvent(id=event_id, type=type, created_at=at, account_id=account_id, data=_json(body))
    )
    s.flush()  # the event row first: its deliveries refer to it
    if mail:
        contact = mail_to or (customer_contact(s, account_id) if account_id is not None else None)
        if contact is not None:
            address, language = contact
            s.add(_delivery(event_id, CHANNEL_EMAIL, at, recipient=address, language=language))
    if type in WEBHOOK_EVENTS:
        for endpoint in s.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled)):
            if type in json.loads(endpoint.event_types or "[]"):
                s.add(
                    _delivery(
                        event_id, CHANNEL_WEBHOOK, at, recipient=endpoint.url,
                        endpoint_id=endpoint.id,
                    )
                )  # fmt: skip
    return event_id


def support_request(s: Session, request: SupportRequest, at: dt.datetime) -> str:
    """The event of a message to customer service or a custom-plan request (the customer gets
    an acknowledgement by e-mail)."""
    return emit(
        s,
        EVENT_SUPPORT_REQUEST,
        account_id=request.account_id,
        at=at,
        data={
            **account_facts(s, request.account_id),
            "request_id": request.id,
            "kind": request.kind,
            "message": request.message,
            "flow_id": request.flow_id,
        },
    )


def flow_saved(
    s: Session,
    account_id: int,
    flow_id: str,
    *,
    at: dt.datetime,
    offer: dict[str, Any] | None,
    mail: bool,
    **more: Any,
) -> str:
    """The event of a cancellation flow that ended saved: kept (`offer` None) or by an offer."""
    return emit(
        s,
        EVENT_CANCELLATION_SAVED,
        account_id=account_id,
        at=at,
        data={
            **account_facts(s, account_id),
            "flow_id": flow_id,
            "saved_by": "kept" if offer is None else "offer",
            "offer": offer,
            **more,
        },
        mail=mail,
    )


class DeliveryError(Exception):
    """A send that did not succeed (refused, timed out, an error answer, a forbidden address):
    the worker records `str(exc)` as the delivery's last error and tries again later."""
