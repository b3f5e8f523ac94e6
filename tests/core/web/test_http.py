"""The cookie routes, called as Starlette calls them, against a real SQLite file."""

from __future__ import annotations

from starlette.requests import Request

from core.identity import auth
from core.web import http
from tests.support import factories
from tests.support.env import NOW


def request(path: str, query: str = "", headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query.encode(),
            "headers": raw,
            "scheme": "http",
            "server": ("127.0.0.1", 8501),
        }
    )


def cookie_header(response) -> str:
    return "; ".join(v.decode() for k, v in response.raw_headers if k == b"set-cookie")


def setup(sqlite_db, monkeypatch):
    monkeypatch.setenv("PORTAL_DATABASE_URL", str(sqlite_db.engine.url))
    plan_id = factories.plan(sqlite_db)
    factories.customer(sqlite_db, "a@example.com", plan_id, now=NOW)
    return auth.sign_in(sqlite_db, "a@example.com", factories.PASSWORD)


def test_a_fresh_code_becomes_an_httponly_cookie_that_signs_the_browser_in(sqlite_db, monkeypatch):
    signed = setup(sqlite_db, monkeypatch)
    response = http.session_route(
        request("/auth/session", f"code={signed.code}", {"Sec-Fetch-Site": "same-origin"})
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    header = cookie_header(response)
    assert "portal_session=" in header and "HttpOnly" in header and "SameSite=lax" in header
    assert "Secure" not in header  # plain http on localhost
    token = header.split("portal_session=", 1)[1].split(";", 1)[0]
    assert auth.user_for_token(sqlite_db, token).email == "a@example.com"


def test_behind_https_the_cookie_is_secure(sqlite_db, monkeypatch):
    signed = setup(sqlite_db, monkeypatch)
    response = http.session_route(
        request("/auth/session", f"code={signed.code}", {"X-Forwarded-Proto": "https"})
    )
    assert "Secure" in cookie_header(response)


def test_a_code_from_another_site_or_a_wrong_code_sets_no_cookie(sqlite_db, monkeypatch):
    signed = setup(sqlite_db, monkeypatch)
    cross = http.session_route(
        request("/auth/session", f"code={signed.code}", {"Sec-Fetch-Site": "cross-site"})
    )
    assert "portal_session=" not in cookie_header(cross)
    wrong = http.session_route(request("/auth/session", "code=nope"))
    assert "portal_session=" not in cookie_header(wrong)


def test_sign_out_revokes_the_session_and_remembers_the_language(sqlite_db, monkeypatch):
    signed = setup(sqlite_db, monkeypatch)
    token = auth.exchange_code(sqlite_db, signed.code)
    response = http.signout_route(
        request("/auth/signout", "lang=it", {"Cookie": f"portal_session={token}"})
    )
    header = cookie_header(response)
    assert 'portal_session=""' in header and "Max-Age=0" in header
    assert "portal_lang=it" in header
    assert auth.user_for_token(sqlite_db, token) is None
    assert "portal_lang" not in cookie_header(
        http.signout_route(request("/auth/signout", "lang=xx"))
    )
