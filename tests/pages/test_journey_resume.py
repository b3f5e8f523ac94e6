"""Resume my subscription: the customer's own way back from a scheduled cancellation (core and
pages), the customer's requests on the overview, and the notice when support undid or
reactivated."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import select

from core import support_desk
from core.customers import accounts, customer_desk
from core.identity import auth
from core.platform import i18n
from core.platform.errors import NotAuthorized
from core.platform.models import AuditEntry, CancellationFlow, Subscription, SupportRequest
from core.retention import cancellation, way_back
from core.retention.cancellation import ALL_CONSENTS
from core.retention.way_back import NotResumable, ResumeTooLate
from tests.support import factories
from tests.support.env import NOW
from tests.support.pages import assert_no_raw_keys, open_app, open_page, visible_text


@pytest.fixture
def shop(db):
    return factories.shop(db, now=NOW, start=dt.date(2026, 3, 10), with_bob=True)


def schedule(db, user, now=NOW):
    flow = cancellation.start(db, user, now=now)
    cancellation.go_on(db, user, flow.flow_id, now=now)
    return cancellation.confirm(db, user, flow.flow_id, ALL_CONSENTS, now=now)


def status(db, account_id):
    with db.transaction() as s:
        return s.scalar(select(Subscription.status).where(Subscription.account_id == account_id))


def audit(db, action):
    with db.transaction() as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_the_customer_resumes_before_the_date_and_a_second_click_changes_nothing(db, shop):
    alice, users = shop
    done = schedule(db, users["alice"])
    number = way_back.contact_support(db, users["alice"], "please undo", now=NOW)
    later = NOW + dt.timedelta(days=3)
    first = way_back.resume(db, users["alice"], now=later)
    assert first.changed and first.renews_on == done.dates.effective_on
    assert first.requests_closed == 1
    assert status(db, alice.account_id) == "active"
    assert cancellation.scheduled(db, users["alice"]) is None
    with db.transaction() as s:
        flow = s.get(CancellationFlow, done.flow_id)
        assert (flow.outcome, flow.open_subscription_id) == ("undone", None)
        request = s.get(SupportRequest, number)
        assert (request.status, request.handled_by) == ("handled", users["alice"].id)
    [entry] = audit(db, "cancellation_resumed")
    assert (entry.account_id, entry.actor, entry.at) == (
        alice.account_id,
        "alice@example.com",
        later,
    )
    assert json.loads(entry.after)["requests_closed"] == [number]
    # a second tab: nothing changes, and it says so
    again = way_back.resume(db, users["alice"], now=later)
    assert not again.changed and again.renews_on == done.dates.effective_on
    assert len(audit(db, "cancellation_resumed")) == 1
    # support has nothing left to undo; the customer can cancel again later
    with pytest.raises(Exception, match="not_scheduled"):
        support_desk.undo(db, users["boss"], alice.account_id, now=later)
    assert schedule(db, users["alice"], now=later).confirmation_number != done.confirmation_number


def test_resume_is_refused_on_the_effective_date_and_after_the_end(db, shop):
    alice, users = shop
    done = schedule(db, users["alice"])
    on_the_day = dt.datetime.combine(done.dates.effective_on, dt.time(9), dt.UTC)
    with pytest.raises(ResumeTooLate) as err:
        way_back.resume(db, users["alice"], now=on_the_day)
    assert i18n.fmt_date(done.dates.effective_on, "en") in i18n.t(
        err.value.key, "en", **err.value.params
    )
    assert status(db, alice.account_id) == "cancellation_scheduled"
    the_day_before = on_the_day - dt.timedelta(days=1)
    assert cancellation.scheduled(db, users["alice"], now=the_day_before).resumable
    assert not cancellation.scheduled(db, users["alice"], now=on_the_day).resumable
    from core.jobs import lifecycle

    lifecycle.run(db, done.dates.effective_on)
    with pytest.raises(NotResumable):
        way_back.resume(db, users["alice"], now=on_the_day)
    assert status(db, alice.account_id) == "ended"


def test_only_the_customer_of_the_account_resumes_it(db, shop):
    alice, users = shop
    schedule(db, users["alice"])
    with pytest.raises(NotAuthorized):
        way_back.resume(db, users["boss"], now=NOW)
    with pytest.raises(NotAuthorized):
        way_back.resume(db, None, now=NOW)
    other = way_back.resume(db, users["bob"], now=NOW)  # acts on Bob's own account only
    assert not other.changed
    assert status(db, alice.account_id) == "cancellation_scheduled"


def test_the_customer_sees_their_requests_and_what_support_did(db, shop):
    alice, users = shop
    assert customer_desk.latest_notice(db, users["alice"], now=NOW) is None
    schedule(db, users["alice"])
    number = way_back.contact_support(db, users["alice"], "undo please", now=NOW)
    [mine] = customer_desk.my_requests(db, users["alice"])
    assert (mine.number, mine.kind, mine.status) == (number, "undo_cancellation", "open")
    assert customer_desk.my_requests(db, users["bob"]) == []
    later = NOW + dt.timedelta(days=2)
    support_desk.undo(db, users["boss"], alice.account_id, now=later)
    [mine] = customer_desk.my_requests(db, users["alice"])
    assert (mine.status, mine.handled_at) == ("handled", later)
    notice = customer_desk.latest_notice(db, users["alice"], now=later)
    assert (notice.action, notice.at) == ("cancellation_undone", later)
    assert customer_desk.latest_notice(db, users["bob"], now=later) is None
    # an old notice is not repeated for ever
    assert (
        customer_desk.latest_notice(db, users["alice"], now=later + dt.timedelta(days=61)) is None
    )


# --- the pages ---------------------------------------------------------------------------------


def cancel_as_alice(db):
    user = open_app("en", as_user="alice@example.com").session_state["ctx"].user
    return schedule(db, user, now=dt.datetime.now(dt.UTC))


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_overview_offers_resume_not_a_second_cancel_and_resumes(site, lang):
    db, made = site
    done = cancel_as_alice(db)
    at = open_app(lang, as_user="alice@example.com")
    links = [p.label for p in at.page_link]
    assert i18n.t("nav.cancel", lang) not in links
    assert i18n.t("journey.scheduled.details", lang) in links
    text = visible_text(at)
    assert i18n.t("cancel.already_scheduled", lang, date=done.dates.effective_on) in text
    assert (
        i18n.t(
            "journey.resume.help",
            lang,
            until=done.dates.resume_until,
            renews=done.dates.effective_on,
        )
        in text
    )
    at.button(key="ov_resume").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success][:1] == [
        i18n.t("journey.resume.done", lang, date=done.dates.effective_on)
    ]
    assert status(db, made.account_id) == "active"
    assert i18n.t("nav.cancel", lang) in [p.label for p in at.page_link]
    assert "ov_resume" not in [b.key for b in at.button]
    resumed = i18n.t(
        "journey.notice.cancellation_resumed",
        lang,
        date=dt.datetime.now(dt.UTC).date(),
        renews=done.dates.effective_on,
    )
    assert resumed not in visible_text(at)  # said once, by the answer above
    at = open_app(lang, as_user="alice@example.com")  # a later visit remembers it
    assert resumed in [i.value for i in at.info]
    assert_no_raw_keys(at)


def test_a_second_tab_resuming_is_told_nothing_changed(site):
    db, made = site
    done = cancel_as_alice(db)
    first = open_app("en", as_user="alice@example.com")
    open_page(first, "cancel").run()
    second = open_app("en", as_user="alice@example.com")
    open_page(second, "cancel").run()
    first.button(key="resume").click().run()
    second.button(key="resume").click().run()
    assert not second.exception, second.exception
    assert i18n.t("journey.resume.already", "en", date=done.dates.effective_on) in [
        s.value for s in second.success
    ]
    assert len(audit(db, "cancellation_resumed")) == 1
    assert status(db, made.account_id) == "active"
    # the cancellation page is the start page again, not a scheduled view
    assert "start" in [b.key for b in second.button]


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_overview_lists_the_requests_and_says_when_support_undid(site, lang):
    db, made = site
    cancel_as_alice(db)
    at = open_app(lang, as_user="alice@example.com")
    user = at.session_state["ctx"].user
    number = way_back.contact_support(db, user, "please undo")
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD).user
    at = open_app(lang, as_user="alice@example.com")
    today = dt.datetime.now(dt.UTC).date()
    line = i18n.t(
        "journey.requests.line",
        lang,
        number=number,
        kind=i18n.t("journey.requests.kind.undo_cancellation", lang),
        date=today,
        status=i18n.t("journey.requests.status.open", lang),
    )
    assert i18n.t("journey.requests.title", lang) in visible_text(at)
    assert line in visible_text(at)
    support_desk.undo(db, boss, made.account_id)
    at = open_app(lang, as_user="alice@example.com")
    text = visible_text(at)
    assert i18n.t("journey.requests.status.handled", lang, date=today) in text
    renews = accounts.overview_by_email(db, "alice@example.com").period_end
    expected = i18n.t("journey.notice.cancellation_undone", lang, date=today, renews=renews)
    assert expected in [i.value for i in at.info]
    assert_no_raw_keys(at)


def test_the_overview_notice_names_a_reactivation_by_support(db, shop):
    alice, users = shop
    done = schedule(db, users["alice"])
    from core.jobs import lifecycle

    lifecycle.run(db, done.dates.effective_on)
    assert customer_desk.latest_notice(db, users["alice"], now=NOW) is None  # ended: no notice
    back = dt.datetime.combine(done.dates.effective_on, dt.time(10), dt.UTC) + dt.timedelta(days=5)
    support_desk.reactivate(db, users["boss"], alice.account_id, now=back)
    notice = customer_desk.latest_notice(db, users["alice"], now=back)
    assert (notice.action, notice.at) == ("subscription_reactivated", back)
    text = i18n.t(f"journey.notice.{notice.action}", "it", date=back.date(), renews=back.date())
    assert text.startswith("Il Servizio clienti ha riattivato il tuo account")


def test_two_tabs_resuming_at_once_resume_once(db, shop):
    alice, users = shop
    schedule(db, users["alice"])
    results: list[object] = []
    barrier = threading.Barrier(6)

    def click() -> None:
        barrier.wait()
        try:
            results.append(way_back.resume(db, users["alice"], now=NOW))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=click) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, way_back.Resumed) for r in results), results
    assert sum(r.changed for r in results) == 1
    assert len(audit(db, "cancellation_resumed")) == 1
    assert status(db, alice.account_id) == "active"
