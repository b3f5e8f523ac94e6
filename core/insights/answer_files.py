"""The insights' CSV files: the charts' tables (`csv_bytes`) and every survey answer of the
filtered flows, streamed while it is written behind a signed download link (the exports'
links, bound to the admin's browser session)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select

from core import exports
from core.exports import protect
from core.identity.auth import CurrentUser, require_admin
from core.insights.filters import Filters, answer_where, check
from core.platform.db import Database
from core.platform.i18n import t
from core.platform.models import CancellationFlow, SurveyAnswer
from core.rules.vocabulary import REASONS

F = CancellationFlow
A = SurveyAnswer


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file (UTF-8 with BOM, CRLF), formula-safe: a text cell that starts with = + - @,
    tab or CR (see `core.exports.protect`) gets a leading apostrophe; numbers stay numbers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([protect(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return protect(str(value))


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


ANSWERS_BATCH = 2000  # rows fetched and written at a time


def write_answers_csv(
    db: Database, actor: CurrentUser | None, filters: Filters, lang: str, out: BinaryIO
) -> None:
    """Every survey answer (skipped ones too) of the filtered flows, anonymised ones included,
    oldest first, written to `out` as CSV (see `csv_bytes`): codes as stored, plus the reason's
    name in `lang`; formula-safe. Read and written a batch at a time, so a million answers
    take no more memory than a few thousand."""
    require_admin(actor)
    filters = check(filters)
    names = {r: t(f"reason.{r}", lang) for r in REASONS}
    with db.transaction() as s:
        result = s.connection().execute(
            select(
                A.answered_at,
                F.started_at,
                F.outcome,
                A.skipped,
                A.reason,
                A.follow_up,
                A.comment,
                A.satisfaction,
                F.plan_code,
                F.country,
                F.tenure_band,
            )
            .join(F, F.id == A.flow_id)
            .where(*answer_where(filters))
            .order_by(A.answered_at, A.id)
            .execution_options(yield_per=ANSWERS_BATCH)
        )
        text_out = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
        try:
            writer = csv.writer(text_out, lineterminator="\r\n")
            writer.writerow([protect(h) for h in ANSWER_COLUMNS])
            for batch in result.partitions():
                writer.writerows(
                    [
                        _cell(v)
                        for v in (
                            at, started, outcome, bool(skipped), reason,
                            names.get(reason, reason or ""), *rest,
                        )
                    ]
                    for at, started, outcome, skipped, reason, *rest in batch
                )  # fmt: skip
            text_out.flush()
        finally:
            text_out.detach()  # `out` stays open: it is the caller's


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
