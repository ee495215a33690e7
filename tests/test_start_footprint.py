"""What a bot process loads at start: only what every deployment needs (README "Performance",
RSS). aiohttp's web server serves only HEALTH_PORT and the Mini App, the PostgreSQL dialect
only a PostgreSQL database, Pillow only pictures; each is a few MiB of RSS."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT

_OPTIONAL = ("aiohttp.web", "sqlalchemy.dialects.postgresql", "PIL")


def test_importing_the_bot_loads_no_optional_part() -> None:
    probe = (
        "import sys, bot.__main__, bot.app;"
        f"print(' '.join(m for m in {_OPTIONAL!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == []
