"""Churn insights, checked against a small fixture whose figures are worked out by hand below,
on SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import event, select, update

from core.identity import auth
from core.insights import analytics
from core.insights.analytics import Filters
from core.jobs import lifecycle
from core.platform import i18n
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import CancellationFlow, FlowStep, RetentionOffer, SurveyAnswer
from core.retention import cancellation
from core.retention.cancellation import ALL_CONSENTS, Survey
from core.rules.vocabulary import stage_bit
from tests.support import factories
from tests.support.env import NOW


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}:00+00:00")


# The fixture. Nine flows; eight of them start in the first quarter of 2026 ("Q1").
# (id, started, plan, country, tenure, monthly revenue, outcome, purged?)
FLOWS = [
    ("f1", at("2026-01-05"), "growth", "IT", "1-2y", 24900, "completed", False),
    ("f2", at("2026-01-20", "18:00"), "starter", "US", "<6m", 9900, "completed", True),
    ("f3", at("2026-02-03"), "growth", "IT", "6-12m", 24900, "saved_kept", False),
    ("f4", at("2026-02-10"), "pro", "DE", "2y+", 49900, "saved_offer", False),
    ("f5", at("2026-02-15", "23:30"), "growth", "DE", "1-2y", 24900, "abandoned", False),
    ("f6", at("2026-03-02"), "starter", "IT", "<6m", 9900, "undone", False),
    ("f7", at("2026-03-10"), "pro", "US", "1-2y", 49900, "saved_offer", True),
    ("f8", at("2026-03-20"), "growth", "IT", "6-12m", 24900, "open", False),
    ("f9", at("2025-12-20"), "growth", "IT", "1-2y", 24900, "completed", False),
]
STEPS = {
    "f1": ["started", "survey_answered", "offer_shown", "continued", "consents_given", "completed"],
    "f2": ["started", "survey_skipped", "offer_shown", "configurator_opened", "continued",
           "consents_given", "completed"],
    "f3": ["started", "survey_answered", "offer_shown", "kept"],
    "f4": ["started", "survey_answered", "offer_shown", "configurator_opened", "plan_requested"],
    "f5": ["started", "survey_answered", "offer_shown", "abandoned"],
    "f6": ["started", "survey_answered", "offer_shown", "continued", "consents_given",
           "completed", "undone"],
    "f7": ["started", "survey_skipped", "offer_shown", "configurator_opened", "plan_requested"],
    "f8": ["started"],
    "f9": ["started", "survey_answered", "offer_shown", "continued", "consents_given", "completed"],
}  # fmt: skip
# survey: (skipped, reason, follow_up, comment, satisfaction)
ANSWERS = {
    "f1": (False, "too_expensive", "", "Too pricey for us", 2),
    "f2": (True, None, "", "", None),
    "f3": (False, "missing_features", "TikTok reports", "", 4),
    "f4": (False, "too_expensive", "", '=HYPERLINK("http://evil.example","x")', 3),
    "f5": (False, "not_using", "", "", 5),
    "f6": (False, "too_expensive", "", "Ci ripenso al 100%", 3),
    "f7": (True, None, "", "", None),
    "f9": (False, "other", "", "Old one", 1),
}
# offer: (opened, requested monthly price in cents or None)
OFFERS = {
    "f1": (False, None),
    "f2": (True, None),
    "f3": (False, None),
    "f4": (True, 14800),
    "f5": (False, None),
    "f6": (False, None),
    "f7": (True, 9800),
    "f9": (False, None),
}
Q1 = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))


def facts(fid: str) -> dict:
    """The insight facts the flow carries, as `core.retention.cancellation` keeps them when it
    writes the steps, the answer and the offer above (tests/core/insights/test_insight_facts.py
    checks that)."""
    stages = 0
    for step in STEPS[fid]:
        stages |= stage_bit(step)
    skipped, reason, _follow_up, _comment, stars = ANSWERS.get(fid, (None, None, "", "", None))
    opened, price = OFFERS.get(fid, (None, None))
    return {
        "stages": stages,
        "survey": {None: "none", True: "skipped", False: "answered"}[skipped],
        "reason": reason,
        "satisfaction": stars,
        "offer": "none"
        if fid not in OFFERS
        else ("requested" if price else "opened" if opened else "shown"),
        "offer_price_cents": price,
    }


@pytest.fixture
def shop(db):
    growth = factories.plan(db, "growth", 24900)
    factories.plan(db, "starter", 9900)
    factories.plan(db, "pro", 49900)
    alice = factories.customer(db, "alice@example.com", growth, now=NOW)
    factories.admin(db, "boss@example.com", now=NOW)
    with db.transaction() as s:
        for fid, started, plan, country, tenure, revenue, outcome, purged in FLOWS:
            s.add(
                CancellationFlow(
                    id=fid,
                    account_id=None if purged else alice.account_id,
                    started_at=started,
                    outcome=outcome,
                    plan_code=plan,
                    country=country,
                    tenure_band=tenure,
                    monthly_revenue_cents=revenue,
                    **facts(fid),
                )
            )
        s.flush()
        for fid, started, plan, country, tenure, *_ in FLOWS:
            for i, step in enumerate(STEPS[fid]):
                s.add(FlowStep(flow_id=fid, step=step, at=started + dt.timedelta(minutes=i)))
            if fid in ANSWERS:
                skipped, reason, follow_up, comment, stars = ANSWERS[fid]
                s.add(
                    SurveyAnswer(
                        flow_id=fid,
                        answered_at=started + dt.timedelta(minutes=1),
                        skipped=skipped,
                        reason=reason,
                        follow_up=follow_up,
                        comment=comment,
                        satisfaction=stars,
                        flow_started_at=started,
                        plan_code=plan,
                        country=country,
                        tenure_band=tenure,
                    )
                )
            if fid in OFFERS:
                opened, price = OFFERS[fid]
                s.add(
                    RetentionOffer(
                        flow_id=fid,
                        shown_at=started + dt.timedelta(minutes=2),
                        opened_at=started + dt.timedelta(minutes=3) if opened else None,
                        requested_at=started + dt.timedelta(minutes=4) if price else None,
                        monthly_price_cents=price,
                    )
                )
    users = {
        who: auth.sign_in(db, f"{who}@example.com", factories.PASSWORD, now=NOW).user
        for who in ("alice", "boss")
    }
    return users


def test_the_headline_figures_of_the_first_quarter(db, shop):
    fig = analytics.insights(db, shop["boss"], Q1).figures
    assert fig.started == 8  # f1-f8
    assert fig.completed == 2  # f1, f2 (f6 was undone: counted apart)
    assert (fig.saved_kept, fig.saved_offer, fig.saved) == (1, 2, 3)  # f3; f4, f7
    assert fig.undone == 1 and fig.abandoned == 1  # f6; f5
    assert fig.save_rate == pytest.approx(3 / 5)  # saved / (saved + completed)
    assert (fig.answered, fig.skipped) == (5, 2)  # f1 f3 f4 f5 f6; f2 f7
    assert fig.response_rate == pytest.approx(5 / 7)
    assert fig.revenue_lost_cents == 24900 + 9900  # f1, f2
    assert fig.revenue_saved_cents == 24900 + 49900 + 49900  # f3, f4, f7
    assert fig.revenue_undone_cents == 9900  # f6


def test_anonymised_flows_of_purged_accounts_count(db, shop):
    with db.transaction() as s:
        assert (
            s.scalar(select(CancellationFlow.account_id).where(CancellationFlow.id == "f2")) is None
        )
    starter = analytics.insights(db, shop["boss"], Filters(countries=("US",)))
    assert starter.figures.started == 2  # f2 and f7, both purged
    assert starter.figures.completed == 1 and starter.figures.saved_offer == 1
    assert starter.figures.skipped == 2


def test_the_charts_of_the_first_quarter(db, shop):
    data = analytics.insights(db, shop["boss"], Q1)
    assert data.reasons == (("too_expensive", 3), ("missing_features", 1), ("not_using", 1))
    assert data.funnel == (
        ("started", 8),
        ("survey", 7),  # all but f8
        ("continued", 3),  # f1 f2 f6
        ("consents", 3),
        ("completed", 3),  # f6 did complete before support undid it
    )
    assert data.satisfaction == ((1, 0), (2, 1), (3, 2), (4, 1), (5, 1))
    assert data.offers == analytics.OfferInterest(shown=7, opened=3, requested=2)
    assert data.prices == (
        analytics.PriceBucket(9800, 12500, None, 1),  # f7: $98, survey skipped
        analytics.PriceBucket(12500, 15000, "too_expensive", 1),  # f4: $148
    )
    assert [(g.key, g.label, g.completed, g.saved) for g in data.by_plan] == [
        ("starter", "Starter", 1, 0),  # cheapest plan first; f6 (undone) is neither
        ("growth", "Growth", 1, 1),
        ("pro", "Pro", 0, 2),
    ]
    assert [(g.key, g.completed, g.saved) for g in data.by_tenure] == [
        ("<6m", 1, 0),
        ("6-12m", 0, 1),
        ("1-2y", 1, 1),
        ("2y+", 0, 1),
    ]


def test_reasons_by_month(db, shop):
    trend = analytics.insights(db, shop["boss"], Q1, "month").trend
    assert trend.buckets == (dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert {(p.bucket.month, p.reason): p.count for p in trend.points} == {
        (1, "too_expensive"): 1,
        (2, "missing_features"): 1,
        (2, "too_expensive"): 1,
        (2, "not_using"): 1,
        (3, "too_expensive"): 1,
    }


def test_reasons_by_week_start_on_monday_in_utc_whatever_the_session_time_zone(db, shop):
    if db.dialect == "postgresql":  # a session far east of UTC must not move Sunday night
        event.listen(
            db.engine,
            "connect",
            lambda conn, _rec: conn.execute("SET TIME ZONE 'Pacific/Auckland'"),
        )
        db.engine.dispose()
    trend = analytics.insights(db, shop["boss"], Q1, "week").trend
    assert trend.buckets[0] == dt.date(2025, 12, 29) and trend.buckets[-1] == dt.date(2026, 3, 30)
    assert len(trend.buckets) == 14  # every week, empty ones too
    assert {(p.bucket, p.reason): p.count for p in trend.points} == {
        (dt.date(2026, 1, 5), "too_expensive"): 1,  # f1, a Monday
        (dt.date(2026, 2, 2), "missing_features"): 1,  # f3, a Tuesday
        (dt.date(2026, 2, 9), "too_expensive"): 1,  # f4
        (dt.date(2026, 2, 9), "not_using"): 1,  # f5, Sunday 23:30 UTC
        (dt.date(2026, 3, 2), "too_expensive"): 1,  # f6
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # (started, completed, saved, save rate, response rate, revenue lost, revenue saved)
        (Filters(), (9, 3, 3, 3 / 6, 6 / 8, 59700, 124700)),  # f9 too
        (Filters(plans=("growth",)), (5, 2, 1, 1 / 3, 1.0, 49800, 24900)),
        (Filters(Q1.start, Q1.end, plans=("growth",)), (4, 1, 1, 1 / 2, 1.0, 24900, 24900)),
        (Filters(Q1.start, Q1.end, countries=("DE",)), (2, 0, 1, 1.0, 1.0, 0, 49900)),
        (Filters(Q1.start, Q1.end, tenures=("<6m",)), (2, 1, 0, 0.0, 1 / 2, 9900, 0)),
        (Filters(Q1.start, Q1.end, plans=("pro",), countries=("IT",)), (0, 0, 0, None, None, 0, 0)),
        # the end day is included, the start day too; whole UTC days
        (Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 20)), (2, 2, 0, 0.0, 1 / 2, 34800, 0)),
        (Filters(dt.date(2026, 1, 21), dt.date(2026, 2, 3)), (1, 0, 1, 1.0, 1.0, 0, 24900)),
    ],
)  # fmt: skip
def test_filters_change_every_figure(db, shop, filters, expected):
    fig = analytics.insights(db, shop["boss"], filters).figures
    got = (
        fig.started,
        fig.completed,
        fig.saved,
        fig.save_rate,
        fig.response_rate,
        fig.revenue_lost_cents,
        fig.revenue_saved_cents,
    )
    assert got == pytest.approx(expected)
    assert analytics.figures(db, shop["boss"], filters) == fig


def test_the_funnel_without_filters_counts_every_flow_once(db, shop):
    with db.transaction() as s:  # a step recorded twice still counts one flow
        s.add(FlowStep(flow_id="f1", step="continued", at=at("2026-01-05", "11:00")))
    data = analytics.insights(db, shop["boss"], Filters())
    assert data.funnel == (
        ("started", 9),
        ("survey", 8),
        ("continued", 4),  # f1 f2 f6 f9
        ("consents", 4),
        ("completed", 4),
    )


def test_filters_reach_the_charts_too(db, shop):
    data = analytics.insights(db, shop["boss"], Filters(Q1.start, Q1.end, countries=("DE",)))
    assert data.reasons == (("too_expensive", 1), ("not_using", 1))
    assert data.funnel[0] == ("started", 2) and data.funnel[-1] == ("completed", 0)
    assert data.offers == analytics.OfferInterest(2, 1, 1)
    assert [p.low_cents for p in data.prices] == [12500]
    assert [g.key for g in data.by_plan] == ["growth", "pro"]
    assert sum(n for _s, n in data.satisfaction) == 2
    nothing = analytics.insights(db, shop["boss"], Filters(countries=("JP",)))
    assert nothing.reasons == () and nothing.prices == () and nothing.trend.points == ()
    assert nothing.offers == analytics.OfferInterest(0, 0, 0)


def test_comments_newest_first_with_search_and_reason(db, shop):
    boss = shop["boss"]
    found = analytics.comments(db, boss, Q1)
    assert found.total == 4
    assert [c.comment or c.follow_up for c in found.rows] == [
        "Ci ripenso al 100%",
        '=HYPERLINK("http://evil.example","x")',
        "TikTok reports",  # a follow-up answer is free text too
        "Too pricey for us",
    ]
    assert found.rows[0].reason == "too_expensive" and found.rows[0].outcome == "undone"
    assert [c.follow_up for c in analytics.comments(db, boss, Q1, "tiktok").rows] == [
        "TikTok reports"
    ]
    # % and _ are searched for as they are, not as wildcards
    assert analytics.comments(db, boss, Q1, "0%").total == 1
    assert analytics.comments(db, boss, Q1, "o_p").total == 0
    assert analytics.comments(db, boss, Q1, reasons=("too_expensive",)).total == 3
    assert analytics.comments(db, boss, Filters(), "old").total == 1  # f9 is outside Q1
    assert analytics.comments(db, boss, Q1, limit=2).rows[-1].comment.startswith("=HYPER")


def test_the_raw_answers_csv_is_complete_and_formula_safe(db, shop):
    data = analytics.answers_csv(db, shop["boss"], Q1, "it")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(analytics.ANSWER_COLUMNS)
    assert len(rows) == 1 + 7  # f1-f7 answered or skipped; f8 never reached the survey
    by_comment = {r[7]: r for r in rows[1:]}
    evil = by_comment['\'=HYPERLINK("http://evil.example","x")']
    assert evil[4:6] == ["too_expensive", "Troppo costoso"]  # the reason's name in Italian
    assert evil[8] == "3"
    skipped = [r for r in rows[1:] if r[3] == "true"]
    assert len(skipped) == 2 and all(r[4] == "" for r in skipped)
    assert rows[1][0] == "2026-01-05T10:01:00+00:00"  # oldest first, ISO 8601 UTC


def test_csv_cells_are_formula_safe_and_numbers_stay_numbers():
    data = analytics.csv_bytes(
        ["=label", "n"], [["+1", -5], ["@sum", 2.5], ["\tx", 0], ["-3", None], ["ok", True]]
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["'=label", "n"],
        ["'+1", "-5"],
        ["'@sum", "2.5"],
        ["'\tx", "0"],
        ["'-3", ""],
        ["ok", "true"],
    ]


def test_bad_filters_are_refused(db, shop):
    boss = shop["boss"]
    with pytest.raises(InvalidInput) as err:
        analytics.insights(db, boss, Filters(dt.date(2026, 3, 1), dt.date(2026, 1, 1)))
    assert err.value.key == "insights.error.dates"
    with pytest.raises(InvalidInput):
        analytics.insights(db, boss, Q1, "fortnight")
    with pytest.raises(InvalidInput):
        analytics.insights(db, boss, Filters(tenures=("forever",)))
    with pytest.raises(InvalidInput):
        analytics.comments(db, boss, Q1, "x" * 201)
    with pytest.raises(InvalidInput):
        analytics.comments(db, boss, Q1, reasons=("hates_us",))
    for start, end in (
        (dt.date(1, 1, 1), dt.date(2026, 1, 1)),
        (dt.date(2026, 1, 1), dt.date(9999, 12, 31)),
    ):
        for call in (analytics.insights, analytics.comments, analytics.answers_csv):
            with pytest.raises(InvalidInput) as err:
                args = ("en",) if call is analytics.answers_csv else ()
                call(db, boss, Filters(start, end), *args)
            assert err.value.key == "insights.error.date_range"
            assert "2000" in i18n.t(err.value.key, "en") and "2100" in i18n.t(err.value.key, "it")


def test_a_range_wider_than_the_data_counts_what_there_is(db, shop):
    """From the first allowed day to the last: the figures of all the flows, and the trend
    lists every bucket of the range (empty ones too), however far they reach."""
    boss = shop["boss"]
    widest = Filters(analytics.FIRST_DAY, analytics.LAST_DAY)
    everything = analytics.insights(db, boss, Filters())
    wide = analytics.insights(db, boss, widest)
    assert wide.figures == everything.figures and wide.prices == everything.prices
    assert wide.trend.points == everything.trend.points
    assert len(wide.trend.buckets) == 101 * 12  # January 2000 to December 2100
    all_comments = analytics.comments(db, boss, Filters()).total
    assert analytics.comments(db, boss, widest).total == all_comments > 0


def test_filter_options_offer_what_is_on_record(db, shop):
    options = analytics.filter_options(db, shop["boss"])
    assert options.plans == (("starter", "Starter"), ("growth", "Growth"), ("pro", "Pro"))
    assert options.countries == ("DE", "IT", "US")
    assert options.first_day == dt.date(2025, 12, 20) and options.last_day == dt.date(2026, 3, 20)


CALLS = {
    "filter_options": lambda db, who: analytics.filter_options(db, who),
    "insights": lambda db, who: analytics.insights(db, who, Q1),
    "figures": lambda db, who: analytics.figures(db, who, Q1),
    "comments": lambda db, who: analytics.comments(db, who, Q1),
    "answers_csv": lambda db, who: analytics.answers_csv(db, who, Q1, "en"),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("who", ["alice", None])
def test_only_admins_may_read_the_insights(db, shop, call, who):
    with pytest.raises(NotAuthorized):
        call(db, shop[who] if who else None)


def test_a_real_cancellation_counts_and_still_counts_after_the_purge(db, shop):
    """Through the real flow and the real lifecycle: the answer outlives the account."""
    solo = factories.plan(db, "solo", 4900)
    made = factories.customer(db, "carla@example.com", solo, now=NOW, company="Carla Srl")
    carla = auth.sign_in(db, "carla@example.com", factories.PASSWORD, now=NOW).user
    flow = cancellation.start(db, carla, now=NOW)
    cancellation.answer_survey(
        db,
        carla,
        flow.flow_id,
        Survey("switching_tool", "Rival", "Carla Srl was happy", 4),
        now=NOW,
    )
    cancellation.go_on(db, carla, flow.flow_id, now=NOW)
    done = cancellation.confirm(db, carla, flow.flow_id, ALL_CONSENTS, now=NOW)
    today = Filters(NOW.date(), NOW.date())
    before = analytics.insights(db, shop["boss"], today)
    assert (before.figures.started, before.figures.completed) == (1, 1)
    assert before.figures.revenue_lost_cents == 4900
    assert before.reasons == (("switching_tool", 1),)

    lifecycle.run(db, done.dates.data_deleted_on)
    with db.transaction() as s:
        assert (
            s.scalar(select(CancellationFlow.account_id).where(CancellationFlow.id == flow.flow_id))
            is None
        )
    after = analytics.insights(db, shop["boss"], today)
    assert after.figures == before.figures and after.reasons == before.reasons
    [comment] = analytics.comments(db, shop["boss"], today).rows
    assert "Carla" not in comment.comment  # anonymised by the purge, still listed
    assert made.account_id is not None


def test_an_undo_moves_a_flow_from_completed_to_undone(db, shop):
    with db.transaction() as s:
        s.execute(
            update(CancellationFlow).where(CancellationFlow.id == "f1").values(outcome="undone")
        )
    fig = analytics.insights(db, shop["boss"], Q1).figures
    assert (fig.completed, fig.undone) == (1, 2)
    assert fig.revenue_lost_cents == 9900
    assert fig.save_rate == pytest.approx(3 / 4)
