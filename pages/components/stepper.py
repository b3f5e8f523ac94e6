"""The four steps of the cancellation, as a row: done, current, still to come."""

import streamlit as st

from pages.shell.context import PageContext

STEPS = ("step.survey", "step.decide", "step.consent", "step.done")


def stepper(ctx: PageContext, current: int) -> None:
    # keyed: on a phone portal.css keeps the four steps on one row instead of four
    cols = st.container(key="cancel_stepper").columns(len(STEPS))
    for i, (col, key) in enumerate(zip(cols, STEPS, strict=True)):
        label = ctx.t("step.label", n=i + 1, name=ctx.t(key))
        if i < current:
            col.markdown(f":green[:material/check_circle: {label}]")
        elif i == current:
            col.markdown(f":violet[**:material/radio_button_checked: {label}**]")
        else:
            col.markdown(f":gray[:material/radio_button_unchecked: {label}]")
    st.progress((current + 1) / len(STEPS))
