"""Choices keep what was chosen when the language changes.

Streamlit sends the browser a choice's options as their labels and takes back the labels chosen.
The labels change with the language: after a change the browser still holds the old labels, none
of them is among the new ones, and Streamlit drops them (a multiselect empties, a select box and a
radio go back to their first option). A choice whose key comes from `kept()` is set again by its
value, which is the same in both languages, before the new language's run draws it.
"""

from __future__ import annotations

import streamlit as st

_KEPT = "_kept_choices"  # session: the keys of the choices to carry through a change of language


def kept(key: str) -> str:
    """`key`, noted as a choice (select box, multiselect, radio, segmented control, pills) to
    carry through a change of language."""
    st.session_state.setdefault(_KEPT, set()).add(key)
    return key


def carry_choices() -> None:
    """On a change of language, before any widget of the page is drawn: each kept choice drawn
    in the last run is set again by its value."""
    for key in st.session_state.get(_KEPT, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
