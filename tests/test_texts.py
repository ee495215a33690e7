"""The gettext catalogues: every text the code can send is translated in every language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message

from bot import catalogs
from bot.texts import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    Texts,
    countdown,
    language_of,
    placeholders,
    texts,
)

TRANSLATED = [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE]


@pytest.fixture(scope="module")
def template() -> Catalog:
    return catalogs.extract()


def test_the_code_has_texts_to_translate(template: Catalog) -> None:
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in template}
    assert "This button has expired." in ids  # _("...")
    assert "📎 Original" in ids  # N_("...")
    assert "Blend of {n} picture" in ids  # _.plural("...", "...", n)
    assert len(ids) > 150


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_text_is_translated_with_its_placeholders(lang: str, template: Catalog) -> None:
    problems = list(catalogs.problems(lang, template))
    assert problems == [], "\n".join(problems[:20])


def test_a_new_text_in_the_code_fails_until_it_is_translated(
    template: Catalog, tmp_path: Path
) -> None:
    template.add("A text somebody just added in bot/.")
    problems = list(catalogs.problems("ru", template))
    assert problems == [
        "ru: missing 'A text somebody just added in bot/.' (run make strings, then translate it)"
    ]


@pytest.mark.parametrize(
    ("msgid", "msgstr", "wrong"),
    [
        ("Saved {n} of {limit}.", "Сохранено {n} из {limt}.", "placeholders"),
        ("Saved {n} of {limit}.", "Сохранено {n}.", "placeholders"),
        ("Saved {n} of {limit}.", "Сохранено {n} из {limit.", "malformed"),
        ("Saved.", "", "not translated"),
    ],
)
def test_a_broken_translation_is_named(msgid: str, msgstr: str, wrong: str) -> None:
    wanted = Catalog()
    wanted.add(msgid)
    found = Catalog(locale="ru")
    found.add(msgid, msgstr)
    problems = list(catalogs.compare("ru", wanted, found))
    assert len(problems) == 1
    assert wrong in problems[0]


def test_a_plural_form_may_leave_out_the_count_only() -> None:
    wanted = Message(("{n} job for {name}", "{n} jobs for {name}"))
    good = Message(wanted.id, ("مهمة واحدة لـ {name}", "{n} مهام لـ {name}"))
    bad = Message(wanted.id, ("مهمة واحدة", "{n} مهام لـ {name}"))
    assert list(catalogs.placeholder_problems("ar", wanted, good)) == []
    assert len(list(catalogs.placeholder_problems("ar", wanted, bad))) == 1


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("zh-hans", "zh_Hans"),
        ("zh", "zh_Hans"),  # as older versions stored it
        ("pt-br", "pt_BR"),
        ("ru", "ru"),
        ("uk", "uk"),
        ("fa", "fa"),
        ("ar", "ar"),
        ("id", "id"),
        ("tr", "tr"),
        ("es-419", "es"),
        ("de", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_telegram_language_codes_map_to_a_catalogue(code: str | None, lang: str) -> None:
    assert language_of(code) == lang


@pytest.mark.parametrize(
    ("lang", "counts"),
    [
        ("en", {1: "1 job", 2: "2 jobs", 5: "5 jobs", 21: "21 jobs"}),
        ("ru", {1: "1 задание", 2: "2 задания", 5: "5 заданий", 21: "21 задание"}),
        ("uk", {1: "1 завдання", 3: "3 завдання", 11: "11 завдань"}),
        ("zh_Hans", {1: "1 次", 7: "7 次"}),
        ("ar", {1: "مهمة واحدة", 2: "مهمتان", 3: "3 مهام", 11: "11 مهمة"}),
        ("es", {1: "1 trabajo", 2: "2 trabajos"}),
        ("pt_BR", {1: "1 trabalho", 2: "2 trabalhos"}),
    ],
)
def test_counts_take_the_languages_plural_forms(lang: str, counts: dict[int, str]) -> None:
    _ = texts(lang)
    for n, words in counts.items():
        text = _.plural(
            "Each job counts against a daily quota of {n} job.",
            "Each job counts against a daily quota of {n} jobs.",
            n,
        )
        assert words in text, (lang, n, text)


def test_every_language_loads_from_its_catalogue() -> None:
    for lang in TRANSLATED:
        _ = texts(lang)
        assert isinstance(_, Texts)
        assert _("This button has expired.") != "This button has expired.", lang


def test_a_missing_mo_file_is_compiled_from_the_po(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = catalogs.po_path("ru")
    target = tmp_path / "ru" / "LC_MESSAGES" / "bot.po"
    target.parent.mkdir(parents=True)
    target.write_bytes(source.read_bytes())  # a .po without its .mo, as after a plain install
    monkeypatch.setattr("bot.texts.LOCALE_DIR", tmp_path)
    texts.cache_clear()
    try:
        assert texts("ru")("Saved.") == "Сохранено."
    finally:
        texts.cache_clear()


def test_placeholders_are_format_names() -> None:
    assert placeholders("{n} of {limit}: {name}") == {"n", "limit", "name"}
    with pytest.raises(ValueError, match="expected"):
        placeholders("{n")


def test_the_countdown_is_said_in_hours_and_minutes() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 3, 18, 48, tzinfo=UTC)
    en = texts("en")
    assert countdown(en, now + timedelta(hours=5, minutes=12), now) == "5 h 12 min"
    assert countdown(en, now + timedelta(minutes=40), now) == "40 min"
    assert countdown(en, now + timedelta(seconds=10), now) == "1 min"
    assert countdown(texts("fa"), now + timedelta(hours=5, minutes=12), now) == "5 ساعت و 12 دقیقه"
