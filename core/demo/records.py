"""What a finished demo flow leaves outside the flow: the time the cancellation was requested on
the subscription, the audit entries of scheduling and ending it, requests in the support queue
(a custom plan, an undo), and the confirmation number a completed cancellation is given."""

from __future__ import annotations

import datetime as dt
import json

from core.platform.models import (
    STATUS_ACTIVE,
    STATUS_ENDED,
    STATUS_SCHEDULED,
    AuditEntry,
    SupportRequest,
)

from .accounts import AccountContext
from .answers import CONFIRMATION_ALPHABET, UNDO_MESSAGES
from .draft import Draft, Row, day_at


class Records:
    """Builds support requests, audit entries and confirmation numbers for finished flows."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.rng = draft.rng

    def custom_plan_request(self, flow_id: str, account_id: int, user_id: int, offer: Row) -> None:
        rng = self.rng
        config = json.loads(offer["configuration"])
        created_at = offer["requested_at"] + dt.timedelta(seconds=rng.randint(1, 5))
        handled_at = created_at + dt.timedelta(seconds=rng.randint(2 * 3600, 72 * 3600))
        handled = rng.random() < 0.8 and handled_at <= self.draft.now
        message = (
            f"Custom plan request: {config['searches']} searches, {config['unlocks']} unlocks, "
            f"{config['seats']} seats, {config['campaigns']} campaigns at "
            f"${offer['monthly_price_cents'] // 100}/month."
        )
        self._support_request(
            flow_id, account_id, user_id, "custom_plan", message, created_at, handled_at, handled
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
            user["email"],
            user["id"],
            "cancellation_scheduled",
            account_id,
            {"status": STATUS_ACTIVE},
            {"status": STATUS_SCHEDULED, "effective_on": str(effective_on)},
        )
        ended = status == STATUS_ENDED
        if ended:
            self._audit(
                min(now, day_at(effective_on, 2, 5)),
                "lifecycle",
                None,
                "subscription_ended",
                account_id,
                {"status": STATUS_SCHEDULED},
                {"status": STATUS_ENDED, "ended_on": str(effective_on)},
            )
        if rng.random() < 0.25:
            access_end = day_at(effective_on, 0)
            created_at = self.draft.between(finished_at, min(now, access_end))
            handled_at = created_at + dt.timedelta(seconds=rng.randint(3600, 48 * 3600))
            handled = ended and handled_at <= now  # scheduled ones wait for support
            message = rng.choice(UNDO_MESSAGES)
            kind = "undo_cancellation"
            self._support_request(
                flow_id, account_id, user["id"], kind, message, created_at, handled_at, handled
            )

    def _support_request(
        self,
        flow_id: str,
        account_id: int,
        user_id: int,
        kind: str,
        message: str,
        created_at: dt.datetime,
        handled_at: dt.datetime,
        handled: bool,
    ) -> None:
        """A request in the support queue; a handled one was handled by the demo admin."""
        self.draft.add(
            SupportRequest,
            {
                "account_id": account_id,
                "user_id": user_id,
                "flow_id": flow_id,
                "kind": kind,
                "message": message,
                "created_at": created_at,
                "status": "handled" if handled else "open",
                "handled_by": self.draft.admin_id if handled else None,
                "handled_at": handled_at if handled else None,
            },
        )

    def _audit(
        self,
        at: dt.datetime,
        actor: str,
        actor_user_id: int | None,
        action: str,
        account_id: int,
        before: Row,
        after: Row,
    ) -> None:
        self.draft.add(
            AuditEntry,
            {
                "at": at,
                "actor_user_id": actor_user_id,
                "actor": actor,
                "action": action,
                "account_id": account_id,
                "before": json.dumps(before),
                "after": json.dumps(after),
            },
        )

    def confirmation_number(self) -> str:
        while True:
            number = "CX-" + "".join(self.rng.choices(CONFIRMATION_ALPHABET, k=8))
            if number not in self.draft.confirmations:
                self.draft.confirmations.add(number)
                return number
