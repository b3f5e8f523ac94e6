"""No secret in the logs: a real server, a wrong and a right sign-in, a cancellation and a
sign-out in a real browser; then the server's log (everything it printed) and the audit log
must hold no password (typed right or wrong), no Argon2 hash, no session token and no one-time
sign-in code, at Streamlit's default log level and at `debug`."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.platform.db import open_database
from core.platform.models import AuditEntry, User, UserSession
from tests.e2e.conftest import running_server
from tests.support.browser import account_show, open_cancel_page, sign_in


@pytest.mark.parametrize("level", ["info", "debug"])
def test_no_password_hash_token_or_code_reaches_a_log(tmp_path, page_for, level):
    wrong = "Wr0ng-" + secrets.token_hex(6)
    with running_server(tmp_path, env={"STREAMLIT_LOGGER_LEVEL": level}) as server:
        page = page_for("it-IT")
        handoffs: list[str] = []
        page.on("request", lambda r: handoffs.append(r.url) if "/auth/session" in r.url else None)
        sign_in(page, server, "customer@demo.test", wrong, "Accedi")
        expect(
            page.get_by_text("L'indirizzo email o la password non sono corretti.")
        ).to_be_visible()
        open_cancel_page(page, server)  # signs in with the right password, opens a page
        company = account_show(server, "customer@demo.test")["company"]
        token = {c["name"]: c["value"] for c in page.context.cookies()}["portal_session"]
        page.get_by_role("button", name="Esci").click()
        expect(page.get_by_role("heading", name="Accedi al tuo account")).to_be_visible()
    assert company
    codes = [url.split("code=", 1)[1].split("&")[0] for url in handoffs]
    assert codes and token

    db = open_database(server.database_url)
    with db.transaction() as s:
        hashes = list(s.scalars(select(User.password_hash)))
        stored = [h for row in s.execute(select(UserSession.code_hash, UserSession.token_hash))
                  for h in row if h]  # fmt: skip
        audit = " ".join(f"{e.actor} {e.action} {e.before} {e.after}" for e in s.scalars(
            select(AuditEntry)))  # fmt: skip
    db.engine.dispose()
    forbidden = {
        "the wrong password": wrong,
        "the right password": "demo-customer",
        "the session token": token,
        **{f"one-time code {i}": code for i, code in enumerate(codes)},
        "an Argon2 hash": "$argon2id$",
        **{f"password hash {i}": h for i, h in enumerate(hashes[:20])},
        **{f"stored code/token hash {i}": h for i, h in enumerate(stored)},
    }
    log = server.log.read_text()
    assert "Traceback" not in log
    # the level took effect: Streamlit's debug lines are there only at debug
    assert ("Runtime state:" in log) == (level == "debug")
    for where, text in (("server log", log), ("audit log", audit)):
        leaked = [name for name, secret in forbidden.items() if secret and secret in text]
        assert not leaked, f"{where} holds {leaked}"
