"""Webhook endpoints kept by admins (SQLite and PostgreSQL): the secret shown once and never in
the audit log, changes and deletions audited, bad input refused with nothing changed, and the
outbox writing a delivery for each enabled endpoint subscribed to the event's type.

Who may call each function: tests/core/test_authorization_matrix.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from core.outbox import webhooks
from core.platform import outbox
from core.platform.config import Settings
from core.platform.errors import InvalidInput, NotFound
from core.platform.i18n import t
from core.platform.models import AuditEntry
from core.platform.outbox_tables import OutboxDelivery, WebhookEndpoint
from core.rules.vocabulary import (
    ACTION_WEBHOOK_DELETED,
    ACTION_WEBHOOK_SAVED,
    EVENT_ACCOUNT_ERASED,
    EVENT_CANCELLATION_SAVED,
    EVENT_CANCELLATION_SCHEDULED,
    EVENT_PASSWORD_RESET,
)
from tests.support import factories, hostile
from tests.support.env import NOW

STRICT = Settings(webhooks_allow_private=False)
URL = "https://93.184.215.14/hooks"
OTHER_URL = "https://93.184.215.15/portal-events"


@pytest.fixture
def boss(db):
    factories.admin(db, "boss@example.com", now=NOW)
    from core.identity import auth

    return auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user


def add(db, boss, **fields):
    values = {"url": URL, "event_types": [EVENT_CANCELLATION_SCHEDULED]} | fields
    return webhooks.save_endpoint(db, boss, now=NOW, settings=STRICT, **values)


def audit_rows(db) -> list[AuditEntry]:
    with db.transaction() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def everything(db) -> tuple:
    with db.transaction() as s:
        endpoints = s.execute(select(WebhookEndpoint.__table__)).all()
        entries = s.scalar(select(func.count()).select_from(AuditEntry))
    return tuple(map(tuple, endpoints)), entries


def test_a_new_endpoint_gets_a_secret_shown_once_and_never_audited(db, boss):
    endpoint, secret = add(
        db,
        boss,
        event_types=[EVENT_ACCOUNT_ERASED, EVENT_CANCELLATION_SCHEDULED],
        description="CRM sync",
    )
    assert secret.startswith("whsec_") and len(secret) == 38
    assert endpoint.url == URL
    assert endpoint.event_types == (EVENT_CANCELLATION_SCHEDULED, EVENT_ACCOUNT_ERASED)
    assert endpoint.enabled and endpoint.description == "CRM sync"
    assert endpoint.created_at == NOW
    assert endpoint.secret_hint == secret[-4:]
    assert webhooks.endpoints(db, boss) == [endpoint]
    (entry,) = audit_rows(db)
    assert entry.action == ACTION_WEBHOOK_SAVED and entry.actor == "boss@example.com"
    assert json.loads(entry.after)["url"] == URL
    assert secret not in entry.before + entry.after
    assert t(f"support.audit.action.{entry.action}", "it") == "Endpoint webhook salvato"


def test_an_endpoint_is_changed_without_a_new_secret(db, boss):
    endpoint, secret = add(db, boss)
    changed, none = add(
        db,
        boss,
        endpoint_id=endpoint.id,
        url=OTHER_URL,
        event_types=[EVENT_CANCELLATION_SAVED],
        enabled=False,
        description="  paused for the migration  ",
    )
    assert none is None
    assert (changed.url, changed.event_types) == (OTHER_URL, (EVENT_CANCELLATION_SAVED,))
    assert not changed.enabled and changed.description == "paused for the migration"
    assert changed.secret_hint == secret[-4:]
    entry = audit_rows(db)[-1]
    assert json.loads(entry.before)["url"] == URL
    assert json.loads(entry.after)["enabled"] is False


def test_rotating_gives_a_new_secret_once_and_audits_it_without_either(db, boss):
    endpoint, old = add(db, boss)
    new = webhooks.rotate_secret(db, boss, endpoint.id, now=NOW)
    assert new.startswith("whsec_") and new != old
    assert webhooks.endpoints(db, boss)[0].secret_hint == new[-4:]
    entry = audit_rows(db)[-1]
    assert entry.action == ACTION_WEBHOOK_SAVED
    assert json.loads(entry.after)["secret"] == "new"
    assert old not in entry.before + entry.after and new not in entry.before + entry.after


def test_deleting_keeps_the_deliveries_made_for_it_and_audits(db, boss):
    endpoint, _ = add(db, boss)
    with db.transaction(write=True) as s:
        outbox.emit(s, EVENT_CANCELLATION_SCHEDULED, at=NOW, data={"flow_id": "f"}, mail=False)
    webhooks.delete_endpoint(db, boss, endpoint.id, now=NOW)
    assert webhooks.endpoints(db, boss) == []
    with db.transaction() as s:
        (delivery,) = s.scalars(select(OutboxDelivery))
        assert (delivery.recipient, delivery.endpoint_id) == (URL, None)
    entry = audit_rows(db)[-1]
    assert entry.action == ACTION_WEBHOOK_DELETED
    assert json.loads(entry.before)["url"] == URL
    with pytest.raises(NotFound) as caught:
        webhooks.delete_endpoint(db, boss, endpoint.id, now=NOW)
    assert t(caught.value.key, "en") == "This webhook endpoint no longer exists."
    with pytest.raises(NotFound):
        webhooks.rotate_secret(db, boss, endpoint.id, now=NOW)
    with pytest.raises(NotFound):
        add(db, boss, endpoint_id=endpoint.id)


def test_the_outbox_calls_each_enabled_endpoint_subscribed_to_the_type(db, boss):
    wants, _ = add(db, boss, event_types=[EVENT_CANCELLATION_SCHEDULED, EVENT_ACCOUNT_ERASED])
    add(db, boss, url=OTHER_URL, event_types=[EVENT_CANCELLATION_SAVED])
    add(db, boss, url=OTHER_URL, event_types=[EVENT_CANCELLATION_SCHEDULED], enabled=False)
    with db.transaction(write=True) as s:
        outbox.emit(s, EVENT_CANCELLATION_SCHEDULED, at=NOW, data={"flow_id": "f"}, mail=False)
    with db.transaction() as s:
        deliveries = s.execute(select(OutboxDelivery.endpoint_id, OutboxDelivery.recipient)).all()
    assert [tuple(d) for d in deliveries] == [(wants.id, URL)]


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"url": "ftp://93.184.215.14/"}, "webhooks.error.url_scheme"),
        ({"url": "https://93.184.215.14/" + "a" * 10_000}, "webhooks.error.url_too_long"),
        ({"url": "http://10.1.2.3/hooks"}, "webhooks.error.url_private"),
        ({"event_types": []}, "webhooks.error.event_types"),
        ({"event_types": "cancellation.scheduled"}, "webhooks.error.event_types"),
        ({"event_types": ["cancellation.exploded"]}, "webhooks.error.event_type_unknown"),
        ({"event_types": [EVENT_PASSWORD_RESET]}, "webhooks.error.event_type_unknown"),
        ({"description": "x" * 201}, "webhooks.error.description_too_long"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(db, boss, fields, key):
    endpoint, _ = add(db, boss)
    before = everything(db)
    for endpoint_id in (None, endpoint.id):  # adding, and changing the one there is
        with pytest.raises(InvalidInput) as caught:
            add(db, boss, endpoint_id=endpoint_id, **fields)
        assert caught.value.key == key
        assert t(key, "it", **caught.value.params)  # a message in both languages
    assert everything(db) == before


def test_hostile_descriptions_are_stored_without_what_cannot_be(sqlite_db):
    factories.admin(sqlite_db, "boss@example.com", now=NOW)
    from core.identity import auth

    boss = auth.sign_in(sqlite_db, "boss@example.com", factories.PASSWORD, now=NOW).user
    for entry in hostile.sample(3):
        try:
            endpoint, _ = add(sqlite_db, boss, description=entry.text)
        except InvalidInput as exc:
            assert exc.key == "webhooks.error.description_too_long", entry.name
            assert len(entry.text) > 200, entry.name
            continue
        stored = webhooks.endpoints(sqlite_db, boss)[-1].description
        assert stored == endpoint.description, entry.name
        assert not any(ch in stored for ch in "\x00\r\n\x1b"), entry.name


@pytest.mark.parametrize("entry", hostile.sample(3), ids=hostile.ids(hostile.sample(3)))
def test_hostile_urls_are_refused_or_cleaned_never_passed_on_raw(entry):
    for url in (entry.text, "https://93.184.215.14/" + entry.text, f"http://{entry.text}/"):
        try:
            cleaned = webhooks.check_url(url, STRICT)
        except InvalidInput as exc:
            assert exc.key.startswith("webhooks.error.url_"), (entry.name, exc.key)
            continue
        assert cleaned.isascii() and cleaned.isprintable(), entry.name
        assert not any(ch.isspace() for ch in cleaned), entry.name
        assert len(cleaned) <= 2048, entry.name


def test_the_time_of_a_change_is_the_one_given(db, boss):
    later = NOW + dt.timedelta(days=3)
    endpoint, _ = add(db, boss)
    webhooks.rotate_secret(db, boss, endpoint.id, now=later)
    assert [e.at for e in audit_rows(db)] == [NOW, later]
