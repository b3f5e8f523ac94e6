"""Cancel subscription: the guided flow (survey, continue or keep with the playbook's offers,
consent) or, once a cancellation is scheduled, its dates, the receipt and the ways back; after
an accepted offer, what changes and from when, and its receipt."""

import streamlit as st

from core.customers import accounts
from core.documents import receipt
from core.platform.errors import PortalError
from core.platform.i18n import fmt_date, fmt_money
from core.retention import cancellation, custom_plan, offers, records, way_back
from core.retention.cancellation import CONSENT, DECIDE, SURVEY, Consents, Survey
from core.rules import vocabulary
from core.rules.vocabulary import STATUS_PAUSED
from pages.components.configurator import plan_configurator, pop_answer, show_request
from pages.components.data_summary import show_counts
from pages.components.offers import (
    OFFER_DONE,
    custom_plan_copy,
    decide_buttons,
    decide_text,
    offer_cards,
    terms_text,
)
from pages.components.resume import handle_click, resume_offer, show_answer
from pages.components.stepper import stepper
from pages.shell.choices import kept
from pages.shell.context import PageContext


def d(ctx: PageContext, value):
    return fmt_date(value, ctx.lang)


def fail(ctx: PageContext, exc: PortalError) -> None:
    st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")


def timeline(ctx: PageContext, dates: records.Dates) -> None:
    st.markdown(
        ctx.t(
            "cancel.timeline",
            end=dates.effective_on,
            deleted=dates.data_deleted_on,
            reactivate=dates.reactivate_until,
        )
    )


def contact_form(ctx: PageContext, key: str) -> None:
    with st.form(key, clear_on_submit=True, enter_to_submit=False):  # no English hint
        st.markdown(f"**{ctx.t('journey.resume.contact_title')}**")
        st.caption(ctx.t("cancel.contact_help"))
        message = st.text_area(
            ctx.t("cancel.contact_message"),
            max_chars=2000,
            placeholder=ctx.t("cancel.contact_hint"),
        )
        if st.form_submit_button(ctx.t("cancel.contact_send"), icon=":material/send:"):
            try:
                number = way_back.contact_support(ctx.db, ctx.user, message)
            except PortalError as exc:
                fail(ctx, exc)
            else:
                st.success(ctx.t("cancel.contact_sent", number=number))


def receipt_bytes(ctx: PageContext, info: cancellation.Scheduled) -> bytes:
    """The receipt, made once per cancellation and language in this browser session: the
    bytes go to the button (a callable there loses its file to other sessions' clean-ups,
    see tests/pages/test_download_buttons.py)."""
    key = (info.confirmation_number, ctx.lang)
    kept = st.session_state.get("receipt_pdf")
    if not kept or kept[0] != key:
        kept = (key, receipt.receipt_pdf(ctx.db, ctx.user, ctx.lang))
        st.session_state["receipt_pdf"] = kept
    return kept[1]


def resume_box(ctx: PageContext, info: cancellation.Scheduled) -> None:
    """Changed your mind? Resume it here (before it takes effect), or write to support."""
    with st.container(border=True, key="resume_box"):
        st.markdown(f"**{ctx.t('journey.resume.title')}**")
        if info.resumable:
            resume_offer(ctx, info.dates, "resume")


def show_scheduled(ctx: PageContext, info: cancellation.Scheduled, just_done: bool) -> None:
    scheduled_text = ctx.t("cancel.already_scheduled", date=info.dates.effective_on)
    if just_done:
        stepper(ctx, 3)
        st.success(f"{ctx.t('cancel.done_title')} {scheduled_text}", icon=":material/check_circle:")
    else:
        st.warning(scheduled_text, icon=":material/event_busy:")
    with st.container(border=True):
        c1, c2 = st.columns(2)
        c1.metric(ctx.t("cancel.confirmation"), info.confirmation_number)
        c2.metric(ctx.t("cancel.effective"), d(ctx, info.dates.effective_on))
        c3, c4 = st.columns(2)
        c3.metric(ctx.t("cancel.deleted_on"), d(ctx, info.dates.data_deleted_on))
        c4.metric(ctx.t("cancel.reactivate_until"), d(ctx, info.dates.reactivate_until))
        st.caption(ctx.t("cancel.requested_at", when=info.requested_at))
        st.download_button(
            ctx.t("cancel.receipt"),
            data=receipt_bytes(ctx, info),
            file_name=receipt.file_name(info),
            mime="application/pdf",
            icon=":material/receipt_long:",
        )
    st.page_link(ctx.pages["export"], label=ctx.t("cancel.save_first"), icon=":material/download:")
    resume_box(ctx, info)
    contact_form(ctx, "contact_support")


def before_start(ctx: PageContext, ov: accounts.AccountOverview) -> None:
    show_answer(ctx)
    if st.session_state.pop("cancel_saved", None) == "kept":
        st.success(ctx.t("cancel.kept"), icon=":material/favorite:")
    pop_answer(ctx, "plan")
    request = custom_plan.open_plan_request(ctx.db, ctx.user)
    if request is not None:
        show_request(ctx, request, "plan")
    st.markdown(ctx.t("cancel.no_lock_in"))
    dates = records.dates_for(ov.period_end, ctx.settings)
    with st.container(border=True):
        st.markdown(f"**{ctx.t('cancel.what_happens')}**")
        timeline(ctx, dates)
    with st.container(border=True):
        st.markdown(f"**{ctx.t('cancel.save_first_title')}**")
        st.caption(ctx.t("cancel.will_delete", deleted=dates.data_deleted_on))
        show_counts(ctx, accounts.data_counts(ctx.db, ctx.user))
        st.page_link(
            ctx.pages["export"], label=ctx.t("cancel.save_first"), icon=":material/download:"
        )
    if request is None:
        st.info(
            ctx.t(
                "cancel.further_options",
                price=fmt_money(ov.custom_plan_from_cents, "USD", ctx.lang),
            ),
            icon=":material/tune:",
        )
    else:
        st.caption(ctx.t("journey.plan.still_cancel"))
    if st.button(ctx.t("cancel.start"), icon=":material/arrow_forward:", key="start"):
        try:
            cancellation.start(ctx.db, ctx.user, settings=ctx.settings)
        except PortalError as exc:
            fail(ctx, exc)
        else:
            st.session_state["survey_open"] = True
            st.rerun()


def survey_body(ctx: PageContext, flow_id: str) -> None:
    # Streamlit's own "Press Enter to apply" under the two text fields is English on every
    # screen and cannot be given a label: hidden (the buttons below apply the answers).
    st.html(
        "<style>.st-key-survey_follow_up [data-testid='InputInstructions'],"
        ".st-key-survey_comment [data-testid='InputInstructions']{display:none}</style>"
    )
    reasons = vocabulary.REASONS
    st.caption(ctx.t("survey.intro"))
    reason = st.radio(
        ctx.t("survey.reason"),
        reasons,
        index=None,
        format_func=lambda r: ctx.t(f"reason.{r}"),
        key=kept("survey_reason"),
    )
    follow_up = st.text_input(
        ctx.t(f"survey.follow_up.{reason or 'none'}"),
        max_chars=cancellation.MAX_FOLLOW_UP,
        key="survey_follow_up",
        disabled=reason is None,
    )
    comment = st.text_area(
        ctx.t("survey.comment"), max_chars=cancellation.MAX_COMMENT, key="survey_comment"
    )
    stars = st.radio(
        ctx.t("survey.satisfaction"),
        (1, 2, 3, 4, 5),
        index=None,
        format_func=lambda n: ctx.t(f"survey.stars.{n}"),
        key=kept("survey_stars"),
    )
    skip_col, send_col = st.columns(2)
    skip = skip_col.button(ctx.t("survey.skip"), key="survey_skip", width="stretch")
    send = send_col.button(ctx.t("survey.send"), type="primary", key="survey_send", width="stretch")
    if skip or send:
        answer = None
        if send:
            answer = Survey(
                reason=reason,
                follow_up=follow_up if reason else "",
                comment=comment,
                satisfaction=stars,
            )
        try:
            cancellation.answer_survey(ctx.db, ctx.user, flow_id, answer, settings=ctx.settings)
        except PortalError as exc:
            fail(ctx, exc)
        else:
            st.rerun()


def survey_stage(ctx: PageContext, flow: cancellation.FlowState) -> None:
    st.subheader(ctx.t("survey.title"))
    st.markdown(ctx.t("survey.why"))
    open_col, skip_col = st.columns(2)
    if open_col.button(ctx.t("survey.open"), type="primary", key="survey_reopen", width="stretch"):
        st.session_state["survey_open"] = True
    if skip_col.button(ctx.t("survey.skip"), key="survey_skip_inline", width="stretch"):
        cancellation.answer_survey(ctx.db, ctx.user, flow.flow_id, None, settings=ctx.settings)
        st.rerun()
    if st.session_state.pop("survey_open", False):
        # Not dismissible: its close button is labelled "Close" in English by Streamlit, and
        # "Skip survey" inside does what closing did (continuing counts as skipping).
        st.dialog(ctx.t("survey.title"), width="medium", dismissible=False)(survey_body)(
            ctx, flow.flow_id
        )


def configurator(ctx: PageContext, flow: cancellation.FlowState, offer: offers.ShownOffer) -> None:
    with st.container(border=True, key="custom_plan_card"):
        custom_plan_copy(offer, ctx.lang)
        pop_answer(ctx, "plan")
        request = custom_plan.open_plan_request(ctx.db, ctx.user)
        if request is not None:  # one open request per account: show it, ask for no other
            show_request(ctx, request, "plan")
            return
        st.markdown(
            ctx.t("offer.body", price=fmt_money(custom_plan.BASE_PRICE_CENTS, "USD", ctx.lang))
        )
        if accounts.overview(ctx.db, ctx.user, settings=ctx.settings).status == STATUS_PAUSED:
            st.caption(ctx.t("retention_offer.paused.no_plan"))  # read-only while paused
            return
        if not st.toggle(ctx.t("offer.configure"), key="configure", value=flow.configurator_opened):
            return
        if not flow.configurator_opened:
            cancellation.open_configurator(ctx.db, ctx.user, flow.flow_id)
        plan_configurator(ctx, "plan", flow_id=flow.flow_id)


def accept(ctx: PageContext, flow: cancellation.FlowState, offer: offers.ShownOffer) -> None:
    """The customer took an offer: the flow ends as saved; the done screen follows."""
    try:
        done = offers.accept(ctx.db, ctx.user, flow.flow_id, offer.key, settings=ctx.settings)
    except PortalError as exc:
        fail(ctx, exc)
    else:
        st.session_state[OFFER_DONE] = done.flow_id
        st.rerun()


def decide_stage(ctx: PageContext, flow: cancellation.FlowState) -> None:
    st.subheader(ctx.t("decide.title"))
    shown = offers.shown(ctx.db, ctx.user, flow.flow_id)
    st.markdown(decide_text(flow.dates.effective_on, shown, ctx.lang))
    keep, go = decide_buttons(ctx.lang, keys=("keep", "continue"))
    if keep:
        cancellation.keep(ctx.db, ctx.user, flow.flow_id)
        st.session_state["cancel_saved"] = "kept"
        st.rerun()
    if go:
        cancellation.go_on(ctx.db, ctx.user, flow.flow_id, settings=ctx.settings)
        st.rerun()
    clicked = offer_cards(
        shown, ctx.lang, key="offer", custom_plan=lambda o: configurator(ctx, flow, o)
    )
    if clicked is not None:
        accept(ctx, flow, clicked)


def consent_stage(ctx: PageContext, flow: cancellation.FlowState) -> None:
    st.subheader(ctx.t("consent.title"))
    st.markdown(ctx.t("consent.body", deleted=flow.dates.data_deleted_on))
    counts = accounts.data_counts(ctx.db, ctx.user)
    ticks = {
        "lists": st.checkbox(ctx.t("consent.lists", n=counts.lists), key="consent_lists"),
        "campaigns": st.checkbox(
            ctx.t("consent.campaigns", n=counts.campaigns), key="consent_campaigns"
        ),
        "reports": st.checkbox(ctx.t("consent.reports", n=counts.reports), key="consent_reports"),
        "account": st.checkbox(ctx.t("consent.account"), key="consent_account"),
    }
    st.info(
        ctx.t(
            "consent.when",
            end=flow.dates.effective_on,
            deleted=flow.dates.data_deleted_on,
            reactivate=flow.dates.reactivate_until,
        ),
        icon=":material/event:",
    )
    consents = Consents(**ticks)
    keep_col, go_col = st.columns(2)
    if keep_col.button(ctx.t("decide.keep"), key="keep_at_consent", width="stretch"):
        cancellation.keep(ctx.db, ctx.user, flow.flow_id)
        st.session_state["cancel_saved"] = "kept"
        st.rerun()
    if go_col.button(
        ctx.t("consent.confirm"),
        type="primary",
        key="confirm",
        disabled=not consents.complete,
        width="stretch",
    ):
        try:
            cancellation.confirm(ctx.db, ctx.user, flow.flow_id, consents, settings=ctx.settings)
        except PortalError as exc:
            fail(ctx, exc)
        else:
            st.session_state["just_cancelled"] = True
            st.rerun()
    if not consents.complete:
        st.caption(ctx.t("consent.all_four"))


def offer_receipt_bytes(ctx: PageContext, done: offers.Accepted) -> bytes:
    """The offer's receipt, made once per flow and language in this browser session (as
    `receipt_bytes`)."""
    key = (done.flow_id, ctx.lang)
    kept = st.session_state.get("offer_receipt_pdf")
    if not kept or kept[0] != key:
        kept = (key, receipt.offer_receipt_pdf(ctx.db, ctx.user, done.flow_id, ctx.lang))
        st.session_state["offer_receipt_pdf"] = kept
    return kept[1]


def offer_taken(ctx: PageContext) -> bool:
    """Right after an accepted offer (and on its reruns): the flow ended as saved; what changes
    and from when, the confirmation number, the receipt, the way back to the overview."""
    flow_id = st.session_state.get(OFFER_DONE)
    done = offers.accepted(ctx.db, ctx.user, flow_id) if flow_id else None
    if done is None:
        st.session_state.pop(OFFER_DONE, None)
        return False
    # no stepper: the flow ended at step 2, saved (no consent was given)
    st.success(ctx.t("retention_offer.done.title"), icon=":material/check_circle:")
    with st.container(border=True, key="offer_done"):
        st.markdown(terms_text(done.terms, ctx.lang))
        c1, c2 = st.columns(2)
        c1.metric(ctx.t("cancel.confirmation"), done.confirmation_number)
        if done.terms.starts_on is not None:
            c2.metric(ctx.t("retention_offer.done.from"), d(ctx, done.terms.starts_on))
        st.caption(ctx.t("retention_offer.done.accepted_at", when=done.accepted_at))
        st.download_button(
            ctx.t("retention_offer.done.receipt"),
            data=offer_receipt_bytes(ctx, done),
            file_name=receipt.offer_file_name(done),
            mime="application/pdf",
            icon=":material/receipt_long:",
            key="offer_receipt",
        )
    st.page_link(
        ctx.pages["overview"], label=ctx.t("retention_offer.done.back"), icon=":material/dashboard:"
    )
    st.caption(ctx.t("offers.receipt.change"))
    return True


def stop_if_scheduled(ctx: PageContext) -> None:
    info = cancellation.scheduled(ctx.db, ctx.user, settings=ctx.settings)
    if info is not None:
        show_scheduled(ctx, info, just_done=st.session_state.pop("just_cancelled", False))
        st.stop()


def render(ctx: PageContext) -> None:
    st.title(ctx.t("cancel.title"))
    handle_click(ctx, "resume")
    if offer_taken(ctx):
        return
    stop_if_scheduled(ctx)
    flow = cancellation.current(ctx.db, ctx.user, settings=ctx.settings)
    if flow is None:
        # Another tab may have confirmed between the two reads (its flow is no longer open, so it
        # is scheduled now): show that, not the start page (seen in tests/e2e/test_load.py's race).
        stop_if_scheduled(ctx)
        before_start(ctx, accounts.overview(ctx.db, ctx.user, settings=ctx.settings))
        st.stop()

    stepper(ctx, {SURVEY: 0, DECIDE: 1, CONSENT: 2}[flow.stage])
    {SURVEY: survey_stage, DECIDE: decide_stage, CONSENT: consent_stage}[flow.stage](ctx, flow)


if __name__ == "__main__":  # run as a script by Streamlit's scan of pages/: go through the router
    from pages.shell.router import run_router

    run_router()
