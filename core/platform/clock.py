"""The clock: every use case takes `now` as a parameter and falls back to this, in UTC."""

from __future__ import annotations

import datetime as dt


def now(at: dt.datetime | None = None) -> dt.datetime:
    """`at` (a time a caller or a test chose) in UTC, or the current time in UTC."""
    return (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)


def today(at: dt.datetime | None = None) -> dt.date:
    """The UTC date of `now(at)`: the portal's days are UTC days, on every server."""
    return now(at).date()
