"""The router: page config, the sign-in gate, and the navigation this user's role may see.

`streamlit run app.py` finds the `st.App` below and serves this same file through it, with the
cookie routes of `core.web.http` mounted beside Streamlit (so a reload keeps the user signed in).
Streamlit then runs this file as its script, where `__name__` is "__main__".
"""

import streamlit as st

if __name__ != "__main__":  # imported by the ASGI server, not run as the page script
    from core.web.http import ROUTES

    app = st.App(__file__, routes=ROUTES)
else:
    from app_pages.widgets.session import run_router

    run_router()
