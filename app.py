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
else:
    from pages.shell.router import run_router

    run_router()
