"""Data exports: what an account can take away, and the files themselves.

The package owns the search results and influencers as CSV, XLSX and JSON, the account's PDF
report and invoices as downloads, the ZIP archive of all of it with `account.json`, and the
signed links that stream large files. Its modules, from the bottom up:

  request     what can be asked: kinds, formats, columns, ExportRequest/Plan/Result, errors
  access      who may export what, and until when (`open_for_export`, the export window)
  sql         the queries, per database (SQLite, PostgreSQL)
  streaming   threads and queues that keep memory flat (read-ahead, `stream_writes`)
  readers     Arrow record batches from the database (SQLite through a child process)
  protection  formula protection of CSV and XLSX text cells (`protect`, `unprotect`)
  writers     the CSV, JSON and XLSX writers
  archive     the ZIP archive and `account.json`
  services    the use cases: `export_options`, `plan_export`, `write_export`, `report_pdf`...
  links       signed download links, the secret key, `stream_export`

The PDFs themselves are drawn by `core.documents`; the exports call it, never the reverse.
The names below are the ones the pages and the command line use as `exports.<name>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.platform.lazy_names import lazy_names

# The names are imported from their modules when first used (PEP 562), so that importing one
# module of the package (the command line's CSV export, the download route) does not import
# them all: the PDF library and XlsxWriter are loaded only by what makes PDFs and Excel files.
_WHERE = {
    "actor_for_email": "access",
    "open_for_export": "access",
    "DOWNLOAD_LINK_MINUTES": "links",
    "DownloadLinkInvalid": "links",
    "download_token": "links",
    "open_download": "links",
    "open_signed": "links",
    "sign_download": "links",
    "stream_export": "links",
    "streams": "links",
    "protect": "protection",
    "unprotect": "protection",
    "ARCHIVE": "request",
    "ExportPlan": "request",
    "ExportRequest": "request",
    "ExportResult": "request",
    "ExportUnavailable": "request",
    "ExportWindowClosed": "request",
    "FORMATS": "request",
    "INFLUENCERS": "request",
    "INFLUENCER_COLUMNS": "request",
    "INFLUENCER_DEFAULT_COLUMNS": "request",
    "INVOICE": "request",
    "REPORT": "request",
    "SCOPE_ALL": "request",
    "SCOPE_LISTED": "request",
    "SEARCH_RESULTS": "request",
    "file_name": "request",
    "export_bytes": "services",
    "export_options": "services",
    "export_sql": "services",
    "plan_export": "services",
    "write_export": "services",
    "xlsx_problem": "services",
    "stream_writes": "streaming",
}

if TYPE_CHECKING:  # what type checkers and readers see: the same names, from the same modules
    from core.exports.access import actor_for_email, open_for_export
    from core.exports.links import (
        DOWNLOAD_LINK_MINUTES,
        DownloadLinkInvalid,
        download_token,
        open_download,
        open_signed,
        sign_download,
        stream_export,
        streams,
    )
    from core.exports.protection import protect, unprotect
    from core.exports.request import (
        ARCHIVE,
        FORMATS,
        INFLUENCER_COLUMNS,
        INFLUENCER_DEFAULT_COLUMNS,
        INFLUENCERS,
        INVOICE,
        REPORT,
        SCOPE_ALL,
        SCOPE_LISTED,
        SEARCH_RESULTS,
        ExportPlan,
        ExportRequest,
        ExportResult,
        ExportUnavailable,
        ExportWindowClosed,
        file_name,
    )
    from core.exports.services import (
        export_bytes,
        export_options,
        export_sql,
        plan_export,
        write_export,
        xlsx_problem,
    )
    from core.exports.streaming import stream_writes

__getattr__, __dir__ = lazy_names(__name__, _WHERE)

__all__ = [
    "ARCHIVE",
    "DOWNLOAD_LINK_MINUTES",
    "FORMATS",
    "INFLUENCERS",
    "INFLUENCER_COLUMNS",
    "INFLUENCER_DEFAULT_COLUMNS",
    "INVOICE",
    "REPORT",
    "SCOPE_ALL",
    "SCOPE_LISTED",
    "SEARCH_RESULTS",
    "DownloadLinkInvalid",
    "ExportPlan",
    "ExportRequest",
    "ExportResult",
    "ExportUnavailable",
    "ExportWindowClosed",
    "actor_for_email",
    "download_token",
    "export_bytes",
    "export_options",
    "export_sql",
    "file_name",
    "open_download",
    "open_for_export",
    "open_signed",
    "plan_export",
    "protect",
    "sign_download",
    "stream_export",
    "stream_writes",
    "streams",
    "unprotect",
    "write_export",
    "xlsx_problem",
]
