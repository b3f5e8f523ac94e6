"""The playbook page's editor: a draft's offers (kind, parameters, copy in English and Italian)
and rules (reason, segment, offers in order), each changed with a form whose button saves the
draft through `core.retention.playbook.save_draft`. Whatever is wrong is refused there, with
every problem named in the admin's language, and nothing is saved. A published version is shown
read-only; "Publish" asks to confirm first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.platform.errors import PortalError
from core.retention import playbook as playbooks
from core.rules import offers as rules
from core.rules.pricing import PLANS
from core.rules.vocabulary import (
    OFFER_KIND_DISCOUNT,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
    OFFER_KINDS,
    TENURE_BANDS,
)
from pages.components.confirm import FLASH, confirm_button
from pages.components.playbook_labels import (
    PUBLISHED,
    countries,
    country_label,
    everyone,
    kind_label,
    offer_summary,
    plan_label,
    reason_label,
    show_error,
    tenure_label,
)
from pages.shell.choices import kept
from pages.shell.context import PageContext

NEW = "+"  # the "new offer" / "new rule" choice
GOTO = "pb_goto"  # session: the section to open on the next run (set before its widget exists)
PLAN_CODES = tuple(p.code for p in PLANS)


def done(ctx: PageContext, text: str, *, goto: str | None = None) -> None:
    st.session_state[FLASH] = ("success", text)
    if goto:
        st.session_state[GOTO] = goto
    st.rerun()


def save(ctx: PageContext, info: playbooks.VersionInfo, playbook: rules.Playbook, note=None):
    """Save the draft with this content; on a refusal, say why (nothing was saved)."""
    try:
        playbooks.save_draft(
            ctx.db,
            ctx.user,
            playbook,
            number=info.number,
            note=info.note if note is None else note,
        )
    except PortalError as exc:
        show_error(ctx, exc)
    else:
        done(ctx, ctx.t("playbook_page.saved", n=info.number))


def offers_table(ctx: PageContext, playbook: rules.Playbook) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                ctx.t("playbook_page.col.key"): [o.key for o in playbook.offers],
                ctx.t("playbook_page.col.kind"): [kind_label(ctx, o.kind) for o in playbook.offers],
                ctx.t("playbook_page.col.terms"): [offer_summary(ctx, o) for o in playbook.offers],
                ctx.t("playbook_page.col.title_en"): [
                    o.title.get("en", "") for o in playbook.offers
                ],
                ctx.t("playbook_page.col.title_it"): [
                    o.title.get("it", "") for o in playbook.offers
                ],
            }
        ),
        hide_index=True,
        key="pb_offers_table",
    )


def rules_table(ctx: PageContext, playbook: rules.Playbook) -> None:
    def offer_name(key: str) -> str:
        offer = playbook.offer(key)
        return f"{key} ({kind_label(ctx, offer.kind)})" if offer else key

    rows = playbook.rules
    st.dataframe(
        pd.DataFrame(
            {
                "#": list(range(1, len(rows) + 1)),
                ctx.t("playbook_page.col.reason"): [reason_label(ctx, r.reason) for r in rows],
                ctx.t("playbook_page.col.plans"): [
                    everyone(ctx, r.plans, plan_label) for r in rows
                ],
                ctx.t("playbook_page.col.tenure"): [
                    everyone(ctx, r.tenure_bands, lambda b: tenure_label(ctx, b)) for r in rows
                ],
                ctx.t("playbook_page.col.countries"): [
                    everyone(ctx, r.countries, lambda c: country_label(ctx, c)) for r in rows
                ],
                ctx.t("playbook_page.col.offers"): [
                    " → ".join(offer_name(k) for k in r.offers) for r in rows
                ],
            }
        ),
        hide_index=True,
        key="pb_rules_table",
    )


def whole(value) -> int:
    return int(value) if value is not None else 0


def offer_form(ctx: PageContext, info: playbooks.VersionInfo) -> None:
    playbook = info.playbook
    choice = st.selectbox(
        ctx.t("playbook_page.offer.pick"),
        [*(o.key for o in playbook.offers), NEW],
        format_func=lambda k: (
            ctx.t("playbook_page.offer.new")
            if k == NEW
            else f"{k} ({kind_label(ctx, playbook.offer(k).kind)})"
        ),
        key=kept(f"pb_offer_pick_{info.number}"),
    )
    offer = playbook.offer(choice) if choice != NEW else None
    k = f"pb_offer_{info.number}_{choice}"
    with st.form(k, enter_to_submit=False):
        c1, c2 = st.columns(2)
        key = c1.text_input(
            ctx.t("playbook_page.offer.key"),
            value=offer.key if offer else "",
            max_chars=40,
            help=ctx.t("playbook_page.offer.key_help"),
            key=f"{k}_key",
        )
        kinds = list(OFFER_KINDS)
        kind = c2.selectbox(
            ctx.t("playbook_page.offer.kind"),
            kinds,
            index=kinds.index(offer.kind) if offer and offer.kind in kinds else 1,
            format_func=lambda x: kind_label(ctx, x),
            key=kept(f"{k}_kind"),
        )
        c1, c2, c3 = st.columns(3)
        cycles = c1.number_input(
            ctx.t("playbook_page.offer.cycles"),
            value=offer.cycles if offer else 1,
            step=1,
            format="%d",
            help=ctx.t("playbook_page.offer.cycles_help"),
            key=f"{k}_cycles",
        )
        percent = c2.number_input(
            ctx.t("playbook_page.offer.percent"),
            value=offer.percent if offer else 0,
            step=1,
            format="%d",
            help=ctx.t("playbook_page.offer.percent_help"),
            key=f"{k}_percent",
        )
        plans = ["", *PLAN_CODES]
        plan = c3.selectbox(
            ctx.t("playbook_page.offer.plan"),
            plans,
            index=plans.index(offer.plan_code) if offer and offer.plan_code in plans else 0,
            format_func=lambda c: plan_label(c) if c else "—",
            help=ctx.t("playbook_page.offer.plan_help"),
            key=kept(f"{k}_plan"),
        )
        copy = {}
        for lang in ("en", "it"):
            name = ctx.t(f"playbook_page.lang.{lang}")
            copy[f"title_{lang}"] = st.text_input(
                ctx.t("playbook_page.offer.title", language=name),
                value=offer.title.get(lang, "") if offer else "",
                max_chars=rules.MAX_TITLE,
                key=f"{k}_title_{lang}",
            )
            copy[f"body_{lang}"] = st.text_area(
                ctx.t("playbook_page.offer.body", language=name),
                value=offer.body.get(lang, "") if offer else "",
                max_chars=rules.MAX_BODY,
                height=80,
                key=f"{k}_body_{lang}",
            )
        c1, c2 = st.columns(2)
        submit = c1.form_submit_button(
            ctx.t("playbook_page.offer.save"), type="primary", key=f"{k}_save", width="stretch"
        )
        remove = (
            c2.form_submit_button(
                ctx.t("playbook_page.offer.remove"), key=f"{k}_remove", width="stretch"
            )
            if offer
            else False
        )
    if submit:
        new = rules.Offer(
            key=key.strip(),
            kind=kind,
            cycles=whole(cycles) if kind in (OFFER_KIND_PAUSE, OFFER_KIND_DISCOUNT) else 0,
            percent=whole(percent) if kind == OFFER_KIND_DISCOUNT else 0,
            plan_code=plan if kind == OFFER_KIND_DOWNGRADE else "",
            title={lang: copy[f"title_{lang}"].strip() for lang in ("en", "it")},
            body={lang: copy[f"body_{lang}"].strip() for lang in ("en", "it")},
        )
        save(ctx, info, with_offer(playbook, offer, new))
    if remove and offer is not None:
        save(ctx, info, without_offer(playbook, offer.key))


def with_offer(playbook: rules.Playbook, old: rules.Offer | None, new: rules.Offer):
    """The playbook with `old` replaced by `new` (renamed in the rules too), or `new` added."""
    if old is None:
        return rules.Playbook(offers=(*playbook.offers, new), rules=playbook.rules)
    renamed = tuple(
        rules.Rule(
            reason=r.reason,
            offers=tuple(new.key if k == old.key else k for k in r.offers),
            plans=r.plans,
            tenure_bands=r.tenure_bands,
            countries=r.countries,
        )
        for r in playbook.rules
    )
    offers = tuple(new if o.key == old.key else o for o in playbook.offers)
    return rules.Playbook(offers=offers, rules=renamed)


def without_offer(playbook: rules.Playbook, key: str) -> rules.Playbook:
    """The playbook without that offer, taken out of every rule too."""
    return rules.Playbook(
        offers=tuple(o for o in playbook.offers if o.key != key),
        rules=tuple(
            rules.Rule(
                reason=r.reason,
                offers=tuple(k for k in r.offers if k != key),
                plans=r.plans,
                tenure_bands=r.tenure_bands,
                countries=r.countries,
            )
            for r in playbook.rules
        ),
    )


def segment(column, label: str, options, chosen, label_of, everyone: str, key: str) -> list:
    """A rule's segment (plans, tenure bands or countries): none chosen means everyone; a
    stored value no longer among the options is left out."""
    return column.multiselect(
        label,
        options,
        default=[o for o in chosen if o in options],
        format_func=label_of,
        placeholder=everyone,
        key=kept(key),
    )


def rule_form(ctx: PageContext, info: playbooks.VersionInfo) -> None:
    playbook = info.playbook
    n = len(playbook.rules)
    choice = st.selectbox(
        ctx.t("playbook_page.rule.pick"),
        [*range(1, n + 1), NEW],
        format_func=lambda i: (
            ctx.t("playbook_page.rule.new")
            if i == NEW
            else ctx.t(
                "playbook_page.rule.name",
                n=i,
                reason=reason_label(ctx, playbook.rules[i - 1].reason),
            )
        ),
        key=kept(f"pb_rule_pick_{info.number}"),
    )
    rule = playbook.rules[choice - 1] if choice != NEW else None
    k = f"pb_rule_{info.number}_{choice}"
    reasons = list(rules.RULE_REASONS)
    codes = countries(ctx)
    keys = [o.key for o in playbook.offers]
    everyone_text = ctx.t("playbook_page.all")
    with st.form(k, enter_to_submit=False):
        c1, c2 = st.columns(2)
        reason = c1.selectbox(
            ctx.t("playbook_page.rule.reason"),
            reasons,
            index=reasons.index(rule.reason) if rule and rule.reason in reasons else 0,
            format_func=lambda r: reason_label(ctx, r),
            key=kept(f"{k}_reason"),
        )
        position = c2.number_input(
            ctx.t("playbook_page.rule.position"),
            value=choice if rule else n + 1,
            step=1,
            format="%d",
            help=ctx.t("playbook_page.rule.position_help"),
            key=f"{k}_position",
        )
        c1, c2, c3 = st.columns(3)
        plans = segment(
            c1,
            ctx.t("playbook_page.rule.plans"),
            PLAN_CODES,
            rule.plans if rule else (),
            plan_label,
            everyone_text,
            f"{k}_plans",
        )
        bands = segment(
            c2,
            ctx.t("playbook_page.rule.tenure"),
            TENURE_BANDS,
            rule.tenure_bands if rule else (),
            lambda b: tenure_label(ctx, b),
            everyone_text,
            f"{k}_tenure",
        )
        places = segment(
            c3, ctx.t("playbook_page.rule.countries"), codes, rule.countries if rule else (),
            lambda c: country_label(ctx, c), everyone_text, f"{k}_countries",
        )  # fmt: skip
        chosen = st.multiselect(
            ctx.t("playbook_page.rule.offers"),
            keys,
            default=[o for o in (rule.offers if rule else ()) if o in keys],
            format_func=lambda key: f"{key} ({kind_label(ctx, playbook.offer(key).kind)})",
            placeholder=ctx.t("playbook_page.rule.offers_hint"),
            help=ctx.t("playbook_page.rule.offers_help"),
            key=kept(f"{k}_offers"),
        )
        c1, c2 = st.columns(2)
        submit = c1.form_submit_button(
            ctx.t("playbook_page.rule.save"), type="primary", key=f"{k}_save", width="stretch"
        )
        remove = (
            c2.form_submit_button(
                ctx.t("playbook_page.rule.remove"), key=f"{k}_remove", width="stretch"
            )
            if rule
            else False
        )
    others = [r for i, r in enumerate(playbook.rules, start=1) if i != choice]
    if submit:
        new = rules.Rule(
            reason=reason,
            offers=tuple(chosen),
            plans=tuple(plans),
            tenure_bands=tuple(bands),
            countries=tuple(places),
        )
        at = min(max(whole(position), 1), len(others) + 1) - 1
        others.insert(at, new)
        save(ctx, info, rules.Playbook(offers=playbook.offers, rules=tuple(others)))
    if remove and rule is not None:
        save(ctx, info, rules.Playbook(offers=playbook.offers, rules=tuple(others)))


def note_form(ctx: PageContext, info: playbooks.VersionInfo) -> None:
    with st.form(f"pb_note_{info.number}", enter_to_submit=False, border=False):
        note = st.text_input(
            ctx.t("playbook_page.note"),
            value=info.note,
            max_chars=200,
            key=f"pb_note_{info.number}",
        )
        if st.form_submit_button(
            ctx.t("playbook_page.save_note"), key=f"pb_note_save_{info.number}"
        ):
            save(ctx, info, info.playbook, note=note)


def publish(ctx: PageContext, info: playbooks.VersionInfo) -> None:
    target = confirm_button(
        ctx,
        "pb_publish",
        ctx.t("playbook_page.publish", n=info.number),
        ctx.t("playbook_page.publish_prompt", n=info.number),
        info.number,
        icon=":material/publish:",
    )
    if target is None:
        return
    try:
        playbooks.publish(ctx.db, ctx.user, target)
    except PortalError as exc:
        show_error(ctx, exc)
    else:
        done(ctx, ctx.t("playbook_page.published", n=target), goto="versions")


def edit_section(ctx: PageContext, info: playbooks.VersionInfo) -> None:
    """A draft: its note, offers and rules, each editable, and "Publish"; a published version:
    the same, read-only."""
    frozen = info.status == PUBLISHED
    if frozen:
        st.info(ctx.t("playbook_page.frozen", n=info.number), icon=":material/lock:")
    st.subheader(ctx.t("playbook_page.offers"))
    offers_table(ctx, info.playbook)
    if not frozen:
        with st.expander(
            ctx.t("playbook_page.offer.edit"), icon=":material/edit:", key="pb_offer_open"
        ):
            offer_form(ctx, info)
    st.subheader(ctx.t("playbook_page.rules"))
    st.caption(ctx.t("playbook_page.rules_help"))
    rules_table(ctx, info.playbook)
    if frozen:
        return
    with st.expander(ctx.t("playbook_page.rule.edit"), icon=":material/edit:", key="pb_rule_open"):
        rule_form(ctx, info)
    st.divider()
    note_form(ctx, info)
    publish(ctx, info)
