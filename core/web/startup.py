"""What the server does once when it starts, before it answers the first request: open the
database (which applies the migrations) and, in demo mode, fill an empty one with the demo data.
So `python -m core account show --email customer@demo.test` works as soon as `./run.sh` has
started, before any browser has opened a page."""

from __future__ import annotations

import asyncio
import contextlib
import logging
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


@contextlib.asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """The `st.App` lifespan: `prepare` runs in a thread before the server takes requests."""
    await asyncio.to_thread(prepare, load_settings())
    yield
