"""The venv the tests run in is uv.lock, and the lock honours pyproject.toml's ranges.

`make test` first runs `uv lock --check` (Makefile `lock-check`); these checks say the same from
inside the suite, so that a venv installed some other way (pip, a stale sync) cannot pass for the
locked one.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "mj-telegram-bridge"


def locked_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {canonicalize_name(p["name"]): p["version"] for p in lock["package"]}


def project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    return [Requirement(r) for r in wanted]


def test_every_installed_distribution_is_the_locked_version() -> None:
    locked = locked_versions()
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
    }
    drift = {
        name: (version, locked[name])
        for name, version in installed.items()
        if name in locked and name != PROJECT and locked[name] != version
    }
    assert not drift, f"installed != uv.lock (run `make .venv/.stamp-dev`): {drift}"


def test_every_direct_dependency_is_locked_inside_its_range_and_installed() -> None:
    locked = locked_versions()
    for requirement in project_requirements():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement} is not in uv.lock: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"uv.lock has {name} {locked[name]} outside {requirement}: run `make lock`"
        )
        assert metadata.version(requirement.name) == locked[name], f"{name} is not installed"
