"""The sign-in page under AppTest: the demo sign-ins are plain text to copy (code blocks, never
mailto links), and a run of wrong passwords is warned before the lockout, in both languages."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core import demo
from core.platform import i18n
from tests.support.env import ROOT


def open_sign_in(lang: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_demo_sign_ins_are_plain_text_to_copy(demo_shop, monkeypatch, lang):
    monkeypatch.setenv("PORTAL_DEMO_MODE", "1")
    at = open_sign_in(lang)
    codes = [c.value for c in at.code]
    assert codes == [
        demo.DEMO_CUSTOMER_EMAIL,
        demo.DEMO_CUSTOMER_PASSWORD,
        demo.DEMO_ADMIN_EMAIL,
        demo.DEMO_ADMIN_PASSWORD,
    ]
    assert not at.table  # the table turned the addresses into mailto links
    markdown = " ".join(m.value for m in at.markdown)
    assert "mailto:" not in markdown and "](" not in markdown
    assert i18n.t("signin.demo_copy", lang) in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "it"])
def test_wrong_passwords_are_warned_before_the_lockout(demo_shop, lang):
    at = open_sign_in(lang)
    said = []
    for _ in range(5):
        at.text_input[0].set_value(demo.DEMO_CUSTOMER_EMAIL)
        at.text_input[1].set_value("not the password")
        at.button[0].click().run()
        said.append([e.value for e in at.error])
    assert said == [
        [i18n.t("signin.error.invalid", lang)],
        [i18n.t("signin.error.invalid", lang)],
        [i18n.t("signin.error.tries_left", lang, tries=2, minutes=15)],
        [i18n.t("signin.error.tries_left_one", lang, tries=1, minutes=15)],
        [i18n.t("signin.error.locked", lang, minutes=15)],
    ]
    expected = {
        "en": "2 tries left before sign-in for this address is paused for 15 minutes.",
        "it": "Ti restano 2 tentativi, poi l'accesso per questo indirizzo sarà sospeso "
        "per 15 minuti.",
    }[lang]
    assert said[2][0].endswith(expected)
