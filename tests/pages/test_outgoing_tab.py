"""The support desk's "Outgoing" section under Streamlit's AppTest, on a real SQLite file, with
the real outbox worker (no mail server: e-mails are kept; a webhook endpoint on a closed
loopback port: its call fails after a day): the counts call out the failed call, the filters
and the table read as words in the admin's language, a picked e-mail reads as the customer
gets it (subject, text, the receipt PDF), "Send again" asks first, puts the call back in the
queue and shows in the audit log, and the demo says e-mails are kept here, not sent."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.identity import auth
from core.outbox import mail, webhooks, worker
from core.platform import i18n
from core.platform.config import load_settings
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent
from core.retention import cancellation
from core.retention.cancellation import ALL_CONSENTS
from pages.components.text import md
from tests.support import factories
from tests.support.env import ROOT
from tests.support.pages import NOW, SUPPORT, assert_no_raw_keys, open_as, visible_text
from tests.support.ports import free_port


def show_outgoing(at):
    at.segmented_control(key="support_section").set_value("outgoing").run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    return visible_text(at) + "\n" + "\n".join(str(t.value) for t in at.text)


def table(at):
    [frame] = at.dataframe  # the only table of the section
    return frame.value


@pytest.fixture
def outgoing_site(shop_site, monkeypatch):
    """shop_site, plus an endpoint on a closed port, erin's cancellation (an e-mail and a
    webhook call), and the worker run a day later: every e-mail kept, the call failed."""
    db, made = shop_site
    monkeypatch.setenv("PORTAL_WEBHOOKS_ALLOW_PRIVATE", "1")
    settings = dataclasses.replace(load_settings(), smtp_url="", webhooks_allow_private=True)
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD).user
    url = f"http://127.0.0.1:{free_port()}/hooks"
    endpoint, _secret = webhooks.save_endpoint(
        db, boss, url=url, event_types=["cancellation.scheduled"], settings=settings
    )
    erin = factories.customer(db, "erin@example.com", 1, now=NOW, company="Erin GmbH")
    user = auth.sign_in(db, "erin@example.com", factories.PASSWORD).user
    flow = cancellation.start(db, user)
    cancellation.go_on(db, user, flow.flow_id)
    cancellation.confirm(db, user, flow.flow_id, ALL_CONSENTS)
    result = worker.run_once(db, now=NOW + dt.timedelta(hours=25), settings=settings)
    assert result.failed == 1 and result.kept >= 3, result
    return db, made | {"erin": erin}, endpoint


def delivery(db, **where) -> OutboxDelivery:
    with db.transaction() as s:
        return s.scalars(select(OutboxDelivery).filter_by(**where)).one()


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_failed_call_is_called_out_whichever_section_of_the_desk_is_open(outgoing_site, lang):
    at = open_as("boss", lang, SUPPORT)  # the first section, scheduled cancellations
    assert not at.exception, at.exception
    banner = i18n.t("desk.failed_deliveries.one", lang, n="1")
    assert banner in [e.value for e in at.error]
    show_outgoing(at)  # the section itself says it, once, with how to find it
    assert banner not in [e.value for e in at.error]
    assert i18n.t("outgoing.failed.one", lang, n="1") in [e.value for e in at.error]


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_counts_call_out_the_failed_call_and_the_table_reads_as_words(outgoing_site, lang):
    db, _made, endpoint = outgoing_site
    at = show_outgoing(open_as("boss", lang, SUPPORT))
    text = texts(at)
    shown = {m.label: m.value for m in at.metric}
    assert shown[i18n.t("outgoing.statuses.failed", lang)] == "1"
    assert shown[i18n.t("outgoing.statuses.pending", lang)] == "0"
    with db.transaction() as s:
        emails = s.scalar(select(OutboxDelivery.id).where(OutboxDelivery.channel == "email"))
    assert emails  # the e-mails were made
    assert i18n.t("outgoing.failed.one", lang, n="1") in [e.value for e in at.error]
    assert i18n.t("outgoing.kept_no_smtp", lang) in text  # no mail server, not the demo
    rows = table(at)
    types = set(rows[i18n.t("outgoing.col.type", lang)])
    assert webhooks.event_type_label("cancellation.scheduled", lang) in types
    assert webhooks.event_type_label("support_request.received", lang) in types
    assert not any("." in t for t in types)  # words, not codes
    assert "alice@example.com" in set(rows[i18n.t("outgoing.col.recipient", lang)])

    at.selectbox(key="outgoing_status").set_value("failed").run()
    rows = table(at)
    assert len(rows) == 1
    [row] = rows.to_dict("records")
    assert row[i18n.t("outgoing.col.recipient", lang)] == endpoint.url
    assert row[i18n.t("outgoing.col.status", lang)] == i18n.t("outgoing.status.failed", lang)
    assert row[i18n.t("outgoing.col.last_error", lang)]  # the reason, as the worker wrote it
    assert row[i18n.t("outgoing.col.account", lang)] == "Erin GmbH"

    at.selectbox(key="outgoing_status").set_value(None).run()
    at.selectbox(key="outgoing_channel").set_value("webhook").run()
    assert set(table(at)[i18n.t("outgoing.col.channel", lang)]) == {"Webhook"}
    at.selectbox(key="outgoing_status").set_value("sent").run()
    assert i18n.t("outgoing.none_filtered", lang) in [i.value for i in at.info]
    assert_no_raw_keys(at)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_picked_email_reads_as_the_customer_gets_it(outgoing_site, lang):
    db, _made, _endpoint = outgoing_site
    alice = delivery(db, recipient="alice@example.com", channel="email")
    with db.transaction() as s:
        event = s.get(OutboxEvent, alice.event_id)
        data = json.loads(event.data)
    expected = mail.render(event.type, data, alice.language, load_settings())
    at = show_outgoing(open_as("boss", lang, SUPPORT))
    at.selectbox(key="outgoing_pick").set_value(alice.id).run()
    assert not at.exception, at.exception
    text = texts(at)
    assert expected.subject in text.replace("\\", "")  # Markdown-escaped in the page
    assert expected.text.strip() in [t.value.strip() for t in at.text]  # the text, exactly
    assert data["confirmation_number"] in expected.text
    [(name, _mime, content)] = expected.attachments
    [button] = at.get("download_button")
    assert button.label == i18n.t("outgoing.mail.download", lang, name=name)
    assert content.startswith(b"%PDF")
    # kept, not sent: no mail server; nothing to send again yet
    assert i18n.t("outgoing.kept_until_smtp", lang) in text
    assert not [b for b in at.button if b.key == f"outgoing_again_{alice.id}_ask"]


def test_send_again_asks_first_queues_the_call_and_is_audited(outgoing_site):
    db, _made, _endpoint = outgoing_site
    failed = delivery(db, status="failed")
    at = show_outgoing(open_as("boss", "en", SUPPORT))
    at.selectbox(key="outgoing_status").set_value("failed").run()
    at.selectbox(key="outgoing_pick").set_value(failed.id).run()
    assert failed.last_error in texts(at).replace("\\", "")
    assert i18n.t("outgoing.webhook.about", "en") in texts(at)  # a call: no e-mail to show
    assert not at.text and not at.get("download_button")
    key = f"outgoing_again_{failed.id}"
    at.button(key=f"{key}_ask").click().run()
    [prompt] = [w.value for w in at.warning if "again?" in w.value]
    assert f"Send no. {failed.id} (Cancellation scheduled) to " in prompt
    assert failed.event_id.replace("_", "\\_") in prompt  # the same event id, said so
    assert delivery(db, id=failed.id).status == "failed"  # asked only
    at.button(key=f"{key}_no").click().run()
    assert delivery(db, id=failed.id).status == "failed"

    at.button(key=f"{key}_ask").click().run()
    at.button(key=f"{key}_yes").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        i18n.t("outgoing.done_send_again", "en", number=failed.id)
    ]
    again = delivery(db, id=failed.id)
    assert again.status == "pending" and again.locked_until is None
    # the counts and the list are fresh: nothing failed any more
    assert not at.error
    assert {m.label: m.value for m in at.metric}["Failed"] == "0"

    at.segmented_control(key="support_section").set_value("audit").run()
    audit = next(d.value for d in at.dataframe if "What" in d.value.columns)
    first = audit.iloc[0]
    assert (first["Who"], first["What"]) == (
        "boss@example.com",
        i18n.t("support.audit.action.outbox_delivery_retried", "en"),
    )
    assert "Status: Failed → Waiting" in first["What changed"]  # words, not codes


def test_a_send_again_refused_when_another_admin_was_quicker(outgoing_site):
    db, _made, _endpoint = outgoing_site
    from core.outbox import outgoing

    failed = delivery(db, status="failed")
    at = show_outgoing(open_as("boss", "it", SUPPORT))
    at.selectbox(key="outgoing_pick").set_value(failed.id).run()
    at.button(key=f"outgoing_again_{failed.id}_ask").click().run()
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD).user
    outgoing.send_again(db, boss, failed.id)  # someone else, meanwhile
    at.button(key=f"outgoing_again_{failed.id}_yes").click().run()
    assert not at.exception, at.exception
    [error] = [e.value for e in at.error]
    assert error and not at.success  # refused, in words
    assert "outgoing." not in error


@pytest.mark.parametrize("lang", ["en", "it"])
def test_in_demo_mode_the_tab_says_emails_are_kept_here(shop_site, monkeypatch, lang):
    monkeypatch.setenv("PORTAL_DEMO_MODE", "1")
    monkeypatch.setenv("PORTAL_OUTBOX_IN_APP", "0")
    at = show_outgoing(open_as("boss", lang, SUPPORT))
    assert i18n.t("outgoing.kept_demo", lang) in [i.value for i in at.info]
    monkeypatch.setenv("PORTAL_SMTP_URL", "smtp://127.0.0.1:1025")
    at.run()
    assert i18n.t("outgoing.kept_demo", lang) not in texts(at)
    assert i18n.t("outgoing.kept_no_smtp", lang) not in texts(at)


def test_a_long_list_is_shown_a_page_at_a_time(shop_site):
    db, _made = shop_site
    from core.platform.outbox import emit

    with db.transaction(write=True) as s:
        for i in range(30):
            emit(
                s,
                "support_request.received",
                at=NOW + dt.timedelta(seconds=i),
                data={"request_id": i, "kind": "other", "message": f"m{i}", "flow_id": None},
                mail_to=(f"p{i}@example.com", "en"),
            )
    at = show_outgoing(open_as("boss", "en", SUPPORT))
    first = table(at)
    total = len(first)
    assert total == 25
    assert "1–25 of " in texts(at)
    assert at.button(key="outgoing_newer").disabled
    at.button(key="outgoing_older").click().run()
    second = table(at)
    assert not set(second["No."]) & set(first["No."])  # the next rows, none twice
    assert "26–" in texts(at)
    at.button(key="outgoing_newer").click().run()
    assert list(table(at)["No."]) == list(first["No."])


def test_a_hostile_company_name_shows_as_typed_in_the_email_and_its_facts(shop_site):
    db, _made = shop_site
    name = "**Evil** [x](http://127.0.0.1:9/) <b>bold</b> :red[r] $x$"
    factories.customer(db, "erin@example.com", 1, now=NOW, company=name)
    user = auth.sign_in(db, "erin@example.com", factories.PASSWORD).user
    flow = cancellation.start(db, user)
    cancellation.go_on(db, user, flow.flow_id)
    cancellation.confirm(db, user, flow.flow_id, ALL_CONSENTS)
    mine = delivery(db, recipient="erin@example.com")
    at = show_outgoing(open_as("boss", "en", SUPPORT))
    assert name in set(table(at)["Account"])  # a table cell: exactly as typed
    at.selectbox(key="outgoing_pick").set_value(mine.id).run()
    assert not at.exception, at.exception
    [text] = [t.value for t in at.text]  # plain text, nothing rendered
    assert name in text
    assert md(name) in texts(at)  # the facts line: escaped Markdown
    assert name not in visible_text(at)  # never unescaped into Markdown


def test_a_kept_email_can_be_sent_once_a_mail_server_is_set(outgoing_site, monkeypatch):
    db, _made, _endpoint = outgoing_site
    alice = delivery(db, recipient="alice@example.com", channel="email")
    assert alice.status == "kept"
    monkeypatch.setenv("PORTAL_SMTP_URL", "smtp://127.0.0.1:1025")
    at = show_outgoing(open_as("boss", "en", SUPPORT))
    at.selectbox(key="outgoing_pick").set_value(alice.id).run()
    at.button(key=f"outgoing_again_{alice.id}_ask").click().run()
    at.button(key=f"outgoing_again_{alice.id}_yes").click().run()
    assert delivery(db, id=alice.id).status == "pending"
    # another filter: the picked row is not on it, nothing breaks, nothing is shown for it
    at.selectbox(key="outgoing_status").set_value("failed").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="outgoing_pick").value is None


def test_a_customer_who_signs_in_in_italian_gets_italian_emails(shop_site):
    """bob never chose a language: he signed in on the Italian page (his browser's), so the
    e-mail of his cancellation is written in Italian; what he sees next time still follows
    his browser, as nothing was chosen."""
    db, _made = shop_site
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "it"
    at.run()
    at.text_input[0].set_value("bob@example.com")
    at.text_input[1].set_value(factories.PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    bob = auth.sign_in(db, "bob@example.com", factories.PASSWORD).user
    assert bob.language is None  # chosen: nothing
    flow = cancellation.start(db, bob)
    cancellation.go_on(db, bob, flow.flow_id)
    done = cancellation.confirm(db, bob, flow.flow_id, ALL_CONSENTS)
    with db.transaction() as s:
        language, data = s.execute(
            select(OutboxDelivery.language, OutboxEvent.data)
            .join(OutboxEvent, OutboxEvent.id == OutboxDelivery.event_id)
            .where(
                OutboxDelivery.recipient == "bob@example.com",
                OutboxEvent.type == "cancellation.scheduled",
            )
        ).one()
    assert language == "it"
    sent = mail.render("cancellation.scheduled", json.loads(data), language, load_settings())
    assert sent.subject.startswith("Annullamento confermato")
    assert done.confirmation_number in sent.subject
