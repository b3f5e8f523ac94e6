"""The file of every survey answer (the insights page's `/download/<token>` link), on a hostile
data set: formula starters, text that a spreadsheet would read as a number or a boolean, quotes,
commas, line breaks, emoji, right-to-left and Japanese text, control characters, a very long
comment, missing values, skipped answers, every outcome, flows of purged accounts, and more
answers than one record batch holds, the first batch's all skipped. Each file is read back with
Python's csv module and compared with the values worked out here from the rows written; every
text value is quoted, numbers and true/false are not. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import insert

from core.exports import readers
from core.identity import auth
from core.insights import analytics
from core.insights.analytics import Filters
from core.platform import i18n
from core.platform.models import CancellationFlow, SurveyAnswer
from core.rules.vocabulary import OUTCOMES, REASONS
from tests.support import factories
from tests.support.csv_fields import fields
from tests.support.env import NOW

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "'")
LONG = "=" + 'Lorem ipsum, "dolor"\r\n sit amet; ' * 6_000  # about 200,000 characters
TEXTS = (
    "=1+1",
    '=HYPERLINK("http://evil.example","x")',
    "+1",
    "-1",
    "@SUM(A1:A9)",
    "\tstarts with a tab",
    "\rstarts with a CR",
    "\nstarts with a LF",
    "'already an apostrophe",
    "0001",
    "1E2",
    "TRUE",
    "false",
    "12,5",
    "2026-01-05",
    'say "hi", then go',
    "one,two,three",
    "line one\nline two",
    "windows\r\nline ends\r\n",
    "bare CR\rinside",
    "emoji 😀👍🏽 🇮🇹 👨‍👩‍👧",
    "\u202eRTL override",
    "مرحبا بالعالم",
    "שלום עולם",
    "日本語のコメントです。",
    "controls \x01\x02\x07\x08\x0b\x0c\x1b\x1f\x7f\x85 end",
    "\u200bzero width",
    " leading and trailing ",
    "NULL",
    "\\N",
    "",
    LONG,
)
PLANS = ("growth", "=cmd|' /C calc'!A0", "0001", "TRUE", 'a,b"c', "日本語", "-")
COUNTRIES = ("IT", "=1", "+", "\t", "😀", "1E", "@")
TENURES = ("<6m", "6-12m", "1-2y", "2y+", "+1", "@x", "0001")
ANSWER_REASONS = (*REASONS, None, "=evil()", "", "retired_code")
START = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)
BATCH_ROWS = 64  # the SQLite reader's record batches, made small: several of them here


def make_answers() -> list[dict]:
    """The answers as the test writes them: more than a record batch of skipped answers first
    (the reason missing in every row of the first batch), then every hostile value in every
    text column, two answers at the same second (the lower id first), times with and without
    microseconds."""
    rows = []
    skipped_first = BATCH_ROWS + 36
    for i in range(skipped_first):
        rows.append(
            {
                "id": i + 1,
                "at": START + dt.timedelta(seconds=i),
                "skipped": True,
                "reason": None,
                "follow_up": "",
                "comment": "",
                "satisfaction": None,
                "outcome": OUTCOMES[i % len(OUTCOMES)],
                "plan": "growth",
                "country": "IT",
                "tenure": "<6m",
                "purged": i % 2 == 0,
            }
        )
    later = START + dt.timedelta(days=30)
    n = len(TEXTS) * 3
    for k in range(n):
        reason = ANSWER_REASONS[k % len(ANSWER_REASONS)]
        rows.append(
            {
                "id": skipped_first + n - k,  # ids run backwards: the order is by time, then id
                "at": later + dt.timedelta(minutes=k // 2, microseconds=(k % 3) * 250_001),
                "skipped": reason is None and k % 2 == 0,
                "reason": reason,
                "follow_up": TEXTS[(k + 7) % len(TEXTS)],
                "comment": TEXTS[k % len(TEXTS)],
                "satisfaction": (None, 1, 2, 3, 4, 5)[k % 6],
                "outcome": OUTCOMES[k % len(OUTCOMES)],
                "plan": PLANS[k % len(PLANS)],
                "country": COUNTRIES[k % len(COUNTRIES)],
                "tenure": TENURES[k % len(TENURES)],
                "purged": k % 3 == 0,
            }
        )
    return rows


@pytest.fixture
def answers(db, monkeypatch):
    monkeypatch.setattr(readers, "ARROW_BATCH_ROWS", BATCH_ROWS)
    growth = factories.plan(db, "growth", 24900)
    alice = factories.customer(db, "alice@example.com", growth, now=NOW)
    factories.admin(db, "boss@example.com", now=NOW)
    rows = make_answers()
    with db.transaction() as s:
        s.execute(
            insert(CancellationFlow),
            [
                {
                    "id": f"flow-{r['id']:06d}",
                    "account_id": None if r["purged"] else alice.account_id,
                    "started_at": r["at"] - dt.timedelta(minutes=1, microseconds=r["id"] % 7),
                    "outcome": r["outcome"],
                    "plan_code": r["plan"],
                    "country": r["country"],
                    "tenure_band": r["tenure"],
                    "monthly_revenue_cents": 24900,
                    "survey": "skipped" if r["skipped"] else "answered",
                    "reason": r["reason"],
                    "satisfaction": r["satisfaction"],
                }
                for r in rows
            ],
        )
        s.execute(
            insert(SurveyAnswer),
            [
                {
                    "id": r["id"],
                    "flow_id": f"flow-{r['id']:06d}",
                    "answered_at": r["at"],
                    "skipped": r["skipped"],
                    "reason": r["reason"],
                    "follow_up": r["follow_up"],
                    "comment": r["comment"],
                    "satisfaction": r["satisfaction"],
                    "flow_started_at": r["at"] - dt.timedelta(minutes=1, microseconds=r["id"] % 7),
                    "plan_code": r["plan"],
                    "country": r["country"],
                    "tenure_band": r["tenure"],
                }
                for r in rows
            ],
        )
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user
    return boss, rows


# --- what the file should hold, worked out here ------------------------------------------------


def protected(text: str) -> str:
    return "'" + text if text[:1] in TRIGGERS else text


def expected_rows(rows: list[dict], filters: Filters, lang: str) -> list[list[str]]:
    def wanted(r: dict) -> bool:
        started = r["at"] - dt.timedelta(minutes=1, microseconds=r["id"] % 7)
        return (
            (not filters.plans or r["plan"] in filters.plans)
            and (not filters.countries or r["country"] in filters.countries)
            and (not filters.tenures or r["tenure"] in filters.tenures)
            and (not filters.start or started.date() >= filters.start)
            and (not filters.end or started.date() <= filters.end)
        )

    out = []
    for r in sorted(filter(wanted, rows), key=lambda r: (r["at"], r["id"])):
        reason = r["reason"]
        name = i18n.t(f"reason.{reason}", lang) if reason in REASONS else reason or ""
        started = r["at"] - dt.timedelta(minutes=1, microseconds=r["id"] % 7)
        out.append(
            [
                r["at"].isoformat(),
                started.isoformat(),
                protected(r["outcome"]),
                "true" if r["skipped"] else "false",
                protected(reason or ""),
                protected(name),
                protected(r["follow_up"]),
                protected(r["comment"]),
                "" if r["satisfaction"] is None else str(r["satisfaction"]),
                protected(r["plan"]),
                protected(r["country"]),
                protected(r["tenure"]),
            ]
        )
    return out


def read(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))  # the long comment
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


NUMBERS = ("skipped", "satisfaction")  # written unquoted: true/false and numbers
FILTERS = {
    "all": Filters(),
    "hostile values": Filters(
        plans=("0001", 'a,b"c', "=cmd|' /C calc'!A0", "growth"),
        countries=("=1", "😀", "IT", "@"),
        tenures=("<6m", "1-2y"),
    ),
    "dates": Filters(start=dt.date(2025, 1, 31), end=dt.date(2025, 1, 31)),
}


CASES = [("all", "en"), ("all", "it"), ("hostile values", "it"), ("dates", "en")]


def test_the_answers_file_holds_every_value_quoted_and_formula_safe(db, answers):
    boss, rows = answers
    for which, lang in CASES:
        filters = FILTERS[which]
        data = analytics.answers_csv(db, boss, filters, lang)
        got = read(data)
        assert got[0] == list(analytics.ANSWER_COLUMNS)
        expected = expected_rows(rows, filters, lang)
        assert len(got) - 1 == len(expected) > (BATCH_ROWS if which == "all" else 20)
        assert got[1:] == expected, which

        # every text value quoted (a spreadsheet keeps 0001, 1E2, TRUE as text), numbers and
        # true/false not, the header as the exports write it
        records = fields(data)
        assert records[0] == [(c, False) for c in analytics.ANSWER_COLUMNS]
        assert [[value for value, _q in r] for r in records] == got
        for record in records[1:]:
            for column, (value, quoted) in zip(analytics.ANSWER_COLUMNS, record, strict=True):
                if column in NUMBERS:
                    assert not quoted, (column, value)
                else:
                    assert quoted, (column, value)
                    assert value[:1] not in TRIGGERS[:-1], (column, value)
        assert data.endswith(b"\r\n")

    # a filter value longer than a command-line argument may be (the SQLite reader gets its SQL
    # through a pipe), with quotes and backslashes: nothing matches, nothing breaks
    for value in ("x" * 300_000, "IT' OR '1'='1", "IT\\", "%", "_"):
        data = analytics.answers_csv(db, boss, Filters(countries=(value,)), "en")
        assert read(data) == [list(analytics.ANSWER_COLUMNS)]
