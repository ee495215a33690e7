"""The suite's own layout: what test modules share lives in tests/helpers.py (or a fake or tool
of its own), never in another test module or in conftest.py, which pytest loads as a plugin."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def imported_test_modules(source: str, package: str = "tests") -> list[str]:
    """The test modules (and conftest) that `source`, a module of `package`, imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = parts[: len(parts) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            # `from tests import test_x` names the module among its aliases
            modules = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for module in modules:
            last = module.rsplit(".", 1)[-1]
            if module.startswith("tests.") and (last.startswith("test_") or last == "conftest"):
                found.append(module)
    return found


def test_no_module_of_the_suite_imports_a_test_module_or_conftest() -> None:
    crossings = [
        f"{path.relative_to(TESTS.parent)} imports {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in imported_test_modules(
            path.read_text(encoding="utf-8"),
            ".".join(path.relative_to(TESTS.parent).parent.parts),
        )
    ]
    assert crossings == [], "move what they share into tests/helpers.py"


@pytest.mark.parametrize(
    ("source", "package", "module"),
    [
        ("from tests.test_imagine_e2e import keyboard", "tests", "tests.test_imagine_e2e"),
        ("from tests.conftest import StartBot", "tests", "tests.conftest"),
        ("import tests.test_actions_e2e", "tests", "tests.test_actions_e2e"),
        ("from tests import test_faults_e2e", "tests", "tests.test_faults_e2e"),
        ("from .test_dispatcher import Recorder", "tests", "tests.test_dispatcher"),
        ("from . import conftest", "tests", "tests.conftest"),
        ("from ..test_rest import x", "tests.fakes", "tests.test_rest"),
    ],
)
def test_the_check_catches_every_spelling(source: str, package: str, module: str) -> None:
    assert module in imported_test_modules(source, package)


def test_the_check_lets_helpers_fakes_and_tools_through() -> None:
    source = (
        "from tests.helpers import keyboard\nfrom tests.fakes.discord import FakeDiscord\n"
        "from tests.postgres import PostgresServer\nfrom . import helpers\nimport pytest\n"
    )
    assert imported_test_modules(source) == []
