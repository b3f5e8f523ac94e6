"""The insights' CSV files: the charts' tables (`csv_bytes`) and every survey answer of the
filtered flows, streamed while it is written behind a signed download link (the exports'
links, bound to the admin's browser session)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import numbers
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import String, case, false, func, literal, select

from core import exports
from core.exports import protect
from core.exports.sql import _iso_text
from core.identity.auth import CurrentUser, require_admin
from core.insights.filters import Filters, answer_where, check
from core.platform.db import Database
from core.platform.i18n import t
from core.platform.models import CancellationFlow, SurveyAnswer
from core.rules.vocabulary import REASONS

F = CancellationFlow
A = SurveyAnswer


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file written as the exports write theirs (UTF-8 with BOM, CRLF): every text value
    quoted (dates and times as ISO 8601 text too), numbers and true/false not, a missing value
    an empty field; the header quoted only where it must be. Formula-safe: a text cell or
    column name that starts with = + - @, tab, CR, LF or an apostrophe gets a leading
    apostrophe (`core.exports.protect`)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([protect(h) for h in header])
    for row in rows:
        out.write(",".join(_field(v) for v in row))
        out.write("\r\n")
    return out.getvalue().encode("utf-8-sig")


def _field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Number):
        return str(value)
    text = value.isoformat() if isinstance(value, dt.datetime | dt.date) else protect(str(value))
    return '"' + text.replace('"', '""') + '"'


ANSWER_COLUMNS = (
    "answered_at",
    "flow_started_at",
    "outcome",
    "skipped",
    "reason",
    "reason_name",
    "follow_up",
    "comment",
    "satisfaction",
    "plan",
    "country",
    "tenure_band",
)


# What the database writes for each column, in the file's order (see `_answers_statement`):
# text, protected and quoted; `skipped` a boolean (true/false, unquoted); `satisfaction` a number.
_PLAIN_TEXT = ("answered_at", "flow_started_at")  # ISO 8601 times: never start with a trigger


def _answers_statement(dialect: str, filters: Filters, lang: str) -> Any:
    """The one SELECT whose rows are the file, each column already in the file's form: times
    as ISO 8601 UTC text, the reason's name in `lang` (a CASE over the reasons; an unknown
    code as it is), a missing reason, follow-up or comment as empty text."""
    name = case(
        *((A.reason == r, literal(t(f"reason.{r}", lang), String)) for r in REASONS),
        else_=func.coalesce(A.reason, ""),
    )
    return (
        select(
            _iso_text(dialect, A.answered_at).label("answered_at"),
            _iso_text(dialect, F.started_at).label("flow_started_at"),
            F.outcome.label("outcome"),
            func.coalesce(A.skipped, false()).label("skipped"),
            func.coalesce(A.reason, "").label("reason"),
            name.label("reason_name"),
            func.coalesce(A.follow_up, "").label("follow_up"),
            func.coalesce(A.comment, "").label("comment"),
            A.satisfaction.label("satisfaction"),
            F.plan_code.label("plan"),
            F.country.label("country"),
            F.tenure_band.label("tenure_band"),
        )
        .select_from(A)
        .join(F, F.id == A.flow_id)
        .where(*answer_where(filters))
        .order_by(A.answered_at, A.id)
    )


def _file_columns(batch: Any) -> list[Any]:
    """A record batch's columns as the file holds them: text formula-protected
    (`core.exports.protection`), `skipped` a boolean (SQLite gives 0/1), numbers as they are."""
    import pyarrow as pa

    from core.exports.protection import protect_array

    arrays = []
    for key, array in zip(ANSWER_COLUMNS, batch.columns, strict=True):
        if key == "skipped":
            arrays.append(array if pa.types.is_boolean(array.type) else array.cast(pa.bool_()))
        elif key == "satisfaction" or key in _PLAIN_TEXT:
            arrays.append(array)
        else:
            arrays.append(protect_array(array))
    return arrays


def write_answers_csv(
    db: Database, actor: CurrentUser | None, filters: Filters, lang: str, out: BinaryIO
) -> None:
    """Every survey answer (skipped ones too) of the filtered flows, anonymised ones included,
    oldest first, written to `out` as the exports write CSV (`core.exports.writers`): UTF-8
    with a byte-order mark, CRLF, every text value quoted, numbers and true/false not; codes
    as stored, plus the reason's name in `lang`; formula-safe. The database writes each row in
    the file's form and hands it over as Arrow record batches (SQLite through a child
    process), so a million answers take no more memory than a few thousand."""
    import pyarrow as pa  # Arrow is imported when a file is written, not with the page
    import pyarrow.csv as pacsv

    from core.exports.readers import _record_batches
    from core.exports.writers import _CSV_OPTIONS

    require_admin(actor)
    filters = check(filters)
    statement = _answers_statement(db.dialect, filters, lang)
    out.write(("\ufeff" + ",".join(ANSWER_COLUMNS) + "\r\n").encode("utf-8"))
    batches = _record_batches(db.engine, statement)
    writer = None
    try:
        for batch in batches:
            table = pa.RecordBatch.from_arrays(_file_columns(batch), names=list(ANSWER_COLUMNS))
            if writer is None:
                writer = pacsv.CSVWriter(out, table.schema, write_options=_CSV_OPTIONS)
            writer.write_batch(table)
    finally:
        if writer is not None:
            writer.close()  # flushes; `out` stays open: it is the caller's
        batches.close()


def answers_csv(db: Database, actor: CurrentUser | None, filters: Filters, lang: str) -> bytes:
    """The file of `write_answers_csv`, whole (for small scopes and the tests)."""
    out = io.BytesIO()
    write_answers_csv(db, actor, filters, lang, out)
    return out.getvalue()


def answers_file_name(today: dt.date) -> str:
    return f"survey-answers-{today:%Y-%m-%d}.csv"


def answers_download_token(
    db: Database,
    actor: CurrentUser | None,
    filters: Filters,
    lang: str,
    *,
    now: dt.datetime | None = None,
) -> str:
    """A signed link token (`/download/<token>`, as the exports have) for the survey answers
    of these filters: the file is streamed while it is written, never held by the server."""
    require_admin(actor)
    filters = check(filters)
    payload = {
        "d": [day.isoformat() if day else None for day in (filters.start, filters.end)],
        "p": list(filters.plans),
        "c": list(filters.countries),
        "t": list(filters.tenures),
        "l": lang,
    }
    return exports.sign_download(actor, "answers", payload, now=now)


@dataclass(frozen=True)
class AnswersGrant:
    user: CurrentUser
    filters: Filters
    lang: str


def open_answers_download(
    db: Database, token: str, session_token: str | None, *, now: dt.datetime | None = None
) -> AnswersGrant:
    """The survey answers a link stands for, if it is genuine, unexpired and opened by the
    session it was made for; its user must still be an admin."""
    user, payload = exports.open_signed(db, token, session_token, "answers", now=now)
    try:
        start, end = (dt.date.fromisoformat(d) if d else None for d in payload["d"])
        filters = Filters(
            start,
            end,
            tuple(str(v) for v in payload["p"]),
            tuple(str(v) for v in payload["c"]),
            tuple(str(v) for v in payload["t"]),
        )
        lang = str(payload["l"])
    except (ValueError, KeyError, TypeError):  # cannot happen with a genuine signature
        raise exports.DownloadLinkInvalid() from None
    require_admin(user)
    return AnswersGrant(user, check(filters), lang)


def stream_answers(
    db: Database, actor: CurrentUser | None, filters: Filters, lang: str
) -> Iterator[bytes]:
    """The file of `write_answers_csv` in chunks, while it is written (`exports.stream_writes`)."""
    return exports.stream_writes(lambda out: write_answers_csv(db, actor, filters, lang, out))
