"""What every screen is given: the database, the signed-in user, the language, the settings,
the screens this user may open (for links) and a reset link's token, made by the router for
each run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from core.identity.auth import CurrentUser
from core.platform.config import Settings
from core.platform.db import Database
from core.platform.i18n import t


@dataclass(frozen=True)
class PageContext:
    db: Database
    user: CurrentUser | None
    lang: str
    settings: Settings
    pages: Mapping[str, StreamlitPage] = field(default_factory=dict)  # by key, for links
    # the token of a password reset link (the address's ?reset=...): the sign-in screen shows
    # the form to choose a new password
    reset_token: str = ""

    def t(self, key: str, **params: Any) -> str:
        return t(key, self.lang, **params)


def context() -> PageContext:
    return st.session_state["ctx"]
