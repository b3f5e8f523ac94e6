"""Experiments on the retention playbook through `core`, on SQLite and PostgreSQL: created
only with a valid split of published versions, one running at a time, audited, admins only;
and their results counted from hand-made flows, figure by figure."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid

import pytest
from sqlalchemy import select

from core.platform import i18n
from core.platform.errors import InvalidInput, NotAuthorized, NotFound
from core.platform.models import AuditEntry, CancellationFlow, Experiment
from core.retention import experiments, playbook
from core.retention.experiments import ExperimentInvalid, Variant
from core.rules.offers import Offer, Playbook, Rule
from core.rules.vocabulary import ACTION_EXPERIMENT_STARTED, ACTION_EXPERIMENT_STOPPED
from tests.support import factories
from tests.support.env import NOW

PAUSE = Offer(
    key="pause_1",
    kind="pause",
    cycles=1,
    title={"en": "Take a break", "it": "Sospendi l'abbonamento"},
)
DISCOUNT = Offer(
    key="third_off",
    kind="discount",
    cycles=2,
    percent=30,
    title={"en": "30% off", "it": "Sconto del 30%"},
)
PAUSING = Playbook(offers=(PAUSE,), rules=(Rule(reason="*", offers=("pause_1",)),))
DISCOUNTING = Playbook(offers=(DISCOUNT,), rules=(Rule(reason="*", offers=("third_off",)),))
HALVES = [Variant("pause", 1, 50), Variant("discount", 2, 50)]


@pytest.fixture
def shop(db):
    """Alice, Bob and the admin; versions 1 (a pause) and 2 (a discount) published, version 3
    (a pause) a draft."""
    made = factories.shop(db, now=NOW, with_bob=True)
    boss = made[1]["boss"]
    for book in (PAUSING, DISCOUNTING):
        number = playbook.save_draft(db, boss, book, now=NOW).number
        playbook.publish(db, boss, number, now=NOW)
    playbook.save_draft(db, boss, PAUSING, now=NOW)
    return made


def stored(db) -> tuple:
    with db.transaction() as s:
        rows = s.execute(
            select(
                Experiment.name, Experiment.variants, Experiment.started_at, Experiment.stopped_at
            ).order_by(Experiment.id)
        ).all()
        entries = s.execute(select(AuditEntry.action, AuditEntry.after).order_by(AuditEntry.id))
        return tuple(map(tuple, rows)), tuple(map(tuple, entries.all()))


# --- creating --------------------------------------------------------------------------------


def test_an_experiment_is_created_not_started(db, shop):
    _, users = shop
    made = experiments.create(
        db,
        users["boss"],
        "  Pause or discount  ",
        [Variant(" pause ", 1, 50), Variant("discount", 2, 50)],
        now=NOW,
    )
    assert made.name == "Pause or discount"
    assert made.variants == tuple(HALVES)  # names trimmed
    assert (made.created_at, made.started_at, made.stopped_at) == (NOW, None, None)
    assert not made.running
    assert experiments.experiments(db, users["boss"]) == [made]
    with db.transaction() as s:
        assert experiments.running(s, NOW) is None


BAD = {
    "a split adding up to 90": (
        "x",
        [Variant("a", 1, 50), Variant("b", 2, 40)],
        ["experiment.error.total"],
    ),
    "a split adding up to 110": (
        "x",
        [Variant("a", 1, 60), Variant("b", 2, 50)],
        ["experiment.error.total"],
    ),
    "one variant": (
        "x",
        [Variant("a", 1, 100)],
        ["experiment.error.variants", "experiment.error.share"],
    ),
    "five variants": (
        "x",
        [Variant(n, 1, 20) for n in "abcde"],
        ["experiment.error.variants"],
    ),
    "two variants of one name": (
        "x",
        [Variant("a", 1, 50), Variant("a ", 2, 50)],
        ["experiment.error.names"],
    ),
    "a draft version": (
        "x",
        [Variant("a", 1, 50), Variant("b", 3, 50)],
        ["experiment.error.version"],
    ),
    "a version that does not exist": (
        "x",
        [Variant("a", 9, 50), Variant("b", 2, 50)],
        ["experiment.error.version"],
    ),
    "no name": ("   ", HALVES, ["experiment.error.name"]),
    "a name too long": ("x" * 121, HALVES, ["experiment.error.name"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiments_are_refused_with_their_message_and_change_nothing(db, shop, case):
    _, users = shop
    name, variants, keys = BAD[case]
    before = stored(db)
    with pytest.raises(ExperimentInvalid) as refused:
        experiments.create(db, users["boss"], name, variants, now=NOW)
    assert isinstance(refused.value, InvalidInput)
    assert [p.key for p in refused.value.problems] == keys
    assert refused.value.key == keys[0]
    for lang in ("en", "it"):
        text = i18n.t(refused.value.key, lang, **refused.value.params)
        assert text and "{" not in text
    assert stored(db) == before


def test_the_messages_say_what_is_wrong(db, shop):
    _, users = shop
    with pytest.raises(ExperimentInvalid) as refused:
        experiments.create(db, users["boss"], "x", [Variant("a", 1, 50), Variant("b", 2, 40)])
    assert i18n.t(refused.value.key, "en", **refused.value.params) == (
        "The variants' shares add up to 90%: they must add up to 100%."
    )
    with pytest.raises(ExperimentInvalid) as refused:
        experiments.create(db, users["boss"], "x", [Variant("a", 1, 50), Variant("b", 3, 50)])
    assert i18n.t(refused.value.key, "it", **refused.value.params) == (
        "Variante b: la versione 3 non è una versione pubblicata del playbook."
    )


def test_a_name_of_120_characters_is_fine(db, shop):
    _, users = shop
    made = experiments.create(db, users["boss"], "n" * 120, HALVES, now=NOW)
    assert made.name == "n" * 120


# --- starting and stopping -------------------------------------------------------------------


def test_start_and_stop_are_audited(db, shop):
    _, users = shop
    boss = users["boss"]
    made = experiments.create(db, boss, "Pause or discount", HALVES, now=NOW)
    started = experiments.start(db, boss, made.id, now=NOW + dt.timedelta(hours=1))
    assert started.running and started.started_at == NOW + dt.timedelta(hours=1)
    with db.transaction() as s:
        assert experiments.running(s, NOW) == started
    stopped = experiments.stop(db, boss, made.id, now=NOW + dt.timedelta(days=3))
    assert not stopped.running and stopped.stopped_at == NOW + dt.timedelta(days=3)
    with db.transaction() as s:
        assert experiments.running(s, NOW + dt.timedelta(days=4)) is None
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        mine = [e for e in entries if e.action.startswith("experiment_")]
    assert [(e.action, e.actor, e.account_id) for e in mine] == [
        (ACTION_EXPERIMENT_STARTED, "boss@example.com", None),
        (ACTION_EXPERIMENT_STOPPED, "boss@example.com", None),
    ]
    assert json.loads(mine[0].after) == {
        "experiment": "Pause or discount",
        "variants": "pause: v1 50%, discount: v2 50%",
    }
    assert mine[1].at == NOW + dt.timedelta(days=3)


def test_only_one_experiment_runs_at_a_time(db, shop):
    _, users = shop
    boss = users["boss"]
    first = experiments.create(db, boss, "First", HALVES, now=NOW)
    second = experiments.create(db, boss, "Second", HALVES, now=NOW)
    experiments.start(db, boss, first.id, now=NOW)
    before = stored(db)
    with pytest.raises(InvalidInput) as refused:
        experiments.start(db, boss, second.id, now=NOW)
    assert refused.value.key == "experiment.error.another_running"
    assert i18n.t(refused.value.key, "en", **refused.value.params) == (
        "The experiment “First” is running: stop it before starting another."
    )
    with pytest.raises(InvalidInput) as again:
        experiments.start(db, boss, first.id, now=NOW)
    assert again.value.key == "experiment.error.already_running"
    with pytest.raises(InvalidInput) as idle:
        experiments.stop(db, boss, second.id, now=NOW)
    assert idle.value.key == "experiment.error.not_running"
    assert stored(db) == before
    # once the first is stopped the second may start; the first may not start again
    experiments.stop(db, boss, first.id, now=NOW + dt.timedelta(days=1))
    experiments.start(db, boss, second.id, now=NOW + dt.timedelta(days=1))
    with pytest.raises(InvalidInput) as over:
        experiments.start(db, boss, first.id, now=NOW + dt.timedelta(days=2))
    assert over.value.key == "experiment.error.stopped"
    assert [e.name for e in experiments.experiments(db, boss)] == ["Second", "First"]


def test_two_admins_starting_two_experiments_at_once_start_only_one(db, shop):
    _, users = shop
    boss = users["boss"]
    ids = [experiments.create(db, boss, f"E{i}", HALVES, now=NOW).id for i in range(4)]
    gate = threading.Barrier(len(ids))
    outcomes: list[str] = []

    def start(experiment_id: int) -> None:
        gate.wait()
        try:
            experiments.start(db, boss, experiment_id, now=NOW)
            outcomes.append("started")
        except InvalidInput as exc:
            outcomes.append(exc.key)

    threads = [threading.Thread(target=start, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["experiment.error.another_running"] * 3 + ["started"]
    assert sum(e.running for e in experiments.experiments(db, boss)) == 1


def test_unknown_experiments_are_not_found(db, shop):
    _, users = shop
    for call in (experiments.start, experiments.stop, experiments.results):
        with pytest.raises(NotFound) as missing:
            call(db, users["boss"], 404)
        assert missing.value.key == "experiment.error.not_found"


@pytest.mark.parametrize("who", ["alice", "bob", None])
def test_only_admins_run_experiments(db, shop, who):
    _, users = shop
    made = experiments.create(db, users["boss"], "Pause or discount", HALVES, now=NOW)
    actor = users[who] if who else None
    before = stored(db)
    calls = [
        lambda: experiments.create(db, actor, "Mine", HALVES, now=NOW),
        lambda: experiments.start(db, actor, made.id, now=NOW),
        lambda: experiments.stop(db, actor, made.id, now=NOW),
        lambda: experiments.experiments(db, actor),
        lambda: experiments.results(db, actor, made.id, now=NOW),
    ]
    for call in calls:
        with pytest.raises(NotAuthorized):
            call()
    assert stored(db) == before


# --- results ---------------------------------------------------------------------------------

START = NOW - dt.timedelta(days=10)


def add_flows(db, variant, at, outcome, count, *, kind=None, revenue=24900):
    with db.transaction() as s:
        for i in range(count):
            s.add(
                CancellationFlow(
                    id=str(uuid.uuid4()),
                    started_at=at + dt.timedelta(minutes=i),
                    finished_at=None if outcome == "open" else at + dt.timedelta(minutes=i + 5),
                    outcome=outcome,
                    plan_code="growth",
                    country="IT",
                    tenure_band="1-2y",
                    monthly_revenue_cents=revenue,
                    playbook_version=1,
                    variant=variant,
                    offer_kind=kind,
                )
            )


def hand_made_flows(db) -> None:
    """Variant "pause": 40 flows, 16 saved (10 kept, 6 paused); "discount": 40 flows, 26
    saved (4 kept, 20 discounts, 2 downgrades); around them flows that must not count."""
    day = START + dt.timedelta(days=1)
    add_flows(db, "pause", day, "saved_kept", 10, revenue=24900)
    add_flows(db, "pause", day, "saved_offer", 6, kind="pause", revenue=9800)
    add_flows(db, "pause", day, "completed", 24)
    add_flows(db, "discount", day, "saved_kept", 4, revenue=24900)
    add_flows(db, "discount", day, "saved_offer", 20, kind="discount", revenue=9800)
    add_flows(db, "discount", day, "saved_offer", 2, kind="downgrade", revenue=9800)
    add_flows(db, "discount", day, "completed", 10)
    add_flows(db, "discount", day, "abandoned", 3)
    add_flows(db, "discount", day, "open", 1)
    # not counted: before the start, after the stop, another experiment's variant, no variant
    add_flows(db, "pause", START - dt.timedelta(minutes=30), "saved_kept", 5)
    add_flows(db, "discount", NOW + dt.timedelta(hours=1), "saved_kept", 5)
    add_flows(db, "other", day, "saved_kept", 5)
    add_flows(db, None, day, "saved_kept", 5)


def test_results_count_each_variants_flows_saves_rate_interval_and_revenue(db, shop):
    _, users = shop
    boss = users["boss"]
    made = experiments.create(db, boss, "Pause or discount", HALVES, now=START)
    experiments.start(db, boss, made.id, now=START)
    experiments.stop(db, boss, made.id, now=NOW)
    hand_made_flows(db)
    got = experiments.results(db, boss, made.id, now=NOW + dt.timedelta(days=5))
    assert got.experiment.name == "Pause or discount"
    pause, discount = got.variants
    assert (pause.name, pause.version, pause.share) == ("pause", 1, 50)
    assert (pause.flows, pause.saves) == (40, 16)
    assert pause.saves_by_kind == {
        "kept": 10,
        "custom_plan": 0,
        "pause": 6,
        "discount": 0,
        "downgrade": 0,
    }
    assert pause.save_rate == pytest.approx(0.4)
    # Wilson, 16 of 40 by hand: p = 0.4; z²/n = 0.09604, denominator 1.09604; centre =
    # (0.4 + 0.04802) / 1.09604 = 0.40877; p(1-p)/n = 0.006 and z²/4n² = 0.0006002:
    # sqrt(0.0066002) = 0.081242, times z = 0.15923, over the denominator = 0.14528
    assert (pause.low, pause.high) == pytest.approx((0.2635, 0.5540), abs=1e-4)
    assert pause.revenue_saved_cents == 10 * 24900 + 6 * 9800
    assert (pause.p_value, pause.significant) == (None, None)  # the baseline
    assert pause.enough

    assert (discount.flows, discount.saves) == (40, 26)  # the open flow counts as a flow
    assert discount.saves_by_kind == {
        "kept": 4,
        "custom_plan": 0,
        "pause": 0,
        "discount": 20,
        "downgrade": 2,
    }
    assert discount.save_rate == pytest.approx(0.65)
    assert (discount.low, discount.high) == pytest.approx((0.4951, 0.7787), abs=1e-4)
    assert discount.revenue_saved_cents == 4 * 24900 + 22 * 9800
    # 16/40 against 26/40: pooled 42/80 = 0.525; spread 0.525 * 0.475 * (2/40) = 0.012469;
    # z = -0.25 / 0.111664 = -2.2389; p = erfc(2.2389 / sqrt 2) = 0.0252
    assert discount.p_value == pytest.approx(0.0252, abs=1e-4)
    assert discount.significant is True
    assert discount.enough and got.enough


def test_a_running_experiments_results_run_to_now(db, shop):
    _, users = shop
    boss = users["boss"]
    made = experiments.create(db, boss, "Pause or discount", HALVES, now=START)
    experiments.start(db, boss, made.id, now=START)
    hand_made_flows(db)
    until_now = experiments.results(db, boss, made.id, now=NOW)
    assert [v.flows for v in until_now.variants] == [40, 40]
    later = experiments.results(db, boss, made.id, now=NOW + dt.timedelta(days=1))
    assert [v.flows for v in later.variants] == [40, 45]  # the five flows after NOW
    assert later.variants[1].saves_by_kind["kept"] == 9


def test_too_few_flows_say_so(db, shop):
    _, users = shop
    boss = users["boss"]
    three = [Variant("a", 1, 20), Variant("b", 2, 30), Variant("c", 1, 50)]
    made = experiments.create(db, boss, "Three ways", three, now=START)
    nothing = experiments.results(db, boss, made.id, now=NOW)  # not started: nothing counted
    assert [(v.flows, v.saves, v.save_rate, v.low, v.high) for v in nothing.variants] == [
        (0, 0, 0.0, 0.0, 0.0)
    ] * 3
    assert [v.p_value for v in nothing.variants] == [None] * 3
    assert [v.significant for v in nothing.variants] == [None, False, False]
    assert not nothing.enough
    experiments.start(db, boss, made.id, now=START)
    day = START + dt.timedelta(days=1)
    add_flows(db, "a", day, "saved_kept", 10)
    add_flows(db, "a", day, "completed", 20)
    add_flows(db, "b", day, "saved_kept", 10)
    add_flows(db, "b", day, "completed", 19)  # 29 flows: one short
    add_flows(db, "c", day, "saved_offer", 30, kind="pause")  # every flow saved
    got = experiments.results(db, boss, made.id, now=NOW)
    assert [v.flows for v in got.variants] == [30, 29, 30]
    assert [v.enough for v in got.variants] == [True, False, False]
    assert not got.enough
    assert got.variants[2].save_rate == 1.0
    assert got.variants[2].significant is True  # 10/30 against 30/30 is a real difference
    assert got.variants[1].significant is False


def test_names_are_stored_without_unstorable_characters(db, shop):
    _, users = shop
    made = experiments.create(
        db,
        users["boss"],
        " Pause\x00 or <i>discount</i> 🧪\ud800 ",
        [Variant(" pause\x07 ", 1, 50), Variant("sconto è", 2, 50)],
        now=NOW,
    )
    assert made.name == "Pause or <i>discount</i> 🧪"
    assert [v.name for v in made.variants] == ["pause", "sconto è"]
    assert experiments.experiments(db, users["boss"])[0] == made
    with pytest.raises(ExperimentInvalid) as refused:
        experiments.create(db, users["boss"], "x", [Variant("\x00", 1, 50), Variant("b", 2, 50)])
    assert refused.value.key == "experiment.error.names"


def test_the_audit_log_names_the_experiment_and_its_variants_in_words(db, shop):
    from core import support_desk
    from core.support_desk import audit_trail

    _, users = shop
    boss = users["boss"]
    made = experiments.create(db, boss, "Pause or discount", HALVES, now=NOW)
    experiments.start(db, boss, made.id, now=NOW)
    query = support_desk.AuditQuery(actions=(ACTION_EXPERIMENT_STARTED,))
    (row,) = support_desk.audit_log(db, boss, query).rows
    assert audit_trail.action_name(row.action, "it") == "Esperimento avviato"
    assert audit_trail.describe(row, "en") == (
        "Experiment: Pause or discount; Variants: pause: v1 50%, discount: v2 50%"
    )


def test_experiments_never_overlap_in_time(db, shop):
    """A start dated before the last stop (a clock behind, a demo) begins at that stop, so a
    flow's variant belongs to one experiment only."""
    _, users = shop
    boss = users["boss"]
    first = experiments.create(db, boss, "First", HALVES, now=START)
    second = experiments.create(db, boss, "Second", HALVES, now=START)
    experiments.start(db, boss, first.id, now=START)
    experiments.stop(db, boss, first.id, now=NOW)
    started = experiments.start(db, boss, second.id, now=NOW - dt.timedelta(days=3))
    assert started.started_at == NOW
    add_flows(db, "pause", NOW - dt.timedelta(days=2), "saved_kept", 7)
    add_flows(db, "pause", NOW + dt.timedelta(days=1), "saved_kept", 3)
    later = NOW + dt.timedelta(days=5)
    assert experiments.results(db, boss, first.id, now=later).variants[0].flows == 7
    assert experiments.results(db, boss, second.id, now=later).variants[0].flows == 3
