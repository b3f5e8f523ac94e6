"""The portal's entry point (`streamlit run app.py`).

Imported by the ASGI server, it is an `st.App` serving this same file, with the cookie and
download routes of `core.web.http` mounted beside Streamlit (so a reload keeps the user signed
in) and `core.web.startup` run before the first request (in demo mode it fills an empty
database). Run by Streamlit as its script (`__name__` is "__main__"), it is the router.
"""

import streamlit as st

if __name__ != "__main__":  # imported by the ASGI server, not run as the page script
    from core.web.http import ROUTES
    from core.web.startup import lifespan

    app = st.App(__file__, routes=ROUTES, lifespan=lifespan)

    # The screens are st.Page callables registered by the router; pages/ holds their modules.
    # Streamlit would otherwise treat pages/ as an old-style multipage folder on a process's
    # first script run (until st.navigation has run once), answering "Page not found" to a
    # first request for /sign-in, /cancel-subscription or /account (no file has those names).
    # Streamlit has no setting for this; tests/e2e/test_deep_links.py holds it to account.
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
else:
    from pages.shell.router import run_router

    run_router()
