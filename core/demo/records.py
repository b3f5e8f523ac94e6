"""What a finished demo flow leaves outside the flow: the time the cancellation was requested on
the subscription, the audit entries the live use cases write (a custom plan requested, a
cancellation scheduled, a subscription ended by the lifecycle job), requests in the support
queue (a custom plan, an undo), and the confirmation number a completed cancellation is given.

The rows are built as dicts for the bulk writer; their values (actions, actor names, request
kinds and statuses, what an audit entry says) are the live ones."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from core.platform import audit
from core.platform.models import AuditEntry, SupportRequest
from core.rules import numbers
from core.rules.offers import Offer
from core.rules.vocabulary import (
    ACTION_CANCELLATION_SCHEDULED,
    ACTION_CUSTOM_PLAN_REQUESTED,
    ACTION_OFFER_ACCEPTED,
    ACTION_SUBSCRIPTION_ENDED,
    REQUEST_CUSTOM_PLAN,
    REQUEST_HANDLED,
    REQUEST_OPEN,
    REQUEST_UNDO,
    STATUS_ACTIVE,
    STATUS_ENDED,
    STATUS_SCHEDULED,
)

from .accounts import AccountContext
from .answers import UNDO_MESSAGES
from .draft import Draft, Row, day_at


class Records:
    """Builds support requests, audit entries and confirmation numbers for finished flows."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.rng = draft.rng

    def custom_plan_request(self, flow_id: str, account_id: int, user: Row, offer: Row) -> None:
        """The request the configurator files (its message: the plan and the price the
        customer saw), and its audit entry; most are handled within three days."""
        rng = self.rng
        values = json.loads(offer["configuration"])
        price = offer["monthly_price_cents"]
        created_at = offer["requested_at"]
        handled_at = created_at + dt.timedelta(seconds=rng.randint(2 * 3600, 72 * 3600))
        handled = rng.random() < 0.8 and handled_at <= self.draft.now
        message = json.dumps({**values, "monthly_price_cents": price}, sort_keys=True)
        request_id = self._support_request(
            flow_id,
            account_id,
            user["id"],
            REQUEST_CUSTOM_PLAN,
            message,
            created_at,
            handled_at if handled else None,
        )
        self._audit(
            created_at,
            user,
            ACTION_CUSTOM_PLAN_REQUESTED,
            account_id,
            {},
            {"request": request_id, **values, "price": price, "from": "cancellation"},
        )

    def offer_accepted(
        self, at: dt.datetime, account_id: int, user: Row, offer: Offer, confirmation: str
    ) -> None:
        """The audit entry of a pause, a discount or a downgrade taken in the flow."""
        self._audit(
            at,
            user,
            ACTION_OFFER_ACCEPTED,
            account_id,
            {},
            {"offer": offer.key, "kind": offer.kind, "confirmation": confirmation},
        )

    def cancellation(
        self,
        flow_id: str,
        finished_at: dt.datetime,
        effective_on: dt.date,
        status: str,
        ctx: AccountContext,
        user: Row,
    ) -> None:
        """The request time on the subscription, audit entries, maybe an undo request."""
        rng = self.rng
        now = self.draft.now
        account_id = ctx.id
        ctx.subscription["cancel_requested_at"] = finished_at
        self._audit(
            finished_at,
            user,
            ACTION_CANCELLATION_SCHEDULED,
            account_id,
            {"status": STATUS_ACTIVE},
            {"status": STATUS_SCHEDULED, "effective_on": effective_on.isoformat()},
        )
        ended = status == STATUS_ENDED
        if ended:  # the lifecycle job's run in the night the cycle ended
            self._audit(
                min(now, day_at(effective_on, 2, 5)),
                None,
                ACTION_SUBSCRIPTION_ENDED,
                account_id,
                {"status": STATUS_SCHEDULED},
                {"status": STATUS_ENDED, "ended_on": effective_on},
            )
        if rng.random() < 0.25:
            access_end = day_at(effective_on, 0)
            created_at = self.draft.between(finished_at, min(now, access_end))
            handled_at = created_at + dt.timedelta(seconds=rng.randint(3600, 48 * 3600))
            handled = ended and handled_at <= now  # scheduled ones wait for support
            message = rng.choice(UNDO_MESSAGES)
            self._support_request(
                flow_id,
                account_id,
                user["id"],
                REQUEST_UNDO,
                message,
                created_at,
                handled_at if handled else None,
            )

    def _support_request(
        self,
        flow_id: str,
        account_id: int,
        user_id: int,
        kind: str,
        message: str,
        created_at: dt.datetime,
        handled_at: dt.datetime | None,
    ) -> int:
        """A request in the support queue, open or handled by the demo admin; returns its id."""
        request_id = self.draft.new_id(SupportRequest)
        self.draft.add(
            SupportRequest,
            {
                "id": request_id,
                "account_id": account_id,
                "user_id": user_id,
                "flow_id": flow_id,
                "kind": kind,
                "message": message,
                "created_at": created_at,
                "status": REQUEST_OPEN if handled_at is None else REQUEST_HANDLED,
                "handled_by": None if handled_at is None else self.draft.admin_id,
                "handled_at": handled_at,
            },
        )
        return request_id

    def _audit(
        self,
        at: dt.datetime,
        user: Row | None,
        action: str,
        account_id: int,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> None:
        """The entry `core.platform.audit.record` writes, by `user` or by the lifecycle job."""
        self.draft.add(
            AuditEntry,
            {
                "at": at,
                "actor_user_id": user["id"] if user else None,
                "actor": user["email"] if user else audit.LIFECYCLE,
                "action": action,
                "account_id": account_id,
                "before": json.dumps(before, default=str),
                "after": json.dumps(after, default=str),
            },
        )

    def confirmation_number(self) -> str:
        while True:
            number = numbers.confirmation_number(self.rng)
            if number not in self.draft.confirmations:
                self.draft.confirmations.add(number)
                return number
