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

CSV is UTF-8 with a byte-order mark (so Excel shows accents), comma-separated, quoted where
needed, CRLF line ends. Rows are read from the database in batches and written as they come,
XLSX through XlsxWriter's constant-memory mode, so memory stays flat whatever the size.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from typing import Any, BinaryIO

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from core.auth import CurrentUser, require_account
from core.db import Database
from core.errors import InvalidInput, NotFound, PortalError
from core.i18n import fmt_date, fmt_number, t
from core.models import (
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

SEARCH_RESULTS = "search-results"
INFLUENCERS = "influencers"
REPORT = "report"
ARCHIVE = "archive"
WHATS = (SEARCH_RESULTS, INFLUENCERS, REPORT, ARCHIVE)
FORMATS = {
    SEARCH_RESULTS: ("csv", "xlsx", "json"),
    INFLUENCERS: ("csv", "xlsx", "json"),
    REPORT: ("pdf",),
    ARCHIVE: ("zip",),
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
    """The subscription has ended (or its data was purged): nothing can be exported."""

    key = "export.error.ended"


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
    available_until: dt.date  # the end of the billing cycle
    searches: tuple[SearchChoice, ...]
    search_results: int
    influencers: int
    influencers_listed: int  # in at least one list or campaign
    lists: int
    campaigns: int
    reports: int
    invoices: int


@dataclass(frozen=True)
class ExportRequest:
    what: str
    fmt: str
    search_ids: tuple[int, ...] | None = None  # search results: None means every search
    columns: tuple[str, ...] | None = None  # influencers: None means the default columns
    scope: str = SCOPE_ALL  # influencers: all, or only those in lists or campaigns


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


def open_for_export(
    s: Session, actor: CurrentUser | None, account_id: int
) -> tuple[Account, Subscription]:
    """Who may export what: the owner (or an admin), of an account that has not ended."""
    require_account(actor, account_id)
    account = s.get(Account, account_id)
    sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
    if account is None or sub is None:
        raise NotFound()
    if sub.status in (STATUS_ENDED, STATUS_PURGED):
        raise ExportUnavailable()
    return account, sub


def _count(s: Session, model: Any, *where: Any) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _listed(account_id: int) -> Any:
    """SQL: the influencer is in at least one of the account's lists or campaigns."""
    in_list = exists().where(
        ListMember.influencer_id == Influencer.id,
        ListMember.list_id == InfluencerList.id,
        InfluencerList.account_id == account_id,
    )
    in_campaign = exists().where(
        CampaignInfluencer.influencer_id == Influencer.id,
        CampaignInfluencer.campaign_id == Campaign.id,
        Campaign.account_id == account_id,
    )
    return or_(in_list, in_campaign)


def export_options(
    db: Database, actor: CurrentUser | None, account_id: int | None = None
) -> ExportOptions:
    """What the export page offers: the saved searches, the counts, the last day."""
    account_id = resolve_account_id(actor, account_id)
    with db.transaction() as s:
        account, sub = open_for_export(s, actor, account_id)
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
            available_until=sub.current_period_end,
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
        account, _sub = open_for_export(s, actor, account_id)
        _check_searches(s, account_id, request.search_ids)
        name = file_name(account.company, request.what, request.fmt, now)
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
        account, _sub = open_for_export(s, actor, account_id)
        _check_searches(s, account_id, request.search_ids)
        name = file_name(account.company, request.what, request.fmt, now)
        meta = _Meta(account_id, account.company, now, lang)
        if request.what == REPORT:
            from core import report

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


# --- Reading rows, in batches ----------------------------------------------------------------


@dataclass(frozen=True)
class _Meta:
    account_id: int
    company: str
    now: dt.datetime
    lang: str


def _stream(s: Session, statement: Any) -> Iterator[Any]:
    """Rows in batches of BATCH (a server-side cursor on PostgreSQL)."""
    yield from s.execute(statement.execution_options(yield_per=BATCH))


def _search_result_rows(s: Session, account_id: int, request: ExportRequest) -> Iterator[tuple]:
    statement = (
        select(*(_SEARCH_SQL[c.key] for c in SEARCH_RESULT_COLUMNS))
        .select_from(SavedSearch)
        .join(SearchResult, SearchResult.search_id == SavedSearch.id)
        .join(Influencer, Influencer.id == SearchResult.influencer_id)
        .where(*_search_where(account_id, request.search_ids))
        .order_by(SavedSearch.id, SearchResult.rank, SearchResult.id)
    )
    for row in _stream(s, statement):
        yield tuple(row)


def _names_by_influencer(s: Session, statement: Any) -> Iterator[tuple[int, list[str]]]:
    """(influencer id, names) for a query of (influencer id, name) ordered by influencer."""
    for influencer_id, group in groupby(_stream(s, statement), key=lambda row: row[0]):
        yield influencer_id, [row[1] for row in group]


class _SortedNames:
    """Walks a stream of (influencer id, names) sorted by id alongside the influencers."""

    def __init__(self, source: Iterator[tuple[int, list[str]]]) -> None:
        self.source = source
        self.head = next(source, None)

    def take(self, influencer_id: int) -> list[str]:
        while self.head is not None and self.head[0] < influencer_id:
            self.head = next(self.source, None)
        if self.head is not None and self.head[0] == influencer_id:
            names = self.head[1]
            self.head = next(self.source, None)
            return names
        return []


def _influencer_rows(s: Session, account_id: int, request: ExportRequest) -> Iterator[tuple]:
    """Influencer rows in id order, with their list and campaign names merged in from two
    more streams sorted the same way, so no mapping of the whole account is held in memory."""
    keys = request.columns or INFLUENCER_DEFAULT_COLUMNS
    stored = list(_INFLUENCER_SQL)
    statement = (
        select(*_INFLUENCER_SQL.values())
        .where(*_influencer_where(account_id, request.scope))
        .order_by(Influencer.id)
    )
    lists = campaigns = None
    if "lists" in keys:
        lists = _SortedNames(
            _names_by_influencer(
                s,
                select(ListMember.influencer_id, InfluencerList.name)
                .join(InfluencerList, InfluencerList.id == ListMember.list_id)
                .where(InfluencerList.account_id == account_id)
                .order_by(ListMember.influencer_id, InfluencerList.id),
            )
        )
    if "campaigns" in keys:
        campaigns = _SortedNames(
            _names_by_influencer(
                s,
                select(CampaignInfluencer.influencer_id, Campaign.name)
                .join(Campaign, Campaign.id == CampaignInfluencer.campaign_id)
                .where(Campaign.account_id == account_id)
                .order_by(CampaignInfluencer.influencer_id, Campaign.id),
            )
        )
    for row in _stream(s, statement):
        values = dict(zip(stored, row, strict=True))
        if lists is not None:
            values["lists"] = lists.take(values["id"])
        if campaigns is not None:
            values["campaigns"] = campaigns.take(values["id"])
        yield tuple(values[key] for key in keys)


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


def _json_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == TIME:
        return value.isoformat()
    return value


def _text_value(kind: str, value: Any) -> str | int | float | None:
    """A value as a spreadsheet cell: numbers stay numbers, text is formula-protected."""
    if value is None:
        return None
    if kind in (INT, FLOAT):
        return value
    if kind == TIME:
        return protect(value.isoformat())
    if kind == NAMES:
        return protect(json.dumps(value, ensure_ascii=False))
    return protect(str(value))


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
        rows: Iterable[tuple] = _search_result_rows(s, meta.account_id, request)
        step = step or "export.step.search_results"
    else:
        rows = _influencer_rows(s, meta.account_id, request)
        step = step or "export.step.influencers"
    start, end = span

    def counted(source: Iterable[tuple]) -> Iterator[tuple]:
        progress(start, step)
        for n, row in enumerate(source, start=1):
            if n % BATCH == 0:
                progress(start + (end - start) * min(1.0, n / total), step)
            yield row

    writer = {"csv": _write_csv, "json": _write_json, "xlsx": _write_xlsx}[fmt]
    return writer(out, columns, counted(rows), meta, request.what)


def _write_csv(
    out: Any, columns: Sequence[Column], rows: Iterable[tuple], meta: _Meta, what: str
) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([c.key for c in columns])
        n = 0
        for n, row in enumerate(rows, start=1):  # noqa: B007 - n is the count afterwards
            writer.writerow(
                [
                    "" if (cell := _text_value(c.kind, v)) is None else cell
                    for c, v in zip(columns, row, strict=True)
                ]
            )
        text.flush()
        return n
    finally:
        text.detach()  # leave the caller's stream open


def _write_json(
    out: Any, columns: Sequence[Column], rows: Iterable[tuple], meta: _Meta, what: str
) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=True)
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
        for n, row in enumerate(rows, start=1):
            record = {c.key: _json_value(c.kind, v) for c, v in zip(columns, row, strict=True)}
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
    out: Any, columns: Sequence[Column], rows: Iterable[tuple], meta: _Meta, what: str
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
    n = 0
    try:
        for n, row in enumerate(rows, start=1):
            if n > XLSX_MAX_ROWS:
                raise ExportTooLargeForExcel("export.error.xlsx_rows")
            for i, (column, value) in enumerate(zip(columns, row, strict=True)):
                cell = _text_value(column.kind, value)
                if cell is None:
                    continue
                if isinstance(cell, str):
                    if len(cell) > XLSX_MAX_CELL:
                        raise ExportTooLargeForExcel("export.error.xlsx_cell")
                    sheet.write_string(n, i, cell)
                else:
                    sheet.write_number(n, i, cell)
    finally:
        workbook.close()
    return n


# --- The archive -----------------------------------------------------------------------------


def _write_archive(s: Session, meta: _Meta, out: Any, progress: Progress) -> tuple[int, int]:
    from core import report

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
        readme = _readme(meta, counts, pdf.pages)
        archive.writestr(_zip_info(ARCHIVE_README, meta.now), readme.encode("utf-8"))
    return counts[0][1] + counts[2][1], pdf.pages


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


def _readme(meta: _Meta, counts: list[tuple[str, int]], pages: int) -> str:
    lang = meta.lang
    rows = dict(counts)

    def n(value: int) -> str:
        return fmt_number(value, lang)

    lines = [
        t("export.readme.title", lang, company=meta.company),
        t("export.readme.date", lang, date=fmt_date(meta.now.date(), lang)),
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
    lines.append(f"- {ARCHIVE_ACCOUNT}: {t('export.readme.account', lang)}")
    lines.append(f"- {ARCHIVE_README}: {t('export.readme.readme', lang)}")
    lines += ["", t("export.readme.formats", lang), "", t("export.readme.protection", lang), ""]
    return "\r\n".join(lines)
