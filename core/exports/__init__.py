"""Data exports: search results and influencer data (CSV, XLSX, JSON), the PDF report and one
ZIP archive with all of it. The export page and `python -m core export` both call
`write_export`, so the files are the same whichever way they are made.

**Exactly what is stored.** Every row and every value of the account, in a stable order.
Numbers are written as numbers (a negative number stays a number), times as ISO 8601 in UTC
(`2026-11-26T10:00:00+00:00`), the list and campaign names of an influencer as a JSON array.
Parsing a file back gives what the database holds, with one documented exception:

**Formula protection (CSV and XLSX only).** A text cell whose first character is one of
``= + - @``, tab, carriage return, line feed or an apostrophe ``'`` gets one apostrophe ``'``
put in front of it, so no spreadsheet ever reads it as a formula (OWASP, "CSV injection";
the apostrophe itself is in the list so the rule can be undone exactly: drop one leading
apostrophe from any text cell that has one). Numbers are never prefixed or altered; in XLSX
every text value is written as a string cell, never as a formula. JSON is never prefixed.

CSV is UTF-8 with a byte-order mark (so Excel shows accents), comma-separated, every text value
quoted, CRLF line ends. Rows come from the database as Arrow record batches (ADBC drivers), with
times and name lists already in their file form; formula protection runs on whole columns; each
batch is written as it comes (CSV by Arrow's writer, XLSX through XlsxWriter's constant-memory
mode), so memory stays flat whatever the size. Large files are streamed to the browser through a
short-lived signed link (`download_token`, `stream_export`, served by `core/web/http.py`).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import queue
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Engine, String, case, func, literal_column, select, type_coerce, union
from sqlalchemy.orm import Session

from core.customers.accounts import InvoiceLine
from core.identity.auth import CurrentUser, export_last_day, require_account
from core.platform.config import ROOT, Settings, load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotFound, PortalError
from core.platform.i18n import fmt_number, t
from core.platform.models import (
    STATUS_ENDED,
    STATUS_PURGED,
    Account,
    Campaign,
    CampaignInfluencer,
    Influencer,
    InfluencerList,
    Invoice,
    ListMember,
    Plan,
    Report,
    SavedSearch,
    SearchResult,
    Subscription,
    User,
)
from core.rules import billing

SEARCH_RESULTS = "search-results"
INFLUENCERS = "influencers"
REPORT = "report"
ARCHIVE = "archive"
INVOICE = "invoice"  # one invoice as a PDF (`core.documents.invoices`), named by its number
WHATS = (SEARCH_RESULTS, INFLUENCERS, REPORT, ARCHIVE, INVOICE)
FORMATS = {
    SEARCH_RESULTS: ("csv", "xlsx", "json"),
    INFLUENCERS: ("csv", "xlsx", "json"),
    REPORT: ("pdf",),
    ARCHIVE: ("zip",),
    INVOICE: ("pdf",),
}
MIME = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "zip": "application/zip",
}
SCOPE_ALL = "all"
SCOPE_LISTED = "lists-campaigns"  # only influencers in at least one list or campaign
SCOPES = (SCOPE_ALL, SCOPE_LISTED)

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "'")
XLSX_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
XLSX_MAX_CELL = 32_767  # characters in one Excel cell
BATCH = 1_000  # rows fetched from the database at a time
JSON_FORMAT = "influencer-portal-export/1"

Progress = Callable[[float, str], None]  # (fraction done 0..1, i18n key of the current step)


# --- Errors ------------------------------------------------------------------------------


class ExportUnavailable(PortalError):
    """The subscription's data was purged (or its export window has closed): nothing can be
    exported."""

    key = "export.error.purged"


class ExportWindowClosed(ExportUnavailable):
    """The subscription ended, and the read-only export window after the end is over."""

    key = "export.error.window_closed"


class ExportTooLargeForExcel(PortalError):
    key = "export.error.xlsx_limit"


# --- Columns -----------------------------------------------------------------------------

INT, FLOAT, TEXT, TIME, NAMES = "int", "float", "text", "time", "names"


@dataclass(frozen=True)
class Column:
    key: str  # the header in every file, and (as `export.col.<key>`) its label on the page
    kind: str  # int / float / text / time / names


SEARCH_RESULT_COLUMNS = (
    Column("search_id", INT),
    Column("search_name", TEXT),
    Column("search_query", TEXT),  # the filters, as the JSON text that is stored
    Column("search_created_at", TIME),
    Column("rank", INT),
    Column("score", FLOAT),
    Column("influencer_id", INT),
    Column("handle", TEXT),
    Column("name", TEXT),
    Column("platform", TEXT),
    Column("followers", INT),
    Column("engagement_rate", FLOAT),
    Column("country", TEXT),
)
INFLUENCER_COLUMNS = (
    Column("id", INT),
    Column("name", TEXT),
    Column("handle", TEXT),
    Column("platform", TEXT),
    Column("followers", INT),
    Column("engagement_rate", FLOAT),
    Column("country", TEXT),
    Column("categories", TEXT),
    Column("contact_email", TEXT),
    Column("notes", TEXT),
    Column("unlocked_at", TIME),
    Column("lists", NAMES),
    Column("campaigns", NAMES),
)
INFLUENCER_DEFAULT_COLUMNS = tuple(c.key for c in INFLUENCER_COLUMNS)
_INFLUENCER_BY_KEY = {c.key: c for c in INFLUENCER_COLUMNS}
# Where each stored column comes from (lists and campaigns are merged in separately).
_SEARCH_SQL: dict[str, Any] = {
    "search_id": SavedSearch.id,
    "search_name": SavedSearch.name,
    "search_query": SavedSearch.query,
    "search_created_at": SavedSearch.created_at,
    "rank": SearchResult.rank,
    "score": SearchResult.score,
    "influencer_id": Influencer.id,
    "handle": Influencer.handle,
    "name": Influencer.name,
    "platform": Influencer.platform,
    "followers": Influencer.followers,
    "engagement_rate": Influencer.engagement_rate,
    "country": Influencer.country,
}
_INFLUENCER_SQL: dict[str, Any] = {
    c.key: getattr(Influencer, c.key) for c in INFLUENCER_COLUMNS if c.kind != NAMES
}


# --- What the page shows before a download ------------------------------------------------


@dataclass(frozen=True)
class SearchChoice:
    id: int
    name: str
    created_at: dt.datetime
    results: int


@dataclass(frozen=True)
class ExportOptions:
    """What this account can export, and until when."""

    account_id: int
    company: str
    status: str
    # The day access ends (active: would end if cancelled today; scheduled: will end; ended:
    # ended), and the last day the data can be exported: the window after that end
    # (`auth.export_last_day`). Every sentence of the page takes its dates from these two.
    ends_on: dt.date
    available_until: dt.date
    export_days: int  # the length of the window after the end, in days
    searches: tuple[SearchChoice, ...]
    search_results: int
    influencers: int
    influencers_listed: int  # in at least one list or campaign
    lists: int
    campaigns: int
    reports: int
    invoices: int
    invoice_list: tuple[InvoiceLine, ...] = ()  # newest first


@dataclass(frozen=True)
class ExportRequest:
    what: str
    fmt: str
    search_ids: tuple[int, ...] | None = None  # search results: None means every search
    columns: tuple[str, ...] | None = None  # influencers: None means the default columns
    scope: str = SCOPE_ALL  # influencers: all, or only those in lists or campaigns
    invoice: str | None = None  # invoice: its number


@dataclass(frozen=True)
class ExportPlan:
    """A file before it is made: its name, type and how many rows it will hold."""

    request: ExportRequest
    file_name: str
    mime: str
    rows: int  # data rows (archive: search results + influencers)
    columns: tuple[str, ...]
    parts: tuple[tuple[str, int], ...] = ()  # archive: (file name, rows) of each data file


@dataclass(frozen=True)
class ExportResult:
    file_name: str
    mime: str
    rows: int  # data rows (archive: search results + influencers)
    size: int  # bytes
    pages: int = 0  # of the PDF report (report and archive)


# --- Formula protection --------------------------------------------------------------------


def protect(text: str) -> str:
    """The text as a CSV/XLSX cell: with one apostrophe in front when it starts with a
    character a spreadsheet could read as the start of a formula (see the module doc)."""
    return "'" + text if text[:1] in FORMULA_TRIGGERS else text


def unprotect(cell: str) -> str:
    """The inverse of `protect`: the stored text of a CSV/XLSX text cell."""
    return cell[1:] if cell.startswith("'") else cell


# --- Use cases -----------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)


def resolve_account_id(actor: CurrentUser | None, account_id: int | None) -> int:
    if account_id is None and actor is not None:
        account_id = actor.account_id
    if account_id is None:
        raise NotFound()
    return account_id


def export_dates(sub: Subscription, settings: Settings | None = None) -> tuple[dt.date, dt.date]:
    """(the day access ends, the last day of the export window after it) for a subscription:
    when it ended, or will end, or would end if it were cancelled today."""
    ends_on = sub.ended_on or sub.current_period_end
    return ends_on, export_last_day(ends_on, settings)


def open_for_export(
    s: Session, actor: CurrentUser | None, account_id: int, now: dt.datetime | None = None
) -> tuple[Account, Subscription]:
    """Who may export what: the owner (or an admin), of an account that is active, scheduled
    for cancellation, or ended less than the export window ago (read-only: exports only).
    After the window the export is refused with its last day; a purged account never exports."""
    require_account(actor, account_id)
    account = s.get(Account, account_id)
    sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
    if account is None or sub is None:
        raise NotFound()
    if sub.status == STATUS_PURGED:
        raise ExportUnavailable()
    if sub.status == STATUS_ENDED:
        settings = load_settings()
        ended_on, last_day = export_dates(sub, settings)
        if _now(now).date() > last_day:
            deleted = billing.data_deletion_date(ended_on, settings.reactivation_months)
            raise ExportWindowClosed(
                ended=ended_on,
                last_day=last_day,
                until=deleted - dt.timedelta(days=1),
            )
    return account, sub


def _count(s: Session, model: Any, *where: Any) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _listed(account_id: int) -> Any:
    """SQL: the influencer is in at least one of the account's lists or campaigns. Written as
    `id IN (members of the lists UNION members of the campaigns)`, whose cost follows the number
    of memberships rather than the number of influencers (an EXISTS per influencer took 0.7 s
    on an account of a million)."""
    in_lists = (
        select(ListMember.influencer_id)
        .join(InfluencerList, InfluencerList.id == ListMember.list_id)
        .where(InfluencerList.account_id == account_id)
    )
    in_campaigns = (
        select(CampaignInfluencer.influencer_id)
        .join(Campaign, Campaign.id == CampaignInfluencer.campaign_id)
        .where(Campaign.account_id == account_id)
    )
    return Influencer.id.in_(union(in_lists, in_campaigns))


def export_options(
    db: Database,
    actor: CurrentUser | None,
    account_id: int | None = None,
    *,
    now: dt.datetime | None = None,
) -> ExportOptions:
    """What the export page offers: the saved searches, the counts, the invoices, and until
    when the data can be exported."""
    account_id = resolve_account_id(actor, account_id)
    settings = load_settings()
    with db.transaction() as s:
        account, sub = open_for_export(s, actor, account_id, now)
        ends_on, last_day = export_dates(sub, settings)
        searches = tuple(
            SearchChoice(id=row[0], name=row[1], created_at=row[2], results=row[3])
            for row in s.execute(
                select(
                    SavedSearch.id,
                    SavedSearch.name,
                    SavedSearch.created_at,
                    func.count(SearchResult.id),
                )
                .outerjoin(SearchResult, SearchResult.search_id == SavedSearch.id)
                .where(SavedSearch.account_id == account_id)
                .group_by(SavedSearch.id, SavedSearch.name, SavedSearch.created_at)
                .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())
            )
        )
        return ExportOptions(
            account_id=account_id,
            company=account.company,
            status=sub.status,
            ends_on=ends_on,
            available_until=last_day,
            export_days=settings.export_days_after_end,
            searches=searches,
            search_results=sum(c.results for c in searches),
            influencers=_count(s, Influencer, Influencer.account_id == account_id),
            influencers_listed=_count(
                s, Influencer, Influencer.account_id == account_id, _listed(account_id)
            ),
            lists=_count(s, InfluencerList, InfluencerList.account_id == account_id),
            campaigns=_count(s, Campaign, Campaign.account_id == account_id),
            reports=_count(s, Report, Report.account_id == account_id),
            invoices=_count(s, Invoice, Invoice.account_id == account_id),
            invoice_list=tuple(
                InvoiceLine.of(i)
                for i in s.scalars(
                    select(Invoice)
                    .where(Invoice.account_id == account_id)
                    .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
                )
            ),
        )


def file_name(company: str, what: str, fmt: str, now: dt.datetime | None = None) -> str:
    """`<company>_<what>_<YYYY-MM-DD>.<ext>`: letters and digits of any script are kept, other
    characters become hyphens (so the name is safe on every file system)."""
    name = unicodedata.normalize("NFC", company)
    name = re.sub(r"[\W_]+", "-", name).strip("-")[:60].strip("-") or "account"
    return f"{name}_{what}_{_now(now).date().isoformat()}.{fmt}"


def _validate(request: ExportRequest) -> ExportRequest:
    if request.what not in WHATS or request.fmt not in FORMATS[request.what]:
        raise InvalidInput("export.error.format")
    if request.what == INVOICE:
        number = request.invoice.strip() if isinstance(request.invoice, str) else ""
        if not number or len(number) > 40:
            raise NotFound("invoice.error.not_found")
        return ExportRequest(INVOICE, "pdf", invoice=number)
    if request.what == INFLUENCERS:
        columns = request.columns if request.columns is not None else INFLUENCER_DEFAULT_COLUMNS
        if not columns:
            raise InvalidInput("export.error.no_columns")
        if any(key not in _INFLUENCER_BY_KEY for key in columns) or len(set(columns)) != len(
            columns
        ):
            raise InvalidInput("export.error.columns")
        if request.scope not in SCOPES:
            raise InvalidInput("export.error.format")
        return ExportRequest(request.what, request.fmt, None, tuple(columns), request.scope)
    if request.what == SEARCH_RESULTS and request.search_ids is not None:
        if not request.search_ids:
            raise InvalidInput("export.error.no_search")
        return ExportRequest(request.what, request.fmt, tuple(dict.fromkeys(request.search_ids)))
    return ExportRequest(request.what, request.fmt, request.search_ids)


def _check_searches(s: Session, account_id: int, search_ids: tuple[int, ...] | None) -> None:
    if search_ids is None:
        return
    found = set(
        s.scalars(
            select(SavedSearch.id).where(
                SavedSearch.account_id == account_id, SavedSearch.id.in_(search_ids)
            )
        )
    )
    if found != set(search_ids):
        raise InvalidInput("export.error.unknown_search")


def _search_where(account_id: int, search_ids: tuple[int, ...] | None) -> list[Any]:
    where = [SavedSearch.account_id == account_id]
    if search_ids is not None:
        where.append(SavedSearch.id.in_(search_ids))
    return where


def _influencer_where(account_id: int, scope: str) -> list[Any]:
    where = [Influencer.account_id == account_id]
    if scope == SCOPE_LISTED:
        where.append(_listed(account_id))
    return where


def _rows_for(s: Session, account_id: int, request: ExportRequest) -> int:
    if request.what == SEARCH_RESULTS:
        return _count(
            s,
            SearchResult.__table__.join(SavedSearch.__table__),
            *_search_where(account_id, request.search_ids),
        )
    if request.what == INFLUENCERS:
        return _count(s, Influencer, *_influencer_where(account_id, request.scope))
    return 0


def _invoice(s: Session, account_id: int, number: str | None) -> Invoice:
    """The account's own invoice of that number; another account's is not found."""
    row = s.scalar(
        select(Invoice).where(Invoice.account_id == account_id, Invoice.number == number)
    )
    if row is None:
        raise NotFound("invoice.error.not_found")
    return row


def _name_for(account: Account, request: ExportRequest, now: dt.datetime | None) -> str:
    if request.what == INVOICE:
        from core.documents import invoices

        return invoices.file_name(request.invoice or "")
    return file_name(account.company, request.what, request.fmt, now)


def _columns_for(request: ExportRequest) -> tuple[Column, ...]:
    if request.what == SEARCH_RESULTS:
        return SEARCH_RESULT_COLUMNS
    if request.what == INFLUENCERS:
        return tuple(_INFLUENCER_BY_KEY[key] for key in request.columns or ())
    return ()


ARCHIVE_FILES = (
    ("search_results.csv", ExportRequest(SEARCH_RESULTS, "csv")),
    ("search_results.json", ExportRequest(SEARCH_RESULTS, "json")),
    ("influencers.csv", ExportRequest(INFLUENCERS, "csv", columns=INFLUENCER_DEFAULT_COLUMNS)),
    ("influencers.json", ExportRequest(INFLUENCERS, "json", columns=INFLUENCER_DEFAULT_COLUMNS)),
)
ARCHIVE_REPORT = "report.pdf"
ARCHIVE_INVOICES = "invoices/"  # one PDF per invoice: invoices/<number>.pdf
ARCHIVE_ACCOUNT = "account.json"
ARCHIVE_README = "README.txt"


def plan_export(
    db: Database,
    actor: CurrentUser | None,
    request: ExportRequest,
    account_id: int | None = None,
    *,
    now: dt.datetime | None = None,
) -> ExportPlan:
    """What the file will be called and hold, counted before anything is written."""
    request = _validate(request)
    account_id = resolve_account_id(actor, account_id)
    with db.transaction() as s:
        account, _sub = open_for_export(s, actor, account_id, now)
        _check_searches(s, account_id, request.search_ids)
        if request.what == INVOICE:
            _invoice(s, account_id, request.invoice)
        name = _name_for(account, request, now)
        columns = tuple(c.key for c in _columns_for(request))
        if request.what == ARCHIVE:
            parts = tuple(
                (member, _rows_for(s, account_id, _validate(sub_request)))
                for member, sub_request in ARCHIVE_FILES
            )
            rows = parts[0][1] + parts[2][1]
            return ExportPlan(request, name, MIME["zip"], rows, (), parts)
        return ExportPlan(
            request, name, MIME[request.fmt], _rows_for(s, account_id, request), columns
        )


def xlsx_problem(
    db: Database, actor: CurrentUser | None, request: ExportRequest, account_id: int | None = None
) -> str | None:
    """Why this data cannot be an Excel file (an i18n key), or None when it can: Excel holds
    at most 1,048,576 rows and 32,767 characters in a cell."""
    request = _validate(
        ExportRequest(request.what, "xlsx", request.search_ids, request.columns, request.scope)
    )
    account_id = resolve_account_id(actor, account_id)
    with db.transaction() as s:
        open_for_export(s, actor, account_id)
        if _rows_for(s, account_id, request) > XLSX_MAX_ROWS:
            return "export.error.xlsx_rows"
        sql = _SEARCH_SQL if request.what == SEARCH_RESULTS else _INFLUENCER_SQL
        lengths = [
            func.max(func.length(sql[c.key])) for c in _columns_for(request) if c.kind == TEXT
        ]
        if not lengths:
            return None
        if request.what == SEARCH_RESULTS:
            statement = (
                select(*lengths)
                .select_from(SavedSearch)
                .join(SearchResult, SearchResult.search_id == SavedSearch.id)
                .join(Influencer, Influencer.id == SearchResult.influencer_id)
                .where(*_search_where(account_id, request.search_ids))
            )
        else:
            statement = select(*lengths).where(*_influencer_where(account_id, request.scope))
        longest = max((n or 0) for n in s.execute(statement).one())
        if longest + 1 > XLSX_MAX_CELL:  # + the apostrophe the formula protection may add
            return "export.error.xlsx_cell"
    return None


def write_export(
    db: Database,
    actor: CurrentUser | None,
    request: ExportRequest,
    out: BinaryIO,
    account_id: int | None = None,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the file to `out` (any binary stream) and say what was written.

    One transaction reads everything, so the file is one consistent picture of the account.
    """
    request = _validate(request)
    account_id = resolve_account_id(actor, account_id)
    now = _now(now)
    step = progress or (lambda _fraction, _step: None)
    counter = _CountingStream(out)
    with db.transaction() as s:
        account, sub = open_for_export(s, actor, account_id, now)
        _check_searches(s, account_id, request.search_ids)
        name = _name_for(account, request, now)
        meta = _Meta(account_id, account.company, now, lang)
        if request.what == INVOICE:
            from core.documents import invoices

            row = _invoice(s, account_id, request.invoice)
            doc = invoices.document(row, account.company, sub.plan.name, sub.billing_interval)
            counter.write(invoices.render(doc, lang))
            rows, pages = 0, 1
        elif request.what == REPORT:
            from core.documents import report

            step(0.0, "export.step.report")
            data = report.collect_in(s, account_id, now=now)
            step(0.3, "export.step.report")
            rendered = report.render(data, lang)
            counter.write(rendered.content)
            rows, pages = 0, rendered.pages
        elif request.what == ARCHIVE:
            rows, pages = _write_archive(s, meta, counter, step)
        else:
            rows, pages = _write_dataset(s, meta, request, request.fmt, counter, step), 0
        step(1.0, "export.step.done")
    return ExportResult(name, MIME[request.fmt], rows, counter.size, pages)


def export_bytes(
    db: Database,
    actor: CurrentUser | None,
    request: ExportRequest,
    account_id: int | None = None,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> tuple[bytes, ExportResult]:
    """The file in memory, for a download button (fine for the sizes a page serves)."""
    buffer = io.BytesIO()
    result = write_export(
        db, actor, request, buffer, account_id, lang=lang, now=now, progress=progress
    )
    return buffer.getvalue(), result


# --- Streamed downloads: large files through a short-lived link --------------------------------
# Streamlit's download button keeps the whole file in the server's memory for the session. A
# file of more than STREAM_ABOVE_ROWS rows is offered as a link to `/download/<token>` instead
# (`core/web/http.py`), which streams it from `stream_export` as it is written. The token names the
# export request and is signed (HMAC-SHA256) with the server's secret; it expires after
# DOWNLOAD_LINK_MINUTES and is bound to the signed-in browser session that asked for it, so a
# copied link is worthless to anyone else, and signing out ends it.

STREAM_ABOVE_ROWS = 20_000
DOWNLOAD_LINK_MINUTES = 10
STREAM_CHUNK = 1 << 20  # bytes handed to the HTTP response at a time
SECRET_ENV = "PORTAL_SECRET_KEY"
SECRET_FILE = ROOT / "data" / "secret.key"


class DownloadLinkInvalid(PortalError):
    """Tampered with, made for another user or session, or signed out since."""

    key = "export.link.invalid"


class DownloadLinkExpired(PortalError):
    key = "export.link.expired"


def streams(rows: int) -> bool:
    """Whether a file of this many rows is offered as a streamed link (not a download button
    that would keep the whole file in the server's memory). PORTAL_STREAM_ABOVE_ROWS changes
    the threshold."""
    configured = os.environ.get("PORTAL_STREAM_ABOVE_ROWS", "").strip()
    return rows > (int(configured) if configured.isdigit() else STREAM_ABOVE_ROWS)


def _secret_key() -> bytes:
    """PORTAL_SECRET_KEY, or else a random key made once for this installation and kept in
    data/secret.key (readable by its owner only). Several app servers share the variable."""
    configured = os.environ.get(SECRET_ENV, "").strip()
    if configured:
        return configured.encode()
    try:
        key = SECRET_FILE.read_bytes().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    # Written whole under a temporary name, then linked into place: a process starting at the
    # same moment either makes the link first or reads the other's complete key.
    SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=SECRET_FILE.parent, prefix=".secret-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(32).encode())
        with contextlib.suppress(FileExistsError):
            os.link(draft, SECRET_FILE)
    finally:
        os.unlink(draft)
    return SECRET_FILE.read_bytes().strip()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(body: str) -> str:
    return _b64(hmac.new(_secret_key(), body.encode("ascii"), hashlib.sha256).digest())


def download_token(
    db: Database,
    actor: CurrentUser | None,
    request: ExportRequest,
    account_id: int | None = None,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
) -> str:
    """A signed token for `/download/<token>`: this export, for this user's signed-in session,
    valid for DOWNLOAD_LINK_MINUTES. Cheap (no query): every check of the export itself is made
    when the link is opened (`open_download`)."""
    account_id = resolve_account_id(actor, account_id)
    actor = require_account(actor, account_id)
    req = _validate(request)
    payload = {
        "a": account_id,
        "w": req.what,
        "f": req.fmt,
        "i": list(req.search_ids) if req.search_ids is not None else None,
        "c": list(req.columns) if req.columns is not None else None,
        "o": req.scope,
        "n": req.invoice,
        "l": lang,
    }
    return sign_download(actor, "export", payload, now=now)


def sign_download(
    user: CurrentUser, kind: str, payload: dict[str, Any], *, now: dt.datetime | None = None
) -> str:
    """A token for `/download/<token>` standing for `payload` (a download of `kind`), bound to
    the user's signed-in session and valid for DOWNLOAD_LINK_MINUTES; HMAC-signed. It checks
    nothing: its callers (`download_token`, `analytics.answers_download_token`) have checked
    the user may have the file, and the opener checks again."""
    expires = _now(now) + dt.timedelta(minutes=DOWNLOAD_LINK_MINUTES)
    claims = {**payload, "k": kind, "u": user.id, "s": user.session_id}
    claims["e"] = int(expires.timestamp())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    return f"{body}.{_signature(body)}"


def download_kind(token: str) -> str:
    """What kind of download a token claims to be (not checked: `open_signed` checks it)."""
    try:
        return str(json.loads(_unb64((token or "").partition(".")[0])).get("k", "export"))
    except (ValueError, TypeError, AttributeError):
        return "export"


def open_signed(
    db: Database,
    token: str,
    session_token: str | None,
    kind: str,
    *,
    now: dt.datetime | None = None,
) -> tuple[CurrentUser, dict[str, Any]]:
    """The signed-in user and the payload of a genuine, unexpired token of `kind`, opened by
    the browser session it was made for."""
    from core.identity import auth

    body, _, signature = (token or "").partition(".")
    if not body or not hmac.compare_digest(signature.encode(), _signature(body).encode()):
        raise DownloadLinkInvalid()
    try:
        payload = json.loads(_unb64(body))
        expires, user_id, session_id = int(payload["e"]), int(payload["u"]), int(payload["s"])
        claimed = str(payload.get("k", "export"))
    except (ValueError, KeyError, TypeError):  # cannot happen with a genuine signature
        raise DownloadLinkInvalid() from None
    if claimed != kind:
        raise DownloadLinkInvalid()
    if _now(now).timestamp() >= expires:
        raise DownloadLinkExpired()
    user = auth.user_for_token(db, session_token, now=now)
    if user is None or user.id != user_id or user.session_id != session_id:
        raise DownloadLinkInvalid()
    return user, payload


@dataclass(frozen=True)
class DownloadGrant:
    """What a valid link lets its owner download, checked again at the time of the download."""

    user: CurrentUser
    account_id: int
    lang: str
    plan: ExportPlan


def open_download(
    db: Database, token: str, session_token: str | None, *, now: dt.datetime | None = None
) -> DownloadGrant:
    """The export a link stands for, if the link is genuine, not expired, and opened by the
    browser session it was made for; the user must still be allowed to export it."""
    user, payload = open_signed(db, token, session_token, "export", now=now)
    try:
        search_ids = payload["i"]
        columns = payload["c"]
        request = ExportRequest(
            str(payload["w"]),
            str(payload["f"]),
            tuple(int(i) for i in search_ids) if search_ids is not None else None,
            tuple(str(c) for c in columns) if columns is not None else None,
            str(payload["o"]),
            str(payload["n"]) if payload.get("n") is not None else None,
        )
        account_id = int(payload["a"])
        lang = str(payload["l"])
    except (ValueError, KeyError, TypeError):  # cannot happen with a genuine signature
        raise DownloadLinkInvalid() from None
    plan = plan_export(db, user, request, account_id, now=now)
    return DownloadGrant(user, account_id, lang, plan)


class _Stopped(Exception):
    """The reader of a streamed export went away."""


def stream_export(
    db: Database,
    actor: CurrentUser | None,
    request: ExportRequest,
    account_id: int | None = None,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
) -> Iterator[bytes]:
    """The file of `write_export` as chunks of about STREAM_CHUNK bytes, while it is written
    (see `stream_writes`)."""
    return stream_writes(
        lambda sink: write_export(db, actor, request, sink, account_id, lang=lang, now=now)
    )


def stream_writes(write: Callable[[BinaryIO], Any]) -> Iterator[bytes]:
    """What `write` writes to the file it is given, as chunks of about STREAM_CHUNK bytes,
    while it is written.

    `write` runs in a thread and hands its bytes over through a queue of a few chunks, so
    memory stays flat whatever the size of the file; closing the iterator early (the browser
    went away) stops the writing at its next chunk."""
    chunks: queue.Queue[Any] = queue.Queue(maxsize=4)
    stop = threading.Event()
    done = object()

    def put(item: Any) -> None:
        while True:
            if stop.is_set():
                raise _Stopped()
            try:
                chunks.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    class Sink(io.RawIOBase):
        def __init__(self) -> None:
            super().__init__()
            self.pending = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            view = memoryview(data).cast("B")
            self.pending += view
            if len(self.pending) >= STREAM_CHUNK:
                self.hand_over()
            return view.nbytes

        def hand_over(self) -> None:
            if self.pending:
                put(bytes(self.pending))
                self.pending.clear()

    def run() -> None:
        sink = Sink()
        try:
            write(sink)  # type: ignore[arg-type]
            sink.hand_over()
            put(done)
        except _Stopped:
            pass
        except BaseException as exc:  # raised again by the reader
            with contextlib.suppress(_Stopped):
                put(_Failure(exc))

    thread = threading.Thread(target=run, name="export-stream", daemon=True)
    thread.start()
    try:
        while (item := chunks.get()) is not done:
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()  # the writer stops at its next chunk and closes the reading on its way out


def actor_for_email(db: Database, email: str) -> CurrentUser:
    """The customer an operator exports for from the command line; the same checks apply."""
    with db.transaction() as s:
        user = s.scalar(select(User).where(User.email == (email or "").strip().lower()))
        if user is None:
            raise NotFound()
        return CurrentUser(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=user.role,
            account_id=user.account_id,
            language=user.language,
            session_id=0,
        )


# --- Reading rows: Arrow record batches, straight from the database --------------------------


@dataclass(frozen=True)
class _Meta:
    account_id: int
    company: str
    now: dt.datetime
    lang: str


def _stream(s: Session, statement: Any) -> Iterator[Any]:
    """Rows in batches of BATCH (a server-side cursor on PostgreSQL)."""
    yield from s.execute(statement.execution_options(yield_per=BATCH))


# The names of an influencer's lists or campaigns, as the JSON array json.dumps writes
# (`["a", "b"]`, in list or campaign id order), made by the database. SQLite: an ordered
# subquery feeds group_concat (which SQLite 3.40, Debian's `sqlite3`, can also run); CROSS JOIN
# makes SQLite start from the influencer's memberships (an index lookup) rather than from every
# list of the account. PostgreSQL: json_agg, whose text has the same separators and escapes.
_NAMES_SQL = {
    "sqlite": (
        "coalesce((SELECT '[' || group_concat(json_quote(n), ', ') || ']' FROM "
        "(SELECT g.name AS n FROM {members} AS m CROSS JOIN {groups} AS g "
        "WHERE g.id = m.{group_id} AND m.influencer_id = influencers.id "
        "AND g.account_id = {account} ORDER BY g.id)), '[]')"
    ),
    "postgresql": (
        "coalesce((SELECT CAST(json_agg(g.name ORDER BY g.id) AS TEXT) FROM {members} AS m "
        "JOIN {groups} AS g ON g.id = m.{group_id} "
        "WHERE m.influencer_id = influencers.id AND g.account_id = {account}), '[]')"
    ),
}
_NAME_GROUPS = {
    "lists": ("list_members", "lists", "list_id"),
    "campaigns": ("campaign_influencers", "campaigns", "campaign_id"),
}


def _names_json(dialect: str, key: str, account_id: int) -> Any:
    members, groups, group_id = _NAME_GROUPS[key]
    sql = _NAMES_SQL[dialect].format(
        members=members, groups=groups, group_id=group_id, account=int(account_id)
    )
    return literal_column(sql, type_=String)


def _iso_text(dialect: str, column: Any) -> Any:
    """A UTC timestamp as the text `datetime.isoformat()` gives, made by the database:
    `2025-03-04T05:06:07+00:00`, with `.ffffff` only when there are microseconds."""
    if dialect == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), column)
        whole = func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS'"), type_=String)
        micro = case(
            (func.date_trunc(literal_column("'second'"), column) == column, literal_column("''")),
            else_=func.to_char(utc, literal_column("'.US'"), type_=String),
        )
        return whole.concat(micro).concat(literal_column("'+00:00'"))
    # SQLite holds SQLAlchemy's text form 'YYYY-MM-DD HH:MM:SS.ffffff' (always six digits)
    text = func.replace(type_coerce(column, String), literal_column("' '"), literal_column("'T'"))
    text = func.replace(text, literal_column("'.000000'"), literal_column("''"), type_=String)
    return text.concat(literal_column("'+00:00'"))


def _export_column(dialect: str, column: Column, expression: Any) -> Any:
    if column.kind == TIME:
        expression = _iso_text(dialect, expression)
    return expression.label(column.key)


def _dataset_statement(dialect: str, account_id: int, request: ExportRequest) -> Any:
    """The one SELECT whose rows are the file: a column per file column, already in the file's
    form (numbers as numbers, times as ISO 8601 text, names as JSON text), in file order."""
    columns = _columns_for(request)
    if request.what == SEARCH_RESULTS:
        return (
            select(*(_export_column(dialect, c, _SEARCH_SQL[c.key]) for c in columns))
            .select_from(SavedSearch)
            .join(SearchResult, SearchResult.search_id == SavedSearch.id)
            .join(Influencer, Influencer.id == SearchResult.influencer_id)
            .where(*_search_where(account_id, request.search_ids))
            .order_by(SavedSearch.id, SearchResult.rank, SearchResult.id)
        )
    return (
        select(
            *(
                _names_json(dialect, c.key, account_id).label(c.key)
                if c.kind == NAMES
                else _export_column(dialect, c, _INFLUENCER_SQL[c.key])
                for c in columns
            )
        )
        .select_from(Influencer)
        .where(*_influencer_where(account_id, request.scope))
        .order_by(Influencer.id)
    )


def _sql_text(engine: Engine, statement: Any) -> str:
    """The statement as plain SQL with its values written in (ids and fixed texts only), for a
    driver other than SQLAlchemy's and for the database's own command-line tools."""
    dialect: Any = engine.dialect
    if dialect.name == "postgresql":  # named style: no "%" doubling, since no DBAPI reads it
        from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

        dialect = PGDialect_psycopg(paramstyle="named")
    compiled = statement.compile(
        dialect=dialect, compile_kwargs={"literal_binds": True, "render_postcompile": True}
    )
    return str(compiled)


def export_sql(
    db: Database, actor: CurrentUser | None, request: ExportRequest, account_id: int | None = None
) -> str:
    """The SQL whose rows a search-results or influencers file holds, after the same checks as
    the export itself: what the benchmark hands to `sqlite3 -csv` or `COPY ... TO STDOUT`."""
    request = _validate(request)
    if request.what not in (SEARCH_RESULTS, INFLUENCERS):
        raise InvalidInput("export.error.format")
    account_id = resolve_account_id(actor, account_id)
    with db.transaction() as s:
        open_for_export(s, actor, account_id)
        _check_searches(s, account_id, request.search_ids)
    return _sql_text(db.engine, _dataset_statement(db.dialect, account_id, request))


ARROW_BATCH_ROWS = 4_096  # rows per record batch read from the database
_PREFETCH = 8  # record batches read ahead of the writer

# SQLite is read in a child process: the ADBC driver carries its own copy of SQLite, and two
# copies of SQLite in one process do not see each other's POSIX locks (sqlite.org/howtocorrupt,
# 2.2.1), which would let a writer in this process reset the WAL under the reader's feet. The
# child streams the record batches back in Arrow's IPC format; it imports only pyarrow and the
# driver's low-level API (not its DB-API module, which pulls in pandas), so it starts quickly
# and small, and it reads on the other core while this process writes.
_SQLITE_READER = """
import sys
from urllib.parse import quote

import adbc_driver_manager as adbc
import adbc_driver_sqlite
import pyarrow as pa

path, batch_rows, sql = sys.argv[1:4]
database = adbc_driver_sqlite.connect("file:" + quote(path) + "?mode=ro")
connection = adbc.AdbcConnection(database)
statement = adbc.AdbcStatement(connection)
statement.set_options(**{"adbc.sqlite.query.batch_rows": batch_rows})
statement.set_sql_query(sql)
reader = pa.RecordBatchReader.from_stream(statement.execute_query()[0])
with pa.ipc.new_stream(sys.stdout.buffer, reader.schema) as out:
    for batch in reader:
        out.write_batch(batch)
"""


class ExportReadError(PortalError):
    """The database could not be read for the export."""

    key = "error.database"


def _sqlite_batches(path: str, sql: str) -> Iterator[pa.RecordBatch]:
    if not path or path == ":memory:":
        raise ExportReadError()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-c", _SQLITE_READER, path, str(ARROW_BATCH_ROWS), sql],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        try:
            try:
                reader = pa.ipc.open_stream(child.stdout)
                yield from reader
            except pa.ArrowInvalid:
                child.wait()
                errors.seek(0)
                raise ExportReadError() from RuntimeError(errors.read()[-2000:].decode())
            if child.wait() != 0:
                errors.seek(0)
                raise ExportReadError() from RuntimeError(errors.read()[-2000:].decode())
        finally:
            if child.poll() is None:  # the reader stopped early
                child.kill()
                child.wait()
            child.stdout.close()


def _postgres_batches(url: Any, sql: str) -> Iterator[pa.RecordBatch]:
    # The driver's low-level API: its DB-API module would import pandas (60 MB) for nothing.
    import adbc_driver_manager as adbc
    import adbc_driver_postgresql

    uri = url.set(drivername="postgresql").render_as_string(hide_password=False)
    database = adbc_driver_postgresql.connect(uri)
    try:
        with (
            adbc.AdbcConnection(database) as connection,
            adbc.AdbcStatement(connection) as statement,
        ):
            # batches of about ARROW_BATCH_ROWS rows, not the driver's 16 MB: the read-ahead
            # queue then holds a few MB per export, even with several exports at once
            statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(1 << 20)})
            statement.set_sql_query(sql)
            reader = pa.RecordBatchReader.from_stream(statement.execute_query()[0])
            try:
                yield from reader
            finally:
                reader.close()
    finally:
        database.close()


def _read_ahead(source: Iterator[Any], depth: int = _PREFETCH) -> Iterator[Any]:
    """The items of `source`, read by a thread up to `depth` items ahead (Arrow and the
    drivers release the GIL while they read, so reading and writing overlap)."""
    items: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in source:
                if not put(item):
                    break
            put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failure(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=run, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        while (item := items.get()) is not done:
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)


@dataclass(frozen=True)
class _Failure:
    error: BaseException


def _record_batches(engine: Engine, statement: Any) -> Iterator[pa.RecordBatch]:
    """The rows of `statement` as Arrow record batches of about ARROW_BATCH_ROWS rows."""
    sql = _sql_text(engine, statement)
    if engine.dialect.name == "sqlite":
        return _read_ahead(_sqlite_batches(engine.url.database or "", sql))
    if engine.dialect.name == "postgresql":
        return _read_ahead(_postgres_batches(engine.url, sql))
    raise ExportReadError()  # pragma: no cover - the portal runs on SQLite and PostgreSQL


# --- Formula protection on whole columns ----------------------------------------------------

_TRIGGER_BYTE = np.zeros(256, dtype=bool)
_TRIGGER_BYTE[[ord(c) for c in FORMULA_TRIGGERS]] = True  # every trigger is one ASCII byte
_APOSTROPHE = ord("'")


def protect_array(array: pa.Array) -> pa.Array:
    """`protect` applied to every string of an Arrow array at once: the first byte of each
    value is looked up in a table of the trigger bytes, and one apostrophe is inserted in
    front of those that match (no Python per cell). Nulls stay null."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.string())
    n = len(array)
    if n == 0:
        return array
    if array.offset:  # a slice: copy it so that it starts at zero
        array = array.take(pa.array(np.arange(n)))
    validity, offsets_buffer, data_buffer = array.buffers()
    if data_buffer is None or data_buffer.size == 0:
        return array
    wide = pa.types.is_large_string(array.type)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32, count=n + 1)
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    starts = offsets[:-1]
    nonempty = offsets[1:] > starts
    first = data[np.minimum(starts, data.size - 1)]
    hit = nonempty & _TRIGGER_BYTE[first]
    if not hit.any():
        return array
    base = int(offsets[0])
    body = np.insert(data[base : int(offsets[-1])], starts[hit] - base, _APOSTROPHE)
    shift = np.concatenate(([0], np.cumsum(hit, dtype=np.int64)))
    new_offsets = offsets.astype(np.int64) - base + shift
    if not wide and new_offsets[-1] > np.iinfo(np.int32).max:
        return protect_array(array.cast(pa.large_string()))
    return pa.Array.from_buffers(
        array.type,
        n,
        [
            validity,
            pa.py_buffer(new_offsets.astype(np.int64 if wide else np.int32)),
            pa.py_buffer(body),
        ],
        null_count=array.null_count,
    )


def _file_batch(batch: pa.RecordBatch, columns: Sequence[Column], protect_text: bool) -> list:
    """The batch's columns as the file holds them: text formula-protected (CSV and XLSX)."""
    arrays = []
    for column, array in zip(columns, batch.columns, strict=True):
        if column.kind in (INT, FLOAT):
            arrays.append(array)
        elif protect_text:
            arrays.append(protect_array(array))
        else:
            arrays.append(array if pa.types.is_string(array.type) else array.cast(pa.string()))
    return arrays


# --- Writing files ---------------------------------------------------------------------------


class _CountingStream(io.RawIOBase):
    """Passes bytes through to the caller's binary stream and counts them (never closes it)."""

    def __init__(self, out: BinaryIO) -> None:
        super().__init__()
        self.out = out
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.out.write(data)
        n = len(data) if isinstance(data, bytes) else memoryview(data).nbytes
        self.size += n
        return n

    def flush(self) -> None:
        self.out.flush()


def _write_dataset(
    s: Session,
    meta: _Meta,
    request: ExportRequest,
    fmt: str,
    out: Any,
    progress: Progress,
    *,
    step: str | None = None,
    span: tuple[float, float] = (0.0, 1.0),
) -> int:
    columns = _columns_for(request)
    total = max(1, _rows_for(s, meta.account_id, request))
    if request.what == SEARCH_RESULTS:
        step = step or "export.step.search_results"
    else:
        step = step or "export.step.influencers"
    engine = s.get_bind().engine
    statement = _dataset_statement(engine.dialect.name, meta.account_id, request)
    start, end = span

    def counted(source: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        progress(start, step)
        n = 0
        for batch in source:
            n += batch.num_rows
            progress(start + (end - start) * min(1.0, n / total), step)
            yield batch

    batches = _record_batches(engine, statement)
    try:
        writer = {"csv": _write_csv, "json": _write_json, "xlsx": _write_xlsx}[fmt]
        return writer(out, columns, counted(batches), meta, request.what)
    finally:
        batches.close()


_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, eol="\r\n", quoting_style="needed")


def _write_csv(
    out: Any, columns: Sequence[Column], batches: Iterable[pa.RecordBatch], meta: _Meta, what: str
) -> int:
    """UTF-8 with a byte-order mark, comma-separated, CRLF; Arrow's writer quotes every text
    value (and doubles its quotes), numbers never; an empty value is an empty field."""
    out.write(("\ufeff" + ",".join(c.key for c in columns) + "\r\n").encode("utf-8"))
    names = [c.key for c in columns]
    writer = None
    n = 0
    try:
        for batch in batches:
            table = pa.RecordBatch.from_arrays(_file_batch(batch, columns, True), names=names)
            if writer is None:
                writer = pacsv.CSVWriter(out, table.schema, write_options=_CSV_OPTIONS)
            writer.write_batch(table)
            n += table.num_rows
    finally:
        if writer is not None:
            writer.close()  # flushes; the caller's stream stays open
    return n


def _python_rows(arrays: Sequence[pa.Array]) -> Iterator[tuple]:
    return zip(*(array.to_pylist() for array in arrays), strict=True)


def _write_json(
    out: Any, columns: Sequence[Column], batches: Iterable[pa.RecordBatch], meta: _Meta, what: str
) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=True)
    names = [i for i, c in enumerate(columns) if c.kind == NAMES]
    try:
        head = {
            "format": JSON_FORMAT,
            "what": what,
            "company": meta.company,
            "exported_at": meta.now.isoformat(),
            "columns": [c.key for c in columns],
        }
        text.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
        n = 0
        for batch in batches:
            for row in _python_rows(_file_batch(batch, columns, False)):
                n += 1
                values = list(row)
                for i in names:
                    values[i] = json.loads(values[i])
                record = dict(zip((c.key for c in columns), values, strict=True))
                text.write(("\n" if n == 1 else ",\n") + json.dumps(record, ensure_ascii=False))
        text.write(f'\n], "row_count": {n}}}\n')
        text.flush()
        return n
    finally:
        text.detach()


@cache
def _exact_sheet() -> type:
    """XlsxWriter writes numbers with 16 significant digits, but a double may need 17 to be
    read back exactly (0.1 + 0.2 is 0.30000000000000004): this worksheet writes Python's
    shortest exact form instead. (It replaces the one XlsxWriter method that writes a number
    cell; the round-trip tests catch any change of that method.)"""
    from xlsxwriter.worksheet import Worksheet

    class ExactNumbers(Worksheet):
        def _xml_number_element(self, number: Any, attributes: Any = ()) -> None:
            attr = "".join(f' {k}="{self._escape_attributes(v)}"' for k, v in attributes)
            self.fh.write(f"<c{attr}><v>{number!r}</v></c>")

    return ExactNumbers


def _write_xlsx(
    out: Any, columns: Sequence[Column], batches: Iterable[pa.RecordBatch], meta: _Meta, what: str
) -> int:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,  # each row goes to disk as soon as the next one starts
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties(
        {"title": f"{meta.company} - {what}", "created": meta.now.replace(tzinfo=None)}
    )
    sheet = workbook.add_worksheet(what.replace("-", "_")[:31], worksheet_class=_exact_sheet())
    bold = workbook.add_format({"bold": True})
    for i, column in enumerate(columns):
        sheet.write_string(0, i, column.key, bold)
        width = {INT: 12, FLOAT: 14, TIME: 26, NAMES: 36}.get(column.kind, 24)
        sheet.set_column(i, i, width)
    sheet.freeze_panes(1, 0)
    write_string, write_number = sheet.write_string, sheet.write_number
    n = 0
    try:
        for batch in batches:
            for row in _python_rows(_file_batch(batch, columns, True)):
                n += 1
                if n > XLSX_MAX_ROWS:
                    raise ExportTooLargeForExcel("export.error.xlsx_rows")
                for i, cell in enumerate(row):
                    if cell is None:
                        continue
                    if isinstance(cell, str):
                        if len(cell) > XLSX_MAX_CELL:
                            raise ExportTooLargeForExcel("export.error.xlsx_cell")
                        write_string(n, i, cell)
                    else:
                        write_number(n, i, cell)
    finally:
        workbook.close()
    return n


# --- The archive -----------------------------------------------------------------------------


def _write_archive(s: Session, meta: _Meta, out: Any, progress: Progress) -> tuple[int, int]:
    from core.documents import report

    counts: list[tuple[str, int]] = []
    steps = len(ARCHIVE_FILES) + 2
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for i, (member, request) in enumerate(ARCHIVE_FILES):
            request = _validate(request)
            info = _zip_info(member, meta.now)
            with archive.open(info, "w", force_zip64=True) as stream:
                n = _write_dataset(
                    s,
                    meta,
                    request,
                    request.fmt,
                    stream,
                    progress,
                    span=(i / steps, (i + 1) / steps),
                )
            counts.append((member, n))
        progress(len(ARCHIVE_FILES) / steps, "export.step.account")
        with archive.open(_zip_info(ARCHIVE_ACCOUNT, meta.now), "w", force_zip64=True) as stream:
            _write_account_json(s, meta, stream)
        progress((len(ARCHIVE_FILES) + 1) / steps, "export.step.report")
        data = report.collect_in(s, meta.account_id, now=meta.now)
        pdf = report.render(data, meta.lang)
        archive.writestr(_zip_info(ARCHIVE_REPORT, meta.now), pdf.content)
        invoice_files = _write_invoices(s, meta, archive)
        readme = _readme(meta, counts, pdf.pages, invoice_files)
        archive.writestr(_zip_info(ARCHIVE_README, meta.now), readme.encode("utf-8"))
    return counts[0][1] + counts[2][1], pdf.pages


def _write_invoices(s: Session, meta: _Meta, archive: zipfile.ZipFile) -> list[str]:
    """Every invoice of the account as `invoices/<number>.pdf`, in the archive's language."""
    from core.documents import invoices

    sub = s.scalar(select(Subscription).where(Subscription.account_id == meta.account_id))
    names = []
    for row in s.scalars(
        select(Invoice)
        .where(Invoice.account_id == meta.account_id)
        .order_by(Invoice.issued_on, Invoice.id)
    ):
        doc = invoices.document(row, meta.company, sub.plan.name, sub.billing_interval)
        name = ARCHIVE_INVOICES + invoices.file_name(row.number)
        archive.writestr(_zip_info(name, meta.now), invoices.render(doc, meta.lang))
        names.append(name)
    return names


def _zip_info(name: str, now: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _write_account_json(s: Session, meta: _Meta, out: Any) -> None:
    """The account, plan, subscription, users and their settings, invoices, searches, lists
    (with members), campaigns (with each influencer's figures) and reports, as JSON."""
    account_id = meta.account_id
    account = s.get(Account, account_id)
    sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
    plan = s.get(Plan, sub.plan_id)
    head: dict[str, Any] = {
        "format": JSON_FORMAT,
        "what": "account",
        "exported_at": meta.now.isoformat(),
        "account": {
            "id": account.id,
            "company": account.company,
            "country": account.country,
            "created_at": _iso(account.created_at),
        },
        "plan": {
            "code": plan.code,
            "name": plan.name,
            "monthly_price_cents": plan.monthly_price_cents,
            "currency": plan.currency,
            "limits": {
                "searches": plan.searches_limit,
                "unlocks": plan.unlocks_limit,
                "seats": plan.seats_limit,
                "campaigns": plan.campaigns_limit,
                "lists": plan.lists_limit,
            },
        },
        "subscription": {
            "status": sub.status,
            "billing_interval": sub.billing_interval,
            "price_cents": sub.price_cents,
            "currency": sub.currency,
            "started_at": _iso(sub.started_at),
            "current_period_start": _iso(sub.current_period_start),
            "current_period_end": _iso(sub.current_period_end),
            "cancel_requested_at": _iso(sub.cancel_requested_at),
            "ended_on": _iso(sub.ended_on),
        },
        "users": [
            {
                "email": u.email,
                "full_name": u.full_name,
                "role": u.role,
                "settings": {"language": u.language},
                "created_at": _iso(u.created_at),
            }
            for u in s.scalars(select(User).where(User.account_id == account_id).order_by(User.id))
        ],
        "invoices": [
            {
                "number": i.number,
                "issued_on": _iso(i.issued_on),
                "period_start": _iso(i.period_start),
                "period_end": _iso(i.period_end),
                "amount_cents": i.amount_cents,
                "currency": i.currency,
                "status": i.status,
            }
            for i in s.scalars(
                select(Invoice)
                .where(Invoice.account_id == account_id)
                .order_by(Invoice.issued_on, Invoice.id)
            )
        ],
        "searches": [
            {
                "id": row.id,
                "name": row.name,
                "query": row.query,
                "created_at": _iso(row.created_at),
                "results": row.n,
            }
            for row in s.execute(
                select(
                    SavedSearch.id,
                    SavedSearch.name,
                    SavedSearch.query,
                    SavedSearch.created_at,
                    func.count(SearchResult.id).label("n"),
                )
                .outerjoin(SearchResult, SearchResult.search_id == SavedSearch.id)
                .where(SavedSearch.account_id == account_id)
                .group_by(
                    SavedSearch.id, SavedSearch.name, SavedSearch.query, SavedSearch.created_at
                )
                .order_by(SavedSearch.id)
            )
        ],
        "reports": [
            {
                "id": r.id,
                "title": r.title,
                "kind": r.kind,
                "campaign_id": r.campaign_id,
                "created_at": _iso(r.created_at),
            }
            for r in s.scalars(
                select(Report).where(Report.account_id == account_id).order_by(Report.id)
            )
        ],
    }
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=True)
    try:
        text.write(json.dumps(head, ensure_ascii=False, indent=2)[:-2])
        # Lists and campaigns carry their members: written one at a time, as they are read.
        text.write(',\n  "lists": [')
        members = _stream(
            s,
            select(
                InfluencerList.id,
                InfluencerList.name,
                InfluencerList.created_at,
                ListMember.influencer_id,
                ListMember.added_at,
            )
            .outerjoin(ListMember, ListMember.list_id == InfluencerList.id)
            .where(InfluencerList.account_id == account_id)
            .order_by(InfluencerList.id, ListMember.influencer_id),
        )
        for n, (_id, group) in enumerate(groupby(members, key=lambda row: row[0])):
            rows = list(group)
            record = {
                "id": rows[0][0],
                "name": rows[0][1],
                "created_at": _iso(rows[0][2]),
                "members": [
                    {"influencer_id": r[3], "added_at": _iso(r[4])}
                    for r in rows
                    if r[3] is not None
                ],
            }
            text.write(("\n    " if n == 0 else ",\n    ") + json.dumps(record, ensure_ascii=False))
        text.write('\n  ],\n  "campaigns": [')
        figures = _stream(
            s,
            select(Campaign, CampaignInfluencer)
            .outerjoin(CampaignInfluencer, CampaignInfluencer.campaign_id == Campaign.id)
            .where(Campaign.account_id == account_id)
            .order_by(Campaign.id, CampaignInfluencer.influencer_id),
        )
        for n, (_id, group) in enumerate(groupby(figures, key=lambda row: row[0].id)):
            rows = list(group)
            c = rows[0][0]
            record = {
                "id": c.id,
                "name": c.name,
                "status": c.status,
                "start_date": _iso(c.start_date),
                "end_date": _iso(c.end_date),
                "budget_cents": c.budget_cents,
                "currency": c.currency,
                "influencers": [
                    {
                        "influencer_id": f.influencer_id,
                        "posts": f.posts,
                        "reach": f.reach,
                        "impressions": f.impressions,
                        "engagements": f.engagements,
                        "clicks": f.clicks,
                        "conversions": f.conversions,
                        "cost_cents": f.cost_cents,
                    }
                    for _c, f in rows
                    if f is not None
                ],
            }
            text.write(("\n    " if n == 0 else ",\n    ") + json.dumps(record, ensure_ascii=False))
        text.write("\n  ]\n}\n")
        text.flush()
    finally:
        text.detach()


def _readme(
    meta: _Meta, counts: list[tuple[str, int]], pages: int, invoice_files: Sequence[str] = ()
) -> str:
    lang = meta.lang
    rows = dict(counts)

    def n(value: int) -> str:
        return fmt_number(value, lang)

    lines = [
        t("export.readme.title", lang, company=meta.company),
        t("export.readme.date", lang, date=meta.now.date()),
        "",
        t("export.readme.files", lang),
        "",
    ]
    for member, key in (
        ("search_results.csv", "export.readme.search_results_csv"),
        ("search_results.json", "export.readme.search_results_json"),
        ("influencers.csv", "export.readme.influencers_csv"),
        ("influencers.json", "export.readme.influencers_json"),
    ):
        lines.append(f"- {member}: {t(key, lang, rows=n(rows[member]))}")
    lines.append(f"- {ARCHIVE_REPORT}: {t('export.readme.report', lang, pages=n(pages))}")
    for name in invoice_files:
        number = name.removeprefix(ARCHIVE_INVOICES).removesuffix(".pdf")
        lines.append(f"- {name}: {t('export.readme.invoice', lang, number=number)}")
    lines.append(f"- {ARCHIVE_ACCOUNT}: {t('export.readme.account', lang)}")
    lines.append(f"- {ARCHIVE_README}: {t('export.readme.readme', lang)}")
    lines += ["", t("export.readme.formats", lang), "", t("export.readme.protection", lang), ""]
    return "\r\n".join(lines)
