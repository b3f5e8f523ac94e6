"""The Churn insights' figure cards: a figure in a bordered card of a fixed width (two a row on
a phone, four on a desktop), with its change against the previous period of the same length
under it (st.metric's delta, "fewer is better" figures in the inverse colours), or no change
when there is no previous period (an open date range, or one reaching before 2000)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.insights import analytics
from core.platform.i18n import fmt_date, fmt_money_short, fmt_number, fmt_percent
from pages.components import plots
from pages.components.text import md
from pages.shell.context import PageContext

CARD_WIDTH = 165  # px: two cards a row at 390 px, four on a desktop
CARD_GAP = 16  # px
MONEY_WIDTH = 2 * CARD_WIDTH + CARD_GAP  # an amount needs the room of two cards


@dataclass(frozen=True)
class Change:
    """A card's change against the previous period, as st.metric takes it."""

    text: str | None  # "+3", "-$120", "+1.5 pp"; None: no previous period to compare with
    colour: str = "normal"  # "inverse" where fewer is better; "off" for no change
    arrow: str = "auto"


NO_CHANGE = Change(None)


def _signed(ctx: PageContext, diff: float, shown: str, colour: str) -> Change:
    if diff == 0:
        return Change(shown, "off", "off")
    return Change(("+" if diff > 0 else "-") + shown, colour)


def count_change(ctx: PageContext, now: int, before: int | None, *, fewer: bool = False) -> Change:
    if before is None:
        return NO_CHANGE
    diff = now - before
    return _signed(ctx, diff, fmt_number(abs(diff), ctx.lang), "inverse" if fewer else "normal")


def money_change(ctx: PageContext, now: int, before: int | None, *, fewer: bool = False) -> Change:
    if before is None:
        return NO_CHANGE
    diff = now - before
    short = fmt_money_short(abs(diff), "USD", ctx.lang)
    shown = short or plots.dollars(ctx, abs(diff))
    return _signed(ctx, diff, shown, "inverse" if fewer else "normal")


def rate_change(
    ctx: PageContext, now: float | None, before: float | None, *, fewer: bool = False
) -> Change:
    """A rate's change in percentage points (none when either rate has no base)."""
    if now is None or before is None:
        return NO_CHANGE
    diff = round((now - before) * 100, 1)
    shown = ctx.t("churn_page.points", value=fmt_number(abs(diff), ctx.lang))
    return _signed(ctx, diff, shown, "inverse" if fewer else "normal")


def rate(ctx: PageContext, value: float | None) -> str:
    return "–" if value is None else fmt_percent(value, ctx.lang)


def card(
    box: DeltaGenerator,
    label: str,
    value: str,
    help_text: str | None = None,
    change: Change = NO_CHANGE,
    *,
    width: int = CARD_WIDTH,
) -> None:
    """A figure in a bordered card of a fixed width, so that cards sit side by side and wrap
    (two a row on a phone); its label wraps too (a metric's own label is cut with an ellipsis
    at that width), the metric carries it for assistive technology."""
    with box.container(border=True, width=width, gap="small"):
        st.markdown(md(label), help=help_text)
        st.metric(
            label,
            value,
            delta=change.text,
            delta_color=change.colour,  # type: ignore[arg-type]
            delta_arrow=change.arrow,  # type: ignore[arg-type]
            label_visibility="collapsed",
        )


def figure_card(
    ctx: PageContext, box: DeltaGenerator, key: str, value: str, change: Change = NO_CHANGE
) -> None:
    """A figure of the insights, named and explained by the catalog (`insights.fig.<key>`)."""
    card(box, ctx.t(f"insights.fig.{key}"), value, ctx.t(f"insights.fig_help.{key}"), change)


def money_card(
    box: DeltaGenerator,
    ctx: PageContext,
    label: str,
    help_text: str,
    cents: int,
    change: Change = NO_CHANGE,
) -> None:
    """An amount; a million or more is shown short (it would not fit the card), the full
    amount under the definition in the card's help."""
    full = plots.dollars(ctx, cents)
    short = fmt_money_short(cents, "USD", ctx.lang)
    card(
        box,
        label,
        short or full,
        f"{help_text}\n\n{full}" if short else help_text,
        change,
        width=MONEY_WIDTH,
    )


def period_note(ctx: PageContext, previous: analytics.Filters | None) -> None:
    """What the changes under the figures compare with."""
    if previous is None or previous.start is None or previous.end is None:
        st.caption(ctx.t("churn_page.no_previous"))
        return
    st.caption(
        ctx.t(
            "churn_page.compared_with",
            start=fmt_date(previous.start, ctx.lang, "medium"),
            end=fmt_date(previous.end, ctx.lang, "medium"),
        )
    )


def figure_cards(
    ctx: PageContext, fig: analytics.Figures, before: analytics.Figures | None
) -> None:
    """The insights' eight figures, each with its change against `before` (the previous
    period's figures; None: no change shown)."""

    def was(name: str):
        return None if before is None else getattr(before, name)

    # cards side by side that wrap: two a row on a phone, not eight stacked before the charts
    cards = st.container(horizontal=True, gap="small")
    for key, fewer in (("started", True), ("completed", True), ("saved", False)):
        value = getattr(fig, key)
        change = count_change(ctx, value, was(key), fewer=fewer)
        figure_card(ctx, cards, key, fmt_number(value, ctx.lang), change)
    for key in ("save_rate", "response_rate"):
        value = getattr(fig, key)
        figure_card(ctx, cards, key, rate(ctx, value), rate_change(ctx, value, was(key)))
    undone = count_change(ctx, fig.undone, was("undone"))
    undone = Change(undone.text, "off", undone.arrow) if undone.text else undone  # neither way
    figure_card(ctx, cards, "undone", fmt_number(fig.undone, ctx.lang), undone)
    # whole dollars on the cards (cents in the CSV of the answers' flows)
    for key, fewer in (("revenue_lost", True), ("revenue_saved", False)):
        cents = getattr(fig, f"{key}_cents")
        change = money_change(ctx, cents, was(f"{key}_cents"), fewer=fewer)
        money_card(
            cards,
            ctx,
            ctx.t(f"insights.fig.{key}"),
            ctx.t(f"insights.fig_help.{key}"),
            cents,
            change,
        )
