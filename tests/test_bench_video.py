"""`python -m bench.video --quick` runs and produces every figure (its numbers mean nothing)."""

from __future__ import annotations

import pytest

from bench import video


@pytest.mark.slow  # a benchmark
def test_the_video_benchmark_runs_and_reports_every_figure(capsys) -> None:
    figures = video.main(["--quick"])

    assert [f.key for f in figures] == list(video.FIGURE_KEYS)
    assert all(f.value is not None and f.value >= 0 for f in figures)
    assert "animated WebP grid -> MP4" in capsys.readouterr().out
