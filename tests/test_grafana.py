"""The Grafana dashboard charts every metric the bot exports, and only those."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import bot.metrics  # noqa: F401  (registers the metrics)

DASHBOARD = Path(__file__).resolve().parent.parent / "docs" / "grafana" / "bot-dashboard.json"


def test_the_dashboard_charts_exactly_the_bots_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    charted = {
        re.sub(r"_(bucket|count|sum)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bmj_\w+", target["expr"])
    }
    # Family names: a counter's without its _total, a histogram's without _bucket etc.
    exported = {family.name for family in REGISTRY.collect() if family.name.startswith("mj_")}
    charted = {re.sub(r"_total$", "", name) for name in charted}
    assert charted == exported
