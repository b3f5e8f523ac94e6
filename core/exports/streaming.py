"""Threads that hand data over through small queues, so memory stays flat whatever the size:
`_read_ahead` reads record batches ahead of the writer, `stream_writes` turns a function that
writes a file into chunks for an HTTP response while the file is being written.
"""

from __future__ import annotations

import contextlib
import io
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

STREAM_CHUNK = 1 << 20  # bytes handed to the HTTP response at a time
_PREFETCH = 8  # record batches read ahead of the writer


class _Stopped(Exception):
    """The reader of a streamed export went away."""


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
