"""Everything the bot says: one gettext catalogue per language, English as the source.

How to add a string (for every developer):

1. Write the English text where it is sent, through the update's catalogue::

       _ = context.texts                      # in a handler (bot.services.BotContext)
       _ = texts(job.language)                # anywhere else, from a stored language
       await message.reply_text(_("Saved {count} pictures.", count=n))
       _.plural("{n} job left", "{n} jobs left", n)   # counts: ngettext, n is passed as {n}

   Placeholders are str.format names (``{count}``), never positional. Texts defined at import
   time (labels in a table) are marked with ``N_("...")`` and translated where they are shown
   (``_(label)``).
2. ``make strings`` extracts the messages (Babel, keywords ``_``, ``N_``, ``plural:1,2``) and
   adds the new ones, untranslated, to every ``bot/locale/<lang>/LC_MESSAGES/bot.po``.
3. Translate them in each .po (natural wording; Midjourney's own words, prompts and
   ``--parameters`` stay as they are). tests/test_texts.py fails while a catalogue misses a
   string, leaves one fuzzy or empty, or breaks a placeholder.

The .po files are the source; the .mo files are built from them (``make catalogs``, which
``make run`` and ``make test`` do) and, when missing or older than their .po, compiled here in
memory with Babel, so an installed package works without the build step.
"""

from __future__ import annotations

import gettext
import io
import logging
import math
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Final

_log = logging.getLogger(__name__)

DOMAIN: Final = "bot"
LOCALE_DIR: Final = Path(__file__).parent / "locale"
SOURCE_LANGUAGE: Final = "en"
# Telegram's largest Midjourney audiences. The names are the catalogue directories.
LANGUAGES: Final = ("en", "zh_Hans", "ru", "es", "pt_BR", "fa", "tr", "uk", "id", "ar")
# Each language in its own words, for the language menu.
LANGUAGE_NAMES: Final = {
    "en": "English",
    "zh_Hans": "简体中文",
    "ru": "Русский",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "fa": "فارسی",
    "tr": "Türkçe",
    "uk": "Українська",
    "id": "Bahasa Indonesia",
    "ar": "العربية",
}
_BY_PREFIX: Final = {
    "zh": "zh_Hans",
    "pt": "pt_BR",
    **{code: code for code in ("en", "ru", "es", "fa", "tr", "uk", "id", "ar")},
}


def N_(message: str) -> str:
    """Mark a text for extraction; translate it where it is shown."""
    return message


def language_of(code: str | None) -> str:
    """One of LANGUAGES for Telegram's IETF language_code ("zh-hans", "pt-br") or a stored one."""
    if not code:
        return SOURCE_LANGUAGE
    if code in LANGUAGES:
        return code
    prefix = code.replace("_", "-").split("-", 1)[0].lower()
    return _BY_PREFIX.get(prefix, SOURCE_LANGUAGE)


class Texts:
    """One language's catalogue: ``_("text {x}", x=1)`` and ``_.plural(one, many, n)``."""

    __slots__ = ("_catalog", "language")

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self._catalog = catalog

    def __call__(self, message: str, /, **values: object) -> str:
        template = self._catalog.gettext(message)
        return template.format(**values) if values else template

    def plural(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        return self._catalog.ngettext(singular, plural, n).format(n=n, **values)

    def __repr__(self) -> str:
        return f"Texts({self.language!r})"


@cache
def texts(language: str | None) -> Texts:
    """The catalogue for a language code (anything language_of accepts), loaded once."""
    lang = language_of(language)
    return Texts(lang, _load(lang))


def _load(lang: str) -> gettext.NullTranslations:
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()  # the msgids are the English texts
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    if not po.exists():
        _log.warning("no catalogue", extra={"language": lang})
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compile_catalog(po)))


def compile_catalog(po: Path) -> bytes:
    """The .mo bytes of a .po file (Babel; imported only here, it is not needed at run time)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fp:
        catalog = read_po(fp)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def placeholders(template: str) -> set[str]:
    """The str.format names in a text (``{n}``, ``{prompt}``); raises ValueError if malformed."""
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def progress_bar(percent: int, width: int = 10) -> str:
    filled = max(0, min(width, round(percent * width / 100)))
    return "▰" * filled + "▱" * (width - filled)


def countdown(_: Texts, until: datetime, now: datetime | None = None) -> str:
    """How long until `until`, as people say it: "5 h 12 min", "40 min"."""
    minutes = max(1, math.ceil((until - (now or datetime.now(UTC))).total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if hours == 0:
        return _("{minutes} min", minutes=minutes)
    return _("{hours} h {minutes} min", hours=hours, minutes=minutes)
