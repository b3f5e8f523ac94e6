"""Opening a screen under Streamlit's AppTest as a browser opens its URL.

The screens are `st.Page(callable, url_path=...)` (pages/shell/router.py). AppTest's own
`switch_page` finds pages by their file only, so a test asks for a screen the way a browser's
address does: by the hash Streamlit gives the page's URL path.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from pages.shell.router import SCREENS


def url_path(screen: str) -> str:
    """The URL path of a screen (its key in SCREENS, e.g. "cancel" -> "cancel-subscription")."""
    return SCREENS[screen].url_path


def open_page(at: AppTest, screen: str) -> AppTest:
    """The next `at.run()` asks for this screen's URL (before the first run too: a deep link).
    Like a browser, it lands on the screen only if the router offers it to this user."""
    at._page_hash = calc_hash(url_path(screen))  # what AppTest.switch_page sets for a file
    return at
