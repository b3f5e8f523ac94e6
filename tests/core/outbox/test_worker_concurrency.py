"""Twenty customers cancel at once: exactly twenty events and twenty e-mails, and two workers
running at once (each on its own connection, small batches) deliver each e-mail exactly
once: on SQLite (one writer at a time) and on PostgreSQL (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

from core.platform.config import Settings
from core.platform.db import connect
from core.rules.vocabulary import (
    CHANNEL_EMAIL,
    DELIVERY_KEPT,
    DELIVERY_SENT,
    EVENT_CANCELLATION_SCHEDULED,
)
from tests.support.env import NOW
from tests.support.outbox_shop import KEPT, cancel, customers, deliveries, drain_together, events
from tests.support.receivers import smtp_receiver

CUSTOMERS = 20


def _twenty_cancel_at_once(db) -> list[str]:
    users = customers(db, CUSTOMERS, now=NOW)
    start, numbers, errors = threading.Barrier(CUSTOMERS), [], []

    def one(user) -> None:
        try:
            start.wait()
            numbers.append(cancel(db, user, now=NOW))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(numbers) == CUSTOMERS
    return [u.email for u in users]


def _two_workers(db):
    url = db.engine.url.render_as_string(hide_password=False)
    return [connect(url), connect(url)]


def test_twenty_cancellations_at_once_are_twenty_emails_each_received_once(db):
    addresses = _twenty_cancel_at_once(db)
    found = events(db)
    assert len(found) == CUSTOMERS
    assert {e.type for e in found} == {EVENT_CANCELLATION_SCHEDULED}
    assert len(deliveries(db, CHANNEL_EMAIL)) == CUSTOMERS
    workers = _two_workers(db)
    try:
        with smtp_receiver() as smtp:
            later = NOW + dt.timedelta(seconds=1)
            done = drain_together(workers, Settings(smtp_url=smtp.url), now=lambda: later)
            received = smtp.wait_for(CUSTOMERS)
    finally:
        for w in workers:
            w.engine.dispose()
    assert sum(r.sent for r in done) == CUSTOMERS
    assert sorted(m["To"] for m in received) == sorted(addresses)  # each once, no more
    ids = Counter(m["Message-ID"] for m in received)
    assert len(ids) == CUSTOMERS and set(ids.values()) == {1}
    for event in found:
        assert sum(event.id in m["Message-ID"] for m in received) == 1
    sent = deliveries(db)
    assert {(d.status, d.attempts) for d in sent} == {(DELIVERY_SENT, 1)}


def test_two_workers_racing_for_kept_emails_each_claim_a_delivery_once(db):
    """The same race without an SMTP server: the claims alone never overlap."""
    _twenty_cancel_at_once(db)
    workers = _two_workers(db)
    try:
        done = drain_together(workers, KEPT, limit=2)
    finally:
        for w in workers:
            w.engine.dispose()
    assert sum(r.kept for r in done) == CUSTOMERS
    assert {(d.status, d.attempts) for d in deliveries(db)} == {(DELIVERY_KEPT, 1)}
