"""bot/heap.py: what start-up made is frozen, so full collections no longer walk it."""

from __future__ import annotations

import gc
import weakref

from bot import heap


class _Cycle:
    other: _Cycle


def test_settle_freezes_the_heap_and_collects_start_up_garbage_first() -> None:
    garbage = _Cycle()
    garbage.other = garbage  # only a collection frees a cycle
    alive = weakref.ref(garbage)
    del garbage
    before = gc.get_freeze_count()
    try:
        heap.settle()
        assert gc.get_freeze_count() > before
        assert alive() is None, "garbage was frozen instead of collected"
    finally:
        gc.unfreeze()
