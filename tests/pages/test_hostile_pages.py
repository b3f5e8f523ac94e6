"""Hostile input through the real pages under AppTest: a sample of every family of the corpus
(the whole corpus goes through `core` in test_hostile_input.py) typed into the sign-in form,
the custom-plan note, the contact form, the admins' searches; and hostile company and plan
names shown on every page that names them.

Widgets are filled with `set_value`, which skips the browser's `maxlength` the way a tampered
client would. What a user would notice is asserted: no exception, no traceback, one clear
message in the user's language, and every text that came from a person reaching Streamlit's
Markdown escaped (so it shows as typed: no link, image, heading, colour or LaTeX). The real
rendering in Chromium is checked in tests/e2e/test_hostile_rendering.py.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from core.identity import auth
from core.platform import i18n
from core.platform.models import Account, Plan, SupportRequest, User, UserSession
from core.retention import cancellation
from core.retention.cancellation import ALL_CONSENTS
from pages.components.text import md
from tests.support import factories
from tests.support.env import ROOT
from tests.support.hostile import by_family, sample
from tests.support.pages import open_app, open_as, open_page, visible_text

SAMPLE = sample(1) + by_family("control")[:2] + by_family("markdown")[1:4]
TEXTS = [e.text for e in SAMPLE if not e.has_surrogate]
NAMES = [e.text[:200] for e in SAMPLE if not e.has_surrogate and "\x00" not in e.text][:12]


def messages(at: AppTest) -> list[str]:
    """Errors and successes, less the overview's status line (a success too)."""
    status = i18n.t("status.active", "en", date="").split(".")[0]
    return [e.value for e in at.error] + [
        s.value for s in at.success if not s.value.startswith(status)
    ]


def catalog_texts(lang: str) -> set[str]:
    return set(i18n.catalog(lang).values())


def unescape(body: str) -> str:
    return re.sub(r"\\(.)", r"\1", body)


def test_the_sign_in_form_takes_any_input_and_answers_clearly(site):
    db, _made = site
    at = open_app("it")
    known = {
        i18n.t(k, "it", minutes=15)
        for k in (
            "signin.error.empty",
            "signin.error.email_format",
            "signin.error.invalid",
            "signin.error.locked",
            "error.invalid_characters",
        )
    }
    for text in [*TEXTS, "a" * 1_000_000]:
        for email, password in ((text, "pw"), (f"x{text[:50]}@example.com", text)):
            at.text_input[0].set_value(email)
            at.text_input[1].set_value(password)
            at.button[0].click().run()
            assert not at.exception, (text[:40], at.exception)
            assert [e.value for e in at.error][:1] and set(e.value for e in at.error) <= known
            assert "session_id" not in at.session_state
    with db.transaction() as s:
        assert s.scalar(select(UserSession.id)) is None


def hostile_names(db, account_id: int, company: str, plan: str) -> None:
    with db.transaction() as s:
        s.execute(update(Account).where(Account.id == account_id).values(company=company))
        s.execute(update(Plan).values(name=plan))


@pytest.mark.parametrize("lang", ["en", "it"])
def test_hostile_company_and_plan_names_show_as_typed_on_the_overview(site, lang):
    db, made = site
    for name in NAMES[::2] if lang == "en" else NAMES[1::2]:
        hostile_names(db, made.account_id, name, name[:80])
        at = open_app(lang, as_user="alice@example.com")
        assert not at.exception, (name[:40], at.exception)
        title = at.title[0].value
        assert title == md(name)
        assert unescape(title) == name  # what Markdown shows: the name as typed
        plan = next(m.value for m in at.metric if m.label == i18n.t("overview.plan", lang))
        assert plan == md(name[:80])
        line = next(
            m.value for m in at.markdown if i18n.t("billing.plan_line", lang)[:8] in m.value
        )
        assert md(name[:80]) in line


def test_free_text_forms_store_what_was_typed_or_say_why_not(site):
    """The contact form (done window); the custom plan has no free text any more (its
    configurator is checked in tests/pages/test_journey_plan.py)."""
    db, _made = site
    allowed = {
        i18n.t("error.message_too_long", "en", limit=2000),
        i18n.t("cancel.error.empty_message", "en"),
    }
    user = auth.sign_in(db, "alice@example.com", factories.PASSWORD).user
    flow = cancellation.start(db, user)
    cancellation.go_on(db, user, flow.flow_id)
    cancellation.confirm(db, user, flow.flow_id, ALL_CONSENTS)
    at = open_app("en", as_user="alice@example.com")
    open_page(at, "cancel").run()
    allowed |= {i18n.t("cancel.contact_sent", "en", number=n) for n in range(1, 200)}
    for text in TEXTS:
        at.text_area[0].set_value(text)
        send = i18n.t("cancel.contact_send", "en")
        next(b for b in at.button if b.label == send).click().run()
        assert not at.exception, (text[:40], at.exception)
        shown = messages(at)
        assert len(shown) == 1 and shown[0] in allowed, (text[:40], shown)
    with db.transaction() as s:
        stored = s.scalars(select(SupportRequest.message)).all()
    assert all("\x00" not in m for m in stored)
    assert "<script>alert(1)</script>" in stored


def test_the_admins_searches_take_any_input(site):
    at = open_as("boss")
    assert at.title[0].value == i18n.t("insights.title", "en")
    at.segmented_control(key="insights_section").set_value("comments").run()
    allowed = {
        i18n.t("error.invalid_characters", "en"),
        i18n.t("error.message_too_long", "en", limit=200),
    }
    for text in TEXTS:
        at.text_input(key="insights_search").set_value(text).run()
        assert not at.exception, (text[:40], at.exception)
        assert {e.value for e in at.error} <= allowed, (text[:40], [e.value for e in at.error])
    support = open_as("boss", page="support")
    support.segmented_control(key="support_section").set_value("audit").run()
    for text in TEXTS:
        support.text_input(key="audit_actor").set_value(text).run()
        support.text_input(key="audit_account").set_value(text[:12]).run()
        assert not support.exception, (text[:40], support.exception)
        errors = {e.value for e in support.error}
        assert errors <= allowed | {
            i18n.t("support.audit.account_invalid", "en"),
            i18n.t("error.invalid_input", "en"),
        }, (text[:40], errors)


def test_the_support_desk_names_a_hostile_company_as_typed(site):
    db, made = site
    name = "**Evil** [x](http://127.0.0.1:9/) ![i](http://127.0.0.1:9/p.png) :red[r] $x$"
    hostile_names(db, made.account_id, name, "Growth")
    user = auth.sign_in(db, "alice@example.com", factories.PASSWORD).user
    flow = cancellation.start(db, user)
    cancellation.go_on(db, user, flow.flow_id)
    cancellation.confirm(db, user, flow.flow_id, ALL_CONSENTS)
    at = open_as("boss", page="support")
    at.button(key=f"undo_{made.account_id}_ask").click().run()
    prompt = at.warning[0].value
    assert md(name) in prompt and "[x](" not in prompt
    at.button(key=f"undo_{made.account_id}_yes").click().run()
    assert not at.exception
    done = at.success[0].value
    assert md(name) in done and "![i](" not in done
    assert name not in visible_text(at)  # never unescaped into Markdown
    with db.transaction() as s:
        assert s.scalar(select(User.email).where(User.account_id == made.account_id))


def test_brute_force_through_the_sign_in_page_is_locked_out(site):
    """Five wrong passwords typed into the page lock the address: the sixth try, even with the
    right password, is refused with the lockout message, and no session is opened."""
    db, _made = site
    at = open_app("en")
    said = []
    for _ in range(5):
        at.text_input[0].set_value("alice@example.com")
        at.text_input[1].set_value("guess")
        at.button[0].click().run()
        said.append([e.value for e in at.error])
    assert said == [  # warned from the third failure, paused at the fifth
        [i18n.t("signin.error.invalid", "en")],
        [i18n.t("signin.error.invalid", "en")],
        [i18n.t("signin.error.tries_left", "en", tries=2, minutes=15)],
        [i18n.t("signin.error.tries_left_one", "en", tries=1, minutes=15)],
        [i18n.t("signin.error.locked", "en", minutes=15)],
    ]
    at.text_input[0].set_value("alice@example.com")
    at.text_input[1].set_value(factories.PASSWORD)
    at.button[0].click().run()
    assert [e.value for e in at.error] == [i18n.t("signin.error.locked", "en", minutes=15)]
    assert "session_id" not in at.session_state
    with db.transaction() as s:
        assert s.scalar(select(UserSession.id)) is None


def test_page_caches_are_shared_only_where_no_account_data_differs():
    """`st.cache_data` keeps a result for every visitor of the server: in a page it is allowed
    only after `require_admin` (the same figures for every admin) or keyed by an account id."""
    import ast

    for path in sorted((ROOT / "pages").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            cached = any("cache_data" in ast.unparse(d) for d in node.decorator_list)
            if not cached:
                continue
            keyed = "account_id" in [a.arg for a in node.args.args]
            check = source.find("require_admin(ctx.user)")
            admin_only = 0 <= check < source.index(f"def {node.name}")
            assert keyed or admin_only, f"{path.name}: {node.name} is cached for everyone"
