"""The shape of tests/: the tests mirror core/ and pages/ (tests/core/<package>/, tests/pages/),
what they share lives in tests/support/ (and fixtures in conftest.py files), and no test module
imports another test module or a conftest.py: a test module may be moved or deleted alone."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.env import ROOT

TESTS = ROOT / "tests"
# helper modules outside tests/support: the e2e gallery and load runs are programs of their own
# (`python -m tests.e2e.gallery`, `python -m tests.e2e.load`)
E2E_PROGRAMS = {"tests/e2e/gallery.py", "tests/e2e/load.py"}
# the e2e tests take their server helpers from tests/e2e/conftest.py (running_server, Server)
ALLOWED_CONFTEST = {"tests.e2e.conftest"}


def python_files(*tops: Path) -> list[Path]:
    return sorted(p for top in tops for p in top.rglob("*.py") if "node_modules" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, text: str | None = None) -> set[str]:
    """Every module an import statement in `path` (or in `text`, read as if it were that file)
    names: `from a import b` names `a` and `a.b`; relative imports are resolved."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1] + (
                    [node.module] if node.module else []
                )
                base = ".".join(parts)
            else:
                base = node.module or ""
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def is_test_module(module: str) -> bool:
    """A test module, a conftest.py, or something in one (`tests.conftest.NOW`)."""
    parts = module.split(".")
    return parts[0] == "tests" and any(
        (part.startswith("test_") or part == "conftest")
        and ".".join(parts[: i + 1]) not in ALLOWED_CONFTEST
        for i, part in enumerate(parts)
    )


def test_no_module_imports_a_test_module_or_a_conftest():
    wrong = {
        path.relative_to(ROOT).as_posix(): sorted(n for n in imported(path) if is_test_module(n))
        for path in python_files(TESTS, ROOT / "bench")
    }
    assert {path: names for path, names in wrong.items() if names} == {}, (
        "move what is shared into tests/support/ (helpers) or a conftest.py (fixtures)"
    )


def test_the_checker_sees_every_way_of_importing_a_test_module():
    text = (
        "import tests.test_ci_audit\n"
        "from tests.core.rules import test_rules\n"
        "from tests.pages.test_pages import x\n"
        "from . import test_open_by_url\n"
        "from ..conftest import db\n"
        "from tests.e2e.conftest import running_server\n"
        "from tests.support.pages import open_page\n"
    )
    names = imported(TESTS / "pages" / "test_probe.py", text)
    assert {name for name in names if is_test_module(name)} == {
        "tests.test_ci_audit",
        "tests.core.rules.test_rules",
        "tests.pages.test_pages",
        "tests.pages.test_pages.x",
        "tests.pages.test_open_by_url",
        "tests.conftest",
        "tests.conftest.db",
    }


def test_every_test_folder_is_a_package_and_mirrors_core_or_pages():
    folders = {p.parent for p in python_files(TESTS)}
    assert not [f for f in folders if not (f / "__init__.py").exists()]
    for folder in (TESTS / "core").iterdir():
        if folder.is_dir() and folder.name != "__pycache__":
            assert (ROOT / "core" / folder.name / "__init__.py").exists(), (
                f"tests/core/{folder.name}/ has no package core/{folder.name}/ to mirror"
            )


def test_helpers_live_in_tests_support():
    """Outside tests/support/ a module is a test module, a conftest.py or an __init__.py."""
    helpers = [
        p.relative_to(ROOT).as_posix()
        for p in python_files(TESTS)
        if not p.name.startswith("test_")
        and p.name not in ("conftest.py", "__init__.py")
        and TESTS / "support" not in p.parents
    ]
    assert sorted(set(helpers) - E2E_PROGRAMS) == []
