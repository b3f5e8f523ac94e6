"""What the server does once when it starts, before it answers the first request: open the
database (which applies the migrations) and, in demo mode, fill an empty one with the demo data.
So `python -m core account show --email customer@demo.test` works as soon as `./run.sh` has
started, before any browser has opened a page.

In demo mode with no SMTP server set, the server also runs the outbox worker in a daemon thread
(`start_outbox_worker`), so the support desk's Outgoing tab fills itself with the e-mails a
customer would get; PORTAL_OUTBOX_IN_APP=0 turns it off (a deployment runs
`python -m core outbox run --loop` or cron instead)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterator
from typing import Any

from core import demo
from core.platform.config import Settings, load_settings
from core.platform.db import open_database
from core.platform.errors import DatabaseUnavailable

log = logging.getLogger(__name__)


def prepare(settings: Settings) -> None:
    """Migrate the database and, in demo mode, seed it if it is empty. A database that cannot be
    opened is left to the pages, which say so in the reader's language."""
    try:
        db = open_database(settings.database_url)
    except DatabaseUnavailable:
        log.warning("the database could not be opened at start-up; the pages will say so")
        return
    try:
        if settings.demo_mode:
            demo.seed_if_empty(db)
    finally:
        db.engine.dispose()


def outbox_in_app(settings: Settings, environ: dict[str, str] | None = None) -> bool:
    """Whether this server runs the outbox worker itself: in demo mode with no SMTP server
    (e-mails are only kept), unless PORTAL_OUTBOX_IN_APP=0."""
    env = os.environ if environ is None else environ
    wanted = env.get("PORTAL_OUTBOX_IN_APP", "").strip().lower() not in {"0", "false", "no", "off"}
    return wanted and settings.demo_mode and not settings.smtp_url


def start_outbox_worker(
    settings: Settings, *, poll_seconds: float = 5.0
) -> tuple[threading.Thread, threading.Event] | None:
    """The outbox worker in a daemon thread, on its own engine; None if the database cannot
    be opened. Set the event to stop it."""
    from core.outbox import worker

    try:
        db = open_database(settings.database_url)
    except DatabaseUnavailable:
        log.warning("the outbox worker did not start: the database could not be opened")
        return None
    stop = threading.Event()

    def run() -> None:
        try:
            worker.run_loop(db, settings=settings, poll_seconds=poll_seconds, stop=stop)
        finally:
            db.engine.dispose()

    thread = threading.Thread(target=run, name="outbox-worker", daemon=True)
    thread.start()
    return thread, stop


@contextlib.asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """The `st.App` lifespan: `prepare` runs in a thread before the server takes requests;
    then, in the demo, the outbox worker starts (and stops with the server)."""
    settings = load_settings()
    await asyncio.to_thread(prepare, settings)
    started = start_outbox_worker(settings) if outbox_in_app(settings) else None
    try:
        yield
    finally:
        if started is not None:
            thread, stop = started
            stop.set()
            await asyncio.to_thread(thread.join, 10)
