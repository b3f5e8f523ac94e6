"""Property-based (hypothesis): whatever offers a monthly and a yearly customer took (a pause of
1-3 cycles, a discount of any percent for 1-12 cycles, a downgrade) and whatever days the
lifecycle job runs on (in order, some twice), the invoices are exactly the spec's: none during
a pause, the first after it on its resume day, the discounted ones then the full price, the
cheaper plan from the next cycle; a second run on the same day changes nothing; and four
runners at once, each with its own engine, do each transition and bill each cycle once, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.jobs import lifecycle
from core.platform.db import open_database
from core.rules.vocabulary import (
    ACTION_DISCOUNT_ENDED,
    ACTION_PLAN_DOWNGRADED,
    ACTION_SUBSCRIPTION_PAUSED,
    ACTION_SUBSCRIPTION_UNPAUSED,
)
from tests.support import factories
from tests.support.env import BACKENDS, NOW, make_database
from tests.support.offer_cycles import (
    CHEAPER_PLAN,
    CURRENT_PLAN,
    Expected,
    Start,
    Taken,
    audits,
    everything,
    expected,
    four_at_once,
    invoices,
    paid_cycles,
    saved_flow,
    subscription,
    take,
)

D = dt.date
SAVED_AT = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)  # in both customers' current cycle

offers_taken = st.builds(
    Taken,
    pause=st.none() | st.integers(1, 3),
    percent=st.none() | st.integers(1, 100),
    cycles=st.integers(1, 12),
    downgrade_to=st.none() | st.just(CHEAPER_PLAN[0]),
)


def customers(db) -> dict[str, int]:
    """Mona pays monthly (cycle Nov 10 - Dec 10 2026), Yves yearly (Mar 10 2026 - 2027)."""
    plan_id = factories.plan(db, *CURRENT_PLAN)
    factories.plan(db, *CHEAPER_PLAN)
    mona = factories.customer(db, "mona@example.com", plan_id, now=NOW, start=D(2026, 3, 10))
    yves = factories.customer(
        db, "yves@example.com", plan_id, now=NOW, start=D(2026, 3, 10), interval="year"
    )
    return {"mona": mona.account_id, "yves": yves.account_id}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("offer-cycles") / "portal.db"
    db = open_database(f"sqlite:///{path}")
    ids = customers(db)
    db.engine.dispose()
    return path, ids


def check(db, account_id: int, start: Start, taken: Taken, as_of: D, flow: str) -> Expected:
    """The subscription and its invoices are what the spec says they are as of `as_of`."""
    want = expected(start, taken, as_of)
    got = invoices(db, account_id)
    assert got == want.invoices
    sub = subscription(db, account_id)
    assert sub["status"] == want.status
    assert (sub["current_period_start"], sub["current_period_end"]) == want.period
    assert (sub["plan_code"], sub["price_cents"]) == (want.plan_code, want.price_cents)
    # the properties the spec names, said plainly (the model above is one way to get them)
    if want.pause is not None:
        first_paused, resume = want.pause
        assert not [i for i in got if i[0] < resume and first_paused < i[1]], "billed in a pause"
        if got:
            assert got[0][0] == resume  # billing resumes exactly on the resume day
        assert sub["pause_cycles"] is None
        assert sub["paused_until"] == (None if want.resumed else resume)
    elif taken.pause:
        assert (sub["pause_cycles"], got) == (taken.pause, ())  # still waiting for its cycle
    if taken.percent:
        discounted = min(len(got), taken.cycles)
        amounts = [amount for *_, amount in got]
        full = want.price_cents
        assert amounts[:discounted] == [(full * (100 - taken.percent) + 50) // 100] * discounted
        assert amounts[discounted:] == [full] * (len(got) - discounted)
        left = None if want.discount_ended else taken.cycles - discounted
        assert sub["discount_cycles_left"] == left
    if taken.downgrade_to and got:
        assert sub["next_plan_code"] is None and sub["plan_code"] == taken.downgrade_to
    counted = audits(db, account_id)
    assert counted[ACTION_SUBSCRIPTION_PAUSED] == (want.pause is not None)
    assert counted[ACTION_SUBSCRIPTION_UNPAUSED] == want.resumed
    assert counted[ACTION_DISCOUNT_ENDED] == want.discount_ended
    assert counted[ACTION_PLAN_DOWNGRADED] == want.downgraded
    # every invoice paid after the save counts one cycle for it
    assert paid_cycles(db, flow) == len(got)
    return want


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    mona_took=offers_taken,
    yves_took=offers_taken,
    runs=st.lists(
        st.tuples(st.integers(0, 400), st.booleans()),  # days later, run twice that day
        min_size=1,
        max_size=8,
    ),
)
def test_any_offers_and_any_run_days_bill_exactly_what_the_spec_says(
    template, tmp_path, mona_took, yves_took, runs
):
    first, ids = template
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    shutil.copy(first, path)
    db = open_database(f"sqlite:///{path}")
    try:
        taken = {"mona": mona_took, "yves": yves_took}
        starts = {who: take(db, ids[who], taken[who]) for who in ids}
        flows = {who: saved_flow(db, ids[who], SAVED_AT, "saved_offer") for who in ids}
        lost = saved_flow(db, ids["mona"], SAVED_AT, "completed")
        as_of = NOW.date()
        for days, twice in runs:
            as_of += dt.timedelta(days=days)
            lifecycle.run(db, as_of, now=NOW)
            if twice:
                before = everything(db)
                again = lifecycle.run(db, as_of, now=NOW)
                assert everything(db) == before
                assert (again.paused, again.unpaused, again.renewed, again.invoices) == (
                    [],
                    [],
                    [],
                    0,
                )
            for who in ids:
                check(db, ids[who], starts[who], taken[who], as_of, flows[who])
        assert paid_cycles(db, lost) == 0  # a cancelled flow is no save
    finally:
        db.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    mona_took=offers_taken,
    yves_took=offers_taken,
    runs=st.lists(st.integers(1, 500), min_size=1, max_size=3),
)
def test_four_runners_at_once_do_each_transition_and_bill_each_cycle_once(
    backend, tmp_path, mona_took, yves_took, runs
):
    db = make_database(backend, tmp_path / uuid.uuid4().hex)
    try:
        ids = customers(db)
        taken = {"mona": mona_took, "yves": yves_took}
        starts = {who: take(db, ids[who], taken[who]) for who in ids}
        flows = {who: saved_flow(db, ids[who], SAVED_AT, "saved_kept") for who in ids}
        url = db.engine.url.render_as_string(hide_password=False)
        as_of = NOW.date()
        done = {who: expected(starts[who], taken[who], as_of) for who in ids}
        for days in runs:
            as_of += dt.timedelta(days=days)
            reports = four_at_once(url, as_of)
            now = {
                who: check(db, ids[who], starts[who], taken[who], as_of, flows[who]) for who in ids
            }
            # between them, the four reports name each transition once and count each invoice once
            for who, want in now.items():
                was = done[who]
                named = {
                    "paused": (want.pause is not None) - (was.pause is not None),
                    "unpaused": want.resumed - was.resumed,
                    "discounts_ended": want.discount_ended - was.discount_ended,
                    "downgraded": want.downgraded - was.downgraded,
                }
                for field, times in named.items():
                    assert sum(getattr(r, field).count(ids[who]) for r in reports) == times
            assert sum(r.invoices for r in reports) == sum(
                len(now[w].invoices) - len(done[w].invoices) for w in ids
            )
            done = now
        before = everything(db)
        lifecycle.run(db, as_of, now=NOW)
        assert everything(db) == before
    finally:
        db.engine.dispose()
