"""Tests for bridge.banned_words: the terms a prompt must not carry.

The cases are grouped by the seed project's failures (docs/banned-words.md): phrases
that never matched, punctuation and plurals that slipped through, Chinese that was not filtered,
and everyday words that were blocked by mistake.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest

from bridge.banned_words import BannedWords
from bridge.prompts import validate

# Everyday words (docs/banned-words.md#everyday-words): never in our list.
EVERYDAY_WORDS = [
    "bra",
    "ass",
    "bare",
    "cutting",
    "kill",
    "crack",
    "thick",
    "petite",
    "transparent",
    "jail",
    "arrest",
    "surgery",
    "bathing",
    "wang",
    "flesh",
    "car crash",
    "blood",
]


@pytest.fixture(scope="module")
def banned() -> BannedWords:
    return BannedWords.load()


def _shipped_terms() -> list[str]:
    text = (importlib.resources.files("bridge") / "banned_words.txt").read_text(encoding="utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


# ------------------------------------------------------------------------------------------------
# The shipped list
# ------------------------------------------------------------------------------------------------


def test_shipped_list_is_modest_lowercase_and_unique() -> None:
    terms = _shipped_terms()
    assert 60 <= len(terms) <= 100
    assert len(set(terms)) == len(terms)
    assert all(term == term.lower() for term in terms)
    assert {"裸体", "色情", "血腥"} <= set(terms)


@pytest.mark.parametrize("word", EVERYDAY_WORDS)
def test_shipped_list_leaves_out_the_seeds_false_positives(word: str) -> None:
    assert word not in _shipped_terms()


def test_load_reads_every_shipped_term(banned: BannedWords) -> None:
    assert set(banned.terms) == set(_shipped_terms())
    assert len(banned) == len(_shipped_terms())


@pytest.mark.parametrize("term", _shipped_terms())
def test_every_shipped_term_blocks_itself(banned: BannedWords, term: str) -> None:
    assert banned.find(f"a {term} here") == term
    assert banned.find(term.upper()) == term


# ------------------------------------------------------------------------------------------------
# Blocked
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "term"),
    [
        # plain words, any case, any punctuation around them
        ("a nude woman on a beach", "nude"),
        ("NSFW art", "nsfw"),
        ("Naked.", "naked"),
        ("portrait, nude, oil painting", "nude"),
        ("(nude)", "nude"),
        ('"nude"', "nude"),
        ("nude!!!", "nude"),
        ("nude_girl.png", "nude"),
        ("ｎｕｄｅ statue", "nude"),  # full-width letters
        # plurals and possessives of the last word
        ("nudes at the museum", "nude"),
        ("the nude's pose", "nude"),
        ("the nude’s pose", "nude"),
        ("the nudes' poses", "nude"),
        ("an orgy", "orgy"),
        ("roman orgies", "orgy"),
        ("the battle of the sexes", "sex"),
        ("decapitated statues", "decapitated"),
        # phrases, with odd spacing and punctuation between the words
        ("a woman with no clothes", "no clothes"),
        ("a woman with no   clothes", "no clothes"),
        ("a woman with no\tclothes", "no clothes"),
        ("a woman with no-clothes", "no clothes"),
        ("a woman, NO, CLOTHES", "no clothes"),
        ("model in see-through clothes", "see through clothes"),
        ("model in see through clothing", "see through clothing"),
        ("sexy   lingerie catalogue", "sexy lingerie"),
        ("a blood-splatter wall", "blood splatter"),
        ("blood splatters everywhere", "blood splatter"),
        ("rule-34 fan art", "rule 34"),
        ("ku klux klan rally", "ku klux klan"),
        ("white supremacists marching", "white supremacist"),
        # the first term in the prompt is reported
        ("gore and nudity", "gore"),
        ("nudity and gore", "nudity"),
        # Chinese: substring matching, and Latin terms right next to Chinese text
        ("一个裸体女人在海边", "裸体"),
        ("裸体", "裸体"),
        ("色情图片", "色情"),
        ("电影场景，血腥，战争", "血腥"),
        ("一个nude女人", "nude"),
        ("a painting 裸体 in oil", "裸体"),
        # text before a URL or after it is still checked
        ("https://s.mj.run/abc a nude woman", "nude"),
        ("<https://s.mj.run/abc> nude --ar 2:3", "nude"),
        ("a nude woman --ar 16:9 --v 6.1", "nude"),
        ("a nude woman —ar 16:9", "nude"),
    ],
)
def test_blocked(banned: BannedWords, prompt: str, term: str) -> None:
    assert banned.find(prompt) == term


@pytest.mark.parametrize(
    "prompt",
    [
        "a woman --no clothes",
        "a woman --no text, clothes",
        "a woman --no CLOTHING, watermark",
        "a woman --ar 2:3 --no clothes --v 6.1",
        "a woman —no clothes",
    ],
)
def test_no_parameter_with_negated_phrase_is_blocked(banned: BannedWords, prompt: str) -> None:
    """`--no clothes` asks for an image without clothes, the same as the phrase "no clothes"."""
    assert banned.find(prompt) in {"no clothes", "no clothing", "without clothes"}


# ------------------------------------------------------------------------------------------------
# Passes
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "",
        "a red fox --ar 3:2 --v 6.1",
        # the seed's false positives
        "a bra on a clothesline",
        "a thick fog over the harbour",
        "a crack in the wall",
        "kill switch on a vintage machine",
        "surgery room, clean, bright",
        "bathing ducks in a pond",
        "transparent glass sculpture",
        "assassin's creed fan art",
        "a petite cafe in paris",
        "old jail in the desert",
        "car crash test dummy",
        "flesh-coloured roses",
        "a blood moon",
        # longer words containing a listed word (the Scunthorpe problem)
        "portrait of professor nudelman",
        "the Sussex coast",
        "a brass sextant",
        "unisex clothing store",
        "a heroine with a sword",
        "heroines of the revolution",
        "an analyst at a desk",
        "a gorecki symphony",
        "xxxl t-shirt",
        "napkin with no clothespins",
        # phrase words apart or out of order
        "no, the clothes are red",
        "clothes with no buttons",
        "a white cat on a black background",
        "see the clothes through the window",
    ],
)
def test_passes(banned: BannedWords, prompt: str) -> None:
    assert banned.find(prompt) is None


@pytest.mark.parametrize(
    "prompt",
    [
        "https://cdn.discordapp.com/attachments/1/2/nude.png a red fox",
        "<https://s.mj.run/nudeXXX> a red fox",
        "https://example.com/gore/naked?x=porn a red fox --ar 1:1",
        "www.nude-art.example a red fox",
        "a red fox --sref https://example.com/nude.png",
        "HTTPS://EXAMPLE.COM/NUDE.PNG a red fox",
    ],
)
def test_urls_are_ignored(banned: BannedWords, prompt: str) -> None:
    assert banned.find(prompt) is None


@pytest.mark.parametrize(
    "prompt",
    [
        "a portrait --no nude",
        "a portrait --no nudity, gore, blood splatter",
        "a portrait --ar 2:3 --no naked figures --v 6.1",
        "a portrait —no nsfw",
        "a portrait --no 裸体",
        "a portrait --no text --no porn",
    ],
)
def test_no_parameter_values_are_ignored(banned: BannedWords, prompt: str) -> None:
    """`--no nude` asks for an image *without* nudity: exactly what we want."""
    assert banned.find(prompt) is None


@pytest.mark.parametrize(
    "prompt",
    [
        "a red fox --ar 16:9 nude",  # malformed --ar: validate() reports it
        "a red fox --tile naked",  # a flag with a value: validate() reports it
        "a red fox --sref nude",
        "a red fox --style nude art",
        "a red fox --v 8.1 nude",
        "a red fox --motion naked dance",
    ],
)
def test_other_parameter_values_are_ignored_but_invalid(banned: BannedWords, prompt: str) -> None:
    assert banned.find(prompt) is None
    assert validate(prompt), "text hidden in a parameter value must fail validation"


@pytest.mark.parametrize(
    ("prompt", "term"),
    [
        ("a red fox --nude", "nude"),
        ("a red fox --foo naked", "naked"),
        ("a red fox --ar 3:2 --brandnew a nude figure --v 8.1", "nude"),
        ("一只狐狸 --新参数 裸体", "裸体"),
    ],
)
def test_unknown_parameters_go_to_midjourney_so_they_are_searched(
    banned: BannedWords, prompt: str, term: str
) -> None:
    assert validate(prompt) == []  # Midjourney judges a name we do not know...
    assert banned.find(prompt) == term  # ...but it must not carry a banned term there


# ------------------------------------------------------------------------------------------------
# Building lists
# ------------------------------------------------------------------------------------------------


def test_load_with_extra_file_extends_the_list(tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text(
        "# our own additions\n\nSpaghetti Monster  # trailing comment\nzorblax\n色情\n",
        encoding="utf-8",
    )
    shipped = BannedWords.load()
    extended = BannedWords.load(extra)
    assert shipped.find("a flying spaghetti monster") is None
    assert extended.find("a flying spaghetti-monster") == "Spaghetti Monster"
    assert extended.find("two zorblaxes") == "zorblax"  # "x" ending: the plural is "-es"
    assert extended.find("two zorblaxs") is None
    assert extended.find("zorblax's lair") == "zorblax"
    assert extended.find("a nude") == "nude"
    assert len(extended) == len(shipped) + 2  # 色情 was already there


def test_load_accepts_several_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("zorblax\n", encoding="utf-8")
    second.write_text("quuxly thing\n", encoding="utf-8")
    words = BannedWords.load(str(first), second)
    assert words.find("zorblax") == "zorblax"
    assert words.find("a quuxly... thing") == "quuxly thing"


def test_find_returns_the_term_as_written() -> None:
    words = BannedWords(["Sexy Lingerie", "  Big   Bad  "])
    assert words.terms == ("Sexy Lingerie", "Big Bad")
    assert words.find("SEXY lingerie") == "Sexy Lingerie"
    assert words.find("the big, bad wolf") == "Big Bad"


def test_phrase_wins_over_its_first_word() -> None:
    words = BannedWords(["evil", "evil twin"])
    assert words.find("my evil twin") == "evil twin"
    assert words.find("my evil cat") == "evil"


def test_empty_list_blocks_nothing() -> None:
    words = BannedWords([])
    assert len(words) == 0
    assert words.find("nude --no clothes") is None


def test_term_without_letters_is_rejected() -> None:
    with pytest.raises(ValueError, match="no letters"):
        BannedWords(["nude", "!!!"])


def test_plural_forms() -> None:
    words = BannedWords(["pony", "box", "day", "cat"])
    assert words.find("three ponies") == "pony"
    assert words.find("three boxes") == "box"
    assert words.find("three days") == "day"
    assert words.find("the cats' toys") == "cat"
    assert words.find("catsup") is None
    assert words.find("boxer") is None
    assert words.find("dayes") is None
