"""The cookie routes, called as Starlette calls them, against a real SQLite file."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
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


def test_signed_in_the_browser_goes_back_to_the_page_and_filters_it_signed_in_on(
    sqlite_db, monkeypatch
):
    signed = setup(sqlite_db, monkeypatch)
    link = "/insights?from=2026-01-01&to=2026-06-30&plan=growth&plan=pro&country=IT"
    response = http.session_route(
        request("/auth/session", urlencode({"code": signed.code, "next": link}))
    )
    assert response.status_code == 303 and response.headers["location"] == link
    assert "portal_session=" in cookie_header(response)
    # a code that does not sign in sends nobody anywhere but the start page
    again = http.session_route(request("/auth/session", urlencode({"code": "x", "next": link})))
    assert again.headers["location"] == "/" and "portal_session=" not in cookie_header(again)


@pytest.mark.parametrize(
    ("given", "goes"),
    [
        ("", "/"),
        ("/", "/"),
        ("/support?account=12", "/support?account=12"),
        ("/insights?reset=TOKEN&plan=growth", "/insights?plan=growth"),  # never a reset again
        ("/?code=abc", "/"),
        ("/insights?q=caf%C3%A9+%26+bar", "/insights?q=caf%C3%A9+%26+bar"),
        ("//evil.example/x", "/"),  # another site, with or without a scheme
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("insights", "/"),
        ("/insights\r\nSet-Cookie: x=1", "/"),
        ("/ok\x00", "/"),
    ],
)
def test_where_a_browser_goes_after_signing_in_is_a_page_of_this_site(given, goes):
    assert http.back_to(given) == goes


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
