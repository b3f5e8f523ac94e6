"""The export use cases: what the page offers (`export_options`), what a file will be before it
is written (`plan_export`, `xlsx_problem`), the file itself (`write_export`, `export_bytes`),
its SQL for the benchmark (`export_sql`), the account's PDF report (`report_figures`,
`report_pdf`) and one invoice as a PDF (`invoice_pdf`). Each opens one transaction and checks
the actor first (`core.exports.access`). The export page and `python -m core export` both call
`write_export`, so the files are the same whichever way they are made.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import func, select

from core.customers.accounts import InvoiceLine
from core.exports.access import export_dates, open_for_export, resolve_account_id
from core.exports.request import (
    ARCHIVE,
    INFLUENCERS,
    INVOICE,
    MIME,
    REPORT,
    SEARCH_RESULTS,
    TEXT,
    XLSX_MAX_CELL,
    XLSX_MAX_ROWS,
    ExportOptions,
    ExportPlan,
    ExportRequest,
    ExportResult,
    Progress,
    SearchChoice,
    _columns_for,
    _validate,
    file_name,
)
from core.exports.sql import (
    _INFLUENCER_SQL,
    _SEARCH_SQL,
    _check_searches,
    _count,
    _count_listed,
    _dataset_statement,
    _influencer_where,
    _invoice,
    _rows_for,
    _search_where,
    _sql_text,
)
from core.exports.writers import _CountingStream, _Meta, _write_dataset
from core.identity.auth import CurrentUser
from core.platform import clock
from core.platform.config import load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.models import (
    Account,
    Campaign,
    Influencer,
    InfluencerList,
    Invoice,
    Report,
    SavedSearch,
    SearchResult,
)

# The PDFs (`core.documents`, fpdf2) and the archive are imported by the use cases that make
# them, when they run: a CSV, JSON or XLSX file never loads the PDF library.
if TYPE_CHECKING:
    from core.documents import invoices, report, report_data


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
            influencers_listed=_count_listed(s, account_id),
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


def _name_for(account: Account, request: ExportRequest, now: dt.datetime | None) -> str:
    if request.what == INVOICE:
        from core.documents import invoices

        return invoices.file_name(request.invoice or "")
    return file_name(account.company, request.what, request.fmt, now)


def plan_export(
    db: Database,
    actor: CurrentUser | None,
    request: ExportRequest,
    account_id: int | None = None,
    *,
    now: dt.datetime | None = None,
    rows: int | None = None,
) -> ExportPlan:
    """What the file will be called and hold, counted before anything is written. `rows`: the
    rows of an influencers file when the caller has just counted them (the page, from
    `export_options`), so that a million influencers are not counted twice in one page run."""
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
            from core.exports.archive import ARCHIVE_FILES

            parts = tuple(
                (member, _rows_for(s, account_id, _validate(sub_request)))
                for member, sub_request in ARCHIVE_FILES
            )
            rows = parts[0][1] + parts[2][1]
            return ExportPlan(request, name, MIME["zip"], rows, (), parts)
        if rows is None or request.what != INFLUENCERS:
            rows = _rows_for(s, account_id, request)
        return ExportPlan(request, name, MIME[request.fmt], rows, columns)


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
    now = clock.now(now)
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
            from core.documents import report, report_data

            step(0.0, "export.step.report")
            data = report_data.collect_in(s, account_id, now=now)
            step(0.3, "export.step.report")
            rendered = report.render(data, lang)
            counter.write(rendered.content)
            rows, pages = 0, rendered.pages
        elif request.what == ARCHIVE:
            from core.exports.archive import _write_archive

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


def report_figures(
    db: Database,
    actor: CurrentUser | None,
    account_id: int | None = None,
    *,
    now: dt.datetime | None = None,
) -> report_data.ReportData:
    """The figures of the account's PDF report, for the owner of the account (or an admin),
    while its data may be exported."""
    from core.documents import report_data

    account_id = resolve_account_id(actor, account_id)
    with db.transaction() as s:
        open_for_export(s, actor, account_id, now)
        return report_data.collect_in(s, account_id, now=now)


def report_pdf(
    db: Database,
    actor: CurrentUser | None,
    account_id: int | None = None,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
) -> report.RenderedReport:
    """The account's PDF report, checked and rendered (the file of an export of REPORT)."""
    from core.documents import report

    return report.render(report_figures(db, actor, account_id, now=now), lang)


def invoice_pdf(
    db: Database,
    actor: CurrentUser | None,
    number: str,
    account_id: int | None = None,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
) -> invoices.InvoiceFile:
    """One of the account's own invoices as a PDF, for its owner (or an admin), while the
    account's data may be exported (`open_for_export`: active, scheduled, or ended within the
    export window). Another account's invoice number is not found. The pages offer the same
    file through a streamed link (`core.exports.links.download_token` of an `invoice`
    request), which runs this same code when it is opened."""
    from core.documents import invoices

    request = ExportRequest(INVOICE, "pdf", invoice=number)
    content, result = export_bytes(db, actor, request, account_id, lang=lang, now=now)
    return invoices.InvoiceFile(result.file_name, content)
