"""The outbox writer (core.platform.outbox): every change a customer, support or the lifecycle
makes writes its event in the same transaction, with an e-mail to the customer and a call to
each webhook endpoint that asked for that type; a change that fails writes nothing. On SQLite
(and PostgreSQL when set)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from core import support_desk
from core.identity import auth
from core.jobs import lifecycle
from core.platform import outbox
from core.platform.config import Settings
from core.platform.models import PlaybookVersion, Subscription
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent, WebhookEndpoint
from core.retention import cancellation, offers, way_back
from core.retention.cancellation import ALL_CONSENTS, CancellationAlreadyScheduled, Survey
from core.rules import billing
from core.rules.offers import ANY, Offer, Playbook, Rule
from core.rules.vocabulary import (
    CHANNEL_EMAIL,
    CHANNEL_WEBHOOK,
    EVENT_ACCOUNT_ERASED,
    EVENT_ACCOUNT_REACTIVATED,
    EVENT_CANCELLATION_SAVED,
    EVENT_CANCELLATION_SCHEDULED,
    EVENT_CANCELLATION_UNDONE,
    EVENT_SUBSCRIPTION_ENDED,
    EVENT_SUBSCRIPTION_PAUSED,
    EVENT_SUBSCRIPTION_RESUMED,
    EVENT_SUPPORT_REQUEST,
    WEBHOOK_EVENTS,
)
from tests.support import factories
from tests.support.env import NOW

START = dt.date(2026, 3, 10)  # alice's cycle: 10 November to 10 December 2026 at NOW
PERIOD_END = dt.date(2026, 12, 10)
SETTINGS = Settings()
PAUSE = Playbook(
    offers=(Offer("pause1", "pause", cycles=1, title={"en": "Take a break", "it": "Sospendi"}),),
    rules=(Rule(ANY, ("pause1",)),),
)


class Outbox:
    """What the outbox holds, read as the worker and the support desk read it."""

    def __init__(self, db) -> None:
        self.db = db
        self.seen: set[str] = set()

    def new(self) -> list[tuple[str, dict, list[tuple[str, str, str]]]]:
        """The events written since the last call, oldest first: (type, data, deliveries as
        (channel, recipient, language))."""
        with self.db.transaction() as s:
            events = s.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.id.not_in(self.seen) if self.seen else True)
                .order_by(OutboxEvent.created_at, OutboxEvent.type)
            ).all()
            out = []
            for event in events:
                self.seen.add(event.id)
                deliveries = s.execute(
                    select(
                        OutboxDelivery.channel, OutboxDelivery.recipient, OutboxDelivery.language
                    )
                    .where(OutboxDelivery.event_id == event.id)
                    .order_by(OutboxDelivery.channel, OutboxDelivery.recipient)
                ).all()
                out.append((event.type, json.loads(event.data), [tuple(d) for d in deliveries]))
            return out


def endpoint(db, url: str, types, *, enabled: bool = True) -> None:
    with db.transaction() as s:
        s.add(
            WebhookEndpoint(
                url=url, secret="whsec_test", event_types=json.dumps(list(types)),
                enabled=enabled, description="", created_at=NOW,
            )
        )  # fmt: skip


@pytest.fixture
def shop(db):
    alice, users = factories.shop(db, now=NOW, start=START)
    with db.transaction() as s:  # a published playbook, as the admin's page leaves it
        s.add(
            PlaybookVersion(
                number=1, status="published", content=PAUSE.to_json(), note="",
                created_at=NOW - dt.timedelta(days=1), published_at=NOW - dt.timedelta(days=1),
            )
        )  # fmt: skip
    endpoint(db, "https://crm.example.com/hooks", WEBHOOK_EVENTS)
    endpoint(db, "https://billing.example.com/ended", [EVENT_SUBSCRIPTION_ENDED])
    endpoint(db, "https://old.example.com/hooks", WEBHOOK_EVENTS, enabled=False)
    return alice, users


ALICE_EN = (CHANNEL_EMAIL, "alice@example.com", "en")
ALICE_IT = (CHANNEL_EMAIL, "alice@example.com", "it")
CRM = (CHANNEL_WEBHOOK, "https://crm.example.com/hooks", "en")
BILLING = (CHANNEL_WEBHOOK, "https://billing.example.com/ended", "en")


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def cancel(db, user, when: dt.datetime):
    flow = cancellation.start(db, user, now=when)
    cancellation.answer_survey(db, user, flow.flow_id, None, now=when)
    cancellation.go_on(db, user, flow.flow_id, now=when)
    return cancellation.confirm(db, user, flow.flow_id, ALL_CONSENTS, now=when)


def test_a_subscriptions_whole_life_writes_one_event_per_change_with_its_deliveries(db, shop):
    alice, users = shop
    customer, boss = users["alice"], users["boss"]
    box = Outbox(db)

    # kept: other systems hear of it, the customer (who changed nothing) gets no e-mail
    flow = cancellation.start(db, customer, now=NOW)
    cancellation.keep(db, customer, flow.flow_id, now=NOW)
    [(kind, data, sent)] = box.new()
    assert (kind, data["saved_by"], data["offer"], data["flow_id"]) == (
        EVENT_CANCELLATION_SAVED, "kept", None, flow.flow_id,
    )  # fmt: skip
    assert data["account_id"] == alice.account_id and data["company"] == "Acme Srl"
    assert sent == [CRM]  # not the disabled endpoint, not the one for ended subscriptions

    # a pause taken: the customer's e-mail is in the language they chose
    auth.set_language(db, customer, "it")
    flow = cancellation.start(db, customer, now=NOW)
    cancellation.answer_survey(db, customer, flow.flow_id, Survey("not_using"), now=NOW)
    taken = offers.accept(db, customer, flow.flow_id, "pause1", now=NOW)
    [(kind, data, sent)] = box.new()
    assert (kind, data["saved_by"], data["offer"]["kind"]) == (
        EVENT_CANCELLATION_SAVED,
        "offer",
        "pause",
    )
    assert data["confirmation_number"] == taken.confirmation_number
    assert data["offer"]["terms"]["resumes_on"] == "2027-01-10"
    assert sent == [ALICE_IT, CRM]

    # the lifecycle starts the pause when the cycle ends, and ends it a cycle later
    lifecycle.run(db, PERIOD_END, now=at(PERIOD_END), settings=SETTINGS)
    [(kind, data, sent)] = box.new()
    assert (kind, data["paused_from"], data["paused_until"]) == (
        EVENT_SUBSCRIPTION_PAUSED, "2026-12-10", "2027-01-10",
    )  # fmt: skip
    assert sent == [ALICE_IT, CRM]
    resumed_on = dt.date(2027, 1, 10)
    lifecycle.run(db, resumed_on, now=at(resumed_on), settings=SETTINGS)
    [(kind, data, sent)] = box.new()
    assert (kind, data["resumed_on"], data["by"]) == (
        EVENT_SUBSCRIPTION_RESUMED, "2027-01-10", "lifecycle",
    )  # fmt: skip

    # scheduled: what the e-mail and the webhook state are the confirmation's own dates
    when = at(dt.date(2027, 1, 20))
    done = cancel(db, customer, when)
    [(kind, data, sent)] = box.new()
    assert kind == EVENT_CANCELLATION_SCHEDULED and sent == [ALICE_IT, CRM]
    assert data["confirmation_number"] == done.confirmation_number
    assert data["requested_at"] == "2027-01-20T09:00:00Z"
    assert (data["effective_on"], data["data_deleted_on"], data["reactivate_until"]) == (
        done.dates.effective_on.isoformat(),
        done.dates.data_deleted_on.isoformat(),
        done.dates.reactivate_until.isoformat(),
    )
    assert data["resume_until"] == done.dates.resume_until.isoformat()
    # a second cancellation fails and writes nothing
    with pytest.raises(CancellationAlreadyScheduled):
        cancel(db, customer, when)
    assert box.new() == []

    # a message to customer service, then the customer resumes it themselves
    request_id = way_back.contact_support(db, customer, "Please undo", now=when)
    [(kind, data, sent)] = box.new()
    assert (kind, data["request_id"], data["kind"], data["message"]) == (
        EVENT_SUPPORT_REQUEST, request_id, "undo_cancellation", "Please undo",
    )  # fmt: skip
    way_back.resume(db, customer, now=when)
    [(kind, data, sent)] = box.new()
    assert (kind, data["by"], data["was_effective_on"]) == (
        EVENT_CANCELLATION_UNDONE, "customer", done.dates.effective_on.isoformat(),
    )  # fmt: skip

    # scheduled again, undone by support; scheduled once more, ended by the lifecycle
    cancel(db, customer, when)
    support_desk.undo(db, boss, alice.account_id, now=when)
    assert [(k, d.get("by")) for k, d, _ in box.new()] == [
        (EVENT_CANCELLATION_SCHEDULED, None), (EVENT_CANCELLATION_UNDONE, "support"),
    ]  # fmt: skip
    done = cancel(db, customer, when)
    ends = done.dates.effective_on
    box.new()
    lifecycle.run(db, ends, now=at(ends), settings=SETTINGS)
    [(kind, data, sent)] = box.new()
    assert (kind, data["ended_on"], data["data_deleted_on"]) == (
        EVENT_SUBSCRIPTION_ENDED, ends.isoformat(), done.dates.data_deleted_on.isoformat(),
    )  # fmt: skip
    assert sent == [ALICE_IT, BILLING, CRM]  # the endpoint for ended subscriptions too

    # reactivated by support, inside the window
    support_desk.reactivate(db, boss, alice.account_id, now=at(ends), settings=SETTINGS)
    [(kind, data, sent)] = box.new()
    with db.transaction() as s:
        sub = s.scalar(select(Subscription).where(Subscription.account_id == alice.account_id))
        assert (kind, data["period_end"]) == (
            EVENT_ACCOUNT_REACTIVATED, sub.current_period_end.isoformat(),
        )  # fmt: skip


def test_the_purge_writes_the_erasure_event_and_forgets_what_was_told_before(db, shop):
    alice, users = shop
    done = cancel(db, users["alice"], NOW)
    ends = done.dates.effective_on
    lifecycle.run(db, ends, now=at(ends), settings=SETTINGS)
    # the worker delivered those two (scheduled, ended): nothing is pending any more
    with db.transaction() as s:
        s.execute(OutboxDelivery.__table__.update().values(status="sent"))
    purge_on = billing.data_deletion_date(ends, SETTINGS.reactivation_months)
    lifecycle.run(db, purge_on, now=at(purge_on), settings=SETTINGS)
    [(kind, data, sent)] = Outbox(db).new()
    assert kind == EVENT_ACCOUNT_ERASED
    assert data == {
        "account_id": alice.account_id,
        "erased_on": purge_on.isoformat(),
        "ended_on": ends.isoformat(),
    }  # nothing personal: no company, no address
    # the e-mail goes to the address the purge deleted everywhere else
    assert sent == [ALICE_EN, CRM]


def test_an_event_is_written_with_its_change_or_not_at_all(db, shop):
    alice, _users = shop

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.transaction(write=True) as s:
        outbox.emit(s, EVENT_SUBSCRIPTION_ENDED, account_id=alice.account_id, at=NOW, data={"x": 1})
        raise Boom()
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxDelivery)) == 0
    with pytest.raises(ValueError), db.transaction(write=True) as s:
        outbox.emit(s, "no.such.type", account_id=alice.account_id, at=NOW, data={})
