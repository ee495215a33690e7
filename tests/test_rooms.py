"""The one-way doors between the rooms: bridge never reaches into bot or Telegram, and leaves
the quota ledger and the bot's button tokens to storage's job lifecycle and to the bot."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# room -> modules it must not import (a prefix matches its submodules too)
FORBIDDEN = {
    "bridge": ("bot", "telegram", "storage.quota", "storage.buttons"),
    "storage": ("bot", "bridge", "telegram", "discord"),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_a_room_imports_nothing_behind_its_one_way_doors(room: str) -> None:
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / room).rglob("*.py"))
        for name in imports_of(path)
        if any(name == banned or name.startswith(f"{banned}.") for banned in FORBIDDEN[room])
    ]
    assert crossings == []


def test_only_the_composition_root_of_the_bot_touches_a_midjourney_backend() -> None:
    """Pictures are staged and results fetched through the dispatcher: no bot module but the
    entry points (bot/app.py builds the accounts) holds a backend."""
    touching = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        # bot/health.py reads the gateway sessions' state off each backend (ops' health
        # check); it should come with the dispatcher's status snapshot instead.
        if path.parent.name == "bot" and path.name in ("app.py", "__main__.py", "health.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = imports_of(path)
        uses = any(isinstance(n, ast.Attribute) and n.attr == "backend" for n in ast.walk(tree))
        if uses or names & {"bridge.backend", "bridge.discord_backend", "bridge.simulator"}:
            touching.append(str(path.relative_to(ROOT)))
    assert touching == []


def test_only_the_job_lifecycle_writes_the_quota_ledger() -> None:
    """Reserve, charge and refund are storage/jobs.py's (accept_job, succeed_job, fail_job):
    no other product module calls the ledger's writes, so the money invariant has one home."""
    writes = {"reserve", "charge", "refund"}
    home = ROOT / "storage" / "jobs.py"
    callers = []
    for room in ("bot", "bridge", "storage"):
        for path in sorted((ROOT / room).rglob("*.py")):
            if path in (home, ROOT / "storage" / "quota.py"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.module == "storage.quota"
                    and writes & {alias.name for alias in node.names}
                ) or (
                    isinstance(node, ast.Import)
                    and any(alias.name == "storage.quota" for alias in node.names)
                ):
                    callers.append(str(path.relative_to(ROOT)))
    assert callers == []
    assert writes <= {
        alias.name
        for node in ast.walk(ast.parse(home.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == "storage.quota"
        for alias in node.names
    }


def test_the_bot_reads_no_midjourney_custom_id() -> None:
    """Midjourney's custom_ids are bridge/buttons.py's to read: the bot labels and lays out the
    kinds it classifies them into, and names no custom_id or piece of one itself."""
    pieces = ("MJ::", "::JOB::", "::SOLO")
    found = []
    for path in sorted((ROOT / "bot").rglob("*")):
        if path.suffix == ".py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and (node.value == "::" or any(piece in node.value for piece in pieces))
            ]
        elif path.suffix in (".js", ".html") and "MJ::" in path.read_text(encoding="utf-8"):
            found.append(str(path.relative_to(ROOT)))
    assert found == []
