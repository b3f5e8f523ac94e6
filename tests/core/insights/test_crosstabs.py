"""Churn insights' cross-tabs (survey reasons by plan and by tenure band, revenue lost by
reason), the drill-down to the flows behind a figure, and the comments by outcome: checked
against a small fixture worked out by hand below, on SQLite (and PostgreSQL when configured).
The drill-down's totals equal the figures they drill from."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select, update

from core import support_desk
from core.identity import auth
from core.insights import analytics
from core.insights.analytics import NO_REASON, Drill, Filters, ReasonLoss
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.insight_tables import InsightReason
from core.platform.models import CancellationFlow, SurveyAnswer
from core.retention import cancellation
from core.retention.cancellation import ALL_CONSENTS, Survey
from tests.support import factories
from tests.support.env import NOW, head
from tests.support.retention_totals import assert_retention_totals_hold


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}:00+00:00")


# Ten flows; nine start in the first quarter of 2026 ("Q1"). Accounts: "alpha", "beta", or
# None for a purged one (its flows stay, anonymous).
# (id, started, plan, country, tenure, monthly revenue, outcome, account)
FLOWS = [
    ("g0", at("2025-12-20"), "growth", "IT", "1-2y", 24900, "completed", "alpha"),
    ("g1", at("2026-01-05"), "growth", "IT", "1-2y", 24900, "completed", "alpha"),
    ("g2", at("2026-01-20", "18:00"), "starter", "US", "<6m", 9900, "completed", None),
    ("g3", at("2026-02-03"), "growth", "IT", "6-12m", 24900, "saved_kept", "beta"),
    ("g4", at("2026-02-10"), "pro", "DE", "2y+", 49900, "completed", None),
    ("g5", at("2026-02-15", "23:30"), "growth", "DE", "1-2y", 24900, "abandoned", "alpha"),
    ("g6", at("2026-03-02"), "starter", "IT", "<6m", 9900, "undone", "beta"),
    ("g7", at("2026-03-10"), "pro", "US", "1-2y", 49900, "completed", "alpha"),
    ("g8", at("2026-03-20"), "growth", "IT", "6-12m", 24900, "open", "beta"),
    ("g9", at("2026-03-25"), "growth", "IT", "1-2y", 24900, "completed", "alpha"),
]
# survey: (skipped, reason, follow_up, comment); g8 and g9 never answered nor skipped it
ANSWERS = {
    "g0": (False, "other", "", "Old one"),
    "g1": (False, "too_expensive", "", "Too pricey for us"),
    "g2": (True, None, "", ""),
    "g3": (False, "missing_features", "TikTok reports", ""),
    "g4": (False, "too_expensive", "", "Ci ripenso"),
    "g5": (False, "not_using", "", ""),
    "g6": (False, "too_expensive", "", "Changed my mind"),
    "g7": (False, "missing_features", "CSV export", "Sad to go\nreally"),
}
Q1 = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
COMPANIES = {"alpha": "Alpha Srl", "beta": "Beta GmbH"}


@pytest.fixture
def shop(db: Database) -> dict:
    growth = factories.plan(db, "growth", 24900)
    factories.plan(db, "starter", 9900)
    factories.plan(db, "pro", 49900)
    accounts = {
        who: factories.customer(db, f"{who}@example.com", growth, now=NOW, company=company)
        for who, company in COMPANIES.items()
    }
    factories.admin(db, "boss@example.com", now=NOW)
    with db.transaction() as s:
        for fid, started, plan, country, tenure, revenue, outcome, who in FLOWS:
            skipped, reason, _follow_up, _comment = ANSWERS.get(fid, (None, None, "", ""))
            s.add(
                CancellationFlow(
                    id=fid,
                    account_id=accounts[who].account_id if who else None,
                    started_at=started,
                    finished_at=None if outcome == "open" else started + dt.timedelta(minutes=5),
                    effective_on=dt.date(2026, 4, 30) if outcome == "completed" else None,
                    outcome=outcome,
                    plan_code=plan,
                    country=country,
                    tenure_band=tenure,
                    monthly_revenue_cents=revenue,
                    survey={None: "none", True: "skipped", False: "answered"}[skipped],
                    reason=reason,
                )
            )
        s.flush()
        for fid, started, plan, country, tenure, *_ in FLOWS:
            if fid in ANSWERS:
                skipped, reason, follow_up, comment = ANSWERS[fid]
                s.add(
                    SurveyAnswer(
                        flow_id=fid,
                        answered_at=started + dt.timedelta(minutes=1),
                        skipped=skipped,
                        reason=reason,
                        follow_up=follow_up,
                        comment=comment,
                        flow_started_at=started,
                        plan_code=plan,
                        country=country,
                        tenure_band=tenure,
                    )
                )
    return {
        who: auth.sign_in(db, f"{who}@example.com", factories.PASSWORD, now=NOW).user
        for who in ("alpha", "boss")
    }


def cells(tab: analytics.CrossTab) -> dict[tuple[str, str], int]:
    return {
        (row, column): tab.counts[i][j]
        for i, row in enumerate(tab.rows)
        for j, column in enumerate(tab.columns)
    }


# --- cross-tabs ------------------------------------------------------------------------------


def test_reasons_by_plan_and_by_tenure_band_in_the_first_quarter(db, shop):
    tabs = analytics.crosstabs(db, shop["boss"], Q1)
    by_plan = tabs.reason_by_plan
    # cheapest plan first; the reasons named in Q1, in REASONS order ("other" is g0's: December)
    assert by_plan.rows == ("starter", "growth", "pro")
    assert by_plan.labels == ("Starter", "Growth", "Pro")
    assert by_plan.columns == ("too_expensive", "missing_features", "not_using")
    assert by_plan.counts == (
        (1, 0, 0),  # g6 (undone: an answered survey all the same); g2 skipped
        (1, 1, 1),  # g1, g3, g5; g8 and g9 never reached the survey
        (1, 1, 0),  # g4 (its account purged), g7
    )
    assert [by_plan.row_total(i) for i in range(3)] == [1, 3, 2]
    assert by_plan.share(0, 0) == 1.0
    assert by_plan.share(1, 2) == pytest.approx(1 / 3)
    assert by_plan.share(2, 0) == by_plan.share(2, 1) == 0.5 and by_plan.share(2, 2) == 0.0

    by_band = tabs.reason_by_tenure
    assert by_band.rows == by_band.labels == ("<6m", "6-12m", "1-2y", "2y+")
    assert by_band.columns == by_plan.columns
    assert by_band.counts == (
        (1, 0, 0),  # g6
        (0, 1, 0),  # g3 (g8: no survey)
        (1, 1, 1),  # g1, g7, g5 (g9: no survey)
        (1, 0, 0),  # g4, purged
    )
    assert by_band.share(2, 1) == pytest.approx(1 / 3)


def test_a_row_without_answers_has_no_shares(db, shop):
    # in March: starter g6 answered, growth g8 and g9 did not, pro g7 answered
    march = Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    by_plan = analytics.crosstabs(db, shop["boss"], march).reason_by_plan
    assert by_plan.rows == ("starter", "growth", "pro")
    assert by_plan.columns == ("too_expensive", "missing_features")
    assert by_plan.counts == ((1, 0), (0, 0), (0, 1))
    assert by_plan.row_total(1) == 0 and by_plan.share(1, 0) is None


def test_revenue_lost_by_reason(db, shop):
    boss = shop["boss"]
    assert analytics.crosstabs(db, boss, Q1).lost_by_reason == (
        ReasonLoss("too_expensive", 2, 24900 + 49900),  # g1, g4 (purged, still counted)
        ReasonLoss("missing_features", 1, 49900),  # g7
        ReasonLoss(None, 2, 9900 + 24900),  # g2 skipped the survey, g9 never saw it
    )  # g6 was undone: not lost
    everything = analytics.crosstabs(db, boss, Filters()).lost_by_reason
    assert everything[-1] == ReasonLoss("other", 1, 24900)  # g0, in December
    assert sum(r.revenue_lost_cents for r in everything) == (
        analytics.figures(db, boss, Filters()).revenue_lost_cents
    )
    germany = analytics.crosstabs(db, boss, Filters(Q1.start, Q1.end, countries=("DE",)))
    assert germany.lost_by_reason == (ReasonLoss("too_expensive", 1, 49900),)  # g4
    assert germany.reason_by_plan.rows == ("growth", "pro")  # g5, g4


def test_after_an_undo_the_revenue_lost_moves_out(db, shop):
    with db.transaction() as s:  # support undid g4's cancellation
        s.execute(
            update(CancellationFlow).where(CancellationFlow.id == "g4").values(outcome="undone")
        )
    tabs = analytics.crosstabs(db, shop["boss"], Q1)
    assert tabs.lost_by_reason == (
        ReasonLoss("missing_features", 1, 49900),
        ReasonLoss(None, 2, 34800),
        ReasonLoss("too_expensive", 1, 24900),  # g1 alone now
    )
    assert tabs.reason_by_plan.counts[2] == (1, 1, 0)  # g4 still answered "too expensive"
    assert_retention_totals_hold(db)


def test_a_real_cancellation_undone_by_support_leaves_the_revenue_lost(db, shop):
    """Through the real flow and the support desk: the cancellation is lost revenue under its
    reason, and the drill-down finds it; once support undoes it, neither."""
    solo = factories.plan(db, "solo", 4900)
    made = factories.customer(db, "carla@example.com", solo, now=NOW, company="Carla Srl")
    carla = auth.sign_in(db, "carla@example.com", factories.PASSWORD, now=NOW).user
    flow = cancellation.start(db, carla, now=NOW).flow_id
    cancellation.answer_survey(db, carla, flow, Survey("switching_tool", "Rival", "", 4), now=NOW)
    cancellation.go_on(db, carla, flow, now=NOW)
    cancellation.confirm(db, carla, flow, ALL_CONSENTS, now=NOW)
    boss, today = shop["boss"], Filters(NOW.date(), NOW.date())
    lost = Drill(("completed",), "switching_tool")
    assert analytics.crosstabs(db, boss, today).lost_by_reason == (
        ReasonLoss("switching_tool", 1, 4900),
    )
    [row] = analytics.flows_behind(db, boss, today, lost).rows
    assert (row.flow_id, row.company, row.comment) == (flow, "Carla Srl", "Rival")

    support_desk.undo(db, boss, made.account_id, now=NOW + dt.timedelta(hours=1))
    tabs = analytics.crosstabs(db, boss, today)
    assert tabs.lost_by_reason == ()
    assert analytics.flows_behind(db, boss, today, lost).total == 0
    # the answer still counts in the cross-tab: the survey was answered all the same
    assert cells(tabs.reason_by_plan) == {("solo", "switching_tool"): 1}
    [undone] = analytics.flows_behind(db, boss, today, Drill(("undone",))).rows
    assert undone.flow_id == flow
    assert_retention_totals_hold(db)


def test_nothing_in_scope_gives_empty_tables(db, shop):
    for filters in (Filters(countries=("JP",)), Filters(dt.date(2031, 1, 1), dt.date(2031, 2, 1))):
        tabs = analytics.crosstabs(db, shop["boss"], filters)
        assert tabs.reason_by_plan.rows == tabs.reason_by_tenure.rows == ()
        assert tabs.lost_by_reason == ()


# --- drill-down ------------------------------------------------------------------------------


def test_the_flows_behind_a_figure_newest_first_with_their_company_and_comment(db, shop):
    boss = shop["boss"]
    found = analytics.flows_behind(db, boss, Q1, Drill(outcomes=("completed",)))
    assert found.total == analytics.figures(db, boss, Q1).completed == 5
    assert [r.flow_id for r in found.rows] == ["g9", "g7", "g4", "g2", "g1"]
    assert (found.page, found.page_size, found.pages) == (0, analytics.DRILL_PAGE, 1)
    g9, g7, g4, g2, _g1 = found.rows
    assert (g7.company, g7.plan_code, g7.country, g7.tenure_band) == (
        "Alpha Srl",
        "pro",
        "US",
        "1-2y",
    )
    assert (g7.reason, g7.outcome, g7.monthly_revenue_cents) == (
        "missing_features",
        "completed",
        49900,
    )
    assert g7.started_at == at("2026-03-10") and g7.finished_at == at("2026-03-10", "10:05")
    assert g7.effective_on == dt.date(2026, 4, 30)
    assert g7.comment == "CSV export\nSad to go\nreally"  # the follow-up and the comment, whole
    assert (g4.account_id, g4.company, g4.comment) == (None, "", "Ci ripenso")  # purged
    assert (g2.company, g2.reason, g2.comment) == ("", None, "")  # purged, skipped the survey
    assert (g9.reason, g9.comment) == (None, "")  # never reached the survey


def test_every_cross_tab_cell_and_reason_drills_to_as_many_flows(db, shop):
    boss = shop["boss"]
    for filters in (Q1, Filters(), Filters(Q1.start, Q1.end, countries=("IT", "US"))):
        tabs = analytics.crosstabs(db, boss, filters)
        checked = 0
        for (plan, reason), n in cells(tabs.reason_by_plan).items():
            drill = Drill(reason=reason, plan=plan)
            assert analytics.flows_behind(db, boss, filters, drill).total == n, (plan, reason)
            checked += n
        for (band, reason), n in cells(tabs.reason_by_tenure).items():
            drill = Drill(reason=reason, tenure=band)
            assert analytics.flows_behind(db, boss, filters, drill).total == n, (band, reason)
        for loss in tabs.lost_by_reason:
            drill = Drill(("completed",), NO_REASON if loss.reason is None else loss.reason)
            behind = analytics.flows_behind(db, boss, filters, drill, page_size=100)
            assert behind.total == loss.completed
            assert sum(r.monthly_revenue_cents for r in behind.rows) == loss.revenue_lost_cents
        fig = analytics.figures(db, boss, filters)
        assert checked == fig.answered > 0
        assert analytics.flows_behind(db, boss, filters).total == fig.started
        saved = analytics.flows_behind(db, boss, filters, Drill(analytics.SAVED))
        assert saved.total == fig.saved


def expected_ids(filters: Filters, drill: Drill) -> list[str]:
    """The flows a drill must find, newest first, worked out from FLOWS and ANSWERS."""
    found = []
    for fid, started, plan, country, tenure, _revenue, outcome, _who in FLOWS:
        skipped, reason, *_ = ANSWERS.get(fid, (None, None))
        named = reason if skipped is False else None
        day = started.date()
        if (
            (filters.start is None or day >= filters.start)
            and (filters.end is None or day <= filters.end)
            and all(
                (not chosen or value in chosen) and (one is None or value == one)
                for value, chosen, one in (
                    (plan, filters.plans, drill.plan),
                    (country, filters.countries, drill.country),
                    (tenure, filters.tenures, drill.tenure),
                )
            )
            and (not drill.outcomes or outcome in drill.outcomes)
            and (drill.reason is None or (named or NO_REASON) == drill.reason)
        ):
            found.append((started, fid))
    return [fid for _started, fid in sorted(found, key=lambda f: (-f[0].timestamp(), f[1]))]


def test_every_drill_finds_the_flows_a_count_by_hand_finds(db, shop):
    """Every mix of outcomes, reason, plan and country, under three filters: the total (from
    the running totals where they keep that count, else counted) and the rows are the flows."""
    boss = shop["boss"]
    outcome_sets = [(), ("completed",), ("open",), ("open", "completed"), analytics.SAVED]
    outcome_sets.append(("undone", "abandoned"))
    tried = 0
    for filters in (Q1, Filters(), Filters(Q1.start, Q1.end, countries=("IT", "US"))):
        for outcomes in outcome_sets:
            for reason in (None, NO_REASON, "too_expensive", "missing_features"):
                for plan, country in ((None, None), ("growth", None), ("pro", "US"), (None, "DE")):
                    drill = Drill(outcomes, reason, plan, None, country)
                    got = analytics.flows_behind(db, boss, filters, drill, page_size=200)
                    want = expected_ids(filters, drill)
                    assert [r.flow_id for r in got.rows] == want, (filters, drill)
                    assert got.total == len(want), (filters, drill)
                    tried += bool(want)
    assert tried > 100


def test_a_drill_narrows_within_the_filters(db, shop):
    boss = shop["boss"]
    # the filters hold IT and US; the drill asks for Germany: nothing
    it_us = Filters(Q1.start, Q1.end, countries=("IT", "US"))
    assert analytics.flows_behind(db, boss, it_us, Drill(country="DE")).total == 0
    germany = analytics.flows_behind(db, boss, Q1, Drill(country="DE"))
    assert [r.flow_id for r in germany.rows] == ["g5", "g4"]
    no_reason = analytics.flows_behind(db, boss, Q1, Drill(reason=NO_REASON))
    assert [r.flow_id for r in no_reason.rows] == ["g9", "g8", "g2"]  # never reached, skipped


def test_pages_hold_the_rest_without_repeats(db, shop):
    boss = shop["boss"]
    pages = [analytics.flows_behind(db, boss, Q1, page=n, page_size=4) for n in range(4)]
    assert [len(p.rows) for p in pages] == [4, 4, 1, 0]  # past the last page: nothing
    assert {p.total for p in pages} == {9} and pages[0].pages == 3
    ids = [r.flow_id for p in pages for r in p.rows]
    assert ids == ["g9", "g8", "g7", "g6", "g5", "g4", "g3", "g2", "g1"]
    with db.transaction() as s:  # two flows started at the same moment keep one order
        s.execute(
            update(CancellationFlow)
            .where(CancellationFlow.id.in_(("g3", "g5", "g6")))
            .values(started_at=at("2026-02-20"))
        )
    pages = [analytics.flows_behind(db, boss, Q1, page=n, page_size=2) for n in range(5)]
    ids = [r.flow_id for p in pages for r in p.rows]
    assert ids == ["g9", "g8", "g7", "g3", "g5", "g6", "g4", "g2", "g1"]


# --- comments by outcome ---------------------------------------------------------------------


def test_comments_by_outcome(db, shop):
    boss = shop["boss"]
    assert analytics.comments(db, boss, Q1).total == 5  # g1, g3, g4, g6, g7
    done = analytics.comments(db, boss, Q1, outcomes=("completed",))
    assert done.total == 3
    assert [c.comment for c in done.rows] == [
        "Sad to go\nreally",
        "Ci ripenso",
        "Too pricey for us",
    ]
    assert {c.outcome for c in done.rows} == {"completed"}
    undone = analytics.comments(db, boss, Q1, outcomes=("undone",))
    assert [(c.comment, c.outcome) for c in undone.rows] == [("Changed my mind", "undone")]
    saved = analytics.comments(db, boss, Q1, outcomes=analytics.SAVED)
    assert [c.follow_up for c in saved.rows] == ["TikTok reports"]
    both = analytics.comments(db, boss, Q1, reasons=("too_expensive",), outcomes=("completed",))
    assert both.total == 2 and len(both.rows) == 2  # g4, g1 (g6 was undone)
    assert analytics.comments(db, boss, Q1, "pricey", outcomes=("completed",)).total == 1
    assert analytics.comments(db, boss, Q1, outcomes=("open", "abandoned")).total == 0


def test_comments_by_outcome_are_counted_up_to_a_cap_and_say_there_are_more(db, shop, monkeypatch):
    """A million answers joined to their flows are not counted whole: past the cap the page
    says "more than"; under it the count is exact and the rows the same."""
    from core.insights import comments as module

    boss = shop["boss"]
    monkeypatch.setattr(module, "COUNT_CAP", 2)
    done = analytics.comments(db, boss, Q1, outcomes=("completed",))
    assert (done.total, done.capped) == (2, True)
    assert [c.comment for c in done.rows] == [
        "Sad to go\nreally",
        "Ci ripenso",
        "Too pricey for us",
    ]
    monkeypatch.setattr(module, "COUNT_CAP", 3)
    exact = analytics.comments(db, boss, Q1, outcomes=("completed",))
    assert (exact.total, exact.capped) == (3, False)
    assert exact.rows == done.rows
    assert analytics.comments(db, boss, Q1, outcomes=("completed",), limit=1).rows == done.rows[:1]


# --- bad input and who may ask ---------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda db, boss: analytics.flows_behind(db, boss, Q1, Drill(outcomes=("gone",))),
        lambda db, boss: analytics.flows_behind(db, boss, Q1, Drill(outcomes="completed")),
        lambda db, boss: analytics.flows_behind(db, boss, Q1, Drill(reason="hates_us")),
        lambda db, boss: analytics.flows_behind(db, boss, Q1, Drill(tenure="forever")),
        lambda db, boss: analytics.flows_behind(db, boss, Q1, Drill(plan="pro\x00")),
        lambda db, boss: analytics.flows_behind(db, boss, Q1, page=-1),
        lambda db, boss: analytics.flows_behind(db, boss, Q1, page_size=0),
        lambda db, boss: analytics.flows_behind(db, boss, Q1, page_size=100_000),
        lambda db, boss: analytics.flows_behind(db, boss, Filters(Q1.end, Q1.start)),
        lambda db, boss: analytics.crosstabs(db, boss, Filters(Q1.end, Q1.start)),
        lambda db, boss: analytics.crosstabs(db, boss, Filters(tenures=("forever",))),
        lambda db, boss: analytics.comments(db, boss, Q1, outcomes=("gone",)),
        lambda db, boss: analytics.comments(db, boss, Q1, outcomes="completed"),
    ],
)
def test_bad_input_is_refused(db, shop, call):
    with pytest.raises(InvalidInput):
        call(db, shop["boss"])


@pytest.mark.parametrize(
    "call",
    [
        lambda db, who: analytics.crosstabs(db, who, Q1),
        lambda db, who: analytics.flows_behind(db, who, Q1),
        lambda db, who: analytics.comments(db, who, Q1, outcomes=("completed",)),
    ],
)
@pytest.mark.parametrize("who", ["alpha", None])
def test_only_admins_may_drill_down(db, shop, call, who):
    with pytest.raises(NotAuthorized):
        call(db, shop[who] if who else None)


# --- migration 0010 --------------------------------------------------------------------------


def test_the_migration_adds_up_the_completed_flows_on_record_and_goes_back(db, shop):
    """Down to 0009: the table and its trigger go (a flow can still be written); up again: the
    flows on record are added up, and the trigger counts what is written next."""
    from alembic import command

    from core.platform.db import _alembic_config, current_revision, migrate

    command.downgrade(_alembic_config(db), "0009")
    assert current_revision(db) == "0009"
    assert "insight_reasons" not in inspect(db.engine).get_table_names()
    with db.transaction() as s:  # no trigger left writing to a table that is gone
        s.execute(
            update(CancellationFlow).where(CancellationFlow.id == "g6").values(outcome="completed")
        )
    db.engine.dispose()
    migrate(db)
    assert current_revision(db) == head()
    with db.transaction() as s:
        months = s.execute(
            select(InsightReason.reason, InsightReason.completed, InsightReason.revenue_lost_cents)
            .where(InsightReason.grain == "m", InsightReason.country == "*")
            .order_by(InsightReason.period, InsightReason.plan_code, InsightReason.reason)
        ).all()
    assert months == [
        ("other", 1, 24900),  # g0, December
        ("too_expensive", 1, 24900),  # g1, January, growth
        ("", 1, 9900),  # g2, January, starter
        ("too_expensive", 1, 49900),  # g4, February
        ("", 1, 24900),  # g9, March, growth
        ("missing_features", 1, 49900),  # g7, March, pro
        ("too_expensive", 1, 9900),  # g6, March, starter: completed while there was no trigger
    ]
    assert_retention_totals_hold(db)
    with db.transaction() as s:
        s.execute(
            update(CancellationFlow).where(CancellationFlow.id == "g9").values(outcome="undone")
        )
    assert_retention_totals_hold(db)
    lost = analytics.crosstabs(db, shop["boss"], Q1).lost_by_reason
    assert lost == (
        ReasonLoss("too_expensive", 3, 24900 + 49900 + 9900),
        ReasonLoss("missing_features", 1, 49900),
        ReasonLoss(None, 1, 9900),
    )
