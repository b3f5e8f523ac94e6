"""Step 2's offers, as cards: the admin's title and body, the terms computed for this customer
(what changes, from when, for how much), and a button that says exactly what it does. One
component for the cancellation page and the playbook page's preview, so the preview is what
the customer sees; the language is a parameter (the preview shows either language, whatever
the admin's own).

Every date and amount in a sentence comes from `OfferTerms` and goes through the catalog's
formatter (`{start:dal}`: the Italian elided date), never typed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from core.platform.i18n import fmt_money, fmt_percent, plural, t
from core.retention.offers import ShownOffer
from core.retention.terms import OfferTerms
from core.rules.vocabulary import (
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KIND_DISCOUNT,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
)
from pages.components.text import md

OFFER_DONE = "offer_done"  # session: the flow whose offer was just accepted (its done screen)


def money(cents: int | None, terms: OfferTerms, lang: str) -> str:
    return fmt_money(cents or 0, terms.currency, lang)


def percent(value: int, lang: str) -> str:
    return fmt_percent(value / 100, lang)


def per_interval(terms: OfferTerms, lang: str) -> str:
    """ "a month" / "al mese", "a year" / "all'anno"."""
    return t(f"retention_offer.per.{terms.billing_interval}", lang)


def terms_text(terms: OfferTerms, lang: str) -> str:
    """What the offer changes and from when, in one sentence (the card, the done screen)."""
    if terms.kind == OFFER_KIND_PAUSE:
        return t(
            "retention_offer.terms.pause", lang, start=terms.starts_on, resume=terms.resumes_on
        )
    if terms.kind == OFFER_KIND_DISCOUNT:
        return plural(
            "retention_offer.terms.discount",
            terms.cycles,
            lang,
            percent=percent(terms.percent, lang),
            new=money(terms.new_price_cents, terms, lang),
            old=money(terms.current_price_cents, terms, lang),
            start=terms.starts_on,
        )
    if terms.kind == OFFER_KIND_DOWNGRADE:
        return t(
            "retention_offer.terms.downgrade",
            lang,
            plan=md(terms.plan_name or terms.plan_code or ""),
            start=terms.starts_on,
            new=money(terms.new_price_cents, terms, lang),
            old=money(terms.current_price_cents, terms, lang),
            per=per_interval(terms, lang),
        )
    return ""


def accept_label(offer: ShownOffer, lang: str) -> str:
    """ "Pause for 2 months", "Take 30% off", "Switch to Growth"."""
    terms = offer.terms
    if offer.kind == OFFER_KIND_PAUSE:
        return plural(f"retention_offer.accept.pause.{terms.billing_interval}", terms.cycles, lang)
    if offer.kind == OFFER_KIND_DISCOUNT:
        return t("retention_offer.accept.discount", lang, percent=percent(terms.percent, lang))
    return t(
        "retention_offer.accept.downgrade", lang, plan=terms.plan_name or terms.plan_code or ""
    )


ICONS = {
    OFFER_KIND_PAUSE: ":material/pause_circle:",
    OFFER_KIND_DISCOUNT: ":material/sell:",
    OFFER_KIND_DOWNGRADE: ":material/south:",
}


def decide_text(effective_on: dt.date, offers: tuple[ShownOffer, ...], lang: str) -> str:
    """Step 2's question: when the subscription ends if they go on, and what else they can do."""
    if offers and all(o.kind == OFFER_KIND_CUSTOM_PLAN for o in offers):  # as before playbooks
        return t("decide.body", lang, date=effective_on)
    key = "retention_offer.decide.offers" if offers else "retention_offer.decide.none"
    return t(key, lang, date=effective_on)


def decide_buttons(
    lang: str, *, keys: tuple[str, str], disabled: bool = False
) -> tuple[bool, bool]:
    """ "Keep my subscription" on the left, "Continue and cancel" on the right: their clicks."""
    keep_col, go_col = st.columns(2)
    keep = keep_col.button(
        t("decide.keep", lang),
        type="primary",
        key=keys[0],
        icon=":material/favorite:",
        width="stretch",
        disabled=disabled,
    )
    go = go_col.button(t("decide.continue", lang), key=keys[1], width="stretch", disabled=disabled)
    return keep, go


def offer_card(offer: ShownOffer, lang: str, *, key: str, disabled: bool = False) -> bool:
    """One offer (not the custom plan): its copy, its terms, its button. True when clicked."""
    with st.container(border=True, key=f"{key}_card_{offer.key}"):
        st.markdown(f"**{md(offer.title.get(lang, ''))}**")
        if offer.body.get(lang):
            st.markdown(md(offer.body[lang]))
        st.markdown(terms_text(offer.terms, lang))
        return st.button(
            accept_label(offer, lang),
            key=f"{key}_accept_{offer.key}",
            icon=ICONS.get(offer.kind),
            disabled=disabled,
        )


def offer_cards(
    offers: tuple[ShownOffer, ...],
    lang: str,
    *,
    key: str,
    custom_plan: Callable[[ShownOffer], None],
    disabled: bool = False,
) -> ShownOffer | None:
    """Step 2's offers below the two buttons, in the playbook's order, under "Further options";
    a custom-plan offer is drawn by `custom_plan` (the configurator). Returns the offer whose
    button was clicked on this run, if any."""
    if not offers:
        return None
    st.markdown(f"**{t('offer.title', lang)}**")
    clicked = None
    for offer in offers:
        if offer.kind == OFFER_KIND_CUSTOM_PLAN:
            custom_plan(offer)
        elif offer_card(offer, lang, key=key, disabled=disabled):
            clicked = offer
    return clicked


def custom_plan_copy(offer: ShownOffer, lang: str) -> None:
    """The custom-plan card's heading: the admin's title and body."""
    st.markdown(f"**{md(offer.title.get(lang, ''))}**")
    if offer.body.get(lang):
        st.markdown(md(offer.body[lang]))
