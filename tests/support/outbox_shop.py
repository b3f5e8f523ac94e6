"""Customers who cancel, webhook endpoints and the outbox's rows, for the worker's tests.

The events come from the real use cases (a cancellation confirmed writes its event and the
customer's e-mail in its transaction); endpoints are written straight into their table (their
checks are `core.outbox.webhooks`' to test)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable

from sqlalchemy import select

from core.identity import auth
from core.outbox import worker
from core.platform.config import Settings
from core.platform.db import Database
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent, WebhookEndpoint
from core.retention import cancellation
from core.retention.cancellation import ALL_CONSENTS
from core.rules.vocabulary import DELIVERY_PENDING, WEBHOOK_EVENTS
from tests.support import factories

SECRET = "whsec_test-secret-for-the-receiver-0001"
KEPT = Settings(smtp_url="", webhooks_allow_private=True)  # e-mails kept, loopback allowed


def customers(db: Database, count: int, *, now: dt.datetime) -> list[auth.CurrentUser]:
    """`count` customers of one plan, signed in (customer1@example.com, ...)."""
    plan_id = factories.plan(db, "growth", 24900)
    users = []
    for i in range(1, count + 1):
        email = f"customer{i}@example.com"
        factories.customer(db, email, plan_id, now=now, company=f"Customer {i} Srl")
        users.append(auth.sign_in(db, email, factories.PASSWORD, now=now).user)
    return users


def cancel(db: Database, user: auth.CurrentUser, *, now: dt.datetime) -> str:
    """The customer cancels (survey skipped, every consent given); the confirmation number."""
    flow = cancellation.start(db, user, now=now).flow_id
    cancellation.answer_survey(db, user, flow, None, now=now)
    cancellation.go_on(db, user, flow, now=now)
    return cancellation.confirm(db, user, flow, ALL_CONSENTS, now=now).confirmation_number


def endpoint(
    db: Database, url: str, *, now: dt.datetime, types: tuple[str, ...] = WEBHOOK_EVENTS
) -> int:
    with db.transaction() as s:
        row = WebhookEndpoint(
            url=url,
            secret=SECRET,
            event_types=json.dumps(list(types)),
            enabled=True,
            description="test receiver",
            created_at=now,
        )
        s.add(row)
        s.flush()
        return row.id


def cancelled_with_endpoints_gone(
    db: Database, url: str, *, now: dt.datetime
) -> tuple[auth.CurrentUser, int, int]:
    """A customer cancels with two endpoints subscribed; then one is deleted and the other
    disabled before the worker runs: (the customer, the deleted's id, the disabled's id)."""
    [user] = customers(db, 1, now=now)
    gone = endpoint(db, url, now=now)
    off = endpoint(db, url, now=now)
    cancel(db, user, now=now)
    with db.transaction() as s:
        s.delete(s.get(WebhookEndpoint, gone))
        s.get(WebhookEndpoint, off).enabled = False
    return user, gone, off


def deliveries(db: Database, channel: str | None = None) -> list[OutboxDelivery]:
    with db.transaction() as s:
        query = select(OutboxDelivery).order_by(OutboxDelivery.id)
        if channel:
            query = query.where(OutboxDelivery.channel == channel)
        return list(s.scalars(query))


def events(db: Database) -> list[OutboxEvent]:
    with db.transaction() as s:
        return list(s.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at)))


def pending(db: Database) -> int:
    return sum(d.status == DELIVERY_PENDING for d in deliveries(db))


def drain_together(
    databases: list[Database],
    settings: Settings,
    *,
    now: Callable[[], dt.datetime | None] = lambda: None,
    limit: int = 3,
) -> list[worker.RunResult]:
    """Workers, one thread per database, started at once, each running small batches until
    nothing is left pending; what each did."""
    start = threading.Barrier(len(databases))
    totals = [worker.RunResult() for _ in databases]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait()
            while pending(databases[i]):
                done = worker.run_once(
                    databases[i], now=now(), settings=settings, limit=limit, lease_seconds=120
                )
                totals[i] = totals[i] + done
                if not done.total:  # the rest is the other worker's, being sent
                    time.sleep(0.01)
        except BaseException as exc:  # shown by the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(databases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return totals
