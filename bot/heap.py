"""The process's heap after start-up, kept out of the garbage collector's way."""

from __future__ import annotations

import gc


def settle() -> None:
    """Freeze what start-up made (imported libraries, handlers, clients: it lives as long as
    the process) so that collections skip it.

    A full collection walks every object the process holds. With PTB, discord.py and
    SQLAlchemy loaded that stopped the event loop for 46 ms, every few hundred jobs, which
    showed as the slowest refill of a Midjourney slot (bench: slot gap p99). Start-up's
    garbage is collected first, so none of it is frozen for good.
    """
    gc.collect()
    gc.freeze()
