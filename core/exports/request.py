"""What an export is: the kinds of file (`what`) and their formats, the columns of each data
file, the request a page or the command line makes, the plan of a file before it is written and
the result after, and the checks a request must pass before any database is read (`_validate`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from core.customers.accounts import DataCounts, InvoiceLine
from core.platform import clock
from core.platform.errors import InvalidInput, NotFound, PortalError

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


XLSX_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
XLSX_MAX_CELL = 32_767  # characters in one Excel cell


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

    def counts(self) -> DataCounts:
        """The account's data as the cards above the export show it, from the counts made
        here (the page counted the million influencers again with `accounts.data_counts`)."""
        return DataCounts(
            searches=len(self.searches),
            search_results=self.search_results,
            influencers=self.influencers,
            lists=self.lists,
            campaigns=self.campaigns,
            reports=self.reports,
            invoices=self.invoices,
        )


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


def file_name(company: str, what: str, fmt: str, now: dt.datetime | None = None) -> str:
    """`<company>_<what>_<YYYY-MM-DD>.<ext>`: letters and digits of any script are kept, other
    characters become hyphens (so the name is safe on every file system)."""
    name = unicodedata.normalize("NFC", company)
    name = re.sub(r"[\W_]+", "-", name).strip("-")[:60].strip("-") or "account"
    return f"{name}_{what}_{clock.now(now).date().isoformat()}.{fmt}"


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


def _columns_for(request: ExportRequest) -> tuple[Column, ...]:
    if request.what == SEARCH_RESULTS:
        return SEARCH_RESULT_COLUMNS
    if request.what == INFLUENCERS:
        return tuple(_INFLUENCER_BY_KEY[key] for key in request.columns or ())
    return ()
