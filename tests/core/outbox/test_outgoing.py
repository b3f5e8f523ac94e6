"""The support desk's Outgoing tab: what it lists and counts, an e-mail as the customer gets
it, and "send again" (audited; refused with a clear message where it makes no sense)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from core.identity import auth
from core.outbox import mail, outgoing, worker
from core.outbox.worker import RunResult
from core.platform.config import Settings
from core.platform.errors import InvalidInput, NotFound
from core.platform.i18n import t
from core.platform.models import AuditEntry, User
from core.platform.outbox_tables import OutboxDelivery, WebhookEndpoint
from core.rules.vocabulary import (
    ACTION_DELIVERY_RETRIED,
    CHANNEL_EMAIL,
    CHANNEL_WEBHOOK,
    DELIVERY_FAILED,
    DELIVERY_KEPT,
    DELIVERY_PENDING,
    DELIVERY_SENT,
    EVENT_CANCELLATION_SCHEDULED,
)
from tests.support import factories, hostile
from tests.support.env import NOW
from tests.support.outbox_shop import (
    KEPT,
    cancel,
    cancelled_with_endpoints_gone,
    customers,
    deliveries,
    endpoint,
    events,
)
from tests.support.receivers import http_receiver, smtp_receiver

DAY = dt.timedelta(days=1)


def _admin(db) -> auth.CurrentUser:
    factories.admin(db, "boss@example.com", now=NOW)
    return auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user


def _audit(db) -> list[AuditEntry]:
    with db.transaction() as s:
        return list(
            s.scalars(select(AuditEntry).where(AuditEntry.action == ACTION_DELIVERY_RETRIED))
        )


def test_the_tab_lists_and_counts_every_email_and_webhook_call_newest_first(db):
    with http_receiver() as hook:
        users = customers(db, 3, now=NOW)
        endpoint(db, hook.url, now=NOW)
        for i, user in enumerate(users):
            cancel(db, user, now=NOW + dt.timedelta(minutes=i))
        hook.answer = 500
        worker.run_once(db, now=NOW + dt.timedelta(minutes=5), settings=KEPT)
    boss = _admin(db)
    assert outgoing.status_counts(db, boss) == {"pending": 3, "sent": 0, "kept": 3, "failed": 0}
    page = outgoing.deliveries(db, boss, channel=CHANNEL_EMAIL)
    assert page.total == 3
    assert [r.recipient for r in page.rows] == [u.email for u in reversed(users)]
    assert {r.status for r in page.rows} == {DELIVERY_KEPT}
    assert page.rows[0].company == "Customer 3 Srl"
    assert page.rows[0].event_type == EVENT_CANCELLATION_SCHEDULED
    waiting = outgoing.deliveries(db, boss, status=DELIVERY_PENDING, limit=2, offset=1)
    assert waiting.total == 3 and len(waiting.rows) == 2
    assert {(r.channel, r.last_error, r.attempts) for r in waiting.rows} == {
        (CHANNEL_WEBHOOK, "HTTP 500", 1)
    }
    assert all(r.next_attempt_at for r in waiting.rows)
    with pytest.raises(InvalidInput) as bad:
        outgoing.deliveries(db, boss, status="lost")
    assert t(bad.value.key, "it", **bad.value.params) == "Questo stato o questo canale non esiste."


def test_a_failed_webhook_call_sent_again_is_audited_and_arrives(db):
    with http_receiver() as hook:
        [alice] = customers(db, 1, now=NOW)
        endpoint(db, hook.url, now=NOW)
        cancel(db, alice, now=NOW)
        hook.answer = 500
        at = NOW + DAY  # the event is a day old: one failure more and it is failed
        assert worker.run_once(db, now=at, settings=KEPT) == RunResult(kept=1, failed=1)
        boss = _admin(db)
        [failed] = outgoing.deliveries(db, boss, status=DELIVERY_FAILED).rows
        assert outgoing.status_counts(db, boss)[DELIVERY_FAILED] == 1

        outgoing.send_again(db, boss, failed.delivery_id, now=at + DAY, settings=KEPT)
        [entry] = _audit(db)
        assert (entry.actor, entry.account_id) == ("boss@example.com", alice.account_id)
        assert json.loads(entry.before)["status"] == DELIVERY_FAILED
        assert json.loads(entry.after)["status"] == DELIVERY_PENDING
        again = deliveries(db, CHANNEL_WEBHOOK)[0]
        assert (again.status, again.next_attempt_at, again.locked_until) == (
            DELIVERY_PENDING,
            at + DAY,
            None,
        )
        hook.answer = 200
        assert worker.run_once(db, now=at + DAY, settings=KEPT) == RunResult(sent=1)
        assert len(set(hook.event_ids())) == 1 and len(hook.calls) == 2
    assert outgoing.status_counts(db, boss)[DELIVERY_SENT] == 1


def test_send_again_refuses_what_was_sent_or_waits_and_changes_nothing(db):
    [alice] = customers(db, 1, now=NOW)
    cancel(db, alice, now=NOW)
    boss = _admin(db)
    [mail] = deliveries(db)
    with pytest.raises(InvalidInput) as waiting:
        outgoing.send_again(db, boss, mail.id, now=NOW, settings=KEPT)
    assert waiting.value.key == "outbox.error.still_pending"
    worker.run_once(db, now=NOW, settings=KEPT)  # kept: no SMTP server
    with pytest.raises(InvalidInput) as kept:
        outgoing.send_again(db, boss, mail.id, now=NOW, settings=KEPT)
    assert "PORTAL_SMTP_URL" in t(kept.value.key, "en")
    with db.transaction() as s:
        s.execute(update(OutboxDelivery).values(status=DELIVERY_SENT))
    with pytest.raises(InvalidInput) as sent:
        outgoing.send_again(db, boss, mail.id, now=NOW, settings=KEPT)
    assert t(sent.value.key, "it").startswith("È già stata inviata")
    with pytest.raises(NotFound):
        outgoing.send_again(db, boss, 9999, now=NOW, settings=KEPT)
    assert _audit(db) == []
    assert deliveries(db)[0].status == DELIVERY_SENT


def test_a_kept_email_is_sent_for_real_once_an_smtp_server_is_set(db):
    [alice] = customers(db, 1, now=NOW)
    number = cancel(db, alice, now=NOW)
    worker.run_once(db, now=NOW, settings=KEPT)
    boss = _admin(db)
    [mail] = deliveries(db)
    with smtp_receiver() as smtp:
        settings = Settings(smtp_url=smtp.url)
        outgoing.send_again(db, boss, mail.id, now=NOW, settings=settings)
        assert worker.run_once(db, now=NOW, settings=settings) == RunResult(sent=1)
        [msg] = smtp.wait_for(1)
    assert msg["To"] == alice.email
    assert number in msg.get_body(preferencelist=("plain",)).get_content()
    assert len(_audit(db)) == 1


def test_the_tab_shows_the_email_as_the_customer_gets_it_in_their_language(db):
    [alice] = customers(db, 1, now=NOW)
    with db.transaction() as s:
        s.execute(update(User).where(User.id == alice.id).values(language="it"))
    number = cancel(db, alice, now=NOW)
    boss = _admin(db)
    [delivery] = deliveries(db)
    shown = outgoing.delivery_mail(db, boss, delivery.id, settings=KEPT)
    assert number in shown.text and number in shown.html
    [event] = events(db)
    english = mail.render(event.type, json.loads(event.data), "en", KEPT)
    italian = mail.render(event.type, json.loads(event.data), "it", KEPT)
    assert shown.subject == italian.subject != english.subject
    assert any(name.endswith(".pdf") for name, _type, _data in shown.attachments)
    with pytest.raises(NotFound):
        outgoing.delivery_mail(db, boss, 9999, settings=KEPT)


def test_a_webhook_call_has_no_email_to_show(db):
    with http_receiver() as hook:
        [alice] = customers(db, 1, now=NOW)
        endpoint(db, hook.url, now=NOW)
        cancel(db, alice, now=NOW)
    boss = _admin(db)
    [call] = deliveries(db, CHANNEL_WEBHOOK)
    with pytest.raises(InvalidInput) as bad:
        outgoing.delivery_mail(db, boss, call.id, settings=KEPT)
    assert bad.value.key == "outbox.error.not_an_email"


def test_hostile_filters_and_ids_get_a_clear_message_and_change_nothing(db):
    [alice] = customers(db, 1, now=NOW)
    cancel(db, alice, now=NOW)
    boss = _admin(db)
    for entry in hostile.sample():
        for filters in ({"status": entry.text}, {"channel": entry.text}):
            with pytest.raises(InvalidInput) as bad:
                outgoing.deliveries(db, boss, **filters)
            assert t(bad.value.key, "en") and t(bad.value.key, "it")
    for wrong in ("1", "1 OR 1=1", -1, 0, 2**63, 1.5, None, True):
        with pytest.raises(NotFound):
            outgoing.send_again(db, boss, wrong, now=NOW, settings=KEPT)
        with pytest.raises(NotFound):
            outgoing.delivery_mail(db, boss, wrong, settings=KEPT)
    assert [(d.status, d.attempts) for d in deliveries(db)] == [(DELIVERY_PENDING, 0)]
    assert _audit(db) == []


def test_a_call_to_a_deleted_or_disabled_endpoint_is_not_sent_again_until_it_can_arrive(db):
    with http_receiver() as hook:
        _alice, _gone, off = cancelled_with_endpoints_gone(db, hook.url, now=NOW)
        assert worker.run_once(db, now=NOW, settings=KEPT).failed == 2
        boss = _admin(db)
        calls = {d.endpoint_id: d.id for d in deliveries(db, CHANNEL_WEBHOOK)}
        for endpoint_id, key in ((None, "endpoint_deleted"), (off, "endpoint_disabled")):
            with pytest.raises(InvalidInput) as refused:
                outgoing.send_again(db, boss, calls[endpoint_id], now=NOW, settings=KEPT)
            assert refused.value.key == f"outbox.error.{key}"
        assert _audit(db) == []
        with db.transaction() as s:
            s.get(WebhookEndpoint, off).enabled = True  # the admin enables it again
        outgoing.send_again(db, boss, calls[off], now=NOW, settings=KEPT)
        assert worker.run_once(db, now=NOW, settings=KEPT) == RunResult(sent=1)
        assert len(hook.calls) == 1
