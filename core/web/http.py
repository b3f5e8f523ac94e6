"""The plain HTTP routes mounted beside Streamlit by app.py.

Streamlit talks to the browser over a WebSocket, which cannot set cookies; these plain HTTP
routes can. `/auth/session` trades the one-time code from a fresh sign-in for an HttpOnly,
SameSite=Lax cookie and sends the browser back to the page it signed in on (`next`: a shared
link to the churn insights keeps its filters); `/auth/signout` ends the session and clears it.

`/download/<token>` streams an export (see `core.exports.links.stream_export`), or the survey
answers of the churn insights (`core.insights.analytics.stream_answers`), to the signed-in browser
whose session the short-lived token was made for; anyone else gets a short page that says
why, in the reader's language, and no data.
"""

from __future__ import annotations

import contextlib
import html
import unicodedata
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from core.exports import links
from core.identity import auth
from core.insights import analytics
from core.platform import clock
from core.platform.config import LANGUAGE_COOKIE, load_settings
from core.platform.db import Database, open_database
from core.platform.errors import DatabaseUnavailable, PortalError
from core.platform.i18n import LANGUAGES, normalise_language, t


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


# query parameters never carried back after signing in: a used reset link, a sign-in code
_NOT_CARRIED = frozenset({"reset", "code"})


def back_to(target: str) -> str:
    """Where a browser goes once signed in: `target`, the page of this site it signed in on
    with its query (a link's filters), or the start page. Never another site (`//host`,
    `/\\host`, `https:`), never a reset link again."""
    bad = not target.startswith("/") or target.startswith("//") or "\\" in target
    if bad or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name not in _NOT_CARRIED
    ]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


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
        response = RedirectResponse(back_to(request.query_params.get("next", "")), status_code=303)
        response.headers["Cache-Control"] = "no-store"
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


def _attachment(file_name: str) -> str:
    """Content-Disposition for any file name: an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = unicodedata.normalize("NFKD", file_name).encode("ascii", "ignore").decode()
    fallback = "".join(c if c.isalnum() or c in "._-" else "-" for c in fallback) or "export"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _refused(status: int, key: str, lang: str, back: str = "export", **params: Any) -> HTMLResponse:
    """A short page saying why there is no file, with a link back to the page (`back`:
    "export" or "insights") where a new link is made."""
    title = html.escape(t("export.link.refused_title", lang))
    page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto; '
        'line-height: 1.5">'
        f"<h1>{title}</h1><p>{html.escape(t(key, lang, **params))}</p>"
        f'<p><a href="/{back}">{html.escape(t(f"{back}.link.back", lang))}</a></p></body></html>'
    )
    return HTMLResponse(
        page,
        status_code=status,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def download_route(request: Request) -> Response:
    """Stream the export a download link stands for, to the session it was made for."""
    settings = load_settings()
    lang = request.cookies.get(LANGUAGE_COOKIE, "")  # else the browser's first language
    if lang not in LANGUAGES:
        lang = normalise_language(request.headers.get("accept-language", "")[:2].lower() or None)
    token = request.path_params.get("token", "")
    session = request.cookies.get(settings.cookie_name)
    page = "insights" if links.download_kind(token) == "answers" else "export"
    try:
        db = _db(settings.database_url)
        if page == "insights":  # the survey answers of the churn insights
            answers = analytics.open_answers_download(db, token, session)
            answers_lang = normalise_language(answers.lang)
            chunks = analytics.stream_answers(db, answers.user, answers.filters, answers_lang)
            mime = "text/csv"
            file_name = analytics.answers_file_name(clock.today())
        else:
            grant = links.open_download(db, token, session)
            plan = grant.plan
            chunks = links.stream_export(
                db, grant.user, plan.request, grant.account_id, lang=normalise_language(grant.lang)
            )
            mime, file_name = plan.mime, plan.file_name
    except links.DownloadLinkExpired:
        return _refused(410, f"{page}.link.expired", lang, page)
    except links.DownloadLinkInvalid:
        return _refused(403, f"{page}.link.invalid", lang, page)
    except DatabaseUnavailable as exc:
        return _refused(503, exc.key, lang, page)
    except PortalError as exc:  # someone else's, or no longer allowed (with its dates)
        return _refused(403, exc.key, lang, page, **exc.params)
    return StreamingResponse(
        chunks,
        media_type=mime,
        headers={
            "Content-Disposition": _attachment(file_name),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


ROUTES = [
    Route("/auth/session", session_route, methods=["GET"]),
    Route("/auth/signout", signout_route, methods=["GET", "POST"]),
    Route("/download/{token}", download_route, methods=["GET"]),
]
