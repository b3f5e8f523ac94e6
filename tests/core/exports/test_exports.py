"""Exports hold exactly what is stored: every format is parsed back and compared with the
database, for the demo account and for a hostile data set (formula triggers, quotes, commas,
semicolons, line breaks, tabs, emoji with ZWJ, CJK, right-to-left, 10,000-character fields,
empty values, negative and 17-digit numbers), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from core import demo
from core.exports import access, services
from core.exports.request import (
    FORMATS,
    ExportRequest,
    ExportTooLargeForExcel,
    ExportUnavailable,
    file_name,
)
from core.identity.auth import CurrentUser
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import Influencer, SavedSearch, Subscription
from core.rules.vocabulary import STATUS_ENDED, STATUS_PURGED, STATUS_SCHEDULED
from tests.support.env import NOW, ROOT
from tests.support.exports import (
    HOSTILE,
    LONG,
    T0,
    Hostile,
    expected_for,
    json_expected,
    make_hostile,
    parse,
    read_csv,
    read_xlsx,
    stored_influencers,
    stored_search_results,
)


def customer(db: Database, email: str) -> CurrentUser:
    return access.actor_for_email(db, email)


@pytest.fixture
def hostile(db: Database) -> Hostile:
    return make_hostile(db)


@pytest.fixture
def demo_db(db: Database) -> Database:
    demo.seed(db, accounts=3, now=NOW)
    return db


def export(db: Database, email: str, request: ExportRequest, lang: str = "en") -> bytes:
    content, result = services.export_bytes(db, customer(db, email), request, lang=lang, now=NOW)
    assert result.size == len(content)
    return content


# --- Round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_demo_search_results_round_trip(demo_db, fmt):
    content = export(demo_db, demo.DEMO_CUSTOMER_EMAIL, ExportRequest("search-results", fmt))
    account_id = customer(demo_db, demo.DEMO_CUSTOMER_EMAIL).account_id
    expected = stored_search_results(demo_db, account_id)
    assert len(expected) > 50
    assert parse(fmt, content) == expected_for(fmt, expected)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_demo_influencers_round_trip(demo_db, fmt):
    content = export(demo_db, demo.DEMO_CUSTOMER_EMAIL, ExportRequest("influencers", fmt))
    account_id = customer(demo_db, demo.DEMO_CUSTOMER_EMAIL).account_id
    expected = stored_influencers(demo_db, account_id)
    assert len(expected) == 160
    assert any(row["lists"] for row in expected) and any(row["campaigns"] for row in expected)
    assert parse(fmt, content) == expected_for(fmt, expected)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_hostile_search_results_round_trip(db, hostile, fmt):
    content = export(db, hostile.email, ExportRequest("search-results", fmt))
    expected = stored_search_results(db, hostile.account_id)
    assert {row["search_name"] for row in expected} == {"=1+1", '@search; "quoted"', "👩‍👩‍👧 ليلى"}
    assert parse(fmt, content) == expected_for(fmt, expected)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_hostile_influencers_round_trip(db, hostile, fmt):
    content = export(db, hostile.email, ExportRequest("influencers", fmt))
    expected = stored_influencers(db, hostile.account_id)
    assert len(expected) == len(HOSTILE)
    notes = {row["notes"] for row in expected}
    assert LONG in notes and "" in notes and "=1+1" in notes
    rows = parse(fmt, content)
    assert rows == expected_for(fmt, expected)
    assert "Bob's secret influencer" not in content.decode("utf-8", "replace")


def test_formula_triggers_get_one_apostrophe_and_numbers_stay_numbers(db, hostile):
    header, rows = read_csv(export(db, hostile.email, ExportRequest("influencers", "csv")))
    cells = [cell for row in rows for cell in row]
    for text in ("=1+1", "+39 347 555 0199", "-5% off", "@SUM(A1:A9)", "\tleading tab"):
        assert "'" + text in cells and text not in cells
    assert "''already quoted" in cells  # the apostrophe is protected too, so the rule undoes
    assert "'-" in cells
    followers = [row[header.index("followers")] for row in rows]
    assert "-5" in followers and "'-5" not in followers  # a negative number is a number
    assert "0.30000000000000004" in [row[header.index("engagement_rate")] for row in rows]
    # JSON is never prefixed
    data = json.loads(export(db, hostile.email, ExportRequest("influencers", "json")))
    assert "=1+1" in [row["name"] for row in data["rows"]]
    assert -5 in [row["followers"] for row in data["rows"]]


def test_xlsx_text_is_a_string_and_numbers_are_exact(db, hostile):
    header, rows = read_xlsx(export(db, hostile.email, ExportRequest("influencers", "xlsx")))
    names = [row[header.index("name")] for row in rows]
    assert "'=1+1" in names and "'@SUM(A1:A9)" in names
    rates = [row[header.index("engagement_rate")] for row in rows]
    assert 0.1 + 0.2 in rates and 12.345678901234567 in rates
    assert -5 in [row[header.index("followers")] for row in rows]


def test_csv_is_utf8_with_bom_and_keeps_accents(demo_db):
    content = export(demo_db, demo.DEMO_CUSTOMER_EMAIL, ExportRequest("influencers", "csv"))
    text = content.decode("utf-8-sig")
    assert content[:3] == b"\xef\xbb\xbf"
    assert any(ch in text for ch in "àèéìòùçñüöäß")
    assert "\r\n" in text


# --- Choices ----------------------------------------------------------------------------------


def test_chosen_searches_only(db, hostile):
    chosen = hostile.search_ids[1:2]
    request = ExportRequest("search-results", "json", search_ids=chosen)
    plan = services.plan_export(db, customer(db, hostile.email), request, now=NOW)
    rows = parse("json", export(db, hostile.email, request))
    assert rows == json_expected(stored_search_results(db, hostile.account_id, chosen))
    assert plan.rows == len(rows) > 0
    assert {row["search_id"] for row in rows} == set(chosen)


def test_another_accounts_search_cannot_be_chosen(db, hostile):
    with db.transaction() as s:
        bob_search = SavedSearch(
            account_id=hostile.other_account_id, name="bob", query="{}", created_at=T0
        )
        s.add(bob_search)
        s.flush()
        bob_id = bob_search.id
    request = ExportRequest("search-results", "csv", search_ids=(hostile.search_ids[0], bob_id))
    with pytest.raises(InvalidInput) as exc:
        services.export_bytes(db, customer(db, hostile.email), request)
    assert exc.value.key == "export.error.unknown_search"


def test_chosen_columns_in_order_and_only_listed_influencers(db, hostile):
    columns = ("notes", "followers", "lists", "name")
    request = ExportRequest("influencers", "csv", columns=columns, scope="lists-campaigns")
    plan = services.plan_export(db, customer(db, hostile.email), request, now=NOW)
    header, _rows = read_csv(export(db, hostile.email, request))
    assert tuple(header) == columns == plan.columns
    rows = parse("csv", export(db, hostile.email, request))
    expected = stored_influencers(db, hostile.account_id, columns, scope="lists-campaigns")
    assert rows == expected
    assert plan.rows == len(rows) < len(HOSTILE)


@pytest.mark.parametrize(
    ("request_", "key"),
    [
        (ExportRequest("influencers", "csv", columns=()), "export.error.no_columns"),
        (ExportRequest("influencers", "csv", columns=("name", "password")), "export.error.columns"),
        (ExportRequest("influencers", "pdf"), "export.error.format"),
        (ExportRequest("search-results", "csv", search_ids=()), "export.error.no_search"),
        (ExportRequest("everything", "zip"), "export.error.format"),
    ],
)
def test_bad_requests_get_a_clear_message(db, hostile, request_, key):
    with pytest.raises(InvalidInput) as exc:
        services.plan_export(db, customer(db, hostile.email), request_)
    assert exc.value.key == key


def test_file_names_carry_company_what_and_date():
    day = dt.datetime(2026, 12, 8, 23, 0, tzinfo=dt.UTC)
    assert file_name("Lumière & Co. Agency", "influencers", "csv", day) == (
        "Lumière-Co-Agency_influencers_2026-12-08.csv"
    )
    assert file_name("佐藤_商事 / ../", "report", "pdf", day) == "佐藤-商事_report_2026-12-08.pdf"
    assert file_name("../..", "archive", "zip", day) == "account_archive_2026-12-08.zip"


# --- Who may export -----------------------------------------------------------------------------


def test_a_customer_exports_only_their_own_account(db, hostile):
    bob = customer(db, hostile.other_email)
    for what, fmt in (("influencers", "csv"), ("report", "pdf"), ("archive", "zip")):
        with pytest.raises(NotAuthorized):
            services.export_bytes(db, bob, ExportRequest(what, fmt), hostile.account_id)
        with pytest.raises(NotAuthorized):
            services.plan_export(db, bob, ExportRequest(what, fmt), hostile.account_id)
    with pytest.raises(NotAuthorized):
        services.export_options(db, bob, hostile.account_id)
    with pytest.raises(NotAuthorized):
        services.export_options(db, None, hostile.account_id)


@pytest.mark.parametrize("status", [STATUS_ENDED, STATUS_PURGED])
def test_after_the_export_window_or_a_purge_nothing_is_exported(db, hostile, status):
    """Ended more than the window ago (30 days), or purged: every export is refused, and not
    a byte is written. (Within the window an ended account exports: test_export_window.py.)"""
    ended = NOW.date() - dt.timedelta(days=40)
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == hostile.account_id)
            .values(status=status, ended_on=ended)
        )
    alice = customer(db, hostile.email)
    with pytest.raises(ExportUnavailable) as exc:
        services.export_options(db, alice, now=NOW)
    if status == STATUS_ENDED:
        assert exc.value.key == "export.error.window_closed"
        assert exc.value.params["last_day"] == ended + dt.timedelta(days=29)
    else:
        assert exc.value.key == "export.error.purged"
    for what, fmts in FORMATS.items():
        for fmt in fmts:
            out = io.BytesIO()
            request = ExportRequest(what, fmt, invoice="INV-1" if what == "invoice" else None)
            with pytest.raises(ExportUnavailable):
                services.write_export(db, alice, request, out, now=NOW)
            assert out.getvalue() == b""


def test_a_scheduled_cancellation_still_exports_until_the_cycle_ends(db, hostile):
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == hostile.account_id)
            .values(status=STATUS_SCHEDULED)
        )
        end = s.scalar(
            select(Subscription.current_period_end).where(
                Subscription.account_id == hostile.account_id
            )
        )
    opts = services.export_options(db, customer(db, hostile.email))
    assert opts.status == STATUS_SCHEDULED and opts.ends_on == end
    assert opts.available_until == end + dt.timedelta(days=29)  # 30 days from the end
    assert parse("json", export(db, hostile.email, ExportRequest("influencers", "json")))


# --- Excel's limits ---------------------------------------------------------------------------


def test_a_value_too_long_for_excel_is_refused_with_a_clear_message(sqlite_db):
    made = make_hostile(sqlite_db)
    with sqlite_db.transaction() as s:
        s.execute(
            update(Influencer)
            .where(Influencer.account_id == made.account_id, Influencer.handle == "h0")
            .values(notes="n" * 40_000)
        )
    alice = customer(sqlite_db, made.email)
    request = ExportRequest("influencers", "xlsx")
    assert services.xlsx_problem(sqlite_db, alice, request) == "export.error.xlsx_cell"
    narrow = ExportRequest("influencers", "xlsx", columns=("name", "followers"))
    assert services.xlsx_problem(sqlite_db, alice, narrow) is None
    with pytest.raises(ExportTooLargeForExcel) as exc:
        services.export_bytes(sqlite_db, alice, request)
    assert exc.value.key == "export.error.xlsx_cell"
    # CSV and JSON keep the value whole
    rows = parse("csv", export(sqlite_db, made.email, ExportRequest("influencers", "csv")))
    assert "n" * 40_000 in [row["notes"] for row in rows]


# --- The archive ------------------------------------------------------------------------------


def test_the_archive_holds_everything_with_a_readme(demo_db):
    alice = customer(demo_db, demo.DEMO_CUSTOMER_EMAIL)
    plan = services.plan_export(demo_db, alice, ExportRequest("archive", "zip"), now=NOW)
    content, result = services.export_bytes(
        demo_db, alice, ExportRequest("archive", "zip"), lang="it", now=NOW
    )
    assert result.file_name == plan.file_name == "Lumière-Co-Agency_archive_2026-11-26.zip"
    invoice_numbers = [i.number for i in services.export_options(demo_db, alice).invoice_list]
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        assert names == {
            "search_results.csv",
            "search_results.json",
            "influencers.csv",
            "influencers.json",
            "report.pdf",
            "account.json",
            "README.txt",
        } | {f"invoices/{number}.pdf" for number in invoice_numbers}
        assert len(invoice_numbers) >= 2
        readme = z.read("README.txt").decode("utf-8")
        for name in names:
            assert name in readme
        for number in invoice_numbers:  # each invoice's PDF, in the archive's language
            text = PdfReader(io.BytesIO(z.read(f"invoices/{number}.pdf"))).pages[0].extract_text()
            assert "Fattura" in text and number in text
        assert "apostrofo" in readme  # in the user's language, with the protection rule
        for member, rows in plan.parts:
            fmt = member.rsplit(".", 1)[1]
            assert len(parse(fmt, z.read(member))) == rows
            assert f"{rows} righe" in readme
        expected = stored_influencers(demo_db, alice.account_id)
        assert parse("json", z.read("influencers.json")) == json_expected(expected)
        account = json.loads(z.read("account.json"))
        assert account["account"]["company"] == "Lumière & Co. Agency"
        assert account["plan"]["code"] == "growth"
        assert len(account["invoices"]) == services.export_options(demo_db, alice).invoices
        assert {u["email"] for u in account["users"]} >= {demo.DEMO_CUSTOMER_EMAIL}
        assert "password_hash" not in json.dumps(account)
        assert all("language" in u["settings"] for u in account["users"])
        assert len(account["lists"]) == 5 and all(lst["members"] for lst in account["lists"])
        assert len(account["campaigns"]) == 4
        assert len(account["searches"]) == 7
        pdf = PdfReader(io.BytesIO(z.read("report.pdf")))
        assert len(pdf.pages) >= 2
    assert result.rows == plan.rows == plan.parts[0][1] + plan.parts[2][1]


# --- The command line uses the same code ------------------------------------------------------


def run_cli(db: Database, *args: str) -> subprocess.CompletedProcess:
    url = db.engine.url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "-m", "core", "--database-url", url, "export", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("what", "fmt"), [("influencers", "xlsx"), ("search-results", "csv")])
def test_the_command_line_writes_the_same_file(db, hostile, tmp_path, what, fmt):
    out = tmp_path / f"export.{fmt}"
    done = run_cli(db, "--email", hostile.email, "--what", what, "--format", fmt, "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = parse(fmt, out.read_bytes())
    expected = (
        stored_influencers(db, hostile.account_id)
        if what == "influencers"
        else stored_search_results(db, hostile.account_id)
    )
    assert rows == expected
    assert f"{len(rows):,} rows" in done.stderr


def test_the_command_line_refuses_an_ended_account_after_its_export_window(db, hostile, tmp_path):
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == hostile.account_id)
            .values(status=STATUS_ENDED, ended_on=dt.date.today() - dt.timedelta(days=31))
        )
    out = tmp_path / "out" / "report.pdf"
    out.parent.mkdir()
    done = run_cli(db, "--email", hostile.email, "--what", "report", "--out", str(out))
    assert done.returncode == 2
    assert "exports are no longer available" in done.stderr
    assert not list(out.parent.iterdir())  # no file, not even a partial one
