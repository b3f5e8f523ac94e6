"""Export data in a real browser: the demo customer clicks every download button, the file
arrives, parses, and holds the number of rows the page announced before the click."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from core import demo, exports
from core.platform.db import open_database
from tests.e2e import gallery
from tests.e2e.conftest import ROOT
from tests.support.browser import sign_in
from tests.support.exports import parse

ARTIFACTS = ROOT / "test-artifacts"
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "json": "JSON"}


def number(text: str) -> int:
    return int(text.replace(",", ""))


def open_export_page(page: Page, server, lang_label: str, title: str, submit: str) -> None:
    sign_in(page, server, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD, submit)
    expect(page.get_by_role("heading", name=demo.DEMO_COMPANY)).to_be_visible()
    page.goto(f"{server.url}/export")
    # the demo customer's stored language may have been changed by another test: choose it
    page.get_by_role("radio", name=lang_label).or_(
        page.get_by_text(lang_label, exact=True)
    ).first.click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def download(page: Page, key: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=60_000) as info:
        # a prepared file is a download button, a file made on request a streamed link
        page.locator(f".st-key-{key}").locator("button, a").first.click()
    path = info.value.path()
    return info.value.suggested_filename, Path(path).read_bytes()


def test_every_download_arrives_with_the_rows_the_page_announced(server, page_for):
    page = page_for("en-US")
    open_export_page(page, server, "English", "Export data", "Sign in")
    db = open_database(server.database_url)
    actor = exports.actor_for_email(db, demo.DEMO_CUSTOMER_EMAIL)
    opts = exports.export_options(db, actor)
    ARTIFACTS.mkdir(exist_ok=True)

    sections = (
        (
            "export_search_format",
            "dl_search_results",
            "search-results",
            r"holds ([\d,]+) rows: the",
        ),
        ("export_influencer_format", "dl_influencers", "influencers", r"holds ([\d,]+) rows, one"),
    )
    for picker, button, what, announced_re in sections:
        for fmt, label in FORMAT_LABELS.items():
            # a click while the last run is still being drawn once left both multiselects
            # half empty in CI (Streamlit's own; a person waits for the page): wait as they do
            gallery.settle(page)
            page.locator(f".st-key-{picker}").get_by_text(label, exact=True).click()
            caption = page.get_by_text(re.compile(rf"File name: .*_{what}_.*\.{fmt}$"))
            expect(caption).to_be_visible()
            # the button below the caption is still the last run's until the run ends (a click
            # then once downloaded the .xlsx while the caption said .json)
            gallery.settle(page)
            announced = page.get_by_text(re.compile(announced_re)).inner_text()
            rows = number(re.search(announced_re, announced)[1])
            name, content = download(page, button)
            assert name == caption.inner_text().removeprefix("File name: ")
            assert name.endswith(f".{fmt}") and name.startswith("Lumière-Co-Agency_")
            parsed = parse(fmt, content)
            assert len(parsed) == rows, (what, fmt)
        expected = opts.search_results if what == "search-results" else opts.influencers
        assert rows == expected

    # the PDF report: prepared with a progress bar, previewed, downloaded
    page.locator(".st-key-prepare_report button").click()
    ready = page.get_by_text(re.compile(r"Report ready: \d+ pages"))
    expect(ready).to_be_visible(timeout=60_000)
    pages = number(re.search(r"(\d+) pages", ready.inner_text())[1])
    name, content = download(page, "dl_report")
    assert name.endswith(".pdf")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == pages >= 2
    assert demo.DEMO_COMPANY in reader.pages[0].extract_text()

    # everything in one ZIP
    page.locator(".st-key-prepare_archive button").click()
    expect(page.get_by_text(re.compile(r"Archive ready:"))).to_be_visible(timeout=60_000)
    holds = page.get_by_text(re.compile(r"The archive holds")).inner_text()
    search_rows, influencer_rows = (number(n) for n in re.findall(r"([\d,]+) \w+[- ]", holds)[:2])
    name, content = download(page, "dl_archive")
    assert name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert len(parse("csv", archive.read("search_results.csv"))) == search_rows
        assert len(parse("json", archive.read("influencers.json"))) == influencer_rows
        assert "README.txt" in archive.namelist() and "account.json" in archive.namelist()
        in_zip = sorted(n for n in archive.namelist() if n.startswith("invoices/"))
        assert in_zip == sorted(f"invoices/{i.number}.pdf" for i in opts.invoice_list)

    # each invoice as a PDF: the newest is chosen, its link downloads it
    newest = opts.invoice_list[0]
    name, content = download(page, "export_invoice_download")
    assert name == f"{newest.number}.pdf"
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert newest.number in text and demo.DEMO_COMPANY in text
    page.screenshot(path=str(ARTIFACTS / "export-en.png"), full_page=True)


def test_the_export_page_in_italian(server, page_for):
    page = page_for("it-IT")
    open_export_page(page, server, "Italiano", "Esporta i dati", "Accedi")
    for text in ("Dati di ricerca", "Dati degli influencer", "Report in PDF"):
        expect(page.get_by_role("heading", name=text)).to_be_visible()
    expect(page.locator(".st-key-dl_search_results a")).to_have_text(
        re.compile("Esporta i dati di ricerca")
    )
    page.locator(".st-key-prepare_report button").click()
    expect(page.locator(".st-key-dl_report button")).to_have_text(
        re.compile("Scarica un report in PDF"), timeout=60_000
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "export-it.png"), full_page=True)


def test_a_change_of_language_keeps_what_was_chosen(own_server, page_for):
    """The browser holds each choice as its label, and the labels change with the language: the
    saved searches, the columns and the scope chosen in English are still chosen in Italian.
    (Its own server: it changes the demo customer's stored language, on which later tests of the
    shared server depend.)"""
    server = own_server
    page = page_for("en-US")
    open_export_page(page, server, "English", "Export data", "Sign in")
    db = open_database(server.database_url)
    opts = exports.export_options(db, exports.actor_for_email(db, demo.DEMO_CUSTOMER_EMAIL))
    searches = page.locator(".st-key-export_searches [data-tag]")
    columns = page.locator(".st-key-export_columns [data-tag]")
    gallery.settle(page)
    expect(searches).to_have_count(len(opts.searches))
    left_out = searches.first.get_attribute("aria-label")
    page.get_by_role("button", name=f"Remove {left_out}", exact=True).click()
    gallery.settle(page)
    page.get_by_role("button", name="Remove Notes", exact=True).click()
    gallery.settle(page)
    page.get_by_text(re.compile(r"^Only those in my lists and campaigns")).click()
    gallery.settle(page)
    expect(searches).to_have_count(len(opts.searches) - 1)
    chosen_columns = columns.count()
    assert chosen_columns == len(exports.INFLUENCER_DEFAULT_COLUMNS) - 1

    page.get_by_text("Italiano", exact=True).click()
    expect(page.get_by_role("heading", name="Esporta i dati", exact=True)).to_be_visible()
    gallery.settle(page)
    expect(searches).to_have_count(len(opts.searches) - 1)
    expect(columns).to_have_count(chosen_columns)
    expect(columns.first).to_have_text("ID")
    names = columns.all_inner_texts()
    assert "Nome" in names and "Note" not in names, names  # Name in Italian, and not Notes
    expect(searches.first).to_contain_text("risultati")
    assert left_out.replace("results", "risultati") not in searches.all_inner_texts()
    expect(
        page.get_by_role("radio", name=re.compile(r"^Solo quelli nelle mie liste e campagne"))
    ).to_be_checked()
    expect(page.get_by_text("Scegli almeno una ricerca salvata.")).to_have_count(0)
    expect(
        page.get_by_text(re.compile(r"^Nome del file: .*_search-results_.*\.csv$"))
    ).to_be_visible()
    # the next click on the page keeps them too
    page.locator(".st-key-export_search_format").get_by_text("JSON", exact=True).click()
    gallery.settle(page)
    expect(searches).to_have_count(len(opts.searches) - 1)
    expect(
        page.get_by_text(re.compile(r"^Nome del file: .*_search-results_.*\.json$"))
    ).to_be_visible()


def test_a_large_file_downloads_through_its_streamed_link(tmp_path, monkeypatch, page_for):
    """Files above the threshold are offered as a link to /download/<token>: clicking it in the
    browser downloads the whole file; the same link in another browser gets nothing."""
    from tests.e2e.conftest import running_server

    monkeypatch.setenv("PORTAL_STREAM_ABOVE_ROWS", "100")  # the demo customer has 160
    monkeypatch.setenv("PORTAL_SECRET_KEY", "e2e-download-links")
    with running_server(tmp_path) as server:
        page = page_for("en-US")
        open_export_page(page, server, "English", "Export data", "Sign in")
        expect(page.get_by_text(re.compile(r"This file is large \(160 rows\)"))).to_be_visible()
        link = page.locator(".st-key-dl_influencers a")
        expect(link).to_have_text(re.compile("Export influencer data"))
        href = link.get_attribute("href")
        assert href and href.startswith("/download/")
        # the link opens a new tab, which Chromium closes once it sees an attachment: the
        # download is reported on this page
        with page.expect_download(timeout=60_000) as info:
            link.click()
        content = Path(info.value.path()).read_bytes()
        assert info.value.suggested_filename.startswith("Lumière-Co-Agency_influencers_")
        db = open_database(server.database_url)
        opts = exports.export_options(db, exports.actor_for_email(db, demo.DEMO_CUSTOMER_EMAIL))
        assert len(parse("csv", content)) == opts.influencers == 160
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "export-streamed-en.png"), full_page=True)
        # another browser, not signed in: the same link gives a page that says why, no file
        stranger = page_for("it-IT")
        response = stranger.goto(f"{server.url}{href}")
        assert response is not None and response.status == 403
        expect(stranger.get_by_role("heading", name="Nessun download")).to_be_visible()
