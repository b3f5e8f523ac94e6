"""Files prepared on the export page and kept for their download button, per browser session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import streamlit as st
from babel.dates import format_time

from core.exports import ExportResult
from core.platform.i18n import fmt_number, locale_of
from pages.shell.context import PageContext


@dataclass(frozen=True)
class PreparedFile:
    content: bytes
    result: ExportResult
    at: dt.datetime

    def time(self, lang: str) -> str:
        """The time it was made, on the browser's clock (UTC when the browser does not say)."""
        try:
            zone = ZoneInfo(st.context.timezone) if st.context.timezone else dt.UTC
        except Exception:  # no browser (AppTest) or an unknown zone name
            zone = dt.UTC
        return format_time(self.at, "short", tzinfo=zone, locale=locale_of(lang))


def prepared_file(slot: str, account_id: int, lang: str) -> PreparedFile | None:
    """The file made earlier in this session, if it is this account's and in this language."""
    kept = st.session_state.get(slot)
    if not kept or kept["account_id"] != account_id or kept["lang"] != lang:
        return None
    return PreparedFile(kept["content"], kept["result"], kept["at"])


def size_text(ctx: PageContext, size: int) -> str:
    if size < 1024 * 1024:
        return ctx.t("export.size.kb", size=fmt_number(max(1, round(size / 1024)), ctx.lang))
    return ctx.t("export.size.mb", size=fmt_number(round(size / 1024 / 1024, 1), ctx.lang))
