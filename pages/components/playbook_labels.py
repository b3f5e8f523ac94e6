"""The playbook page's words for the playbook's values (reasons, kinds, plans, tenure bands,
countries, statuses) and its error messages, in the admin's language."""

from __future__ import annotations

import re
from functools import cache

import streamlit as st
from babel import Locale

from core.insights.filters import TENURE_KEYS, country_name, sort_countries
from core.platform.errors import PortalError
from core.platform.i18n import fmt_money, fmt_number, fmt_percent
from core.retention import playbook as playbooks
from core.rules import offers as rules
from core.rules.pricing import CURRENCY, CUSTOM_PLAN_FLOOR_CENTS, PLANS
from core.rules.vocabulary import (
    ANY,
    NO_REASON,
    OFFER_KIND_DISCOUNT,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
)
from pages.components.text import md
from pages.shell.context import PageContext

DRAFT = playbooks.DRAFT  # a version's status
PUBLISHED = playbooks.PUBLISHED
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})  # CLDR groupings


def reason_label(ctx: PageContext, reason: str) -> str:
    if reason == NO_REASON:
        return ctx.t("playbook_page.reason.none")
    if reason == ANY:
        return ctx.t("playbook_page.reason.any")
    return ctx.t(f"reason.{reason}")


def kind_label(ctx: PageContext, kind: str) -> str:
    return ctx.t(f"playbook_page.kind.{kind}")


def plan_label(code: str) -> str:
    return next((p.name for p in PLANS if p.code == code), code)


def tenure_label(ctx: PageContext, band: str) -> str:
    return ctx.t(TENURE_KEYS[band])


def country_label(ctx: PageContext, code: str) -> str:
    return f"{country_name(code, ctx.lang)} ({code})"


@cache
def _country_codes() -> tuple[str, ...]:
    names = Locale.parse("en_US").territories
    return tuple(c for c in names if re.fullmatch(r"[A-Z]{2}", c) and c not in NOT_COUNTRIES)


def countries(ctx: PageContext) -> list[str]:
    """Every country code CLDR knows, in the order of their names in the admin's language."""
    return sort_countries(_country_codes(), ctx.lang)


def status_label(ctx: PageContext, status: str) -> str:
    return ctx.t(f"playbook_page.status.{status}")


def everyone(ctx: PageContext, values: tuple[str, ...], label) -> str:
    """A rule's segment: its values, or "all" when it names none."""
    return ", ".join(label(v) for v in values) if values else ctx.t("playbook_page.all")


def offer_summary(ctx: PageContext, offer: rules.Offer) -> str:
    """What an offer does, short: "2 cycles", "30% for 3 invoices", "to Growth"."""
    if offer.kind == OFFER_KIND_PAUSE:
        return ctx.t("playbook_page.summary.pause", n=fmt_number(offer.cycles, ctx.lang))
    if offer.kind == OFFER_KIND_DISCOUNT:
        return ctx.t(
            "playbook_page.summary.discount",
            percent=fmt_percent(offer.percent / 100, ctx.lang),
            n=fmt_number(offer.cycles, ctx.lang),
        )
    if offer.kind == OFFER_KIND_DOWNGRADE:
        return ctx.t("playbook_page.summary.downgrade", plan=plan_label(offer.plan_code))
    price = fmt_money(CUSTOM_PLAN_FLOOR_CENTS, CURRENCY, ctx.lang)
    return ctx.t("playbook_page.summary.custom_plan", price=price)


def show_error(ctx: PageContext, exc: PortalError) -> None:
    """Every problem a refusal names (a playbook's or an experiment's), each on its own line;
    or its one message. What the admin typed (an offer's key) is shown as typed."""
    problems = getattr(exc, "problems", None) or ()
    if isinstance(exc, playbooks.PlaybookInvalid):
        found = [(p.key, playbooks.message_params(p)) for p in problems]
    else:
        found = [(p.key, dict(p.params)) for p in problems]
    texts = [
        ctx.t(key, **{k: md(v) if isinstance(v, str) else v for k, v in params.items()})
        for key, params in found or [(exc.key, exc.params)]
    ]
    st.error("  \n".join(texts), icon=":material/error:")
