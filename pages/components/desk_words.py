"""How the support desk's sections write a moment and a count (pages/support.py and
pages/components/outgoing.py)."""

from __future__ import annotations

import datetime as dt

from core.platform.i18n import fmt_datetime, plural
from pages.shell.context import PageContext


def when(ctx: PageContext, value: dt.datetime | None) -> str:
    """Full date and time (with seconds), in UTC: the column says so."""
    return fmt_datetime(value, ctx.lang, "medium") if value else ""


def counted(ctx: PageContext, key: str, n: int) -> str:
    """`key.one` or `key.other`, as the language's plural rule (CLDR, through Babel) says."""
    return plural(key, n, ctx.lang)
