"""The customer's e-mails, received by a real SMTP server on loopback and read back with the
email package: every event type in English and Italian, the receipt PDFs, STARTTLS and login,
TLS from the first byte, servers that refuse, and headers no value can add to."""

from __future__ import annotations

import datetime as dt
import io
import json
from email import message_from_bytes, policy

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core.outbox import mail
from core.platform.config import Settings
from core.platform.outbox import DeliveryError
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent
from core.retention import cancellation
from core.retention.cancellation import ALL_CONSENTS
from core.retention.terms import OfferTerms
from core.rules.vocabulary import CHANNEL_EMAIL, EVENT_CANCELLATION_SCHEDULED
from tests.support import factories, hostile
from tests.support.env import NOW
from tests.support.smtp_server import Inbox, checks_login, self_signed, silent_server, smtp_server

PUBLIC = "https://portal.example.com"
COMPANY = "Lumière <script>alert(1)</script> Srl"
FACTS = {"account_id": 7, "company": COMPANY, "plan": "growth", "plan_name": "Growth",
         "status": "scheduled"}  # fmt: skip
DISCOUNT = OfferTerms(
    kind="discount", starts_on=dt.date(2026, 12, 11), resumes_on=None, cycles=3, percent=20,
    current_price_cents=24900, new_price_cents=19920, plan_code=None, plan_name=None,
    currency="USD", billing_interval="month",
)  # fmt: skip
PLAN = {"campaigns": 4, "monthly_price_cents": 12800, "searches": 300, "seats": 2, "unlocks": 100}

# (type, the event's data as the use case writes it)
EVENTS = {
    "scheduled": ("cancellation.scheduled", {**FACTS, "flow_id": "f1",
        "confirmation_number": "CN-12345", "requested_at": "2026-11-26T10:00:00Z",
        "effective_on": "2026-12-11", "data_deleted_on": "2027-02-11",
        "reactivate_until": "2027-02-10", "resume_until": "2026-12-10"}),
    "offer": ("cancellation.saved", {**FACTS, "flow_id": "f1", "saved_by": "offer",
        "offer": {"key": "d20", "kind": "discount", "terms": DISCOUNT.as_json()},
        "confirmation_number": "CN-555", "accepted_at": "2026-11-08T09:30:00Z",
        "plan_name_before": "Growth"}),
    "undone_by_support": ("cancellation.undone", {**FACTS, "by": "support",
        "was_effective_on": "2026-12-11"}),
    "undone_by_customer": ("cancellation.undone", {**FACTS, "by": "customer",
        "was_effective_on": "2026-12-08"}),
    "reactivated": ("account.reactivated", {**FACTS, "period_start": "2027-01-08",
        "period_end": "2027-02-08"}),
    "paused": ("subscription.paused", {**FACTS, "paused_from": "2026-12-11",
        "paused_until": "2027-02-11"}),
    "resumed_now": ("subscription.resumed", {**FACTS, "by": "customer",
        "resumed_on": "2026-12-01", "period_end": "2027-01-01"}),
    "resumed_after_pause": ("subscription.resumed", {**FACTS, "by": "lifecycle",
        "resumed_on": "2027-01-08"}),
    "ended": ("subscription.ended", {**FACTS, "ended_on": "2026-12-11",
        "export_until": "2027-01-09", "reactivate_until": "2027-02-10",
        "data_deleted_on": "2027-02-11"}),
    "erased": ("account.erased", {"account_id": 7, "erased_on": "2027-02-11",
        "ended_on": "2026-12-11"}),
    "custom_plan": ("support_request.received", {**FACTS, "request_id": 42,
        "kind": "custom_plan", "message": json.dumps(PLAN), "flow_id": None}),
    "message": ("support_request.received", {**FACTS, "request_id": 43,
        "kind": "undo_cancellation", "message": "Please undo it\n<b>thanks</b>",
        "flow_id": "f1"}),
    "reset": ("password.reset_requested", {"reset_url": f"{PUBLIC}/?reset=tok123",
        "expires_at": "2026-11-26T10:30:00Z"}),
    "reset_minutes": ("password.reset_requested", {"reset_url": f"{PUBLIC}/?reset=tok456",
        "expires_at": "2026-12-01T10:30:00Z", "valid_minutes": 30}),
}  # fmt: skip

# (name, lang): the subject, what the text says, the PDF's file name start (if attached)
EXPECTED = {
    ("scheduled", "en"): ("Cancellation confirmed (no. CN-12345)", (
        "cancel the subscription of " + COMPANY + " (Growth plan) on November 26, 2026 at 10:00",
        "Your confirmation number is CN-12345", "takes effect on December 11, 2026",
        "On February 11, 2027 all personal and billing data",
        "Until December 10, 2026 you can resume your subscription yourself",
        "reactivate your account, with its data, until February 10, 2027", PUBLIC)),
    ("scheduled", "it"): ("Annullamento confermato (n. CN-12345)", (
        "(piano Growth) il 26 novembre 2026 alle 10:00 (UTC)",
        "Il tuo numero di conferma è CN-12345", "L'annullamento ha effetto l'11 dicembre 2026",
        "vengono eliminati l'11 febbraio 2027",
        "Fino al 10 dicembre 2026 puoi revocare tu stesso l'annullamento",
        "il Servizio clienti può riattivare il tuo account, con i suoi dati, fino al 10 febbraio "
        "2027", PUBLIC)),
    ("offer", "en"): ("You kept your subscription (no. CN-555)", (
        "On November 8, 2026 at 9:30", "Offer: Discount",
        "20% off your next 3 invoices, from the one of December 11, 2026: $199.20 instead of "
        "$249.00 per month")),
    ("offer", "it"): ("Hai mantenuto il tuo abbonamento (n. CN-555)", (
        "l'8 novembre 2026 alle 09:30 (UTC)", "Offerta: Sconto",
        "a partire da quella dell'11 dicembre 2026: 199,20 USD invece di 249,00 USD al mese")),
    ("undone_by_support", "en"): ("Your subscription is active again", (
        "Customer service undid your cancellation", "no longer ends on December 11, 2026")),
    ("undone_by_support", "it"): ("Il tuo abbonamento è di nuovo attivo", (
        "Il Servizio clienti ha revocato il tuo annullamento", "non termina più l'11 dicembre")),
    ("undone_by_customer", "en"): ("Your subscription is active again", (
        "You withdrew your cancellation", "no longer ends on December 8, 2026")),
    ("undone_by_customer", "it"): ("Il tuo abbonamento è di nuovo attivo", (
        "Hai revocato l'annullamento", "non termina più l'8 dicembre 2026")),
    ("reactivated", "en"): ("Your account is reactivated", (
        "A new billing cycle runs from January 8, 2027 to February 8, 2027",)),
    ("reactivated", "it"): ("Il tuo account è stato riattivato", (
        "Un nuovo ciclo di fatturazione va dall'8 gennaio 2027 all'8 febbraio 2027",)),
    ("paused", "en"): ("Your subscription is paused until February 11, 2027", (
        "is paused from December 11, 2026: no invoice until it resumes by itself on February "
        "11, 2027",)),
    ("paused", "it"): ("Il tuo abbonamento è sospeso fino all'11 febbraio 2027", (
        "è sospeso dall'11 dicembre 2026: nessuna fattura fino all'11 febbraio 2027",)),
    ("resumed_now", "en"): ("Your pause is over: your subscription is active again", (
        "You resumed the subscription of " + COMPANY + " on December 1, 2026",
        "runs until January 1, 2027")),
    ("resumed_now", "it"): ("La sospensione è terminata: il tuo abbonamento è di nuovo attivo", (
        "Hai ripreso l'abbonamento di " + COMPANY + " l'1 dicembre 2026",
        "dura fino all'1 gennaio 2027")),
    ("resumed_after_pause", "en"): ("Your pause is over: your subscription is active again", (
        "ended on January 8, 2027", "a new billing cycle starts that day")),
    ("resumed_after_pause", "it"): ("La sospensione è terminata: il tuo abbonamento è di nuovo "
        "attivo", ("è terminata l'8 gennaio 2027", "inizia un nuovo ciclo di fatturazione")),
    ("ended", "en"): ("Your subscription has ended", (
        "ended on December 11, 2026", "Until January 9, 2027 you can still sign in and export",
        "until February 10, 2027", "On February 11, 2027 all personal and billing data")),
    ("ended", "it"): ("Il tuo abbonamento è terminato", (
        "è terminato l'11 dicembre 2026", "Fino al 9 gennaio 2027 puoi ancora accedere",
        "fino al 10 febbraio 2027", "vengono eliminati l'11 febbraio 2027")),
    ("erased", "en"): ("The data of your account is deleted", (
        "on February 11, 2027 we deleted the data of your account (no. 7)", "- lists",
        "- campaigns", "- reports", "- searches", "- account information", "- invoices",
        "- the sign-in", "the answers to the cancellation survey, without names")),
    ("erased", "it"): ("I dati del tuo account sono stati eliminati", (
        "l'11 febbraio 2027 abbiamo eliminato i dati del tuo account (n. 7)", "- liste",
        "- campagne", "- report", "- ricerche", "- informazioni sull'account", "- fatture",
        "- l'accesso", "le risposte al sondaggio di annullamento, senza nomi")),
    ("custom_plan", "en"): ("We have your request (no. 42)", (
        "The custom plan you asked for, at $128.00 a month", "Seats: 2",
        "Searches per month: 300", "Request type: Custom plan")),
    ("custom_plan", "it"): ("Abbiamo ricevuto la tua richiesta (n. 42)", (
        "Il piano personalizzato che hai chiesto, a 128,00 USD al mese", "Utenti: 2",
        "Ricerche al mese: 300", "Tipo di richiesta: Piano personalizzato")),
    ("message", "en"): ("We have your request (no. 43)", (
        "> Please undo it\n> <b>thanks</b>", "Request type: Undo the cancellation")),
    ("message", "it"): ("Abbiamo ricevuto la tua richiesta (n. 43)", (
        "> Please undo it\n> <b>thanks</b>", "Tipo di richiesta: Revoca dell'annullamento")),
    ("reset", "en"): ("Choose a new password", (
        f"{PUBLIC}/?reset=tok123", "can be used once and is valid until November 26, 2026 at "
        "10:30", "If you did not ask for it, ignore this email")),
    ("reset", "it"): ("Scegli una nuova password", (
        f"{PUBLIC}/?reset=tok123", "si può usare una sola volta ed è valido fino al 26 "
        "novembre 2026 alle 10:30 (UTC)", "Se non l'hai chiesto tu, ignora questa email")),
    ("reset_minutes", "en"): ("Choose a new password", (
        f"{PUBLIC}/?reset=tok456", "can be used once and is valid for 30 minutes, until "
        "December 1, 2026 at 10:30")),
    ("reset_minutes", "it"): ("Scegli una nuova password", (
        f"{PUBLIC}/?reset=tok456", "è valido per 30 minuti, fino all'1 dicembre 2026 alle 10:30 "
        "(UTC)")),
}  # fmt: skip
PDF_NUMBERS = {"scheduled": "CN-12345", "offer": "CN-555"}


def settings(port: int = 0, scheme: str = "smtp", auth: str = "", query: str = "") -> Settings:
    return Settings(
        smtp_url=f"{scheme}://{auth}127.0.0.1:{port}{query}",
        mail_from="Influencer Portal <no-reply@portal.example.com>",
        public_url=PUBLIC,
    )


def plain(text: str) -> str:
    """Babel writes no-break and narrow no-break spaces in dates and amounts; lines on the
    wire end in CRLF."""
    return text.replace("\u202f", " ").replace("\xa0", " ").replace("\r\n", "\n")


def parts(received) -> tuple[str, str, list[tuple[str, str, bytes]]]:
    msg = received.parsed()
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    files = [
        (p.get_filename(), p.get_content_type(), p.get_content()) for p in msg.iter_attachments()
    ]
    return plain(text), plain(html), files


def pdf_text(content: bytes) -> str:
    return plain("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


@pytest.fixture(scope="module")
def server():
    with smtp_server() as running:
        yield running


@pytest.mark.parametrize("name, lang", list(EXPECTED), ids=[f"{n}-{lg}" for n, lg in EXPECTED])
def test_every_event_e_mail_arrives_in_the_customers_language(server, name, lang):
    inbox, port = server
    event_type, data = EVENTS[name]
    event_id = f"evt_{name}_{lang}"
    rendered = mail.render(event_type, data, lang, settings(port))
    mail.send(mail.message(rendered, to="alice@example.com", event_id=event_id,
                           settings=settings(port), now=NOW), settings(port))  # fmt: skip

    [got] = [r for r in inbox.received if f"<{event_id}@portal>".encode() in r.content]
    assert got.rcpt_tos == ("alice@example.com",)
    assert got.mail_from == "no-reply@portal.example.com"
    msg = got.parsed()
    subject, phrases = EXPECTED[name, lang]
    assert plain(msg["Subject"]) == subject
    assert msg["To"] == "alice@example.com"
    assert msg["From"] == "Influencer Portal <no-reply@portal.example.com>"
    assert msg["Message-ID"] == f"<{event_id}@portal>"
    assert msg["Date"] == "Thu, 26 Nov 2026 10:00:00 +0000"
    text, html, files = parts(got)
    for phrase in phrases:
        assert phrase in text, phrase
    assert f'<html lang="{lang}">' in html
    assert "<script>" not in html and "<b>thanks" not in html  # every value escaped
    if "company" in data:
        assert "Lumière &lt;script&gt;alert(1)&lt;/script&gt; Srl" in html
    else:  # nothing personal in the erasure's data: nothing personal in its e-mail
        assert "Lumière" not in text
    if name in PDF_NUMBERS:
        [(file_name, mime, content)] = files
        assert mime == "application/pdf" and file_name.endswith(".pdf")
        assert "script" in file_name and "<" not in file_name
        assert PDF_NUMBERS[name] in pdf_text(content)
    else:
        assert files == []


def test_a_real_cancellation_sends_its_receipt_in_the_customers_language(db, server):
    """The event the use case wrote (not a hand-made one): its e-mail delivery names the
    customer and their language; the PDF attached holds the confirmation number."""
    inbox, port = server
    _, users = factories.shop(db, now=NOW, start=dt.date(2026, 3, 10))
    flow = cancellation.start(db, users["alice"], now=NOW)
    cancellation.answer_survey(db, users["alice"], flow.flow_id, None, now=NOW)
    cancellation.go_on(db, users["alice"], flow.flow_id, now=NOW)
    done = cancellation.confirm(db, users["alice"], flow.flow_id, ALL_CONSENTS, now=NOW)
    with db.transaction() as s:
        event = s.scalars(
            select(OutboxEvent).where(OutboxEvent.type == EVENT_CANCELLATION_SCHEDULED)
        ).one()
        delivery = s.scalars(
            select(OutboxDelivery).where(
                OutboxDelivery.event_id == event.id, OutboxDelivery.channel == CHANNEL_EMAIL
            )
        ).one()
        data, event_id, to = json.loads(event.data), event.id, delivery.recipient
    assert to == "alice@example.com"
    for lang, effective in (("en", "December 10, 2026"), ("it", "il 10 dicembre 2026")):
        rendered = mail.render(EVENT_CANCELLATION_SCHEDULED, data, lang, settings(port))
        mail.send(mail.message(rendered, to=to, event_id=event_id, settings=settings(port)),
                  settings(port))  # fmt: skip
        got = inbox.received[-1]
        assert got.rcpt_tos == ("alice@example.com",)
        text, _, [(_, _, pdf)] = parts(got)
        assert done.confirmation_number in got.parsed()["Subject"]
        assert done.confirmation_number in text and effective in text
        assert done.confirmation_number in pdf_text(pdf)
        assert "Acme Srl" in pdf_text(pdf)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


USER, PASSWORD = "mailer@portal.example.com", "p@ss:w/rd %"
AUTH = "mailer%40portal.example.com:p%40ss%3Aw%2Frd%20%25@"  # percent-encoded in the URL


def _one_mail(port: int, **options) -> None:
    rendered = mail.render(*EVENTS["reset"], "en", settings(port))
    msg = mail.message(rendered, to="alice@example.com", event_id="evt_tls", settings=settings())
    mail.send(msg, settings(port, **options), timeout=5)


def test_starttls_then_login_with_a_percent_encoded_user_and_password(certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))  # trust the test's certificate
    with smtp_server(
        tls_context=certificate.server_context(), require_starttls=True,
        authenticator=checks_login(USER, PASSWORD),
    ) as (inbox, port):  # fmt: skip
        _one_mail(port, auth=AUTH, query="?starttls=1")
        with pytest.raises(DeliveryError, match="login refused: 535"):
            _one_mail(port, auth="mailer%40portal.example.com:wrong@", query="?starttls=1")
        # without ?starttls=1 the password is not sent in clear: the server offers no login
        with pytest.raises(DeliveryError, match="not supported by the server: SMTP AUTH"):
            _one_mail(port, auth=AUTH)
    [got] = inbox.received
    assert got.encrypted and got.authenticated
    assert "Choose a new password" in parts(got)[0]


def test_smtps_is_tls_from_the_first_byte_and_checks_the_certificate(
    certificate, tmp_path, monkeypatch
):
    # aiosmtpd cannot tell TLS from the first byte from plain text: it would hide AUTH
    with smtp_server(
        ssl_context=certificate.server_context(), authenticator=checks_login(USER, PASSWORD),
        auth_require_tls=False,
    ) as (inbox, port):  # fmt: skip
        other = self_signed(tmp_path)  # trust another certificate only
        monkeypatch.setenv("SSL_CERT_FILE", str(other.cert))
        with pytest.raises(DeliveryError, match="certificate"):  # not one we trust: not sent
            _one_mail(port, scheme="smtps", auth=AUTH)
        assert inbox.received == []
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
        _one_mail(port, scheme="smtps", auth=AUTH)
    [got] = inbox.received
    assert got.encrypted and got.authenticated


def test_a_server_that_refuses_or_is_not_there_raises_delivery_error():
    with smtp_server(Inbox(refuse_recipients=True)) as (inbox, port):
        with pytest.raises(DeliveryError, match=r"recipient refused: 550 5\.1\.1 No such mailbox"):
            _one_mail(port)
        assert inbox.received == []
    with pytest.raises(DeliveryError, match="connection refused"):
        _one_mail(port)  # stopped: nothing listens on that port any more
    with silent_server() as silent, pytest.raises(DeliveryError, match="timed out"):
        rendered = mail.render(*EVENTS["reset"], "en", settings(silent))
        msg = mail.message(rendered, to="a@example.com", event_id="evt_x", settings=settings())
        mail.send(msg, settings(silent), timeout=0.5)


HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "MIME-Version",
           "Content-Type"}  # fmt: skip
INJECTIONS = (
    "Acme\r\nBcc: victim@example.com",
    "Acme\nX-Injected: yes\n\n<h1>body</h1>",
    "Acme\rTo: victim@example.com",
    "Acme\x00\x0b\x0c\x1b\x7f\x85\u2028Bcc: victim@example.com",
    "=?utf-8?q?Acme=0D=0ABcc:_victim@example.com?=",
    "Acme\r\n\tBcc: victim@example.com",
)


def _headers_of(msg) -> set[str]:
    return set(msg.keys())


@pytest.mark.parametrize("value", INJECTIONS + tuple(e.text for e in hostile.by_family("control")))
def test_no_value_can_add_a_header(value):
    data = {**EVENTS["undone_by_support"][1], "company": value}
    rendered = mail.render("cancellation.undone", data, "en", settings())
    rendered = mail.Mail(subject=f"{value} {value}", text=rendered.text, html=rendered.html)
    hostile_from = Settings(mail_from=f"Portal {value} <no-reply@portal.example.com>")
    msg = mail.message(rendered, to="alice@example.com", event_id=f"evt_1\r\n{value}",
                       settings=hostile_from)  # fmt: skip
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)  # as a receiver would
    assert _headers_of(parsed) == HEADERS
    assert "Bcc" not in parsed and "X-Injected" not in parsed
    assert parsed["To"] == "alice@example.com"
    assert "\n" not in parsed["Subject"] and "\r" not in parsed["Subject"]
    assert parsed["Message-ID"].startswith("<evt_1") and "\n" not in parsed["Message-ID"]


def test_injected_headers_do_not_reach_the_server_and_a_bad_recipient_is_not_sent(server):
    inbox, port = server
    before = len(inbox.received)
    data = {**EVENTS["custom_plan"][1], "company": INJECTIONS[0]}
    rendered = mail.render("support_request.received", data, "it", settings(port))
    rendered = mail.Mail(INJECTIONS[0], rendered.text, rendered.html)
    msg = mail.message(rendered, to="alice@example.com", event_id="evt_inj", settings=settings())
    mail.send(msg, settings(port))
    [got] = inbox.received[before:]
    assert got.rcpt_tos == ("alice@example.com",)
    parsed = got.parsed()
    assert _headers_of(parsed) == HEADERS
    assert parsed["Subject"] == "Acme Bcc: victim@example.com"
    for to in ("alice@example.com\r\nBcc: victim@example.com", "alice@example.com, victim@x.com",
               "Alice <alice@example.com>", "", "not an address"):  # fmt: skip
        with pytest.raises(DeliveryError, match="invalid recipient address"):
            mail.message(rendered, to=to, event_id="evt_inj", settings=settings())
    assert len(inbox.received) == before + 1


def test_the_same_event_makes_the_same_message_id_every_time():
    rendered = mail.render(*EVENTS["paused"], "it", settings())
    first = mail.message(rendered, to="a@example.com", event_id="evt_abc", settings=settings())
    again = mail.message(rendered, to="a@example.com", event_id="evt_abc", settings=settings())
    assert first["Message-ID"] == again["Message-ID"] == "<evt_abc@portal>"


def test_smtp_urls_are_read_or_refused_with_a_clear_message():
    target = mail.smtp_target(f"smtp://{AUTH}mail.example.com:2525?starttls=1")
    assert (target.host, target.port, target.starttls, target.implicit_tls) == (
        "mail.example.com", 2525, True, False)  # fmt: skip
    assert (target.user, target.password) == (USER, PASSWORD)
    assert mail.smtp_target("smtp://127.0.0.1").port == 25
    assert mail.smtp_target("smtp://relay?starttls=1").port == 587
    assert mail.smtp_target("smtps://relay").port == 465
    for url, reason in (
        ("http://relay", "smtp:// or smtps://"),
        ("smtp://", "no host"),
        ("smtp://relay:port", "not a number"),
        ("smtp://relay?tls=1", "only option"),
        ("smtps://relay?starttls=1", "TLS already"),
        ("smtp://:secret@relay", "password without a user"),
        ("", "smtp:// or smtps://"),
    ):
        with pytest.raises(ValueError, match=reason) as caught:
            mail.smtp_target(url)
        assert "secret" not in str(caught.value)


def test_an_event_without_an_e_mail_or_with_broken_data_is_a_clear_error():
    with pytest.raises(ValueError, match="no e-mail for event type"):
        mail.render("account.teleported", {}, "en", settings())
    for lang in ("en", "it"):  # never "None" written where a date belongs
        with pytest.raises(ValueError, match="incomplete: 'effective_on'"):
            mail.render("cancellation.scheduled", {"requested_at": "2026-11-26T10:00:00Z"},
                        lang, settings())  # fmt: skip
        with pytest.raises(ValueError, match="incomplete: 'paused_from'"):
            mail.render("subscription.paused", {"company": "Acme", "paused_until": "2027-01-08"},
                        lang, settings())  # fmt: skip
