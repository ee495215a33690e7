"""Midjourney's models as a chat can pick them, and which options each one has.

One table, read by /settings (what to offer) and by the defaults a chat adds to prompts. It is
a menu, not a gate: a prompt may name any version (`--v 8.2`), and Midjourney judges it.

Facts (Midjourney's announcements, 2025-2026): V8.1 is Midjourney's default model since
2026-06-10; V8 renders natively at 2K with `--hd` or at 1K with `--sd` (one or the other) and
has no Turbo and no `--draft`; V7 has Draft mode (`--draft`) and Turbo; niji 7 came in 2026-01.
Not found for niji 7: whether it takes `--style raw`, so the menu does not offer it there (a
prompt may still say it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

SPEEDS: Final = ("fast", "relax", "turbo")


@dataclass(frozen=True, slots=True)
class Variant:
    """A way a model renders, set by a flag: `--hd` / `--sd` on V8, `--draft` on V7."""

    key: str  # also the flag's name
    label: str  # Midjourney's own word


@dataclass(frozen=True, slots=True)
class Version:
    """One model of the menu and the options Midjourney gives it."""

    key: str  # stored per chat and put in callback data: short, never renamed
    label: str  # as Midjourney writes it
    param: tuple[str, str]  # the prompt parameter that picks it: ("v", "8.1"), ("niji", "7")
    variants: tuple[Variant, ...] = ()  # at most one is chosen
    stylize: bool = True  # --stylize
    raw: bool = True  # --style raw
    speeds: tuple[str, ...] = SPEEDS  # --fast, --relax, --turbo


_HD_SD: Final = (Variant("hd", "HD"), Variant("sd", "SD"))

VERSIONS: Final = (
    Version("8.1", "V8.1", ("v", "8.1"), variants=_HD_SD, speeds=("fast", "relax")),
    Version("7", "V7", ("v", "7"), variants=(Variant("draft", "draft"),)),
    Version("6.1", "V6.1", ("v", "6.1")),
    Version("niji7", "niji 7", ("niji", "7"), raw=False),
    Version("niji6", "niji 6", ("niji", "6")),
)
# Midjourney's default model: what a prompt that names none gets.
DEFAULT: Final = VERSIONS[0]
_BY_KEY: Final[Mapping[str, Version]] = {version.key: version for version in VERSIONS}


def find(key: str | None) -> Version | None:
    """The version of a menu key, None for no key or one the menu no longer offers."""
    return None if key is None else _BY_KEY.get(key)


def variant(version: Version, key: str | None) -> Variant | None:
    """The version's variant of that key, None when it has none such."""
    return next((v for v in version.variants if v.key == key), None)
