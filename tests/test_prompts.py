"""Tests for bridge.prompts: Midjourney's prompt grammar (parameters, weights, defaults, keys)."""

from __future__ import annotations

import dataclasses

import pytest

from bridge.prompts import (
    Param,
    ParamProblem,
    ProblemCode,
    normalise_dashes,
    parse_parameters,
    prompt_key,
    validate,
    with_defaults,
)

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
        "a red fox --ar 1:20",  # limits are Midjourney's to judge
        "a red fox --ar 1:1",
        "a red fox —ar 16:9",
        *(f"a red fox --v {v}" for v in ["1", "5.2", "6", "6.1", "7", "7.0", "8", "8.1", "8.2"]),
        "a red fox --v 99",  # a version Midjourney may release: it judges
        "a red fox --version 6.1",
        "a red fox --v 6.10",
        "a red fox --niji",
        *(f"a red fox --niji {n}" for n in ["4", "5", "6", "7", "8"]),
        "a red fox --niji 6 --style expressive",
        "a red fox --style bogus",  # Midjourney names its styles
        "a red fox --s 0",
        "a red fox --s 5000",
        "a red fox --stylize 250",
        "a red fox --c 0 --chaos 100",
        *(f"a red fox --q {q}" for q in [".25", "0.25", ".5", "1", "2", "3", "4"]),
        "a red fox --quality 1",
        "a red fox --seed 0",
        "a red fox --seed 4294967296",
        "a red fox --w 0 --weird 3000",
        "a red fox --iw 0 --iw 1.5 --iw 3",
        "a red fox --stop 10 --stop 100",
        "a red fox --tile",
        "a red fox --style raw",
        "a red fox --style RAW",
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
        "a red fox --p",
        "a red fox --p 6cufbcp",
        "a red fox --p 6cufbcp m7236253826843418625",
        "a red fox --personalize m7236253826843418625",
        "a red fox --profile 6cufbcp",
        "a red fox --sv 4",
        # V7 / V8.1
        "a paper boat --v 8.1 --hd",
        "a paper boat --v 8.1 --sd",
        "a paper boat --v 7 --draft",
        "a paper boat --v 8.1 --raw",
        "a red fox --exp 0 --exp 25 --exp 100",
        "a red fox --oref https://example.com/me.png --ow 1 --ow 1000",
        # video, as typed and as Midjourney echoes it
        "https://example.com/a.png waves --video",
        "https://example.com/a.png waves --video 1 --aspect 1:1",
        "https://example.com/a.png waves --video --motion low",
        "https://example.com/a.png waves --video --motion high --raw",
        "https://example.com/a.png waves --video --loop",
        "https://example.com/a.png waves --video --end loop",
        "https://example.com/a.png waves --video --end https://example.com/b.png",
        "https://example.com/a.png waves --video --bs 1 --bs 2 --bs 4",
        # parameters we do not know go to Midjourney, which answers "Invalid parameter"
        "a red fox --foo",
        "a red fox --foo bar",
        "a red fox --brandnew 3 --v 9.5",
        "a red fox --ar16:9",
        "a red fox --no-text",
        "a red fox --upbeta --uplight --test --testp --creative --public --stealth",
        "a red fox --ar {16:9, 1:1}",  # permutation prompt: not checked
        "a red fox --ar 16:9 --v 6.1 --style raw --s 250 --c 10 --no text --fast",
        # multi-prompts and their weights
        "hot:: dog",
        "hot::2 dog::-0.5 cat::.5",
        "space ship::1.5 --v 8.1",
        "cat::heavy rain",  # a multi-prompt part, not a weight
        "a sign reading 12:30",
        "https://example.com/a::b.png a fox",  # inside a link
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
        ("a fox --ar 16-9", "ar", "16-9", "bad_value"),
        ("a fox --ar 16/9", "ar", "16/9", "bad_value"),
        ("a fox --ar 1.5:1", "ar", "1.5:1", "bad_value"),
        ("a fox --ar -16:9", "ar", "-16:9", "bad_value"),
        ("a fox --ar 16:9 nude", "ar", "16:9 nude", "bad_value"),
        ("a fox —ar 3:0", "ar", "3:0", "bad_value"),
        ("a fox --ar", "ar", "", "missing_value"),
        ("a fox --version latest", "version", "latest", "bad_value"),
        ("a fox --v 8.1.2", "v", "8.1.2", "bad_value"),
        ("a fox --v v8", "v", "v8", "bad_value"),
        ("a fox --v", "v", "", "missing_value"),
        ("a fox --niji seven", "niji", "seven", "bad_value"),
        ("a fox --s abc", "s", "abc", "bad_value"),
        ("a fox --s -1", "s", "-1", "bad_value"),
        ("a fox --stylize 2.5", "stylize", "2.5", "bad_value"),
        ("a fox --s", "s", "", "missing_value"),
        ("a fox --chaos lots", "chaos", "lots", "bad_value"),
        ("a fox --quality high", "quality", "high", "bad_value"),
        ("a fox --seed -1", "seed", "-1", "bad_value"),
        ("a fox --iw x", "iw", "x", "bad_value"),
        ("a fox --tile please", "tile", "please", "unexpected_value"),
        ("a fox --style raw nude", "style", "raw nude", "bad_value"),
        ("a fox --style", "style", "", "missing_value"),
        ("a fox --fast now", "fast", "now", "unexpected_value"),
        ("a fox --relax 1", "relax", "1", "unexpected_value"),
        ("a fox --turbo x", "turbo", "x", "unexpected_value"),
        ("a fox --no", "no", "", "missing_value"),
        ("a fox --repeat many", "repeat", "many", "bad_value"),
        ("a fox --sref", "sref", "", "missing_value"),
        ("a fox --sref cats", "sref", "cats", "bad_value"),
        ("a fox --cref me.png", "cref", "me.png", "bad_value"),
        ("a fox --p my profile!", "p", "my profile!", "bad_value"),
        ("a fox --sv four", "sv", "four", "bad_value"),
        ("a fox --video yes", "video", "yes", "bad_value"),
        ("a fox --draft yes", "draft", "yes", "unexpected_value"),
        ("a fox --raw please", "raw", "please", "unexpected_value"),
        ("a fox --exp lots", "exp", "lots", "bad_value"),
        ("a fox --oref https://a.example/1.png https://a.example/2.png", "oref",
         "https://a.example/1.png https://a.example/2.png", "bad_value"),
        ("a fox --ow", "ow", "", "missing_value"),
        ("a fox --hd 2", "hd", "2", "unexpected_value"),
        ("a fox --sd x", "sd", "x", "unexpected_value"),
        ("a fox --loop forever", "loop", "forever", "unexpected_value"),
        ("a fox --motion", "motion", "", "missing_value"),
        ("a fox --motion very high", "motion", "very high", "bad_value"),
        ("a fox --end", "end", "", "missing_value"),
        ("a fox --end b.png", "end", "b.png", "bad_value"),
        ("a fox --bs two", "bs", "two", "bad_value"),
        ("a fox --upbeta x", "upbeta", "x", "unexpected_value"),
        ("hot::2x dog", "::", "::2x", "bad_weight"),
        ("hot::- dog", "::", "::-", "bad_weight"),
        ("hot::1.2.3 dog", "::", "::1.2.3", "bad_weight"),
        ("hot dog::.", "::", "::.", "bad_weight"),
    ],
)  # fmt: skip
def test_invalid_parameters(prompt: str, name: str, value: str, code: str) -> None:
    (problem,) = validate(prompt)
    assert (problem.name, problem.value, problem.code) == (name, value, code)
    assert problem.reason
    assert problem.reason == problem.reason.strip()


def test_validate_reports_every_problem_in_order() -> None:
    problems = validate("a fox::2x --ar 3:0 --v latest --s big --foo --tile --c 5")
    assert [(p.name, p.code) for p in problems] == [
        ("::", ProblemCode.BAD_WEIGHT),
        ("ar", ProblemCode.BAD_VALUE),
        ("v", ProblemCode.BAD_VALUE),
        ("s", ProblemCode.BAD_VALUE),
    ]


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [
        ("a fox --ar 3:0", "must be W:H with whole numbers above 0, e.g. 16:9"),
        ("a fox --v latest", "must be a version number, e.g. 8.1"),
        ("a fox --s lots", "must be a whole number"),
        ("a fox --iw x", "must be a number"),
        ("a fox --style two words", "must be one word"),
        ("a fox --end nope", "must be one image link or loop"),
        ("a fox::2x", "must be a number, e.g. ::2"),
        ("a fox --ar", "needs a value"),
        ("a fox --tile x", "takes no value"),
    ],
)
def test_problem_reasons(prompt: str, reason: str) -> None:
    assert [p.reason for p in validate(prompt)] == [reason]


def test_param_problem_is_a_frozen_value() -> None:
    problem = ParamProblem("ar", "3:0", "must be W:H", ProblemCode.BAD_VALUE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.code = ProblemCode.BAD_WEIGHT  # type: ignore[misc]
    assert problem.code == "bad_value"
    assert isinstance(problem.code, str)
    assert {code.value for code in ProblemCode} == {
        "bad_value",
        "bad_weight",
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


def test_with_defaults_hd_and_sd_replace_each_other_and_raw_counts_as_a_style() -> None:
    assert with_defaults("a fox --sd", {"hd": ""}) == "a fox --sd"
    assert with_defaults("a fox", {"v": "8.1", "hd": ""}) == "a fox --v 8.1 --hd"
    assert with_defaults("a fox --raw", {"style": "raw"}) == "a fox --raw"
    assert with_defaults("a fox --style cute", {"raw": ""}) == "a fox --style cute"


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ("a red fox --ar 3:2", "a red fox --ar 3:2 --v 8.1"),
        ("a red  fox", "A red fox --v 7.0 --raw"),
        ("https://example.com/a.png a red fox --iw 2", "<https://s.mj.run/AbC> a red fox --iw 2"),
        ("a red fox —ar 3:2", "a red fox --ar 3:2"),
        ("a red fox --video --loop", "a red fox --video 1 --end loop --aspect 1:1"),
    ],
)
def test_prompt_key_is_the_same_for_a_prompt_and_midjourneys_echo(sent: str, echoed: str) -> None:
    assert prompt_key(sent) == prompt_key(echoed) == "a red fox"


def test_prompt_key_tells_different_prompts_apart() -> None:
    assert prompt_key("a red fox") != prompt_key("a red fox in snow")
    assert prompt_key("a red fox --no snow") == "a red fox"
