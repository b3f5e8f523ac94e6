"""The writers of the data files: CSV, JSON and XLSX, each fed record batches as they are read
(`core.exports.readers`), so memory stays flat whatever the size.

CSV is UTF-8 with a byte-order mark (so Excel shows accents), comma-separated, every text value
quoted, CRLF line ends, written by Arrow's writer; XLSX is written straight from the batches
(`core.exports.xlsx`), every text value a string cell; text in CSV and XLSX is
formula-protected (`core.exports.protection`). JSON holds the values as they are stored.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy.orm import Session

from core.exports.protection import _file_batch
from core.exports.readers import _record_batches
from core.exports.request import (
    JSON_FORMAT,
    NAMES,
    SEARCH_RESULTS,
    Column,
    ExportRequest,
    Progress,
    _columns_for,
)
from core.exports.sql import _dataset_statement, _rows_for


@dataclass(frozen=True)
class _Meta:
    account_id: int
    company: str
    now: dt.datetime
    lang: str


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


def _write_xlsx(
    out: Any, columns: Sequence[Column], batches: Iterable[pa.RecordBatch], meta: _Meta, what: str
) -> int:
    from core.exports.xlsx import _write_sheet_xlsx

    created = meta.now.astimezone(dt.UTC) if meta.now.tzinfo else meta.now
    title = f"{meta.company} - {what}"
    return _write_sheet_xlsx(out, columns, batches, title, created, what.replace("-", "_")[:31])
