"""The delivery worker against real receivers on loopback: e-mails kept or sent over SMTP,
webhook calls retried after an error answer or a timeout until the receiver recovers, failed
after a day, endpoints gone; what is personal forgotten once sent; the loop and the command."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
from email.message import EmailMessage

import pytest
from sqlalchemy import update

from core.__main__ import main
from core.jobs import lifecycle
from core.outbox import worker
from core.outbox.worker import RunResult
from core.platform import outbox
from core.platform.config import Settings
from core.platform.outbox_tables import OutboxDelivery
from core.rules.vocabulary import (
    CHANNEL_EMAIL,
    CHANNEL_WEBHOOK,
    DELIVERY_FAILED,
    DELIVERY_KEPT,
    DELIVERY_PENDING,
    DELIVERY_SENT,
    EVENT_ACCOUNT_ERASED,
    EVENT_CANCELLATION_SCHEDULED,
    EVENT_PASSWORD_RESET,
)
from core.web import startup
from tests.support.env import NOW
from tests.support.outbox_shop import (
    KEPT,
    SECRET,
    cancel,
    cancelled_with_endpoints_gone,
    customers,
    deliveries,
    endpoint,
    events,
)
from tests.support.receivers import http_receiver, smtp_receiver

SECOND = dt.timedelta(seconds=1)


def _text(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


# --- e-mails ----------------------------------------------------------------------------------


def test_without_an_smtp_server_an_email_is_kept_once_and_never_sent(db):
    [alice] = customers(db, 1, now=NOW)
    cancel(db, alice, now=NOW)
    with smtp_receiver() as smtp:
        assert worker.run_once(db, now=NOW, settings=KEPT) == RunResult(kept=1)
        assert worker.run_once(db, now=NOW + SECOND, settings=KEPT) == RunResult()
        time.sleep(0.1)
        assert smtp.messages == []
    [mail] = deliveries(db)
    assert (mail.status, mail.attempts, mail.recipient) == (DELIVERY_KEPT, 1, alice.email)
    assert mail.locked_until is None and mail.sent_at is None


def test_the_cancellation_email_reaches_the_smtp_server_with_the_events_id(db):
    [alice] = customers(db, 1, now=NOW)
    number = cancel(db, alice, now=NOW)
    [event] = events(db)
    with smtp_receiver() as smtp:
        settings = Settings(smtp_url=smtp.url)
        assert worker.run_once(db, now=NOW, settings=settings) == RunResult(sent=1)
        [msg] = smtp.wait_for(1)
    assert msg["To"] == alice.email
    assert event.id in msg["Message-ID"]
    assert number in _text(msg)
    [mail] = deliveries(db)
    assert (mail.status, mail.sent_at, mail.last_error) == (DELIVERY_SENT, NOW, "")


def test_an_email_the_server_refuses_is_tried_again_and_sent_once_it_accepts(db):
    [alice] = customers(db, 1, now=NOW)
    cancel(db, alice, now=NOW)
    with smtp_receiver() as smtp:
        settings = Settings(smtp_url=smtp.url)
        smtp.refuse = "554 transaction failed"
        assert worker.run_once(db, now=NOW, settings=settings) == RunResult(retried=1)
        [mail] = deliveries(db)
        assert mail.status == DELIVERY_PENDING and mail.last_error
        assert mail.next_attempt_at == NOW + 30 * SECOND
        smtp.refuse = ""
        assert worker.run_once(db, now=NOW + 30 * SECOND, settings=settings) == RunResult(sent=1)
        assert len(smtp.wait_for(1)) == 1
    [mail] = deliveries(db)
    assert (mail.status, mail.attempts, mail.last_error) == (DELIVERY_SENT, 2, "")


def _emit(db, type_, data, to=("gone@example.com", "it")):
    with db.transaction(write=True) as s:
        return outbox.emit(s, type_, at=NOW, data=data, mail_to=to)


def test_the_erasure_emails_address_is_forgotten_once_sent_and_kept_until_then(db):
    erased = {"account_id": 7, "erased_on": "2026-11-26", "ended_on": "2026-09-26"}
    _emit(db, EVENT_ACCOUNT_ERASED, erased)
    assert worker.run_once(db, now=NOW, settings=KEPT) == RunResult(kept=1)
    assert deliveries(db)[0].recipient == "gone@example.com"  # the demo shows it: not sent
    with db.transaction() as s:
        s.execute(update(OutboxDelivery).values(status=DELIVERY_PENDING))
    with smtp_receiver() as smtp:
        settings = Settings(smtp_url=smtp.url)
        assert worker.run_once(db, now=NOW, settings=settings) == RunResult(sent=1)
        [msg] = smtp.wait_for(1)
    assert msg["To"] == "gone@example.com"
    [mail] = deliveries(db)
    assert (mail.status, mail.recipient) == (DELIVERY_SENT, "")


def test_the_erasure_email_reaches_the_last_address_then_nothing_personal_is_left(db):
    """The purge runs while the "ended" e-mail (made in the same run) is still to be sent: both
    go out, to the address the purge has just deleted, and then the outbox keeps nothing of
    the account but the erasure event (its number and dates)."""
    [alice] = customers(db, 1, now=NOW)
    cancel(db, alice, now=NOW)
    with smtp_receiver() as smtp:
        settings = Settings(smtp_url=smtp.url)
        assert worker.run_once(db, now=NOW, settings=settings) == RunResult(sent=1)
        assert lifecycle.run(db, dt.date(2027, 6, 1), now=NOW).purged == [alice.account_id]
        assert worker.run_once(db, now=NOW, settings=settings) == RunResult(sent=2)
        received = smtp.wait_for(3)
    assert [m["To"] for m in received] == [alice.email] * 3
    [erased] = events(db)
    assert erased.type == EVENT_ACCOUNT_ERASED
    assert set(json.loads(erased.data)) == {"account_id", "erased_on", "ended_on"}
    [delivery] = deliveries(db)
    assert (delivery.event_id, delivery.status, delivery.recipient) == (
        erased.id,
        DELIVERY_SENT,
        "",
    )


def test_a_reset_link_leaves_the_database_once_its_email_is_sent(db):
    link = "http://localhost:8501/?reset=tok_abcdefghijklmnopqrstuvwxyz"
    data = {"reset_url": link, "expires_at": NOW + dt.timedelta(minutes=30)}
    _emit(db, EVENT_PASSWORD_RESET, data, to=("alice@example.com", "en"))
    assert worker.run_once(db, now=NOW, settings=KEPT) == RunResult(kept=1)
    assert json.loads(events(db)[0].data)["reset_url"] == link  # kept: the desk shows it
    with db.transaction() as s:
        s.execute(update(OutboxDelivery).values(status=DELIVERY_PENDING))
    with smtp_receiver() as smtp:
        assert worker.run_once(db, now=NOW, settings=Settings(smtp_url=smtp.url)).sent == 1
        [msg] = smtp.wait_for(1)
    assert link in _text(msg)
    [event] = events(db)
    assert json.loads(event.data)["reset_url"] == "" and link not in event.data


# --- webhooks ---------------------------------------------------------------------------------


def _one_webhook(db, hook):
    [alice] = customers(db, 1, now=NOW)
    endpoint(db, hook.url, now=NOW)
    cancel(db, alice, now=NOW)
    [event] = events(db)
    return event


def _webhook(db) -> OutboxDelivery:
    [delivery] = deliveries(db, CHANNEL_WEBHOOK)
    return delivery


def _verified(call, at: dt.datetime) -> bool:
    from core.outbox import webhooks

    header = call.headers["portal-signature"]
    return webhooks.verify(SECRET, call.body, header, now=int(at.timestamp()))


def test_a_webhook_answered_500_is_tried_again_and_arrives_once_the_receiver_recovers(db):
    with http_receiver() as hook:
        event = _one_webhook(db, hook)
        hook.answer = 500
        assert worker.run_once(db, now=NOW, settings=KEPT) == RunResult(kept=1, retried=1)
        first = _webhook(db)
        assert (first.status, first.last_error, first.attempts) == (DELIVERY_PENDING, "HTTP 500", 1)
        assert first.next_attempt_at == NOW + 30 * SECOND
        assert worker.run_once(db, now=NOW + 29 * SECOND, settings=KEPT) == RunResult()
        hook.answer = 200
        assert worker.run_once(db, now=NOW + 30 * SECOND, settings=KEPT) == RunResult(sent=1)
        assert hook.event_ids() == [event.id, event.id]  # the same id: a duplicate to drop
        assert hook.calls[0].body == hook.calls[1].body
        assert hook.calls[1].json()["id"] == event.id
        assert hook.calls[1].json()["type"] == EVENT_CANCELLATION_SCHEDULED
        assert _verified(hook.calls[1], NOW + 30 * SECOND)
    done = _webhook(db)
    assert (done.status, done.attempts, done.last_error) == (DELIVERY_SENT, 2, "")
    assert done.sent_at == NOW + 30 * SECOND


def test_a_webhook_that_times_out_is_tried_again_and_arrives_once_the_receiver_answers(db):
    with http_receiver() as hook:
        event = _one_webhook(db, hook)
        hook.delay = 2.0
        started = time.monotonic()
        result = worker.run_once(db, now=NOW, settings=KEPT, timeout=0.5, lease_seconds=60)
        assert time.monotonic() - started < 1.8  # the worker did not wait for the answer
        assert result == RunResult(kept=1, retried=1)
        assert "timed out" in _webhook(db).last_error
        hook.delay = 0
        later = NOW + 30 * SECOND
        assert worker.run_once(db, now=later, settings=KEPT, timeout=0.5, lease_seconds=60) == (
            RunResult(sent=1)
        )
        assert hook.event_ids() == [event.id, event.id]
    assert _webhook(db).status == DELIVERY_SENT


def test_retries_wait_30_s_doubling_to_an_hour_and_stop_as_failed_after_a_day(db):
    with http_receiver() as hook:
        _one_webhook(db, hook)
        hook.answer = 503
        tries, at = [], NOW
        while True:
            worker.run_once(db, now=at, settings=KEPT)
            tries.append(at)
            delivery = _webhook(db)
            if delivery.status != DELIVERY_PENDING:
                break
            early = delivery.next_attempt_at - SECOND
            assert worker.run_once(db, now=early, settings=KEPT) == RunResult()
            at = delivery.next_attempt_at
        assert len(hook.calls) == len(tries)
    waits = [(b - a).total_seconds() for a, b in itertools.pairwise(tries)]
    assert waits[:9] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert set(waits[7:]) == {3600}
    assert tries[-2] < NOW + dt.timedelta(days=1) <= tries[-1]
    assert (delivery.status, delivery.last_error) == (DELIVERY_FAILED, "HTTP 503")
    assert delivery.attempts == len(tries)


def test_a_slow_receiver_holds_no_lock_the_app_or_another_worker_needs(db):
    """The worker sends outside any transaction: while a receiver keeps it waiting, customers
    go on cancelling and a second worker sends what the first did not claim."""
    with http_receiver() as hook:
        alice, bob = customers(db, 2, now=NOW)
        endpoint(db, hook.url, now=NOW, types=(EVENT_CANCELLATION_SCHEDULED,))
        cancel(db, alice, now=NOW)
        hook.hold()
        first = threading.Thread(
            target=worker.run_once, args=(db,), kwargs={"now": NOW, "settings": KEPT}
        )
        first.start()
        try:
            assert hook.arrived.wait(10)
            started = time.monotonic()
            cancel(db, bob, now=NOW)
            other = worker.run_once(db, now=NOW, settings=KEPT, timeout=1, lease_seconds=60)
            assert time.monotonic() - started < 3
            assert other == RunResult(kept=1, retried=1)  # Bob's e-mail; his call times out
        finally:
            hook.release()
            first.join(10)
    statuses = {(d.recipient, d.status) for d in deliveries(db)}
    assert (alice.email, DELIVERY_KEPT) in statuses and (bob.email, DELIVERY_KEPT) in statuses
    assert (hook.url, DELIVERY_SENT) in statuses  # Alice's call, answered once released


def test_a_deleted_or_disabled_endpoint_fails_the_call_at_once_saying_why(db):
    with http_receiver() as hook:
        cancelled_with_endpoints_gone(db, hook.url, now=NOW)
        assert worker.run_once(db, now=NOW, settings=KEPT) == RunResult(kept=1, failed=2)
        assert hook.calls == []
    reasons = sorted(d.last_error for d in deliveries(db, CHANNEL_WEBHOOK))
    assert reasons == ["the endpoint is disabled", "the endpoint was deleted"]


# --- the loop, the command, the demo's in-app worker -------------------------------------------


def test_the_loop_sends_what_comes_in_and_stops_when_asked(sqlite_db):
    db = sqlite_db
    [alice] = customers(db, 1, now=NOW)
    stop, results = threading.Event(), []
    thread = threading.Thread(
        target=worker.run_loop,
        args=(db,),
        kwargs={"settings": KEPT, "poll_seconds": 0.05, "stop": stop, "on_result": results.append},
    )
    thread.start()
    try:
        time.sleep(0.2)
        cancel(db, alice, now=dt.datetime.now(dt.UTC))  # while the loop runs
        deadline = time.monotonic() + 10
        while deliveries(db)[0].status != DELIVERY_KEPT and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert deliveries(db)[0].status == DELIVERY_KEPT
    assert sum(r.kept for r in results) == 1


def test_the_command_sends_once_and_says_what_it_did(sqlite_db, capsys, monkeypatch):
    monkeypatch.delenv("PORTAL_SMTP_URL", raising=False)
    [alice] = customers(sqlite_db, 1, now=NOW)
    cancel(sqlite_db, alice, now=dt.datetime.now(dt.UTC))
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "outbox", "run"]) == 0
    out = capsys.readouterr().out
    assert "0 sent, 1 kept (no SMTP server), 0 to try again, 0 failed" in out
    assert deliveries(sqlite_db)[0].status == DELIVERY_KEPT


def test_the_command_refuses_a_poll_that_is_not_a_number(capsys):
    with pytest.raises(SystemExit):
        main(["outbox", "run", "--loop", "--poll", "soon"])
    assert "not a number of seconds" in capsys.readouterr().err


def test_the_demo_runs_the_worker_in_the_app_unless_told_not_to(sqlite_db):
    demo = Settings(demo_mode=True, smtp_url="")
    assert startup.outbox_in_app(demo, {})
    assert not startup.outbox_in_app(demo, {"PORTAL_OUTBOX_IN_APP": "0"})
    assert not startup.outbox_in_app(Settings(demo_mode=True, smtp_url="smtp://x:25"), {})
    assert not startup.outbox_in_app(Settings(demo_mode=False), {})
    [alice] = customers(sqlite_db, 1, now=NOW)
    cancel(sqlite_db, alice, now=dt.datetime.now(dt.UTC))
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    started = startup.start_outbox_worker(
        Settings(database_url=url, demo_mode=True), poll_seconds=0.05
    )
    assert started is not None
    thread, stop = started
    try:
        deadline = time.monotonic() + 10
        while deliveries(sqlite_db)[0].status != DELIVERY_KEPT and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert thread.daemon and not thread.is_alive()
    assert [d.channel for d in deliveries(sqlite_db)] == [CHANNEL_EMAIL]
    assert deliveries(sqlite_db)[0].status == DELIVERY_KEPT


def test_the_app_servers_start_up_runs_the_demos_worker_until_the_server_stops(
    sqlite_db, monkeypatch
):
    """`app.py`'s lifespan: in demo mode without SMTP the worker runs beside the server (the
    Outgoing tab fills by itself) and stops with it; with PORTAL_OUTBOX_IN_APP=0 it does not."""
    import asyncio

    [alice] = customers(sqlite_db, 1, now=NOW)
    cancel(sqlite_db, alice, now=dt.datetime.now(dt.UTC))
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_DEMO_MODE", "1")
    monkeypatch.delenv("PORTAL_SMTP_URL", raising=False)

    async def serve(seconds: float) -> set[str]:
        async with startup.lifespan(None):
            deadline = time.monotonic() + seconds
            while deliveries(sqlite_db)[0].status == DELIVERY_PENDING:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
        return {t.name for t in threading.enumerate()}

    monkeypatch.setenv("PORTAL_OUTBOX_IN_APP", "0")
    asyncio.run(serve(1.0))
    assert deliveries(sqlite_db)[0].status == DELIVERY_PENDING  # nobody sent it
    monkeypatch.delenv("PORTAL_OUTBOX_IN_APP")
    threads_after = asyncio.run(serve(10))
    assert deliveries(sqlite_db)[0].status == DELIVERY_KEPT
    assert "outbox-worker" not in threads_after  # stopped with the server


def test_a_worker_asked_to_stop_gives_back_what_it_has_not_sent(db):
    """SIGTERM to `--loop` sets the stop: the deliveries claimed but not yet sent go back at
    once (no lease to wait for), untried."""
    users = customers(db, 2, now=NOW)
    for user in users:
        cancel(db, user, now=NOW)
    stop = threading.Event()
    stop.set()
    assert worker.run_once(db, now=NOW, settings=KEPT, stop=stop) == RunResult()
    assert {(d.status, d.attempts, d.locked_until) for d in deliveries(db)} == {
        (DELIVERY_PENDING, 0, None)
    }
    assert worker.run_once(db, now=NOW, settings=KEPT) == RunResult(kept=2)


def test_an_event_dated_ahead_by_the_demo_clock_is_sent_at_once(db):
    """The demo clock applies the lifecycle as of a later day, dating its events then: the
    Outgoing tab should not wait for that day to show the customer's e-mail."""
    [alice] = customers(db, 1, now=NOW)
    ahead = NOW + dt.timedelta(days=40)
    with db.transaction(write=True) as s:
        outbox.emit(s, EVENT_CANCELLATION_SCHEDULED, at=ahead, data={}, account_id=alice.account_id)
    assert worker.run_once(db, now=NOW, settings=KEPT) == RunResult(kept=1)
