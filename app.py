"""The portal's entry point (`streamlit run app.py`).

Imported by the ASGI server, it is an `st.App` serving this same file, with the cookie and
download routes of `core.web.http` mounted beside Streamlit (so a reload keeps the user signed
in). Run by Streamlit as its script (`__name__` is "__main__"), it is the router.
"""

import streamlit as st

if __name__ != "__main__":  # imported by the ASGI server, not run as the page script
    from core.web.http import ROUTES

    app = st.App(__file__, routes=ROUTES)
else:
    from pages.shell.router import run_router

    run_router()
