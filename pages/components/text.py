"""Text that people typed (or that came from the platform: company and plan names) inside
Streamlit's Markdown: `st.title`, `st.caption`, `st.markdown`, alerts and metric values all render
Markdown, so such text is escaped first and shows as typed, never as a link, an image, a
heading, a colour or LaTeX. Raw HTML is never rendered by these calls anyway.

What escaping cannot stop (Streamlit rewrites them after parsing, as display only): `--`,
`->`, `<-`, `>=` and `<=` shown as typographic symbols, a bare web address shown as a link,
the `:streamlit:` logo shortcode, and runs of white space collapsed. Tables (`st.dataframe`)
show text exactly and are used for free text (comments, messages).
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def md(text: str | None) -> str:
    """`text` as Markdown that shows it literally, on one line."""
    return _PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", text or ""))
