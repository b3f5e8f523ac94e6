"""The playbook page's preview of step 2 (core.retention.preview): the offers a playbook matches
to a reason and a segment, with the terms a monthly subscription to that plan would get if its
cycle ended a month from today."""

from __future__ import annotations

import datetime as dt

import pytest

from core.retention import preview
from core.rules.offers import DEFAULT_PLAYBOOK, Offer, Playbook, Rule
from core.rules.vocabulary import ANY, NO_REASON

TODAY = dt.date(2026, 11, 30)
TITLE = {"en": "t", "it": "t"}
PAUSE = Offer("pause2", "pause", cycles=2, title=TITLE)
DISCOUNT = Offer("thirty", "discount", cycles=3, percent=30, title=TITLE)
TO_GROWTH = Offer("growth", "downgrade", plan_code="growth", title=TITLE)
CUSTOM = Offer("custom", "custom_plan", title=TITLE)
PLAYBOOK = Playbook(
    offers=(PAUSE, DISCOUNT, TO_GROWTH, CUSTOM),
    rules=(
        Rule("too_expensive", ("pause2", "thirty", "growth"), countries=("IT",)),
        Rule(NO_REASON, ("thirty",)),
        Rule(ANY, ("custom",)),
    ),
)


def shown(reason, plan="pro", band="<6m", country="IT"):
    return preview.preview(
        PLAYBOOK, reason=reason, plan_code=plan, tenure_band=band, country=country, today=TODAY
    )


def test_the_reasons_rule_in_its_order_with_the_terms_of_that_plan():
    offers = shown("too_expensive")
    assert [o.key for o in offers] == ["pause2", "thirty", "growth"]
    pause, discount, down = (o.terms for o in offers)
    assert (pause.starts_on, pause.resumes_on) == (dt.date(2026, 12, 30), dt.date(2027, 2, 28))
    assert (discount.current_price_cents, discount.new_price_cents) == (49900, 34930)
    assert (down.plan_name, down.new_price_cents, down.starts_on) == (
        "Growth",
        24900,
        dt.date(2026, 12, 30),
    )
    assert offers[0].title == TITLE


def test_a_downgrade_that_is_not_cheaper_is_left_out():
    assert [o.key for o in shown("too_expensive", plan="growth")] == ["pause2", "thirty"]


@pytest.mark.parametrize(
    ("reason", "country", "keys"),
    [
        (None, "IT", ["thirty"]),  # no reason given
        (NO_REASON, "IT", ["thirty"]),
        ("too_expensive", "ES", ["custom"]),  # another country: the rule for any reason
        ("other", "IT", ["custom"]),
    ],
)
def test_the_first_rule_that_matches_decides(reason, country, keys):
    assert [o.key for o in shown(reason, country=country)] == keys


def test_the_custom_plan_has_no_date_and_the_default_playbook_offers_it_to_all():
    [offer] = preview.preview(
        DEFAULT_PLAYBOOK,
        reason="too_expensive",
        plan_code="starter",
        tenure_band="2y+",
        country="US",
        today=TODAY,
    )
    assert offer.kind == "custom_plan" and offer.terms.starts_on is None


def test_an_unknown_plan_is_refused():
    with pytest.raises(ValueError):
        preview.terms_for(PAUSE, "platinum", TODAY)
