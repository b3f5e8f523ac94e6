"""The shape of core/ that the README's Layout promises: packages by capability that import
each other one way only, no module over about 600 lines, no Streamlit, a docstring per package."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.support.env import ROOT

CORE = ROOT / "core"
MAX_LINES = 600


def modules() -> dict[str, Path]:
    """core's modules by dotted name (the migrations' revision files left out)."""
    out = {}
    for path in sorted(CORE.rglob("*.py")):
        if "versions" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The core modules a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("core"):
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in known else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("core")}
    return found


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (CORE / parts[1]).is_dir()) else ""


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_between_modules_or_between_packages():
    known = modules()
    by_module = {m: imports(p, known) - {m} for m, p in known.items()}
    assert find_cycle(by_module) is None, find_cycle(by_module)
    by_package: dict[str, set[str]] = defaultdict(set)
    for module, targets in by_module.items():
        for target in targets:
            if package(module) and package(target) and package(module) != package(target):
                by_package[package(module)].add(package(target))
    assert find_cycle(by_package) is None, find_cycle(by_package)


# core's packages from the bottom up, as the README's Layout lists them: each imports only
# packages before it
LAYERS = (
    "rules",
    "platform",
    "identity",
    "customers",
    "retention",
    "documents",
    "exports",
    "jobs",
    "outbox",
    "insights",
    "support_desk",
    "demo",
    "web",
)


def test_each_package_imports_only_the_packages_below_it():
    assert set(LAYERS) == {p.parent.name for p in CORE.glob("*/__init__.py")}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    listed = [line.split()[0].rstrip("/") for line in layout.splitlines() if line[:2] == "  "]
    assert [name for name in listed if name in LAYERS] == list(LAYERS)
    known = modules()
    wrong = set()
    for module, path in known.items():
        for target in imports(path, known):
            below = LAYERS[: LAYERS.index(package(module))] if package(module) else LAYERS
            if (
                package(target)
                and package(target) != package(module)
                and (package(target) not in below)
            ):
                wrong.add(f"{module} -> {target}")
    assert not wrong, sorted(wrong)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_is_over_about_600_lines():
    long = {
        m: n
        for m, p in modules().items()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, long


def test_core_never_imports_streamlit():
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0] == "streamlit"], module


def test_every_package_says_what_it_owns():
    for init in sorted(CORE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 60 and "TODO" not in doc, init
