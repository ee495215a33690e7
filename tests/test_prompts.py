"""Tests for bridge.prompts: the banned-word check and the `--parameter` helpers.

The banned-word cases are grouped by the seed project's failures (shared/seed-study.md section 4):
phrases that never matched, punctuation and plurals that slipped through, Chinese that was not
filtered, and everyday words that were blocked by mistake.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
from pathlib import Path

import pytest

from bridge.prompts import (
    BannedWords,
    Param,
    ParamProblem,
    ProblemCode,
    normalise_dashes,
    parse_parameters,
    validate,
    with_defaults,
)

# The seed's false positives (seed-study.md section 4) and the brief's list: never in our list.
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
    ],
)
def test_other_parameter_values_are_ignored_but_invalid(banned: BannedWords, prompt: str) -> None:
    assert banned.find(prompt) is None
    assert validate(prompt), "text hidden in a parameter value must fail validation"


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


# ------------------------------------------------------------------------------------------------
# Parameters: dashes and parsing
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a fox —ar 16:9", "a fox --ar 16:9"),
        ("a fox –ar 16:9 —v 6.1", "a fox --ar 16:9 --v 6.1"),
        ("a fox —-no text", "a fox --no text"),
        ("a fox -—style raw", "a fox --style raw"),
        ("—ar 1:1", "--ar 1:1"),
        ("a fox —AR 16:9", "a fox --AR 16:9"),
        ("a fox --ar 16:9", "a fox --ar 16:9"),
        # left alone: not a parameter name, not after a space, or a dash on its own
        ("a fox — in the snow", "a fox — in the snow"),
        ("a fox —fluffy", "a fox —fluffy"),
        ("a fox—ar", "a fox—ar"),
        ("rock—paper", "rock—paper"),
        ("a fox —area 51", "a fox —area 51"),
    ],
)
def test_normalise_dashes(prompt: str, expected: str) -> None:
    assert normalise_dashes(prompt) == expected


@pytest.mark.parametrize(
    ("prompt", "text", "params"),
    [
        ("a red fox", "a red fox", []),
        ("  a red fox  ", "a red fox", []),
        ("a red fox --ar 3:2 --v 6.1", "a red fox", [Param("ar", "3:2"), Param("v", "6.1")]),
        (
            "a red fox --no text, watermark --tile",
            "a red fox",
            [Param("no", "text, watermark"), Param("tile")],
        ),
        ("a red fox —ar 16:9", "a red fox", [Param("ar", "16:9")]),
        ("a red fox --AR 16:9", "a red fox", [Param("ar", "16:9")]),
        ("--ar 1:1", "", [Param("ar", "1:1")]),
        ("a red fox --niji", "a red fox", [Param("niji")]),
        ("a red fox --foo bar baz", "a red fox", [Param("foo", "bar baz")]),
        ("a -- b --s 50", "a -- b", [Param("s", "50")]),
        ("a red-fox --c 5", "a red-fox", [Param("c", "5")]),
        ("well--known fox --c 5", "well--known fox", [Param("c", "5")]),
        (
            "https://s.mj.run/a--b a fox --iw 2",
            "https://s.mj.run/a--b a fox",
            [Param("iw", "2")],
        ),
        ("a fox --no-text", "a fox", [Param("no-text")]),
    ],
)
def test_parse_parameters(prompt: str, text: str, params: list[Param]) -> None:
    assert parse_parameters(prompt) == (text, params)


def test_param_canonical_and_str() -> None:
    assert Param("aspect", "16:9").canonical == "ar"
    assert Param("version", "7").canonical == "v"
    assert Param("ar", "16:9").canonical == "ar"
    assert Param("foo").canonical == "foo"
    assert str(Param("ar", "16:9")) == "--ar 16:9"
    assert str(Param("tile")) == "--tile"


# ------------------------------------------------------------------------------------------------
# Parameters: validation
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "a red fox",
        "a red fox --ar 16:9",
        "a red fox --aspect 2:3",
        "a red fox --ar 1:14",
        "a red fox --ar 14:1",
        "a red fox --ar 1:1",
        "a red fox —ar 16:9",
        *(f"a red fox --v {v}" for v in ["1", "2", "3", "4", "5", "5.1", "5.2", "6", "6.1", "7"]),
        "a red fox --version 6.1",
        "a red fox --v 6.10",
        "a red fox --niji",
        "a red fox --niji 4",
        "a red fox --niji 5",
        "a red fox --niji 6 --style expressive",
        "a red fox --s 0",
        "a red fox --s 1000",
        "a red fox --stylize 250",
        "a red fox --c 0 --chaos 100",
        *(f"a red fox --q {q}" for q in [".25", "0.25", ".5", "0.5", "1", "2", "4"]),
        "a red fox --quality 1",
        "a red fox --seed 0",
        "a red fox --seed 4294967295",
        "a red fox --w 0 --weird 3000",
        "a red fox --iw 0 --iw 1.5 --iw 3",
        "a red fox --stop 10 --stop 100",
        "a red fox --tile",
        *(
            f"a red fox --style {s}"
            for s in ["raw", "cute", "expressive", "original", "scenic", "4a", "4b", "4c", "RAW"]
        ),
        "a red fox --fast",
        "a red fox --relax",
        "a red fox --turbo",
        "a red fox --no text, watermark",
        "a red fox --r 1 --repeat 40",
        "a red fox --sref https://example.com/a.png",
        "a red fox --sref 1234567890 987654 --sw 1000",
        "a red fox --sref random",
        "a red fox --sref <https://s.mj.run/abc>::2 https://example.com/b.png::1",
        "a red fox --cref https://example.com/me.png --cw 0",
        "a red fox --cref https://example.com/me.png --cw 100",
        "a red fox --p",
        "a red fox --p 6cufbcp",
        "a red fox --personalize m7236253826843418625",
        "a red fox --sw 0",
        "a red fox --sv 4",
        "a red fox --video",
        "a red fox --draft",
        "a red fox --exp 0 --exp 100",
        "a red fox --oref https://example.com/me.png --ow 1 --ow 1000",
        "a red fox --hd",
        "a red fox --upbeta",
        "a red fox --uplight",
        "a red fox --test",
        "a red fox --testp",
        "a red fox --creative",
        "a red fox --ar {16:9, 1:1}",  # permutation prompt: not checked
        "a red fox --ar 16:9 --v 6.1 --style raw --s 250 --c 10 --no text --fast",
    ],
)
def test_valid_parameters(prompt: str) -> None:
    assert validate(prompt) == []


@pytest.mark.parametrize(
    ("prompt", "name", "value", "code"),
    [
        ("a fox --ar 3:0", "ar", "3:0", "bad_value"),
        ("a fox --ar 0:3", "ar", "0:3", "bad_value"),
        ("a fox --ar 16", "ar", "16", "bad_value"),
        ("a fox --ar 16/9", "ar", "16/9", "bad_value"),
        ("a fox --ar 1.5:1", "ar", "1.5:1", "bad_value"),
        ("a fox --ar -16:9", "ar", "-16:9", "bad_value"),
        ("a fox --ar 1:15", "ar", "1:15", "bad_value"),
        ("a fox --ar 15:1", "ar", "15:1", "bad_value"),
        ("a fox --aspect 29:2", "aspect", "29:2", "bad_value"),
        ("a fox --ar 16:9 nude", "ar", "16:9 nude", "bad_value"),
        ("a fox —ar 3:0", "ar", "3:0", "bad_value"),
        ("a fox --ar", "ar", "", "missing_value"),
        ("a fox --v 99", "v", "99", "bad_value"),
        ("a fox --v 6.2", "v", "6.2", "bad_value"),
        ("a fox --v 8", "v", "8", "bad_value"),
        ("a fox --version latest", "version", "latest", "bad_value"),
        ("a fox --v", "v", "", "missing_value"),
        ("a fox --niji 3", "niji", "3", "bad_value"),
        ("a fox --niji 7", "niji", "7", "bad_value"),
        ("a fox --s 5000", "s", "5000", "bad_value"),
        ("a fox --s -1", "s", "-1", "bad_value"),
        ("a fox --stylize 2.5", "stylize", "2.5", "bad_value"),
        ("a fox --s", "s", "", "missing_value"),
        ("a fox --c 101", "c", "101", "bad_value"),
        ("a fox --chaos lots", "chaos", "lots", "bad_value"),
        ("a fox --q 3", "q", "3", "bad_value"),
        ("a fox --q .75", "q", ".75", "bad_value"),
        ("a fox --quality high", "quality", "high", "bad_value"),
        ("a fox --seed 4294967296", "seed", "4294967296", "bad_value"),
        ("a fox --seed -1", "seed", "-1", "bad_value"),
        ("a fox --w 3001", "w", "3001", "bad_value"),
        ("a fox --weird 10000", "weird", "10000", "bad_value"),
        ("a fox --iw 3.5", "iw", "3.5", "bad_value"),
        ("a fox --iw x", "iw", "x", "bad_value"),
        ("a fox --stop 9", "stop", "9", "bad_value"),
        ("a fox --stop 101", "stop", "101", "bad_value"),
        ("a fox --tile please", "tile", "please", "unexpected_value"),
        ("a fox --style bogus", "style", "bogus", "bad_value"),
        ("a fox --style", "style", "", "missing_value"),
        ("a fox --fast now", "fast", "now", "unexpected_value"),
        ("a fox --relax 1", "relax", "1", "unexpected_value"),
        ("a fox --turbo x", "turbo", "x", "unexpected_value"),
        ("a fox --no", "no", "", "missing_value"),
        ("a fox --r 0", "r", "0", "bad_value"),
        ("a fox --repeat 41", "repeat", "41", "bad_value"),
        ("a fox --sref", "sref", "", "missing_value"),
        ("a fox --sref cats", "sref", "cats", "bad_value"),
        ("a fox --cref", "cref", "", "missing_value"),
        ("a fox --cref me.png", "cref", "me.png", "bad_value"),
        ("a fox --cw 101", "cw", "101", "bad_value"),
        ("a fox --p my profile!", "p", "my profile!", "bad_value"),
        ("a fox --sw 1001", "sw", "1001", "bad_value"),
        ("a fox --sv", "sv", "", "missing_value"),
        ("a fox --sv four", "sv", "four", "bad_value"),
        ("a fox --video 5", "video", "5", "unexpected_value"),
        ("a fox --draft yes", "draft", "yes", "unexpected_value"),
        ("a fox --exp 101", "exp", "101", "bad_value"),
        ("a fox --oref", "oref", "", "missing_value"),
        ("a fox --oref https://a.example/1.png https://a.example/2.png", "oref",
         "https://a.example/1.png https://a.example/2.png", "bad_value"),
        ("a fox --ow 0", "ow", "0", "bad_value"),
        ("a fox --ow 1001", "ow", "1001", "bad_value"),
        ("a fox --hd 2", "hd", "2", "unexpected_value"),
        ("a fox --upbeta x", "upbeta", "x", "unexpected_value"),
        ("a fox --uplight x", "uplight", "x", "unexpected_value"),
        ("a fox --test x", "test", "x", "unexpected_value"),
        ("a fox --testp x", "testp", "x", "unexpected_value"),
        ("a fox --creative x", "creative", "x", "unexpected_value"),
        ("a fox --foo", "foo", "", "unknown"),
        ("a fox --foo bar", "foo", "bar", "unknown"),
        ("a fox --nude", "nude", "", "unknown"),
        ("a fox --ar16:9", "ar16", ":9", "unknown"),
        ("a fox --no-text", "no-text", "", "unknown"),
    ],
)  # fmt: skip
def test_invalid_parameters(prompt: str, name: str, value: str, code: str) -> None:
    (problem,) = validate(prompt)
    assert (problem.name, problem.value, problem.code) == (name, value, code)
    assert problem.reason
    assert problem.reason == problem.reason.strip()


def test_validate_reports_every_problem_in_order() -> None:
    problems = validate("a fox --ar 3:0 --v 99 --s 5000 --foo --tile --c 5")
    assert [(p.name, p.code) for p in problems] == [
        ("ar", ProblemCode.BAD_VALUE),
        ("v", ProblemCode.BAD_VALUE),
        ("s", ProblemCode.BAD_VALUE),
        ("foo", ProblemCode.UNKNOWN),
    ]


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [
        ("a fox --ar 3:0", "must be W:H with whole numbers above 0, e.g. 16:9"),
        ("a fox --ar 1:20", "must be between 1:14 and 14:1"),
        ("a fox --v 99", "must be one of 1, 2, 3, 4, 5, 5.1, 5.2, 6, 6.1, 7"),
        ("a fox --s 5000", "must be a whole number from 0 to 1000"),
        ("a fox --iw 4", "must be a number from 0 to 3"),
        ("a fox --foo", "unknown parameter"),
        ("a fox --ar", "needs a value"),
        ("a fox --tile x", "takes no value"),
    ],
)
def test_problem_reasons(prompt: str, reason: str) -> None:
    assert [p.reason for p in validate(prompt)] == [reason]


def test_param_problem_is_a_frozen_value() -> None:
    problem = ParamProblem("ar", "3:0", "must be W:H", ProblemCode.BAD_VALUE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.code = ProblemCode.UNKNOWN  # type: ignore[misc]
    assert problem.code == "bad_value"
    assert isinstance(problem.code, str)
    assert {code.value for code in ProblemCode} == {
        "unknown",
        "bad_value",
        "missing_value",
        "unexpected_value",
    }


# ------------------------------------------------------------------------------------------------
# Parameters: defaults
# ------------------------------------------------------------------------------------------------

DEFAULTS = {"ar": "16:9", "v": "6.1", "style": "raw", "s": "250"}


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a red fox", "a red fox --ar 16:9 --v 6.1 --style raw --s 250"),
        ("  a red fox  ", "a red fox --ar 16:9 --v 6.1 --style raw --s 250"),
        # the user's own values stay, under any alias
        ("a red fox --ar 1:1", "a red fox --ar 1:1 --v 6.1 --style raw --s 250"),
        ("a red fox --aspect 2:3", "a red fox --aspect 2:3 --v 6.1 --style raw --s 250"),
        ("a red fox --version 7", "a red fox --version 7 --ar 16:9 --style raw --s 250"),
        ("a red fox --stylize 50", "a red fox --stylize 50 --ar 16:9 --v 6.1 --style raw"),
        ("a red fox --style cute", "a red fox --style cute --ar 16:9 --v 6.1 --s 250"),
        # --niji replaces --v
        ("a red fox --niji 6", "a red fox --niji 6 --ar 16:9 --style raw --s 250"),
        ("a red fox --niji", "a red fox --niji --ar 16:9 --style raw --s 250"),
        # phone dashes are normalised, so the user's —ar counts
        ("a red fox —ar 4:5", "a red fox --ar 4:5 --v 6.1 --style raw --s 250"),
        (
            "a red fox --ar 1:1 --v 7 --style raw --s 0",
            "a red fox --ar 1:1 --v 7 --style raw --s 0",
        ),
        ("", "--ar 16:9 --v 6.1 --style raw --s 250"),
    ],
)
def test_with_defaults(prompt: str, expected: str) -> None:
    assert with_defaults(prompt, DEFAULTS) == expected


def test_with_defaults_v_is_replaced_by_niji_and_vice_versa() -> None:
    assert with_defaults("a fox --v 6", {"niji": "6"}) == "a fox --v 6"
    assert with_defaults("a fox --version 6", {"niji": "6"}) == "a fox --version 6"
    assert with_defaults("a fox --niji 5", {"v": "7"}) == "a fox --niji 5"
    assert with_defaults("a fox", {"niji": "6"}) == "a fox --niji 6"
    # only one of two competing defaults is added
    assert with_defaults("a fox", {"v": "7", "niji": "6"}) == "a fox --v 7"


def test_with_defaults_speed_flags_and_other_spellings() -> None:
    assert with_defaults("a fox", {"fast": ""}) == "a fox --fast"
    assert with_defaults("a fox --relax", {"fast": ""}) == "a fox --relax"
    assert with_defaults("a fox --turbo", {"relax": ""}) == "a fox --turbo"
    assert with_defaults("a fox", {"--ar": "16:9"}) == "a fox --ar 16:9"
    assert with_defaults("a fox --ar 1:1", {"aspect": "16:9"}) == "a fox --ar 1:1"
    assert with_defaults("a fox --AR 1:1", {"ar": "16:9"}) == "a fox --AR 1:1"
    assert with_defaults("a fox", {}) == "a fox"


def test_with_defaults_result_validates() -> None:
    prompt = with_defaults("a red fox —no text", DEFAULTS)
    assert prompt == "a red fox --no text --ar 16:9 --v 6.1 --style raw --s 250"
    assert validate(prompt) == []
