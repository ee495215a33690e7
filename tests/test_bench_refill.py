"""bench/refill.py's pairing of a result with the seams it passes, on made-up stamps."""

from __future__ import annotations

import pytest

from bench.refill import SEAMS, refill_paths, report
from bench.trace import Stamp

MS = 0.001


def _path_stamps(final: float, key_of_seam: dict[str, str]) -> list[Stamp]:
    """One refill passing every seam 1 ms after the one before."""
    return [
        (stage, key_of_seam.get(stage, "x"), final + (n + 1) * MS)
        for n, (stage, _, _) in enumerate(SEAMS)
    ]


def test_each_result_is_followed_seam_by_seam_to_the_next_interaction() -> None:
    keys = {"ws_received>": "final", "raw_receive>": "final", "on_mj_event>": "Completed:a"}
    stamps = [
        *_path_stamps(1.0, keys),
        *_path_stamps(2.0, keys),
        # Frames and events of other messages in between are not a result's seams.
        ("ws_received>", "other", 1.0 + 0.5 * MS),
        ("on_mj_event>", "Progress:9", 1.0 + 2.5 * MS),
    ]
    refills = [1.0 + 7 * MS, 2.0 + 7 * MS]
    # The last result freed its slot with nothing left waiting: it has no refill.
    paths = refill_paths([1.0, 2.0, 3.0], refills, stamps)
    assert len(paths) == 2
    for path, final in zip(paths, (1.0, 2.0), strict=True):
        assert path == pytest.approx([final + n * MS for n in range(8)])
    assert "2 refills" in report(paths)


def test_a_result_with_a_missing_seam_is_left_out() -> None:
    keys = {"ws_received>": "final", "raw_receive>": "final", "on_mj_event>": "Completed:a"}
    stamps = [s for s in _path_stamps(1.0, keys) if s[0] != "write_bytes>"]
    assert refill_paths([1.0], [1.0 + 7 * MS], stamps) == []
