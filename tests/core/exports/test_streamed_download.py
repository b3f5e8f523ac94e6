"""Large exports are streamed from `/download/<token>`: the owner's browser gets the whole file,
row for row; a link used by another user, after it expired, after signing out, or changed in
any way gets a short page that says so and no data. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
import threading
import time
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from core import demo
from core.exports import links as signed_links
from core.exports import services, streaming
from core.exports.request import MIME, ExportRequest
from core.identity import auth
from core.platform import i18n, secret_key
from core.platform.db import Database
from core.platform.errors import NotAuthorized
from core.platform.models import Subscription
from core.rules.vocabulary import STATUS_ENDED
from tests.support import factories
from tests.support.env import ROOT
from tests.support.exports import (
    Hostile,
    Reply,
    expected_for,
    get,
    make_hostile,
    parse,
    read_csv,
    stored_influencers,
    stored_search_results,
)
from tests.support.pages import open_page

EXPORT_PAGE = "export"


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(secret_key.SECRET_ENV, "test-secret-for-download-links")


@dataclass
class Browser:
    """A signed-in browser: its Streamlit session and its session cookie."""

    actor: Any
    cookie: str


def signed_in(db: Database, email: str) -> Browser:
    signed = auth.sign_in(db, email, factories.PASSWORD)
    cookie = auth.exchange_code(db, signed.code)
    assert cookie
    return Browser(auth.user_for_token(db, cookie), cookie)


@pytest.fixture
def shop(db: Database, monkeypatch: pytest.MonkeyPatch) -> tuple[Database, Hostile]:
    monkeypatch.setenv("PORTAL_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    return db, make_hostile(db)


def link(db: Database, browser: Browser, request: ExportRequest, **kwargs: Any) -> str:
    return "/download/" + signed_links.download_token(db, browser.actor, request, **kwargs)


# --- The owner gets every row ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_the_owner_downloads_the_whole_file_and_it_parses(shop, fmt, monkeypatch):
    db, hostile = shop
    monkeypatch.setattr(streaming, "STREAM_CHUNK", 4096)  # many chunks, even for this small file
    alice = signed_in(db, hostile.email)
    reply = get(link(db, alice, ExportRequest("influencers", fmt)), alice.cookie)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith(MIME[fmt])
    assert reply.headers["cache-control"] == "no-store"
    plan = services.plan_export(db, alice.actor, ExportRequest("influencers", fmt))
    disposition = reply.headers["content-disposition"]
    assert disposition.startswith("attachment;") and plan.file_name.endswith(f".{fmt}")
    assert "filename*=UTF-8''" in disposition and "_influencers_" in disposition
    expected = stored_influencers(db, hostile.account_id)
    assert parse(fmt, reply.body) == expected_for(fmt, expected)
    if fmt == "csv":  # the same bytes as the download button's file
        content, _result = services.export_bytes(db, alice.actor, ExportRequest("influencers", fmt))
        assert reply.body == content


def test_chosen_searches_and_the_archive_stream_too(shop):
    db, hostile = shop
    alice = signed_in(db, hostile.email)
    chosen = hostile.search_ids[:2]
    request = ExportRequest("search-results", "csv", search_ids=chosen)
    reply = get(link(db, alice, request), alice.cookie)
    assert reply.status == 200
    assert parse("csv", reply.body) == stored_search_results(db, hostile.account_id, chosen)
    reply = get(link(db, alice, ExportRequest("archive", "zip")), alice.cookie)
    assert reply.status == 200
    with zipfile.ZipFile(io.BytesIO(reply.body)) as archive:
        assert archive.testzip() is None
        assert parse("csv", archive.read("influencers.csv")) == stored_influencers(
            db, hostile.account_id
        )


# --- Nobody else gets anything --------------------------------------------------------------


def assert_refused(reply: Reply, status: int, key: str, lang: str = "en") -> None:
    assert reply.status == status
    assert "content-disposition" not in reply.headers
    assert reply.headers["content-type"].startswith("text/html")
    assert i18n.t(key, lang).replace("'", "&#x27;") in reply.text
    assert "Bob" not in reply.text and "=1+1" not in reply.text and "leading tab" not in reply.text


def test_another_users_link_gets_nothing(shop):
    db, hostile = shop
    alice = signed_in(db, hostile.email)
    bob = signed_in(db, hostile.other_email)
    alices_link = link(db, alice, ExportRequest("influencers", "csv"))
    assert_refused(get(alices_link, bob.cookie), 403, "export.link.invalid")
    assert_refused(get(alices_link), 403, "export.link.invalid")  # not signed in at all
    # another session of the same user (another browser) cannot use it either
    alice_elsewhere = signed_in(db, hostile.email)
    assert_refused(get(alices_link, alice_elsewhere.cookie), 403, "export.link.invalid")
    # and a link Bob makes for Alice's account is refused when it is made
    with pytest.raises(NotAuthorized):
        signed_links.download_token(
            db, bob.actor, ExportRequest("influencers", "csv"), hostile.account_id
        )


def test_an_expired_link_gets_nothing(shop):
    db, hostile = shop
    alice = signed_in(db, hostile.email)
    made = dt.datetime.now(dt.UTC) - dt.timedelta(
        minutes=signed_links.DOWNLOAD_LINK_MINUTES, seconds=1
    )
    old = link(db, alice, ExportRequest("influencers", "csv"), now=made)
    assert_refused(get(old, alice.cookie), 410, "export.link.expired")
    assert_refused(get(old, alice.cookie, lang="it"), 410, "export.link.expired", "it")
    fresh = link(db, alice, ExportRequest("influencers", "csv"), now=made + dt.timedelta(minutes=1))
    assert get(fresh, alice.cookie).status == 200  # a minute younger: still valid


def flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def test_a_tampered_link_gets_nothing(shop, monkeypatch):
    db, hostile = shop
    alice = signed_in(db, hostile.email)
    good = link(db, alice, ExportRequest("influencers", "csv", columns=("name",)))
    token = good.removeprefix("/download/")
    body, signature = token.split(".")
    # a payload asking for more columns, with the old signature
    wider = signed_links.download_token(db, alice.actor, ExportRequest("influencers", "csv"))
    for bad in (
        f"{wider.split('.')[0]}.{signature}",
        f"{flip(body, 5)}.{signature}",
        f"{body}.{flip(signature, 3)}",
        body,
        "not-a-token",
        f"{body}.{signature}.extra",
    ):
        assert_refused(get(f"/download/{bad}", alice.cookie), 403, "export.link.invalid")
    assert get("/download/", alice.cookie).status == 404
    # a link signed with another installation's key
    monkeypatch.setenv(secret_key.SECRET_ENV, "another-key")
    foreign = link(db, alice, ExportRequest("influencers", "csv"))
    monkeypatch.setenv(secret_key.SECRET_ENV, "test-secret-for-download-links")
    assert_refused(get(foreign, alice.cookie), 403, "export.link.invalid")
    assert get(good, alice.cookie).status == 200


def test_signing_out_or_the_end_of_the_subscription_ends_the_link(shop):
    db, hostile = shop
    alice = signed_in(db, hostile.email)
    url = link(db, alice, ExportRequest("influencers", "csv"))
    assert get(url, alice.cookie).status == 200  # the link is not single-use: it expires
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == hostile.account_id)
            .values(status=STATUS_ENDED, ended_on=dt.date(2026, 1, 1))  # window long over
        )
    reply = get(url, alice.cookie)
    assert reply.status == 403 and "content-disposition" not in reply.headers
    assert "the time to export your data ended on January 30, 2026" in reply.text
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == hostile.account_id)
            .values(status="active")
        )
    auth.sign_out(db, alice.actor.session_id)
    assert_refused(get(url, alice.cookie), 403, "export.link.invalid")


# --- The stream itself ----------------------------------------------------------------------


def test_a_reader_that_stops_early_stops_the_export(shop, monkeypatch):
    db, hostile = shop
    monkeypatch.setattr(streaming, "STREAM_CHUNK", 1024)
    alice = signed_in(db, hostile.email)
    chunks = signed_links.stream_export(db, alice.actor, ExportRequest("influencers", "csv"))
    first = next(chunks)
    assert first.startswith(b"\xef\xbb\xbfid,name")
    chunks.close()  # the browser went away: the writing thread stops soon after
    for _ in range(100):
        if not any(t.name.startswith("export-") for t in threading.enumerate()):
            break
        time.sleep(0.1)
    assert not any(t.name.startswith("export-") for t in threading.enumerate())
    again = b"".join(
        signed_links.stream_export(db, alice.actor, ExportRequest("influencers", "csv"))
    )
    assert len(parse("csv", again)) == len(stored_influencers(db, hostile.account_id))


def test_without_a_configured_key_one_is_made_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv(secret_key.SECRET_ENV)
    monkeypatch.setattr(secret_key, "SECRET_FILE", tmp_path / "data" / "secret.key")
    first = secret_key.secret_key()
    assert len(first) == 64 and secret_key.secret_key() == first
    assert stat.S_IMODE(os.stat(tmp_path / "data" / "secret.key").st_mode) == 0o600


# --- The page offers the link for a large file ----------------------------------------------


def seeded_site(tmp_path, monkeypatch, **seed: int) -> Database:
    """The pages' database: a SQLite file with the demo data (`seed`: demo.seed's sizes),
    dated relative to now."""
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_DEMO_MODE", "0")
    from core.platform.db import open_database

    db = open_database(url)
    demo.seed(db, now=dt.datetime.now(dt.UTC), **seed)
    return db


@pytest.fixture
def demo_site(tmp_path, monkeypatch):
    return seeded_site(tmp_path, monkeypatch, accounts=0)


def page_as(db, email: str, password: str, page: str, lang: str):
    """`email` signed in (with the browser cookie a download link needs) on `page`, under
    AppTest."""
    signed = auth.sign_in(db, email, password)
    cookie = auth.exchange_code(db, signed.code)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = lang
    at.session_state["session_id"] = signed.user.session_id
    at.run()
    open_page(at, page).run()
    assert not at.exception, at.exception
    return signed, cookie, at


def export_page_as_demo_customer(db, lang: str):
    """The demo customer on the Export data page."""
    return page_as(db, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD, EXPORT_PAGE, lang)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_page_offers_a_streamed_link_for_a_large_file(demo_site, monkeypatch, lang):
    monkeypatch.setattr(signed_links, "STREAM_ABOVE_ROWS", 100)  # the demo customer has 160
    db = demo_site
    signed, cookie, at = export_page_as_demo_customer(db, lang)
    buttons = {b.key: b for b in at.get("download_button")}
    links = {b.key: b for b in at.link_button}
    assert "dl_influencers" not in buttons and "dl_influencers" in links
    assert "dl_archive" in links and "prepare_archive" not in [b.key for b in at.button]
    link_button = links["dl_influencers"]
    assert link_button.proto.label == i18n.t("export.download.influencers", lang)
    note = i18n.t(
        "export.stream.note",
        lang,
        rows="160",
        minutes=str(signed_links.DOWNLOAD_LINK_MINUTES),
    )
    assert note in [c.value for c in at.caption]
    reply = get(link_button.proto.url, cookie)
    assert reply.status == 200
    account_id = signed.user.account_id
    assert len(parse("csv", reply.body)) == len(stored_influencers(db, account_id)) == 160
    # every file of the page is a link (a button's file can be lost to other sessions'
    # clean-ups); only a large one says it is large
    assert "dl_search_results" in links and "dl_search_results" not in buttons


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_small_file_is_a_link_too_and_says_how_long_it_works(demo_site, lang):
    db = demo_site
    signed, cookie, at = export_page_as_demo_customer(db, lang)
    assert not at.get("download_button")  # nothing prepared yet: no file held by the server
    links = {b.key: b for b in at.link_button}
    small_note = i18n.t(
        "export.stream.small_note", lang, minutes=str(signed_links.DOWNLOAD_LINK_MINUTES)
    )
    assert small_note in [c.value for c in at.caption]
    reply = get(links["dl_influencers"].proto.url, cookie)
    assert reply.status == 200
    rows = parse("csv", reply.body)
    assert len(rows) == len(stored_influencers(db, signed.user.account_id)) == 160


# --- The survey answers of the churn insights: a streamed link too ---------------------------

INSIGHTS_PAGE = "insights"


@pytest.fixture
def insights_site(tmp_path, monkeypatch):
    """Demo data with cancellation flows and their survey answers."""
    return seeded_site(tmp_path, monkeypatch, accounts=60, influencers_per_account=2)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_insights_page_streams_every_survey_answer_to_the_admin_only(insights_site, lang):
    """The raw answers (170 MB for a million) are a signed link, never a download button whose
    file the server would hold for the session; the file is the one `answers_csv` writes for
    the page's filters, and nobody else's browser gets it."""
    from core.insights import analytics

    db = insights_site
    _signed, cookie, at = page_as(
        db, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD, INSIGHTS_PAGE, lang
    )
    at.segmented_control(key="insights_section").set_value("comments").run()  # its section
    assert "csv_answers" not in [b.key for b in at.get("download_button")]
    answers = {b.key: b for b in at.link_button}["csv_answers"]
    assert answers.proto.label == i18n.t("insights.download_answers", lang)
    url = answers.proto.url
    grant = analytics.open_answers_download(db, url.removeprefix("/download/"), cookie)
    reply = get(url, cookie)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/csv")
    assert "survey-answers-" in reply.headers["content-disposition"]
    expected = analytics.answers_csv(db, grant.user, grant.filters, lang)
    assert reply.body == expected
    header, rows = read_csv(reply.body)
    assert header == list(analytics.ANSWER_COLUMNS)
    with db.transaction() as s:
        from sqlalchemy import func, select

        from core.platform.models import SurveyAnswer

        stored = s.scalar(select(func.count()).select_from(SurveyAnswer))
    assert len(rows) == stored > 10  # the demo's answers all lie in the page's two years
    note = i18n.plural(
        "insights.download_answers_note",
        stored,
        lang,
        minutes=str(signed_links.DOWNLOAD_LINK_MINUTES),
    )
    assert any(note in c.value for c in at.caption)

    customer = auth.sign_in(db, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD)
    customer_cookie = auth.exchange_code(db, customer.code)
    for who in (customer_cookie, None):  # a customer's browser, or nobody signed in
        assert_refused(get(url, who, lang=lang), 403, "insights.link.invalid", lang)
    with pytest.raises(NotAuthorized):  # and a customer cannot make such a link
        analytics.answers_download_token(db, customer.user, analytics.Filters(), lang)
    late = dt.datetime.now(dt.UTC) - dt.timedelta(
        minutes=signed_links.DOWNLOAD_LINK_MINUTES, seconds=1
    )
    old = analytics.answers_download_token(db, grant.user, grant.filters, lang, now=late)
    assert_refused(get(f"/download/{old}", cookie, lang=lang), 410, "insights.link.expired", lang)
    body, signature = url.removeprefix("/download/").split(".")
    tampered = get(f"/download/{flip(body, 7)}.{signature}", cookie, lang=lang)
    assert tampered.status == 403 and "content-disposition" not in tampered.headers
    assert "answered_at" not in tampered.text
    refused = get(f"/download/{old}", cookie, lang=lang)
    assert 'href="/insights"' in refused.text  # back to where a new link is made
