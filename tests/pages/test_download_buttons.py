"""Downloads must survive other people using the portal at the same time.

The load test (tests/e2e/test_load.py) found that with twenty sessions on one server most
influencer-CSV downloads failed: the browser's GET of the file got 404 and Chromium cancelled
the download. The cause is Streamlit's deferred download (`st.download_button(data=<callable>)`,
Streamlit 1.67): the file the callable makes is stored unreferenced by any session, so the
orphan clean-up that runs at the end of *every* session's script run marks it on the first pass
and deletes it on the second, often before the browser has fetched it.

`test_streamlit_deletes_a_deferred_download_before_it_is_fetched` shows the mechanism without
a browser (two other sessions' runs end between the click and the fetch). While it holds, no
page may hand a callable to `st.download_button`: it passes the bytes (made once and kept in
the session when they are costly) or a signed link to `/download/<token>` (core/web/http.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.env import ROOT

PAGES = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("pages/**/*.py"))


def test_streamlit_deletes_a_deferred_download_before_it_is_fetched():
    """Streamlit's own media manager: the file a deferred download made is gone after two
    clean-ups (each session's script run ends with one). If this starts failing, Streamlit
    has fixed it and deferred downloads may be used again."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    storage = MemoryMediaFileStorage("/media")
    manager = MediaFileManager(storage)
    placeholder = manager.add_deferred(lambda: b"id,name\r\n1,x\r\n", "text/csv", "coord-1")
    url = manager.execute_deferred(placeholder)  # the click: the file is made
    file_id = url.rsplit("/", 1)[-1].split(".")[0]
    manager.remove_orphaned_files()  # another session's run ends
    manager.remove_orphaned_files()  # and another
    with pytest.raises(Exception):  # noqa: B017 - storage raises its own error type
        storage.get_file(file_id)  # the browser's GET: 404


def deferred_downloads(path: Path) -> list[int]:
    """Lines where st.download_button gets a callable as `data` (a lambda, a partial, or a
    name of a function defined in the same file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button"):
            continue
        data = next((k.value for k in node.keywords if k.arg == "data"), None)
        if data is None and len(node.args) > 1:
            data = node.args[1]
        callable_ = isinstance(data, ast.Lambda) or (
            isinstance(data, ast.Call) and getattr(data.func, "id", "") == "partial"
        )
        callable_ |= isinstance(data, ast.Name) and data.id in functions
        if callable_:
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("page", PAGES)
def test_no_page_uses_a_deferred_download(page):
    assert deferred_downloads(ROOT / page) == []
