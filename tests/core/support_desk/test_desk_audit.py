"""The support desk's audit log through `core`, on SQLite and PostgreSQL: found by the account's
number, company name or a customer's e-mail; every entry told in words in both languages (no
status codes); the lifecycle's purge leaves an entry without personal data; a request carries
the date until which its account can be reactivated."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core import support_desk
from core.jobs import lifecycle
from core.platform.errors import InvalidInput
from core.platform.models import AuditEntry
from core.support_desk import AuditQuery, AuditRow
from tests.support.env import NOW

CODES = re.compile(r"cancellation_scheduled|subscription_|support_request|_on\b|\bstatus:")


def found(db, boss, **query) -> list[tuple[str, int | None]]:
    page = support_desk.audit_log(db, boss, AuditQuery(**query))
    return [(r.action, r.account_id) for r in page.rows]


def test_the_audit_log_is_found_by_number_company_or_customer_email(db, desk):
    made, users = desk
    boss, alice = users["boss"], made["alice"].account_id
    scheduled = ("cancellation_scheduled", alice)
    assert found(db, boss, account=str(alice)) == [scheduled]
    assert found(db, boss, account=f"#{alice}") == [scheduled]
    assert found(db, boss, account="acme") == [scheduled]  # "Acme Srl", any case
    assert found(db, boss, account="ALICE@EXAMPLE") == [scheduled]  # a customer's e-mail
    assert found(db, boss, account="Dave SpA") == [
        ("custom_plan_requested", made["dave"].account_id)
    ]
    assert found(db, boss, account="nobody@else") == []
    assert found(db, boss, account="%") == []  # a wildcard is a character like any other
    assert found(db, boss, account="²") == []  # a digit, but no number: searched as text
    # with the other filters
    assert found(db, boss, account="acme", actions=("cancellation_undone",)) == []
    day = NOW.date()
    assert found(db, boss, account="acme", start=day, end=day) == [scheduled]
    assert found(db, boss, account="acme", end=day - dt.timedelta(days=1)) == []
    with pytest.raises(InvalidInput):
        support_desk.audit_log(db, boss, AuditQuery(account="x" * 300))


def row(action: str, before: dict, after: dict, account_id: int | None = 7, company="Acme"):
    return AuditRow(1, NOW, "boss@example.com", action, account_id, company, before, after)


@pytest.mark.parametrize(
    ("entry", "en", "it"),
    [
        (
            row(
                "cancellation_scheduled",
                {"status": "active"},
                {"status": "cancellation_scheduled", "effective_on": "2026-12-11"},
            ),
            "Status: Active → Cancellation scheduled; Access ends: Dec 11, 2026",
            "Stato: Attivo → Annullamento programmato; Fine dell'accesso: 11 dic 2026",
        ),
        (
            row(
                "subscription_reactivated",
                {"status": "ended", "ended_on": "2026-11-20"},
                {"status": "active", "period_start": "2026-12-01", "period_end": "2027-01-01"},
            ),
            "Status: Ended → Active; Ended on (before): Nov 20, 2026; "
            "Billing cycle starts: Dec 1, 2026; Billing cycle ends: Jan 1, 2027",
            "Stato: Terminato → Attivo; Data di fine (prima): 20 nov 2026; "
            "Inizio del ciclo di fatturazione: 1 dic 2026; "
            "Fine del ciclo di fatturazione: 1 gen 2027",
        ),
        (
            row(
                "support_request_handled",
                {"request": 5, "kind": "undo_cancellation", "status": "open"},
                {
                    "request": 5,
                    "status": "handled",
                    "handled_by": "boss@example.com",
                    "via": "cancellation_undone",
                },
            ),
            "Request no. 5; Request type (before): Undo request; Status: Open → Handled; "
            "Handled by: boss@example.com; Closed with: Cancellation undone",
            "Richiesta n. 5; Tipo di richiesta (prima): Richiesta di revoca; "
            "Stato: Aperta → Evasa; Evasa da: boss@example.com; "
            "Chiusa con: Annullamento revocato",
        ),
        (
            row(
                "plan_downgraded",
                {"plan": "pro", "price": 49900},
                {"plan": "growth", "price": 24900, "period_start": "2026-12-10"},
            ),
            "Plan: Pro → Growth; Monthly price: $499.00 / month → $249.00 / month; "
            "Billing cycle starts: Dec 10, 2026",
            "Piano: Pro → Growth; Prezzo mensile: 499,00\u00a0USD / mese → 249,00\u00a0USD / mese; "
            "Inizio del ciclo di fatturazione: 10 dic 2026",
        ),
        (
            row(
                "discount_ended",
                {"discount_percent": 30, "discount_cycles_left": 1},
                {"discount_percent": None, "discount_cycles_left": None},
            ),
            "Discount: 30% → –; Discounted invoices left: 1 → –",
            "Sconto: 30% → –; Fatture scontate rimanenti: 1 → –",
        ),
        (
            row(
                "retention_offer_accepted",
                {"status": "active", "pause_cycles": None},
                {
                    "status": "active",
                    "pause_cycles": 2,
                    "paused_until": "2027-02-10",
                    "offer": "pause_2",
                    "offer_kind": "pause",
                    "starts_on": "2026-12-10",
                    "confirmation": "CX-ABCDEFGH",
                },
            ),
            "Status: Active; Billing cycles paused: – → 2; Resumes on: Feb 10, 2027; "
            "Offer: pause_2; Offer type: Pause; Takes effect: Dec 10, 2026; "
            "Confirmation number: CX-ABCDEFGH",
            "Stato: Attivo; Cicli di fatturazione sospesi: – → 2; Ripresa: 10 feb 2027; "
            "Offerta: pause_2; Tipo di offerta: Sospensione; Decorrenza: 10 dic 2026; "
            "Numero di conferma: CX-ABCDEFGH",
        ),
        (
            row("account_purged", {"status": "ended"}, {"status": "purged"}, company=""),
            "Data erased for account #7",
            "Dati eliminati per l'account n. 7",
        ),
    ],
)
def test_every_entry_is_told_in_words(entry, en, it):
    assert support_desk.describe(entry, "en") == en
    assert support_desk.describe(entry, "it") == it
    for lang in ("en", "it"):
        assert not CODES.search(support_desk.describe(entry, lang))
        assert support_desk.action_name(entry.action, lang) != entry.action


def test_who_acted_is_an_email_or_words():
    assert support_desk.actor_label(row("x", {}, {}), "it") == "boss@example.com"
    lifecycle_row = AuditRow(1, NOW, "lifecycle", "account_purged", 7, "", {}, {})
    assert support_desk.actor_label(lifecycle_row, "en") == "Lifecycle job"
    assert support_desk.actor_label(lifecycle_row, "it") == "Ciclo di vita (automatico)"


def test_an_account_is_named_by_number_and_company_or_number_alone_once_erased():
    assert support_desk.account_label(row("x", {}, {}), "en") == "#7 · Acme"
    assert support_desk.account_label(row("x", {}, {}, company=""), "it") == "n. 7"
    assert support_desk.account_label(row("x", {}, {}, account_id=None), "en") == ""


def test_the_purge_is_in_the_audit_log_without_personal_data(db, desk):
    made, users = desk
    carol = made["carol"].account_id  # ended on 2026-11-20: erased on 2027-01-20
    report = lifecycle.run(db, dt.date(2027, 1, 20), now=NOW)
    assert carol in report.purged
    with db.transaction() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "account_purged")).all()
    assert [(e.account_id, e.actor) for e in entries] == [(carol, "lifecycle")]
    [entry] = entries
    assert "carol" not in (entry.before + entry.after).lower()
    assert "Carol Srl" not in entry.before + entry.after
    # the log shows it, found by the account's number (its name is gone)
    page = support_desk.audit_log(db, users["boss"], AuditQuery(account=f"#{carol}"))
    purge = [r for r in page.rows if r.action == "account_purged"]
    assert [support_desk.describe(r, "en") for r in purge] == [f"Data erased for account #{carol}"]
    assert support_desk.audit_log(db, users["boss"], AuditQuery(account="Carol Srl")).rows == ()
    # a second run erases nothing twice and writes nothing twice
    lifecycle.run(db, dt.date(2027, 1, 21), now=NOW)
    with db.transaction() as s:
        assert (
            len(s.scalars(select(AuditEntry).where(AuditEntry.action == "account_purged")).all())
            == 1
        )


def test_a_reactivation_request_carries_its_deadline(db, desk):
    made, users = desk
    [request] = support_desk.requests(db, users["boss"], "reactivation")
    assert request.account_id == made["carol"].account_id
    assert request.reactivate_until == dt.date(2027, 1, 19)  # ended 2026-11-20, two months
    [undo] = support_desk.requests(db, users["boss"], "undo_cancellation")
    assert undo.reactivate_until is None  # scheduled, not ended


def test_the_command_line_counts_in_english_without_parentheses():
    report = lifecycle.LifecycleRun(dt.date(2027, 1, 1), ended=[4], renewed=[1, 2], invoices=1)
    text = "\n".join(report.lines())
    assert "1 subscription [4]" in text
    assert "2 subscriptions, 1 invoice" in text
    assert "0 accounts" in text and "0 cancellation flows" in text
    assert "(s)" not in text
