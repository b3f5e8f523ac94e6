"""The read-only export window after a subscription ends: 30 days (PORTAL_EXPORT_DAYS_AFTER_END)
from the day it ends, during which the customer may still export (a real file, parsed back),
and after which every export is refused with a message that names the last day. The rule is
computed once (`billing.export_last_day`, through `auth.export_last_day`) and every sentence
takes its dates from it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import update

from core import exports
from core.exports import ExportRequest
from core.identity import auth
from core.jobs import lifecycle
from core.platform.config import Settings, load_settings
from core.platform.errors import InvalidCredentials
from core.platform.i18n import t
from core.platform.models import Influencer, Subscription
from core.rules import billing
from core.rules.vocabulary import STATUS_ENDED
from tests.support import factories
from tests.support.env import NOW

ENDED = dt.date(2026, 11, 11)  # the day the subscription ended (elides in Italian: l'11)
LAST_DAY = dt.date(2026, 12, 10)  # 30 days from the end, that day included


@pytest.fixture
def ended(db):
    """Alice's subscription ended on ENDED; she has two influencers; Bob is active."""
    plan_id = factories.plan(db)
    alice = factories.customer(db, "alice@example.com", plan_id, now=NOW, company="Lumière Srl")
    factories.customer(db, "bob@example.com", plan_id, now=NOW, company="Bob Ltd")
    with db.transaction() as s:
        for i, name in enumerate(("Zoë Núñez", "佐藤 花子")):
            s.add(
                Influencer(
                    account_id=alice.account_id,
                    handle=f"h{i}",
                    name=name,
                    platform="instagram",
                    followers=1000 + i,
                    engagement_rate=2.5,
                    country="IT",
                    unlocked_at=NOW,
                )
            )
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == alice.account_id)
            .values(status=STATUS_ENDED, ended_on=ENDED, current_period_end=ENDED)
        )
    return alice


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59), dt.UTC)


def test_the_window_is_thirty_days_from_the_end_and_closes_before_the_purge():
    assert billing.export_last_day(ENDED) == LAST_DAY
    assert auth.export_last_day(ENDED, Settings()) == LAST_DAY
    assert auth.export_last_day(ENDED, Settings(export_days_after_end=7)) == dt.date(2026, 11, 17)
    assert auth.export_last_day(ENDED, Settings(export_days_after_end=0)) < ENDED  # no window
    # never past the purge (two months after the end), whatever is configured
    purge = billing.data_deletion_date(ENDED)
    assert auth.export_last_day(ENDED, Settings(export_days_after_end=400)) == purge - dt.timedelta(
        days=1
    )


def test_the_window_is_configured_by_the_environment():
    assert load_settings({}).export_days_after_end == 30
    assert load_settings({"PORTAL_EXPORT_DAYS_AFTER_END": "45"}).export_days_after_end == 45
    with pytest.raises(ValueError):
        load_settings({"PORTAL_EXPORT_DAYS_AFTER_END": "-1"})


def test_an_ended_account_exports_on_the_last_day_of_its_window(db, ended):
    alice = exports.actor_for_email(db, ended.email)
    opts = exports.export_options(db, alice, now=at(LAST_DAY))
    assert (opts.status, opts.ends_on, opts.available_until) == (STATUS_ENDED, ENDED, LAST_DAY)
    content, result = exports.export_bytes(
        db, alice, ExportRequest("influencers", "csv"), now=at(LAST_DAY)
    )
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["Zoë Núñez", "佐藤 花子"]
    assert result.rows == 2 and result.file_name.startswith("Lumière-Srl_influencers_")


@pytest.mark.parametrize("lang", ["en", "it"])
def test_one_day_after_the_window_the_export_is_refused_with_its_last_day(db, ended, lang):
    alice = exports.actor_for_email(db, ended.email)
    day_after = at(LAST_DAY + dt.timedelta(days=1))
    with pytest.raises(exports.ExportWindowClosed) as exc:
        exports.export_options(db, alice, now=day_after)
    for request in (ExportRequest("influencers", "csv"), ExportRequest("archive", "zip")):
        out = io.BytesIO()
        with pytest.raises(exports.ExportWindowClosed):
            exports.write_export(db, alice, request, out, now=day_after)
        assert out.getvalue() == b""
    message = t(exc.value.key, lang, **exc.value.params)
    if lang == "en":
        assert "ended on November 11, 2026" in message
        assert "the time to export your data ended on December 10, 2026" in message
        assert "no longer available" in message
    else:
        assert "è terminato l'11 novembre 2026" in message
        assert "si è chiuso il 10 dicembre 2026" in message
        assert "non sono più disponibili" in message


def test_the_export_page_is_in_the_navigation_only_during_the_window(db, ended):
    user = auth.sign_in(db, ended.email, factories.PASSWORD, now=NOW).user
    assert user.export_until == LAST_DAY
    assert auth.pages_for(user, ENDED) == ("ended", "export")
    assert auth.pages_for(user, LAST_DAY) == ("ended", "export")
    assert auth.pages_for(user, LAST_DAY + dt.timedelta(days=1)) == ("ended",)


def test_a_purged_account_never_exports_and_cannot_sign_in(db, ended):
    alice = exports.actor_for_email(db, ended.email)  # as the operator's command line would
    lifecycle.run(db, billing.data_deletion_date(ENDED), now=NOW, settings=Settings())
    with pytest.raises(exports.ExportUnavailable) as exc:
        exports.export_options(db, alice, now=at(ENDED))  # even inside the window's dates
    assert exc.value.key == "export.error.purged"
    with pytest.raises(InvalidCredentials):  # the user is gone: a wrong password says only that
        auth.sign_in(db, ended.email, "wrong password", now=NOW)


def test_a_download_link_made_in_the_window_streams_the_file(db, ended):
    """The streamed links of the page check the window again when they are opened."""
    today = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == ended.account_id)
            .values(ended_on=today.date() - dt.timedelta(days=3))
        )
    signed = auth.sign_in(db, ended.email, factories.PASSWORD)
    cookie = auth.exchange_code(db, signed.code)
    token = exports.download_token(db, signed.user, ExportRequest("influencers", "json"))
    grant = exports.open_download(db, token, cookie)
    body = b"".join(exports.stream_export(db, grant.user, grant.plan.request, grant.account_id))
    assert b"Zo\\u00eb" in body or "Zoë".encode() in body
    # the same link, once the window is over (the end moved back 31 days), gets no file
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == ended.account_id)
            .values(ended_on=today.date() - dt.timedelta(days=31))
        )
    with pytest.raises(exports.ExportWindowClosed):
        exports.open_download(db, token, cookie)
