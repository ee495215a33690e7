"""The parser on messages that other people captured from real Discord (2023 and June 2026).

They are not in the repository and must never be committed: they are other people's captures,
ids and prompts included (the shapes we rely on are re-created in tests/data/samples/). The
test reads the folder named by REAL_MJ_SAMPLES, else `real-midjourney/samples` in the `shared`
folder beside the clone (where the team's machines keep them), and skips when there is none.
Each file says what a careful reading makes of it: `expect_kind` (the event's class name, or
None for "no job news"), `accept_kinds` (when more than one reading is fine) and
`expect_fields`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bridge.messages import Completed, MjEvent
from bridge.parser import parse

ROOT = Path(__file__).resolve().parent.parent
_FOLDERS = (
    *((Path(os.environ["REAL_MJ_SAMPLES"]),) if os.environ.get("REAL_MJ_SAMPLES") else ()),
    ROOT.parent / "shared" / "real-midjourney" / "samples",
    Path("/work/shared/real-midjourney/samples"),
)
FOLDER = next((folder for folder in _FOLDERS if folder.is_dir()), None)
FILES = sorted(FOLDER.glob("*.json")) if FOLDER is not None else []


def _kind_name(event: MjEvent | None) -> str:
    return "None" if event is None else type(event).__name__


# How each `expect_fields` key is read off the parse result.
_FIELDS: dict[str, Any] = {
    "prompt": lambda event: event.prompt,
    "result_kind": lambda event: event.kind.value,
    "buttons": lambda event: len(event.buttons),
    "mode": lambda event: event.mode,
    "job_hash": lambda event: event.job_hash,
    "percent": lambda event: event.percent,
    "preview": lambda event: bool(event.previews),
    "message_id": lambda event: event.message_id,
    "index": lambda event: event.index,
    "flags": lambda event: event.ref.flags,
}


@pytest.mark.skipif(FOLDER is None, reason="no real-midjourney samples beside the clone")
@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_a_real_message_parses_as_a_careful_reader_says(path: Path) -> None:
    sample = json.loads(path.read_text(encoding="utf-8"))
    event = parse(sample["event"], sample["data"])
    accepted = sample.get("accept_kinds") or [str(sample["expect_kind"])]
    assert _kind_name(event) in accepted, sample["expect"]
    if event is None or _kind_name(event) != str(sample["expect_kind"]):
        return
    for key, wanted in (sample.get("expect_fields") or {}).items():
        assert key in _FIELDS, f"unknown expect_fields key {key!r}"
        assert _FIELDS[key](event) == wanted, f"{key}: {sample['expect']}"


@pytest.mark.skipif(FOLDER is None, reason="no real-midjourney samples beside the clone")
def test_no_real_video_result_is_read_as_a_picture() -> None:
    for path in FILES:
        sample = json.loads(path.read_text(encoding="utf-8"))
        event = parse(sample["event"], sample["data"])
        ids = json.dumps(sample["data"].get("components") or [])
        if isinstance(event, Completed) and "video_virtual_upscale" in ids:
            assert event.kind.value == "video", path.name
