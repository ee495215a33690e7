"""The gettext catalogues' tooling: extract the texts, update every .po, compile the .mo files.

    python -m bot.catalogs update    # `make strings`: new texts into every .po, untranslated
    python -m bot.catalogs compile   # `make catalogs`: .po -> .mo (make run / make test do it)
    python -m bot.catalogs check     # what tests/test_texts.py checks, as a list of problems

Texts are found by Babel's Python extractor under bot/ with the keywords of bot/texts.py:
``_("...")``, ``N_("...")`` and ``_.plural("one", "many", n)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.texts import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE, compile_catalog, placeholders

SOURCE_DIR: Final = Path(__file__).parent
PROJECT: Final = "mj-telegram-bridge"
FIXED_DATE: Final = datetime(2026, 1, 1, tzinfo=UTC)
KEYWORDS: Final = {"_": None, "N_": None, "plural": (1, 2)}
METHOD_MAP: Final = [("**.py", "python")]
TRANSLATED: Final = tuple(lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE)


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every text the code can send, as a template catalogue."""
    template = Catalog(project=PROJECT, fuzzy=False, creation_date=FIXED_DATE)
    for filename, lineno, message, comments, context in extract_from_dir(
        SOURCE_DIR, METHOD_MAP, keywords=KEYWORDS, comment_tags=("Translators:",)
    ):
        template.add(
            message,
            locations=[(f"bot/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as fp:
        return read_po(fp, locale=lang)


def write(lang: str, catalog: Catalog) -> None:
    # Fixed header fields: a catalogue changes in git only where its texts change.
    catalog.project, catalog.version = PROJECT, "1"
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    catalog.msgid_bugs_address = catalog.last_translator = catalog.language_team = ""
    catalog.header_comment = (
        f"# {catalog.locale.english_name} texts of the bot; bot/texts.py says how to add one."
    )
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fp:
        write_po(fp, catalog, width=99, omit_header=False, sort_output=True, include_lineno=False)


def update() -> None:
    """Add the code's new texts (untranslated) to every catalogue and drop the unused ones."""
    template = extract()
    for lang in TRANSLATED:
        if po_path(lang).exists():
            catalog = read(lang)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project=PROJECT, fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write(lang, catalog)
        missing = sum(1 for message in catalog if message.id and not _translated(message))
        print(f"{lang}: {missing} to translate", file=sys.stderr)


def compile_all() -> None:
    for lang in TRANSLATED:
        po = po_path(lang)
        po.with_suffix(".mo").write_bytes(compile_catalog(po))


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not message.fuzzy and all(strings)


def problems(lang: str, template: Catalog | None = None) -> Iterator[str]:
    """What is wrong with one catalogue: missing, untranslated or fuzzy texts, placeholders."""
    template = template if template is not None else extract()
    return compare(lang, template, read(lang))


def compare(lang: str, template: Catalog, catalog: Catalog) -> Iterator[str]:
    """`problems` for a catalogue already read."""
    for wanted in template:
        if not wanted.id:
            continue
        found = catalog.get(wanted.id)
        if found is None:
            yield f"{lang}: missing {wanted.id!r} (run make strings, then translate it)"
            continue
        if not _translated(found):
            yield f"{lang}: not translated (or fuzzy): {wanted.id!r}"
            continue
        yield from placeholder_problems(lang, wanted, found)
    for message in catalog:
        if message.id and message.id not in template:
            yield f"{lang}: unused {_key(message)!r} (run make strings)"


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def placeholder_problems(lang: str, wanted: Message, found: Message) -> Iterator[str]:
    """A translation must use the placeholders of its English text, and only those."""
    ids = wanted.id if isinstance(wanted.id, tuple) else (wanted.id,)
    strings = found.string if isinstance(found.string, tuple) else (found.string,)
    try:
        expected = set().union(*(placeholders(msgid) for msgid in ids))
        for string in strings:
            got = placeholders(string)
            # A plural form may leave out the count ("one picture"), never anything else.
            if got - expected or (expected - {"n"}) - got:
                yield (
                    f"{lang}: placeholders {sorted(got)} instead of {sorted(expected)} "
                    f"in {string!r}"
                )
    except ValueError as exc:
        yield f"{lang}: malformed placeholder in {strings!r}: {exc}"


def check() -> list[str]:
    template = extract()
    return [problem for lang in TRANSLATED for problem in problems(lang, template)]


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = check()
        print("\n".join(found) or "catalogues complete", file=sys.stderr)
        return 1 if found else 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
