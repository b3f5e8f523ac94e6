"""Nothing in pages/ runs at import: Streamlit runs every pages/*.py as a script on a server
process's first run (without the router), so a screen module may hold only imports,
definitions, constants, a docstring and the hand-off to the router; never a Streamlit call."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pages.shell.router import SCREENS
from tests.support.env import ROOT

PAGES = ROOT / "pages"
SCREEN_FILES = sorted(p for p in PAGES.glob("*.py") if p.name != "__init__.py")
ALL_FILES = sorted(PAGES.rglob("*.py"))
UPPER_CASE = re.compile(r"^_*[A-Z][A-Z0-9_]*$")


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":`, exactly."""
    test = node.test if isinstance(node, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _is_hand_off(node: ast.If) -> bool:
    """The guard's body only imports and calls `run_router()` once, and there is no else."""
    if node.orelse:
        return False
    calls = [s for s in node.body if not isinstance(s, ast.Import | ast.ImportFrom)]
    return (
        len(calls) == 1
        and isinstance(calls[0], ast.Expr)
        and isinstance(calls[0].value, ast.Call)
        and isinstance(calls[0].value.func, ast.Name)
        and calls[0].value.func.id == "run_router"
        and not calls[0].value.args
        and not calls[0].value.keywords
    )


def _streamlit_names(tree: ast.Module) -> set[str]:
    """The names this module binds to Streamlit or to anything imported from it."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "streamlit":
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "streamlit":
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _run_at_import(stmt: ast.stmt) -> list[ast.AST]:
    """The parts of a module-level statement that Python evaluates when it imports the module:
    all of it, except a function's body (and the decorators, which are allowed)."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        return [*stmt.args.defaults, *(d for d in stmt.args.kw_defaults if d is not None)]
    if isinstance(stmt, ast.ClassDef):
        parts: list[ast.AST] = [*stmt.bases, *(k.value for k in stmt.keywords)]
        for inner in stmt.body:
            parts += _run_at_import(inner)
        return parts
    return [stmt]


def _statement_problem(stmt: ast.stmt, first: bool) -> str | None:
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return None
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return None
    if first and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return None if isinstance(stmt.value.value, str) else "a bare constant"
    if isinstance(stmt, ast.Assign | ast.AnnAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if len(names) != len(targets):
            return "an assignment to something other than a name"
        if all(UPPER_CASE.match(n) for n in names):
            return None
        if stmt.value is not None and _is_literal(stmt.value):
            return None
        return f"{', '.join(names)} = a computed value (constants are UPPER_CASE)"
    if _is_main_guard(stmt):
        return None if _is_hand_off(stmt) else "a __main__ block that does more than hand off"
    return f"a statement that runs at import ({type(stmt).__name__})"


def import_time_problems(source: str, *, screen: bool = False) -> list[str]:
    """What in this module's source runs at import, as "line N: ..." (empty when nothing does).
    A screen module must also define `render` and end with the hand-off to the router."""
    tree = ast.parse(source)
    streamlit = _streamlit_names(tree)
    problems: list[str] = []
    for i, stmt in enumerate(tree.body):
        problem = _statement_problem(stmt, first=i == 0)
        if problem:
            problems.append(f"line {stmt.lineno}: {problem}")
        for part in _run_at_import(stmt):
            for node in ast.walk(part):
                if isinstance(node, ast.Call) and _root_name(node.func) in streamlit:
                    what = ast.unparse(node.func)
                    problems.append(f"line {node.lineno}: calls {what} at import")
    guards = [s for s in tree.body if _is_main_guard(s)]
    if len(guards) > 1:
        problems.append("more than one __main__ block")
    if screen:
        if not any(
            isinstance(s, ast.FunctionDef) and s.name == "render" and s.args.args for s in tree.body
        ):
            problems.append("no render(ctx) function")
        if not guards or tree.body[-1] is not guards[0]:
            problems.append("does not end with the hand-off to the router")
    return problems


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_file_in_pages_runs_code_at_import(path: Path):
    screen = path.parent == PAGES and path.name != "__init__.py"
    assert import_time_problems(path.read_text(encoding="utf-8"), screen=screen) == []


def test_every_screen_in_the_router_is_a_module_of_pages_and_every_module_a_screen():
    modules = {screen.render.__module__ for screen in SCREENS.values()}
    assert all(screen.render.__name__ == "render" for screen in SCREENS.values())
    assert modules == {f"pages.{p.stem}" for p in SCREEN_FILES}


GOOD = '''"""A screen."""

from __future__ import annotations

import streamlit as st

TITLE = "x"
_STYLE = str(1)
colours = {"a": ("#fff", 1)}


@st.cache_data(ttl=60)
def data() -> int:
    return 1


def render(ctx) -> None:
    st.title(TITLE)


if __name__ == "__main__":
    from pages.shell.router import run_router

    run_router()
'''


def test_the_checker_passes_a_screen_that_only_defines():
    assert import_time_problems(GOOD, screen=True) == []


def test_the_checker_fails_a_screen_that_draws_a_title_at_import():
    bad = GOOD.replace('TITLE = "x"\n', 'TITLE = "x"\nst.title("Overview")\n', 1)
    assert import_time_problems(bad, screen=True) == [
        "line 8: a statement that runs at import (Expr)",
        "line 8: calls st.title at import",
    ]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('TITLE = "x"\n', 'TITLE = st.title("Overview")\n', "line 7: calls st.title at import"),
        ('TITLE = "x"\n', 'TITLE = "x"\nwith st.sidebar:\n    pass\n', "runs at import (With)"),
        ('TITLE = "x"\n', 'TITLE = "x"\nuser = load()\n', "user = a computed value"),
        ('TITLE = "x"\n', 'TITLE = "x"\nif TITLE:\n    render(None)\n', "runs at import (If)"),
        ("    run_router()\n", "    run_router()\n    st.title('x')\n", "more than hand off"),
        ("def render(ctx)", "def draw(ctx)", "no render(ctx) function"),
        ('if __name__ == "__main__":', "if True:", "does not end with the hand-off"),
        ("def data() -> int:", "def data(n=st.slider('n')) -> int:", "calls st.slider"),
        ("import streamlit as st\n", "from streamlit import title\n\ntitle('x')\n", "line 7"),
    ],
    ids=[
        "assigned",
        "with",
        "computed",
        "if",
        "main",
        "no-render",
        "no-hand-off",
        "default",
        "from-import",
    ],
)
def test_the_checker_fails_a_screen_that_runs_code_at_import(old, new, problem):
    assert old in GOOD
    problems = import_time_problems(GOOD.replace(old, new, 1), screen=True)
    assert any(problem in p for p in problems), problems
