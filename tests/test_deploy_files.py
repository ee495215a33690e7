"""What the Dockerfile and compose.yaml must keep (no Docker daemon here: `make image-check`
builds and runs the image where one exists)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = (ROOT / "compose.yaml").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def test_the_image_is_pinned_locked_clean_and_numeric() -> None:
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.M)
    assert base is not None
    assert re.fullmatch(r"python:3\.11\.\d+-slim-(bookworm|trixie)", base.group(1))
    assert "uv sync --frozen --no-install-project" in DOCKERFILE  # dependencies, own layer
    assert DOCKERFILE.index("COPY pyproject.toml uv.lock") < DOCKERFILE.index("COPY bot bot")
    assert "--no-editable" in DOCKERFILE  # the venv holds the one copy of the code
    uv = re.search(r"UV_VERSION := (\S+)", MAKEFILE)
    assert uv is not None
    assert f"uv=={uv.group(1)}" in DOCKERFILE  # the same uv as the Makefile's
    runtime = DOCKERFILE.split("FROM ${PYTHON_IMAGE}\n")[-1]
    assert "COPY bot" not in runtime
    assert "COPY alembic.ini" in runtime
    assert re.search(r"^USER \d+:\d+$", runtime, re.M)
    assert "HEALTHCHECK" in runtime
    assert "bot.healthcheck" in runtime


def test_compose_waits_over_tcp_names_the_instance_and_rotates_logs() -> None:
    assert "pg_isready -h 127.0.0.1" in COMPOSE
    assert "start_period" in COMPOSE
    assert "INSTANCE_NAME: ${INSTANCE_NAME:-" in COMPOSE
    assert "POSTGRES_HOST: db" in COMPOSE
    # Nothing overrides a DATABASE_URL that .env sets.
    assert not re.search(r"^\s+DATABASE_URL:", COMPOSE, re.M)
    assert "max-size" in COMPOSE
    assert "bot.healthcheck" in COMPOSE
    assert re.search(r"image: postgres:\d+\.\d+-\w+", COMPOSE)
