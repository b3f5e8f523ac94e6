"""The retention playbook's rules (core.rules.offers): which offers a leaving customer is
matched to, what makes a playbook invalid (each with the message key the page shows), how an
account falls into an experiment's variant, and the statistics the experiments are judged by."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from core.platform import i18n
from core.retention.playbook import problem_text
from core.rules import offers
from core.rules.offers import DEFAULT_PLAYBOOK, Offer, Playbook, Rule
from tests.support.playbooks import DISCOUNT, DOWN, PAUSE

CUSTOM = Offer(
    key="custom",
    kind="custom_plan",
    title={"en": "Customise your plan", "it": "Personalizza il tuo piano"},
)
BOOK = Playbook(
    offers=(PAUSE, DISCOUNT, DOWN, CUSTOM),
    rules=(
        Rule(reason="too_expensive", offers=("half_off", "to_starter"), countries=("IT",)),
        Rule(reason="too_expensive", offers=("to_starter", "pause_2")),
        Rule(reason="not_using", offers=("pause_2",), tenure_bands=("1-2y", "2y+")),
        Rule(reason="none", offers=("pause_2", "custom")),
        Rule(reason="*", offers=("custom",), plans=("pro", "enterprise")),
    ),
)


def keys(found: tuple[Offer, ...]) -> list[str]:
    return [o.key for o in found]


def matched(reason, plan="growth", band="<6m", country="US", book=BOOK):
    return keys(
        offers.match(book, reason=reason, plan_code=plan, tenure_band=band, country=country)
    )


# --- matching --------------------------------------------------------------------------------


def test_the_offers_follow_the_reason_given():
    assert matched("too_expensive") == ["to_starter", "pause_2"]
    assert matched("not_using", band="2y+") == ["pause_2"]


def test_no_reason_given_matches_the_no_reason_rule():
    assert matched(None) == ["pause_2", "custom"]
    assert matched("") == ["pause_2", "custom"]  # a blank answer is no reason too


def test_segments_narrow_a_rule_and_the_first_matching_rule_wins():
    # Italy gets the first rule (a discount), everyone else the second
    assert matched("too_expensive", country="IT") == ["half_off", "to_starter"]
    assert matched("too_expensive", country="FR") == ["to_starter", "pause_2"]
    # a young account saying "not using" falls through to the catch-all, which is for pro only
    assert matched("not_using", band="<6m") == []
    assert matched("not_using", band="<6m", plan="pro") == ["custom"]
    assert matched("other", plan="enterprise") == ["custom"]
    assert matched("other", plan="growth") == []


def test_a_downgrade_is_left_out_when_it_is_not_cheaper_than_the_current_plan():
    assert matched("too_expensive", plan="pro") == ["to_starter", "pause_2"]
    assert matched("too_expensive", plan="starter") == ["pause_2"]  # the same plan
    # a plan outside the catalogue has no price to compare: no downgrade either
    assert matched("too_expensive", plan="custom_42") == ["pause_2"]
    assert offers.is_cheaper("starter", 24900)
    assert not offers.is_cheaper("starter", 9800)
    assert not offers.is_cheaper("pro", 24900)
    assert not offers.is_cheaper("nope", 24900)


def test_the_default_playbook_offers_the_custom_plan_to_everyone():
    assert not offers.problems(DEFAULT_PLAYBOOK)
    for reason in (None, "too_expensive", "other"):
        assert [o.kind for o in offers.match(
            DEFAULT_PLAYBOOK, reason=reason, plan_code="growth", tenure_band="2y+", country="DE"
        )] == ["custom_plan"]  # fmt: skip


def test_a_playbook_survives_its_json_and_rejects_what_is_not_one():
    assert Playbook.from_json(BOOK.to_json()) == BOOK
    for text in ("", "[]", '{"offers": []}', '{"offers": "x", "rules": []}'):
        with pytest.raises(ValueError):
            Playbook.from_json(text)


def test_an_offers_params_hold_what_it_does_without_its_copy():
    assert PAUSE.params() == {"kind": "pause", "cycles": 2}
    assert DISCOUNT.params() == {"kind": "discount", "cycles": 3, "percent": 50}
    assert DOWN.params() == {"kind": "downgrade", "plan_code": "starter"}
    assert CUSTOM.params() == {"kind": "custom_plan"}


# --- validation ------------------------------------------------------------------------------


def with_offer(offer: Offer, rule: Rule | None = None) -> Playbook:
    return Playbook(offers=(offer,), rules=(rule or Rule(reason="*", offers=(offer.key,)),))


def problem_keys(book: Playbook) -> list[str]:
    return [p.key for p in offers.problems(book)]


def test_a_good_playbook_has_no_problems():
    assert offers.problems(BOOK) == []


@pytest.mark.parametrize("cycles", [0, 4, 7, -1])
def test_a_pause_lasts_one_to_three_cycles(cycles):
    found = offers.problems(with_offer(replace(PAUSE, cycles=cycles)))
    assert [p.key for p in found] == ["playbook.error.pause_cycles"]
    assert dict(found[0].params) == {"offer": "pause_2", "least": 1, "most": 3}


@pytest.mark.parametrize(("percent", "ok"), [(0, False), (1, True), (100, True), (101, False)])
def test_a_discount_is_one_to_a_hundred_percent(percent, ok):
    found = problem_keys(with_offer(replace(DISCOUNT, percent=percent)))
    assert found == ([] if ok else ["playbook.error.discount_percent"])


def test_a_discount_lasts_one_to_twelve_cycles():
    assert problem_keys(with_offer(replace(DISCOUNT, cycles=0))) == [
        "playbook.error.discount_cycles"
    ]
    assert problem_keys(with_offer(replace(DISCOUNT, cycles=13))) == [
        "playbook.error.discount_cycles"
    ]


@pytest.mark.parametrize("target", ["growth", "pro"])
def test_a_downgrade_to_the_current_or_a_dearer_plan_in_a_rule_for_that_plan(target):
    book = with_offer(
        replace(DOWN, plan_code=target), Rule(reason="*", offers=("to_starter",), plans=("growth",))
    )
    found = offers.problems(book)
    assert [p.key for p in found] == ["playbook.error.downgrade_not_cheaper"]
    assert dict(found[0].params) == {"rule": 1, "offer": "to_starter", "plan": "growth"}
    # to a cheaper plan it is fine
    cheaper = with_offer(DOWN, Rule(reason="*", offers=("to_starter",), plans=("growth",)))
    assert offers.problems(cheaper) == []


def test_a_downgrade_to_a_plan_outside_the_catalogue():
    assert problem_keys(with_offer(replace(DOWN, plan_code="gold"))) == [
        "playbook.error.downgrade_plan"
    ]


def test_a_rule_for_an_unknown_reason():
    book = with_offer(PAUSE, Rule(reason="bored", offers=("pause_2",)))
    found = offers.problems(book)
    assert [p.key for p in found] == ["playbook.error.rule_reason"]
    assert dict(found[0].params) == {"rule": 1}


def test_a_rules_segment_and_offers_are_checked():
    bad = Rule(
        reason="*",
        offers=("pause_2", "pause_2", "nope"),
        plans=("gold",),
        tenure_bands=("10y",),
        countries=("it",),
    )
    assert problem_keys(with_offer(PAUSE, bad)) == [
        "playbook.error.rule_plan",
        "playbook.error.rule_tenure",
        "playbook.error.rule_country",
        "playbook.error.rule_repeats",
        "playbook.error.rule_unknown_offer",
    ]
    too_many = Rule(reason="*", offers=("a", "b", "c", "d"))
    assert "playbook.error.rule_offers" in problem_keys(with_offer(PAUSE, too_many))


def test_an_offer_needs_a_key_a_kind_and_a_title_in_both_languages():
    assert problem_keys(
        Playbook(offers=(replace(PAUSE, key="Bad Key!"),), rules=(Rule("*", ("Bad Key!",)),))
    ) == ["playbook.error.offer_key"]
    assert problem_keys(with_offer(replace(PAUSE, kind="gift"))) == ["playbook.error.offer_kind"]
    found = offers.problems(with_offer(replace(PAUSE, title={"en": "Pause"})))
    assert [(p.key, p.params["language"]) for p in found] == [("playbook.error.title", "IT")]
    long_body = replace(PAUSE, body={"en": "x" * 401, "it": ""})
    assert problem_keys(with_offer(long_body)) == ["playbook.error.body"]


def test_an_empty_playbook_and_repeated_offer_keys():
    assert problem_keys(Playbook(offers=(), rules=())) == [
        "playbook.error.no_offers",
        "playbook.error.no_rules",
    ]
    twice = Playbook(offers=(PAUSE, PAUSE), rules=(Rule("*", ("pause_2",)),))
    assert problem_keys(twice) == ["playbook.error.offer_repeats"]


def test_every_problem_reads_in_both_languages_with_its_values():
    bad = Playbook(
        offers=(
            replace(PAUSE, cycles=7, title={"en": "Pause"}, body={"it": "y" * 401}),
            replace(DISCOUNT, percent=150, cycles=0),
            replace(DOWN, key="Bad!", plan_code="gold", kind="gift"),
            replace(DOWN, key="to_pro", plan_code="pro"),
            PAUSE,
        ),
        rules=(
            Rule("bored", ("pause_2", "pause_2", "nope", "x"), ("gold",), ("10y",), ("it",)),
            Rule("*", ("to_pro",), plans=("growth",)),
        ),
    )
    found = offers.problems(bad)
    assert {p.key for p in found} >= {
        "playbook.error.offer_repeats",
        "playbook.error.pause_cycles",
        "playbook.error.discount_percent",
        "playbook.error.discount_cycles",
        "playbook.error.offer_key",
        "playbook.error.offer_kind",
        "playbook.error.title",
        "playbook.error.body",
        "playbook.error.rule_reason",
        "playbook.error.rule_offers",
        "playbook.error.downgrade_not_cheaper",
    }
    found += offers.problems(Playbook(offers=(), rules=()))
    found += offers.split_problems([("A", 0)])
    found += offers.split_problems([("A", 50), ("A", 30)])
    for p in found:
        for lang in i18n.LANGUAGES:
            text = problem_text(p, lang)
            assert "{" not in text, text
    assert problem_text(found[1], "en") == (
        "Offer pause_2: a pause lasts from 1 to 3 billing cycles."
    )
    assert problem_text(found[1], "it") == (
        "Offerta pause_2: la sospensione dura da 1 a 3 cicli di fatturazione."
    )
    title = next(p for p in found if p.key == "playbook.error.title")
    assert "(IT)" in problem_text(title, "en")


# --- the experiment's split ------------------------------------------------------------------


def test_a_split_has_two_to_four_named_variants_adding_up_to_100():
    assert offers.split_problems([("A", 50), ("B", 50)]) == []
    assert offers.split_problems([("A", 20), ("B", 30), ("C", 50)]) == []
    total = offers.split_problems([("A", 50), ("B", 40)])
    assert [p.key for p in total] == ["experiment.error.total"]
    assert dict(total[0].params) == {"total": 90}
    assert [p.key for p in offers.split_problems([("A", 60), ("B", 60)])] == [
        "experiment.error.total"
    ]
    assert [p.key for p in offers.split_problems([("A", 100)])] == [
        "experiment.error.variants",
        "experiment.error.share",
    ]
    five = [(n, 20) for n in "ABCDE"]
    assert [p.key for p in offers.split_problems(five)] == ["experiment.error.variants"]
    assert [p.key for p in offers.split_problems([("A", 50), (" A ", 50)])] == [
        "experiment.error.names"
    ]
    assert [p.key for p in offers.split_problems([("A", 50), ("", 50)])] == [
        "experiment.error.names"
    ]
    assert [p.key for p in offers.split_problems([("A", 0), ("B", 100)])] == [
        "experiment.error.share"
    ]
    assert [p.key for p in offers.split_problems([("A", True), ("B", 99)])] == [
        "experiment.error.share"
    ]


def test_an_accounts_variant_is_stable():
    shares = [("A", 50), ("B", 50)]
    first = [offers.variant_for(7, account, shares) for account in range(1, 500)]
    again = [offers.variant_for(7, account, list(shares)) for account in range(1, 500)]
    assert first == again  # recomputed from scratch: the same, on every server and reload
    assert offers.bucket(7, 123) == offers.bucket(7, 123)
    assert all(0 <= offers.bucket(7, a) < 10_000 for a in range(1, 500))


def test_an_accounts_variant_is_independent_from_one_experiment_to_the_next():
    shares = [("A", 50), ("B", 50)]
    accounts = range(1, 10_001)
    one = [offers.variant_for(1, a, shares) for a in accounts]
    two = [offers.variant_for(2, a, shares) for a in accounts]
    both = Counter(zip(one, two, strict=True))
    # independent: each of the four combinations holds about a quarter (2,500)
    for pair in (("A", "A"), ("A", "B"), ("B", "A"), ("B", "B")):
        assert abs(both[pair] - 2_500) < 200, both


@pytest.mark.parametrize(
    "shares",
    [
        [("A", 50), ("B", 50)],
        [("A", 20), ("B", 30), ("C", 50)],
        [("A", 10), ("B", 20), ("C", 30), ("D", 40)],
        [("A", 99), ("B", 1)],
    ],
)
def test_the_split_is_close_to_the_set_shares_over_ten_thousand_accounts(shares):
    counts = Counter(offers.variant_for(42, account, shares) for account in range(1, 10_001))
    for name, share in shares:
        assert abs(counts[name] / 10_000 * 100 - share) < 2, counts  # within 2 points


# --- the statistics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("saves", "flows", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (50, 100, 0.4038, 0.5962),
        # 3 of 20 by hand (z = 1.96, z² = 3.8415): p = 0.15; z²/n = 0.19207, so the
        # denominator is 1.19207; centre = (0.15 + 0.09604) / 1.19207 = 0.20639;
        # p(1-p)/n = 0.006375 and z²/4n² = 0.002401: sqrt(0.008776) = 0.09368,
        # times z = 0.18361, over the denominator = 0.15403: 0.0524 .. 0.3604
        (3, 20, 0.0524, 0.3604),
        # 30 of 40: p = 0.75; z²/n = 0.09604, denominator 1.09604; centre =
        # (0.75 + 0.04802) / 1.09604 = 0.72809; p(1-p)/n = 0.0046875 and z²/4n² = 0.0006002:
        # sqrt(0.0052877) = 0.07272, times z = 0.14252, over the denominator = 0.13003:
        # 0.5981 .. 0.8581
        (30, 40, 0.5981, 0.8581),
        # 10 of 10 mirrors 0 of 10
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilsons_interval_against_hand_worked_values(saves, flows, low, high):
    got = offers.wilson(saves, flows)
    assert got == pytest.approx((low, high), abs=1e-4)


def test_wilsons_interval_of_nothing_is_zero():
    assert offers.wilson(0, 0) == (0.0, 0.0)


def test_the_two_proportion_test():
    # 10 of 50 against 20 of 50 by hand: pooled 0.3; spread 0.3 * 0.7 * (1/50 + 1/50) = 0.0084;
    # z = (0.2 - 0.4) / 0.091652 = -2.1822; two-sided p = erfc(2.1822 / sqrt 2) = 0.0291
    assert offers.two_proportion_p(10, 50, 20, 50) == pytest.approx(0.0291, abs=1e-4)
    assert offers.two_proportion_p(15, 30, 15, 30) == pytest.approx(1.0)
    assert offers.two_proportion_p(0, 0, 5, 10) is None  # an empty side
    assert offers.two_proportion_p(10, 10, 20, 20) is None  # every flow saved: nothing to tell


def test_enough_data_needs_thirty_flows_and_five_of_each_outcome():
    assert offers.enough_data(10, 30)
    assert not offers.enough_data(10, 29)
    assert not offers.enough_data(4, 100)
    assert not offers.enough_data(96, 100)
    assert offers.enough_data(5, 30) and offers.enough_data(25, 30)
