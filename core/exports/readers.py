"""Reading the rows of an export as Arrow record batches, straight from the database through
the ADBC drivers: SQLite in a child process, PostgreSQL in this one, each read ahead of the
writer by a thread (`core.exports.streaming`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from core.exports import sqlite_process
from core.exports.sql import _sql_text
from core.exports.streaming import _read_ahead
from core.platform.errors import PortalError

ARROW_BATCH_ROWS = 4_096  # rows per record batch read from the database


# SQLite is read in a child process (`core.exports.sqlite_process` says why), which streams the
# record batches back in Arrow's IPC format and reads on the other core while this one writes.


class ExportReadError(PortalError):
    """The database could not be read for the export."""

    key = "error.database"


def _sqlite_batches(path: str, sql: str) -> Iterator[pa.RecordBatch]:
    if not path or path == ":memory:":
        raise ExportReadError()
    child = sqlite_process.take(path)
    try:
        stream = child.query(sql, ARROW_BATCH_ROWS)
        try:
            reader = pa.ipc.open_stream(stream)
            yield from reader
        except pa.ArrowInvalid:
            child.process.wait()
            raise ExportReadError() from RuntimeError(child.error_text())
        if child.process.wait() != 0:
            raise ExportReadError() from RuntimeError(child.error_text())
    finally:
        child.close()  # stops it if the reader stopped early


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


def _record_batches(engine: Engine, statement: Any) -> Iterator[pa.RecordBatch]:
    """The rows of `statement` as Arrow record batches of about ARROW_BATCH_ROWS rows."""
    sql = _sql_text(engine, statement)
    if engine.dialect.name == "sqlite":
        return _read_ahead(_sqlite_batches(engine.url.database or "", sql))
    if engine.dialect.name == "postgresql":
        return _read_ahead(_postgres_batches(engine.url, sql))
    raise ExportReadError()  # pragma: no cover - the portal runs on SQLite and PostgreSQL
