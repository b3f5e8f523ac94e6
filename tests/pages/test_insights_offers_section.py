"""Churn insights' "Offers" section as a product manager reads it: the offers by kind (shown,
taken, save rate, revenue kept, prices) and the verified saves by what saved them and by the
experiment's variant, each with a line saying how it is counted, in English and Italian."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core.platform import i18n
from core.platform.models import CancellationFlow, RetentionOffer
from tests.support.pages import NOW, TODAY, assert_no_raw_keys, open_as

DAY = dt.timedelta(days=1)
PAUSE = {"kind": "pause", "cycles": 2}
DISCOUNT = {"kind": "discount", "cycles": 3, "percent": 30}
# (id, days ago saved, offer kind, variant, invoices paid since, offers shown)
SAVES = [
    ("p1", 70, "pause", "control", 2, [("pause", PAUSE), ("discount", DISCOUNT)]),
    ("p2", 40, "pause", "pause_first", 0, [("pause", PAUSE), ("discount", DISCOUNT)]),
    ("d1", 5, "discount", "pause_first", 0, [("discount", DISCOUNT)]),
]


@pytest.fixture
def offers_site(shop_site):
    """The shop (alice cancelled, bob kept his plan, dave asked for a $99 starter's custom
    plan: all today, none of them in an experiment) and three Growth customers saved by the
    playbook: a pause 70 days ago (paid twice since), a pause 40 days ago (not paid since) and
    a 30% discount five days ago."""
    db, made = shop_site
    with db.transaction() as s:
        for fid, ago, kind, variant, paid, shown in SAVES:
            done = NOW - ago * DAY
            s.add(
                CancellationFlow(
                    id=fid,
                    account_id=made["carol"].account_id,
                    started_at=done - dt.timedelta(minutes=4),
                    finished_at=done,
                    outcome="saved_offer",
                    plan_code="growth",
                    country="IT",
                    tenure_band="1-2y",
                    monthly_revenue_cents=24900,
                    offer_kind=kind,
                    variant=variant,
                    playbook_version=2,
                    paid_cycles_after=paid,
                )
            )
            s.flush()
            for shown_kind, params in shown:
                s.add(
                    RetentionOffer(
                        flow_id=fid,
                        kind=shown_kind,
                        offer_key=shown_kind,
                        params=json.dumps(params),
                        shown_at=done - dt.timedelta(minutes=2),
                        accepted_at=done if shown_kind == kind else None,
                    )
                )
    return db, made


def cells(table) -> list[list[str]]:
    """A table's rows as shown (Markdown escapes removed)."""
    frame = table.value
    return [[str(v).replace("\\", "") for v in row] for row in frame.itertuples(index=False)]


def offers_section(lang: str):
    at = open_as("boss", lang)
    at.date_input(key="insights_dates").set_value((TODAY - 90 * DAY, TODAY)).run()
    at.segmented_control(key="insights_section").set_value("offers").run()
    assert not at.exception, at.exception
    return at


def test_offers_by_kind_and_verified_saves_are_shown_as_computed(offers_site):
    at = offers_section("en")
    text = [s.value for s in at.subheader]
    assert "Offers by kind" in text and "Verified saves" in text
    captions = " ".join(c.value for c in at.caption)
    assert i18n.t("retention_insights.offers.help", "en") in captions
    assert i18n.t("retention_insights.verified.help", "en") in captions
    offers, by_kind, by_variant = (cells(t) for t in at.table)
    assert list(at.table[0].value.columns) == [
        "Offer", "Shown", "Taken", "Save rate", "Monthly revenue kept",
        "Average price \\(per month\\)",
    ]  # fmt: skip
    assert offers == [
        # alice, bob and dave (on a $99 plan) were shown the custom plan; dave asked for
        # one at $128
        ["Custom plan", "3", "1", "33.3%", "$99", "$128.00"],
        # p1 and p2 took the pause: nothing to pay while paused
        ["Pause", "2", "2", "100%", "$498", "$0.00"],
        # shown to p1, p2 and d1; d1 took 30% off $249
        ["Discount", "3", "1", "33.3%", "$249", "$174.30"],
        ["Cheaper plan", "0", "0", "–", "$0", "–"],
    ]
    # saves, then per cycle: share still paying, old enough, paying. p1 (70 days ago) counts
    # after 1 and 2 cycles, p2 (40 days ago) after 1, d1 and the shop's saves of today not yet
    assert by_kind == [
        ["Kept (no offer)", "1", "–", "0", "0", "–", "0", "0", "–", "0", "0"],
        ["Custom plan", "1", "–", "0", "0", "–", "0", "0", "–", "0", "0"],
        ["Pause", "2", "50%", "2", "1", "100%", "1", "1", "–", "0", "0"],
        ["Discount", "1", "–", "0", "0", "–", "0", "0", "–", "0", "0"],
    ]
    assert by_variant == [
        ["control", "1", "100%", "1", "1", "100%", "1", "1", "–", "0", "0"],
        ["pause_first", "2", "0%", "1", "0", "–", "0", "0", "–", "0", "0"],
        ["No experiment", "2", "–", "0", "0", "–", "0", "0", "–", "0", "0"],
    ]
    assert len(at.get("plotly_chart")) == 2  # a chart per verified-saves table
    keys = {b.key for b in at.get("download_button")}
    assert {"csv_offers_by_kind", "csv_verified_by_kind", "csv_verified_by_variant"} <= keys


def test_the_offers_section_follows_the_filters(offers_site):
    at = offers_section("en")
    at.multiselect(key="insights_plans").set_value(["starter"]).run()  # bob and dave only
    assert not at.exception, at.exception
    offers = cells(at.table[0])
    assert [row[:3] for row in offers] == [
        ["Custom plan", "2", "1"], ["Pause", "0", "0"], ["Discount", "0", "0"],
        ["Cheaper plan", "0", "0"],
    ]  # fmt: skip
    assert [row[0] for row in cells(at.table[1])] == ["Kept (no offer)", "Custom plan"]
    at.date_input(key="insights_dates").set_value((TODAY - 200 * DAY, TODAY - 100 * DAY))
    at.run()  # nobody
    infos = [i.value for i in at.info]
    assert infos.count(i18n.t("insights.empty", "en")) == 3
    assert not at.table


def test_the_offers_section_in_italian(offers_site):
    at = offers_section("it")
    assert_no_raw_keys(at)
    assert "Offerte per tipo" in [s.value for s in at.subheader]
    offers = cells(at.table[0])
    assert offers[1][:4] == ["Sospensione", "2", "2", "100%"]
    assert offers[2][5] == "174,30\xa0USD"
    assert cells(at.table[2])[-1][0] == "Nessun esperimento"
