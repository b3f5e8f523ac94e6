"""The export window as the customer sees it (AppTest, both languages): the ended page states
the last day and links to Export data; Export data says the account is read-only until that
day and still offers every file, the invoices too; the active page's sentences agree."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from core import demo, exports
from core.identity import auth
from core.platform import i18n
from core.platform.models import Subscription
from core.rules.vocabulary import STATUS_ENDED
from tests.support.env import ROOT
from tests.support.pages import (
    EXPORT_PAGE,
    NOW,
    assert_no_raw_keys,
    downloads,
    open_export,
    open_page,
    visible_text,
)

ENDED = NOW.date() - dt.timedelta(days=3)


def end_the_demo_subscription(db) -> None:
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == 1)
            .values(status=STATUS_ENDED, ended_on=ENDED, current_period_end=ENDED)
        )


def signed_in(db, lang: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = lang
    at.session_state["session_id"] = auth.sign_in(
        db, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD
    ).user.session_id
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_ended_page_states_the_last_day_of_the_export_window(demo_shop, lang):
    end_the_demo_subscription(demo_shop)
    at = signed_in(demo_shop, lang)
    last_day = ENDED + dt.timedelta(days=29)
    text = visible_text(at)
    sentence = i18n.t("ended.export_until", lang, last_day=last_day)
    assert sentence in text
    if lang == "it":  # the date in running text, with its preposition
        assert f"fino **{i18n.fmt_date_text(last_day, 'it', 'al')}**" in sentence
    assert_no_raw_keys(at)
    # Export data is reachable, and says the same last day
    open_page(at, EXPORT_PAGE).run()
    assert not at.exception, at.exception
    warning = i18n.t("export.available_ended", lang, ends=ENDED, last_day=last_day)
    assert [w.value for w in at.warning] == [warning]
    assert {"dl_search_results", "dl_influencers", "export_invoice_download"} <= set(downloads(at))
    assert_no_raw_keys(at)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_an_active_subscription_is_told_one_consistent_story(demo_shop, lang):
    """No "available until the end of the billing cycle" above "export at any time": the page
    says exports are open now, and names the end and the window's last day if cancelled."""
    at = open_export(lang)
    opts = exports.export_options(
        demo_shop, exports.actor_for_email(demo_shop, demo.DEMO_CUSTOMER_EMAIL)
    )
    assert opts.available_until == opts.ends_on + dt.timedelta(days=29)
    expected = i18n.t(
        "export.available_active", lang, ends=opts.ends_on, last_day=opts.available_until
    )
    assert [i.value for i in at.info] == [expected]
    text = visible_text(at)
    assert i18n.t("export.intro", lang) in text
    for stale in ("until the end of your billing cycle", "fino al termine del ciclo"):
        assert stale not in text
