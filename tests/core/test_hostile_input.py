"""Hostile input through every input of `core`, and back out through what is stored and shown.

The whole corpus (`tests/support/hostile.py`, 200+ entries) goes into each input; each test
loops over it (one database per test, not per entry, so the run stays fast) and lists every
entry that broke a promise:

- no exception other than a domain error (`PortalError`) whose message exists in both languages;
- bad input changes nothing;
- what is stored comes back exactly: free text keeps every character except C0/C1 control
  characters (tab and line feed are kept) and lone surrogates, which are dropped (they cannot
  be stored or written to a UTF-8 file), and leading/trailing white space, which is trimmed;
- single-line look-ups (email, searches, filters) refuse control characters and lone
  surrogates with a clear message instead of crashing the database driver.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import secrets
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from core import support_desk
from core.documents import receipt
from core.exports import unprotect
from core.identity import auth
from core.insights import analytics
from core.platform import i18n
from core.platform.config import Settings
from core.platform.errors import InvalidCredentials, InvalidInput, PortalError
from core.platform.models import SupportRequest, SurveyAnswer, User, UserSession
from core.retention import cancellation, custom_plan, records, way_back
from core.retention.cancellation import Survey
from core.rules.pricing import PlanConfig
from tests.support import factories
from tests.support.env import NOW
from tests.support.hostile import CORPUS, Entry, by_family, sample

NO_LOCKOUT = Settings(max_failed_sign_ins=10**9)


def stored_form(text: str) -> str:
    """What free text becomes when stored: no C0/C1 controls but tab and line feed, no lone
    surrogates, trimmed. Written here independently of `core.customers.messages.clean_message`."""
    kept = "".join(
        ch
        for ch in text
        if not (unicodedata.category(ch) == "Cc" and ch not in "\n\t")
        and unicodedata.category(ch) != "Cs"
    )
    return kept.strip()


def readable(exc: PortalError) -> bool:
    """The error has a message in both languages (with its parameters filled in)."""
    try:
        return all(i18n.t(exc.key, lang, **exc.params) for lang in i18n.LANGUAGES)
    except (KeyError, IndexError, ValueError):
        return False


class Problems:
    """Collects what went wrong per corpus entry, so one failing test names all of them."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, entry: Entry, what: str, fn) -> object | None:
        try:
            return fn()
        except PortalError as exc:
            if not readable(exc):
                self.items.append(f"{entry.name} {what}: no message for {exc.key}")
            raise
        except Exception as exc:
            self.items.append(f"{entry.name} {what}: {type(exc).__name__}: {str(exc)[:120]}")
            raise _Crashed() from exc

    def add(self, entry: Entry, text: str) -> None:
        self.items.append(f"{entry.name}: {text}")

    def __bool__(self) -> bool:
        return bool(self.items)

    def __repr__(self) -> str:
        return f"{len(self.items)} problem(s):\n" + "\n".join(self.items[:60])


class _Crashed(Exception):
    pass


def attempt(problems: Problems, entry: Entry, what: str, fn) -> tuple[object | None, bool]:
    """(result, refused): refused is True when a domain error was raised (or it crashed)."""
    try:
        return problems.check(entry, what, fn), False
    except (PortalError, _Crashed):
        return None, True


@pytest.fixture
def shop(db):
    return factories.shop(db, now=NOW)


def count(db, model, *where) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- Sign-in ---------------------------------------------------------------------------------


def encoding_matters(entry: Entry) -> bool:
    """Characters a database driver or an encoder may choke on: controls, format characters,
    surrogates, anything outside printable ASCII."""
    return any(not (" " < ch < "\x7f") for ch in entry.text)


def test_the_corpus_as_an_email_address_never_signs_in_or_crashes(db, shop):
    """Every entry as the address, and (where its characters could trouble the database) inside
    an address that looks valid, which goes on to the lookup and the Argon2 check."""
    problems = Problems()
    users_before, sessions_before = count(db, User), count(db, UserSession)
    for entry in CORPUS:
        variants = [entry.text]
        if encoding_matters(entry) or entry in sample(1):
            variants += [f"{entry.text[:60]}@example.com", f"a@{entry.text[:60]}.it"]
        for variant in variants:
            result, refused = attempt(
                problems,
                entry,
                "email",
                lambda v=variant: auth.sign_in(db, v, "pw", now=NOW, settings=NO_LOCKOUT),
            )
            if not refused:
                problems.add(entry, f"signed in with email {variant[:40]!r}: {result}")
    assert not problems, problems
    assert count(db, User) == users_before
    assert count(db, UserSession) == sessions_before


def test_the_corpus_as_a_password_is_refused_with_the_same_message(sqlite_db):
    """The password never reaches the database, so one backend is enough; every family, and
    every entry of the families that are about encoding, go through the real Argon2 check."""
    db = sqlite_db
    plan_id = factories.plan(db)
    factories.customer(db, "alice@example.com", plan_id, now=NOW)
    problems = Problems()
    entries = sample(2) + by_family("surrogate", "control", "huge")
    for entry in dict.fromkeys(entries):
        for email in ("alice@example.com", f"ghost-{secrets.token_hex(3)}@example.com"):
            try:
                problems.check(
                    entry,
                    "password",
                    lambda e=email, p=entry.text: auth.sign_in(
                        db, e, p, now=NOW, settings=NO_LOCKOUT
                    ),
                )
            except InvalidCredentials:
                continue
            except InvalidInput as exc:
                if exc.key != "signin.error.empty" or entry.text:
                    problems.add(entry, f"password refused as {exc.key}")
            except (PortalError, _Crashed):
                continue
            else:
                problems.add(entry, "signed in with a wrong password")
    assert not problems, problems


# --- Free text that is stored: survey, contact form, custom-plan note --------------------------


def test_the_corpus_in_the_survey_is_stored_exactly_or_refused_and_reads_back_in_the_csv(db, shop):
    _alice, users = shop
    customer, boss = users["alice"], users["boss"]
    problems = Problems()
    expected: dict[str, tuple[str, str]] = {}  # flow id -> (follow-up, comment) as stored
    for entry in CORPUS:
        flow = cancellation.start(db, customer, now=NOW)
        survey = Survey("other", entry.text, entry.text, 3)
        _, refused = attempt(
            problems,
            entry,
            "survey",
            lambda f=flow, sv=survey: cancellation.answer_survey(db, customer, f.flow_id, sv),
        )
        answers = count(db, SurveyAnswer, SurveyAnswer.flow_id == flow.flow_id)
        if refused:
            if len(entry.text) <= cancellation.MAX_FOLLOW_UP:
                problems.add(entry, "refused although it fits")
            if answers:
                problems.add(entry, "refused but an answer was stored")
            state = cancellation.current(db, customer, now=NOW)
            if state is None or state.stage != cancellation.SURVEY:
                problems.add(entry, f"refused but the flow moved on: {state}")
        else:
            expected[flow.flow_id] = (stored_form(entry.text), stored_form(entry.text))
            with db.transaction() as s:
                row = s.scalar(select(SurveyAnswer).where(SurveyAnswer.flow_id == flow.flow_id))
                if (row.follow_up, row.comment) != expected[flow.flow_id]:
                    problems.add(entry, f"stored {row.comment[:40]!r}")
        cancellation.keep(db, customer, flow.flow_id, now=NOW)
    assert not problems, problems
    assert len(expected) > 150  # most of the corpus fits in a survey

    # out again: the admins' CSV of every answer holds the stored text, exactly
    content = analytics.answers_csv(db, boss, analytics.Filters(), "en")
    assert content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    comments = sorted(unprotect(r["comment"]) for r in rows if r["skipped"] != "true")
    assert comments == sorted(c for _f, c in expected.values())
    for row in rows:
        for key in ("comment", "follow_up"):
            assert row[key][:1] not in ("=", "+", "-", "@", "\t", "\r", "\n"), row[key][:20]


def test_the_corpus_in_the_messages_to_customer_service(db, shop):
    _alice, users = shop
    customer, boss = users["alice"], users["boss"]
    problems = Problems()
    stored: dict[int, str] = {}
    for entry in CORPUS:
        for what, send in (
            ("contact", lambda t=entry.text: way_back.contact_support(db, customer, t)),
            (
                "other",
                lambda t=entry.text: way_back.contact_support(db, customer, t, kind="other"),
            ),
        ):
            before = count(db, SupportRequest)
            number, refused = attempt(problems, entry, what, send)
            if refused:
                if count(db, SupportRequest) != before:
                    problems.add(entry, f"{what} refused but a request was stored")
                fits = len(stored_form(entry.text)) > 0 and len(entry.text) <= 2000
                if fits:
                    problems.add(entry, f"{what} refused although it fits")
            else:
                stored[int(number)] = stored_form(entry.text)
    assert not problems, problems
    # what support reads is what the customer wrote
    shown = {
        r.id: r.message
        for kind in ("undo_cancellation", "other")
        for r in support_desk.requests(db, boss, kind)
    }
    assert shown == stored


# --- The configurator --------------------------------------------------------------------------

BAD_NUMBERS = (-1, -(10**9), 10**30, 5001, True, False, 1.5, math.nan, math.inf, None, "100", b"1")


def test_impossible_custom_plans_are_refused_and_end_nothing(db, shop):
    _alice, users = shop
    customer = users["alice"]
    flow = cancellation.start(db, customer, now=NOW)
    cancellation.answer_survey(db, customer, flow.flow_id, None, now=NOW)
    values = [*BAD_NUMBERS, *(e.text for e in sample(1))]
    for field in ("searches", "unlocks", "seats", "campaigns"):
        for value in values:
            config = PlanConfig(**{field: value})
            with pytest.raises(InvalidInput) as err:
                custom_plan.request_plan(db, customer, flow.flow_id, config, now=NOW)
            assert readable(err.value)
    state = cancellation.current(db, customer, now=NOW)
    assert state is not None and state.stage == cancellation.DECIDE  # still open, still there
    assert count(db, SupportRequest) == 0


# --- Admin filters and searches ----------------------------------------------------------------


# The answers file reads SQLite in a child process (a fraction of a second each): a few entries
# of every family and the huge ones (a filter value longer than a command-line argument may be)
# are enough there; tests/core/insights/test_answers_file.py checks its values in depth.
CSV_ENTRIES = frozenset(sample(2)) | {e for e in CORPUS if e.huge}


def test_the_corpus_in_the_admin_filters_and_searches_never_crashes(db, shop):
    _alice, users = shop
    customer, boss = users["alice"], users["boss"]
    # one comment with SQL and LIKE metacharacters, to check they are searched literally
    flow = cancellation.start(db, customer, now=NOW)
    cancellation.answer_survey(
        db, customer, flow.flow_id, Survey("other", "", "100% \\ off_ now", 2), now=NOW
    )
    cancellation.keep(db, customer, flow.flow_id, now=NOW)
    problems = Problems()
    for entry in CORPUS:
        text = entry.text
        calls = {
            "comments": lambda t=text: analytics.comments(db, boss, analytics.Filters(), t),
            "countries": lambda t=text: analytics.insights(
                db, boss, analytics.Filters(countries=(t,))
            ),
            "plans": lambda t=text: analytics.figures(db, boss, analytics.Filters(plans=(t,))),
            "crosstabs": lambda t=text: analytics.crosstabs(
                db, boss, analytics.Filters(plans=(t,))
            ),
            "drill": lambda t=text: analytics.flows_behind(
                db, boss, analytics.Filters(), analytics.Drill(plan=t, country=t)
            ),
            "csv": lambda t=text: analytics.answers_csv(
                db, boss, analytics.Filters(countries=(t,)), "it"
            ),
            "audit": lambda t=text: support_desk.audit_log(
                db, boss, support_desk.AuditQuery(actor=t)
            ),
            "kind": lambda t=text: support_desk.requests(db, boss, t),
            "language": lambda t=text: auth.set_language(db, customer, t),
        }
        for what, call in calls.items():
            if what == "csv" and entry not in CSV_ENTRIES:
                continue
            result, _refused = attempt(problems, entry, what, call)
            if what == "comments" and result is not None and result.total:
                hit = "100% \\ off_ now"
                if stored_form(text) and stored_form(text).lower() not in hit.lower():
                    problems.add(entry, f"search matched a comment without it: {result.total}")
    assert not problems, problems
    assert auth.user_for_session(db, customer.session_id, now=NOW).language is None


# --- Out through the receipt ---------------------------------------------------------------------


def test_the_receipt_renders_any_company_name():
    """The receipt (a PDF) for a company and a plan named with hostile text. Rendering a PDF
    takes most of a second, so a sample of every family (alternating the language) stands for
    the corpus here."""
    problems = Problems()
    base = records.dates_for(dt.date(2026, 12, 10))
    entries = [e for e in sample(1) + by_family("bidi")[:2] + by_family("control")[:3]]
    for i, entry in enumerate(e for e in entries if not e.has_surrogate):
        lang = i18n.LANGUAGES[i % 2]
        info = cancellation.Scheduled(
            flow_id="f",
            confirmation_number="CX-0000ABCD",
            requested_at=NOW,
            dates=base,
            company=entry.text[:200],
            plan_name=entry.text[:80],
        )
        content, refused = attempt(
            problems, entry, "receipt", lambda i=info, lang=lang: receipt.render(i, lang)
        )
        if refused:
            problems.add(entry, "no receipt")
            continue
        reader = PdfReader(io.BytesIO(content))
        if len(reader.pages) < 1 or "CX-0000ABCD" not in reader.pages[0].extract_text():
            problems.add(entry, "the receipt lost its confirmation number")
        name = receipt.file_name(info)
        if "/" in name or "\\" in name or "\x00" in name or not name.endswith(".pdf"):
            problems.add(entry, f"unsafe file name {name!r}")
    assert not problems, problems
