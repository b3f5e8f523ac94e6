"""The webhook endpoints on the support desk's "Outgoing" section, under AppTest on a real
SQLite file: an admin adds one (its secret shown once, then gone), edits it, disables it,
gives it a new secret and deletes it (both asked first); a URL core refuses gets its reason in
the admin's language and nothing is saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.outbox import webhooks
from core.platform import i18n
from core.platform.outbox_tables import WebhookEndpoint
from pages.components.text import md
from tests.support.pages import SUPPORT, assert_no_raw_keys, open_as, visible_text

FORM = "webhook_form_new"


def show_outgoing(at):
    at.segmented_control(key="support_section").set_value("outgoing").run()
    assert not at.exception, at.exception
    return at


def stored(db) -> list[WebhookEndpoint]:
    with db.transaction() as s:
        return list(s.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def add(at, url: str, types: list[str] | None = None, description: str = ""):
    at.text_input(key=f"{FORM}_url").input(url)
    if types is not None:
        at.pills(key=f"{FORM}_types").set_value(types)
    at.text_input(key=f"{FORM}_description").input(description)
    at.button(key=f"{FORM}_save").click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def desk(shop_site, monkeypatch):
    monkeypatch.setenv("PORTAL_WEBHOOKS_ALLOW_PRIVATE", "1")  # a receiver on this machine
    return shop_site


@pytest.mark.parametrize("lang", ["en", "it"])
def test_an_endpoint_is_added_its_secret_shown_once_then_changed_and_deleted(desk, lang):
    db, _made = desk
    at = show_outgoing(open_as("boss", lang, SUPPORT))
    assert i18n.t("outgoing.webhooks.none", lang) in [i.value for i in at.info]
    add(at, "http://127.0.0.1:8765/hooks", ["cancellation.scheduled", "account.erased"], "CRM")
    [endpoint] = stored(db)
    assert endpoint.url == "http://127.0.0.1:8765/hooks" and endpoint.enabled
    assert "cancellation.scheduled" in endpoint.event_types
    [secret] = [c.value for c in at.code]
    assert secret == endpoint.secret and secret.startswith("whsec_")
    assert at.text_input(key=f"{FORM}_url").value == ""  # the form is ready for another
    text = visible_text(at)
    assert i18n.t("outgoing.webhooks.secret_hint", lang, hint=md(secret[-4:])) in text
    types = webhooks.event_type_label("cancellation.scheduled", lang)
    assert types in text and webhooks.event_type_label("account.erased", lang) in text
    # once: gone after "I copied it", and never shown again
    at.button(key="webhook_secret_done").click().run()
    assert not at.code and secret not in visible_text(at)
    at.run()
    assert not at.code

    k = f"webhook_{endpoint.id}"
    at.button(key=f"{k}_edit").click().run()
    at.text_input(key=f"webhook_form_{endpoint.id}_description").input("Billing")
    at.button(key=f"webhook_form_{endpoint.id}_save").click().run()
    assert not at.exception, at.exception
    assert stored(db)[0].description == "Billing"
    assert not at.code  # an edit makes no secret

    at.button(key=f"{k}_toggle").click().run()
    assert not stored(db)[0].enabled
    assert i18n.t("outgoing.webhooks.disabled", lang) in visible_text(at)
    assert at.button(key=f"{k}_toggle").label == i18n.t("outgoing.webhooks.enable", lang)

    at.button(key=f"{k}_rotate_ask").click().run()
    assert stored(db)[0].secret == secret  # asked only
    at.button(key=f"{k}_rotate_yes").click().run()
    [fresh] = [c.value for c in at.code]
    assert fresh == stored(db)[0].secret != secret

    at.button(key=f"{k}_delete_ask").click().run()
    asked = i18n.t("outgoing.webhooks.confirm_delete", lang, url=md(endpoint.url))
    assert asked in [w.value for w in at.warning]
    at.button(key=f"{k}_delete_yes").click().run()
    assert stored(db) == []
    assert i18n.t("outgoing.webhooks.none", lang) in [i.value for i in at.info]
    assert_no_raw_keys(at)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hooks", "javascript:alert(1)", "https://a.example/" + "a" * 10_000]
)
def test_a_refused_url_gets_its_reason_and_nothing_is_saved(desk, url):
    db, _made = desk
    at = show_outgoing(open_as("boss", "it", SUPPORT))
    add(at, url, ["cancellation.scheduled"])
    [error] = [e.value for e in at.error]
    assert error and "outgoing." not in error and "webhooks." not in error  # words, not keys
    assert not at.code
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_a_private_address_is_refused_unless_the_settings_allow_it(shop_site, monkeypatch):
    db, _made = shop_site
    monkeypatch.setenv("PORTAL_WEBHOOKS_ALLOW_PRIVATE", "0")
    at = show_outgoing(open_as("boss", "en", SUPPORT))
    add(at, "http://169.254.169.254/latest/meta-data", ["cancellation.scheduled"])
    assert at.error and not stored(db)
    assert not at.code
