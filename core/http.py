"""The two HTTP routes that turn a sign-in into a cookie, mounted beside Streamlit by app.py.

Streamlit talks to the browser over a WebSocket, which cannot set cookies; these plain HTTP
routes can. `/auth/session` trades the one-time code from a fresh sign-in for an HttpOnly,
SameSite=Lax cookie; `/auth/signout` ends the session and clears it.
"""

from __future__ import annotations

import contextlib
from functools import cache

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from core import auth
from core.config import LANGUAGE_COOKIE, load_settings
from core.db import Database, open_database
from core.errors import DatabaseUnavailable
from core.i18n import LANGUAGES


@cache
def _db(url: str) -> Database:
    return open_database(url)


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


def _same_origin(request: Request) -> bool:
    """Browsers say where a navigation came from; our own page's redirect is same-origin.

    A link on another site carrying someone's code ("login CSRF") is cross-site and refused.
    A browser too old to send the header is let through (the code is still one-time and brief).
    """
    return request.headers.get("sec-fetch-site", "same-origin") == "same-origin"


def session_route(request: Request) -> RedirectResponse:
    settings = load_settings()
    response = RedirectResponse("/", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    token = None
    if _same_origin(request):
        try:
            token = auth.exchange_code(
                _db(settings.database_url), request.query_params.get("code", "")
            )
        except DatabaseUnavailable:
            token = None
    if token:
        response.set_cookie(
            settings.cookie_name,
            token,
            max_age=settings.session_days * 86400,
            path="/",
            httponly=True,
            samesite="lax",
            secure=_secure(request),
        )
    return response


def signout_route(request: Request) -> RedirectResponse:
    settings = load_settings()
    with contextlib.suppress(DatabaseUnavailable):
        auth.revoke_by_token(_db(settings.database_url), request.cookies.get(settings.cookie_name))
    response = RedirectResponse("/", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    lang = request.query_params.get("lang", "")
    if lang in LANGUAGES:  # the signed-out page keeps the language the user was reading
        response.set_cookie(
            LANGUAGE_COOKIE, lang, max_age=365 * 86400, path="/", httponly=True, samesite="lax"
        )
    response.delete_cookie(settings.cookie_name, path="/", httponly=True, samesite="lax")
    return response


ROUTES = [
    Route("/auth/session", session_route, methods=["GET"]),
    Route("/auth/signout", signout_route, methods=["GET", "POST"]),
]
