"""The child process that reads an export's rows from a SQLite file (`core.exports.readers`).

The ADBC driver carries its own copy of SQLite, and two copies of SQLite in one process do not
see each other's POSIX locks (sqlite.org/howtocorrupt, 2.2.1), which would let a writer in this
process reset the WAL under the reader's feet: so the rows are read by a child process, which
streams them back as Arrow record batches (Arrow's IPC format). It imports only pyarrow and the
driver's low-level API (not its DB-API module, which pulls in pandas).

Its start (a Python, pyarrow and the driver: a tenth of a second or more) can overlap with the
caller's own work: `start_early(path)` starts one that waits for its query on its standard
input, and the next export of that file takes it (`take`). The command line does this before it
imports anything else, so the child starts on the other core while the export's checks run.
This module imports nothing heavy, so that it can be used that early. A child that is never
given a query (the export was refused) reads the end of its input and exits, reading nothing.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import IO

# The pipe the batches come through holds this much (Linux's default is 64 KB, less than one
# batch): the child keeps reading while this process waits for the GIL between two reads.
PIPE_BYTES = 1 << 20

# argv: the file; standard input: the rows per batch, a line feed, then the SQL (UTF-8)
_SCRIPT = """
import sys
from urllib.parse import quote

import adbc_driver_manager as adbc
import adbc_driver_sqlite
import pyarrow as pa

path = sys.argv[1]
batch_rows, _, sql = sys.stdin.buffer.read().decode("utf-8").partition("\\n")
if not sql:  # no query came: the export was refused or never needed its rows
    sys.exit(0)
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


@dataclass
class ReaderProcess:
    """A started reader of one SQLite file, waiting for its query."""

    path: str
    process: subprocess.Popen
    errors: IO[bytes]  # its standard error, kept for the message when it fails

    def query(self, sql: str, batch_rows: int) -> IO[bytes]:
        """Hand it the query; its standard output is then the Arrow stream of the rows."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(f"{batch_rows}\n{sql}".encode())
            self.process.stdin.close()
        except BrokenPipeError:  # it ended already: its empty output and error say why
            pass
        return self.process.stdout

    def error_text(self) -> str:
        self.errors.seek(0)
        return self.errors.read()[-2000:].decode("utf-8", "replace")

    def close(self) -> None:
        """Stop it if it still runs (the reader stopped early, or it never had a query) and
        free what it holds."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.errors.close()


_waiting: list[ReaderProcess] = []
_lock = threading.Lock()


def _start(path: str) -> ReaderProcess:
    errors = tempfile.TemporaryFile()  # noqa: SIM115  (closed by ReaderProcess.close)
    process = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
    )
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux
        with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size: the default
            fcntl.fcntl(process.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    return ReaderProcess(path, process, errors)


def start_early(path: str) -> None:
    """Start a reader of this file now, for the next export of it to take."""
    reader = _start(path)
    with _lock:
        _waiting.append(reader)


def take(path: str) -> ReaderProcess:
    """A reader of this file: the one started early, or a new one."""
    with _lock:
        for i, reader in enumerate(_waiting):
            if reader.path == path:
                return _waiting.pop(i)
    return _start(path)


@atexit.register
def _discard() -> None:
    """Readers started early and never taken end with this process (no query: no reading)."""
    with _lock:
        waiting = _waiting[:]
        _waiting.clear()
    for reader in waiting:
        reader.close()
