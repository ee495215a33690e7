"""Midjourney's prompt grammar: the one place that knows where parameters start and what they hold.

A prompt is text, optionally split into weighted parts (`hot:: dog::2`), then parameters:
`--name` after a space, then a value that may span several words (`--no text, watermark`) up to
the next `--name`. Phones often turn `--` into an em dash (`—ar 16:9`); `normalise_dashes` turns
a dash run containing an em or en dash back into `--`, but only before a known parameter name,
so "a cat —fluffy" is left alone. Parameter names are case-insensitive. A value holding `{` is
a permutation prompt (`--ar {16:9, 1:1}`) and its value is not checked.

What is refused here (`validate`) is only what is certainly malformed: a known parameter
without the value it needs (`--ar`), with a value it takes none of (`--tile please`), or with a
value of the wrong shape (`--ar 16-9`, `--s abc`, `--v latest`); and a `::` weight that is not
a number (`cat::2x`). Values are never held to a list or a range: Midjourney changes those with
every model (V8.1, niji 7, `--hd`, ...), and its own "Invalid parameter" answer reaches the user
within seconds. For the same reason a parameter name we do not know is Midjourney's to judge:
it goes out unchanged (`bridge.banned_words` searches its name and value like the text).

Besides checking, the grammar serves the bridge: `with_defaults` adds a chat's settings without
overriding the prompt's own; `prompt_key` compares a prompt with Midjourney's echo of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

__all__ = [
    "Param",
    "ParamProblem",
    "ProblemCode",
    "normalise_dashes",
    "parse_parameters",
    "prompt_key",
    "validate",
    "with_defaults",
]


class ProblemCode(StrEnum):
    """What is wrong with a parameter; stable strings the bot can translate."""

    MISSING_VALUE = "missing_value"  # needs a value and has none
    UNEXPECTED_VALUE = "unexpected_value"  # takes no value but has one
    BAD_VALUE = "bad_value"  # a value of the wrong shape
    BAD_WEIGHT = "bad_weight"  # a `::` weight in the text that is not a number


@dataclass(frozen=True, slots=True)
class Param:
    """One `--name value` parameter as typed: name lowercase without dashes, value "" if none."""

    name: str
    value: str = ""

    @property
    def canonical(self) -> str:
        """The short name this one is an alias of (`aspect` -> `ar`); unknown names unchanged."""
        return _ALIASES.get(self.name, self.name)

    @property
    def known(self) -> bool:
        """True for a parameter this grammar knows; others are Midjourney's to judge."""
        return self.canonical in _SPECS

    def __str__(self) -> str:
        return f"--{self.name} {self.value}" if self.value else f"--{self.name}"


@dataclass(frozen=True, slots=True)
class ParamProblem:
    """One problem found by `validate`. `reason` is a short English fragment, `code` is stable."""

    name: str
    value: str
    reason: str
    code: ProblemCode


_Check = Callable[[str], str | None]  # returns a reason when the value is malformed
_Arity = Literal["none", "optional", "required"]


@dataclass(frozen=True, slots=True)
class _Spec:
    arity: _Arity
    check: _Check | None = None


_WEIGHT: Final = r"(?:::-?[0-9]+(?:\.[0-9]+)?)?"  # image weight suffix, e.g. ::2
_LINK: Final = r"<?https?://\S+?>?"


def _shaped(pattern: str, message: str, *, tokens: Literal["one", "many"] = "one") -> _Check:
    """A check that the value (one token, or every one of its tokens) matches `pattern`."""
    compiled = re.compile(pattern, re.IGNORECASE)

    def check(value: str) -> str | None:
        parts = value.split()
        if tokens == "one" and len(parts) != 1:
            return message
        return None if all(compiled.fullmatch(part) for part in parts) else message

    return check


def _aspect(value: str) -> str | None:
    match = re.fullmatch(r"([0-9]+):([0-9]+)", value)
    if not match or not int(match[1]) or not int(match[2]):
        return "must be W:H with whole numbers above 0, e.g. 16:9"
    return None


_WHOLE: Final = _shaped(r"[0-9]+", "must be a whole number")
_NUMBER: Final = _shaped(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", "must be a number")
_VERSION: Final = _shaped(r"[0-9]+(?:\.[0-9]+)?", "must be a version number, e.g. 8.1")
_WORD: Final = _shaped(r"[a-z0-9][a-z0-9_-]*", "must be one word")
_FLAG: Final = _Spec("none")  # takes no value

# Every parameter Midjourney documents for V6-V8.1, niji and video.
_SPECS: Final[Mapping[str, _Spec]] = {
    "ar": _Spec("required", _aspect),
    "v": _Spec("required", _VERSION),
    "niji": _Spec("optional", _VERSION),
    "s": _Spec("required", _WHOLE),
    "c": _Spec("required", _WHOLE),
    "q": _Spec("required", _NUMBER),
    "seed": _Spec("required", _WHOLE),
    "w": _Spec("required", _WHOLE),
    "iw": _Spec("required", _NUMBER),
    "stop": _Spec("required", _WHOLE),
    "style": _Spec("required", _WORD),
    "no": _Spec("required"),  # free text: what to leave out
    "r": _Spec("required", _WHOLE),
    "sref": _Spec(
        "required",
        _shaped(
            rf"(?:{_LINK}|[0-9]+|random){_WEIGHT}",
            "must be image links, style codes or random",
            tokens="many",
        ),
    ),
    "cref": _Spec("required", _shaped(rf"{_LINK}{_WEIGHT}", "must be image links", tokens="many")),
    "cw": _Spec("required", _WHOLE),
    "p": _Spec(
        "optional", _shaped(r"[a-z0-9_-]+", "must be profile or moodboard codes", tokens="many")
    ),
    "sw": _Spec("required", _WHOLE),
    "sv": _Spec("required", _WHOLE),
    "exp": _Spec("required", _NUMBER),
    "oref": _Spec("required", _shaped(_LINK, "must be one image link")),
    "ow": _Spec("required", _WHOLE),
    # Video: Midjourney echoes `--video` as `--video 1` and `--loop` as `--end loop`.
    "video": _Spec("optional", _WHOLE),
    "motion": _Spec("required", _WORD),
    "end": _Spec("required", _shaped(rf"{_LINK}|loop", "must be one image link or loop")),
    "bs": _Spec("required", _WHOLE),
    **dict.fromkeys(
        ("tile", "fast", "relax", "turbo", "draft", "raw", "hd", "sd", "loop", "public"), _FLAG
    ),
    **dict.fromkeys(("stealth", "upbeta", "uplight", "test", "testp", "creative"), _FLAG),
}
_ALIASES: Final[Mapping[str, str]] = {
    "aspect": "ar",
    "version": "v",
    "stylize": "s",
    "chaos": "c",
    "quality": "q",
    "weird": "w",
    "repeat": "r",
    "personalize": "p",
    "profile": "p",
}
# Parameters that replace each other: setting one counts as setting the others (with_defaults).
_GROUPS: Final[Mapping[str, str]] = {
    "v": "model",
    "niji": "model",
    "fast": "speed",
    "relax": "speed",
    "turbo": "speed",
    "hd": "definition",
    "sd": "definition",
    "raw": "style",  # `--raw` is Midjourney's short form of `--style raw`
}
_KNOWN_NAMES: Final = sorted((*_SPECS, *_ALIASES), key=len, reverse=True)

_DASHES: Final = "\u2012\u2013\u2014\u2015"  # figure dash, en dash, em dash, horizontal bar
_PHONE_DASH: Final = re.compile(
    rf"(?<!\S)-*[{_DASHES}][{_DASHES}-]*(?=(?:{'|'.join(_KNOWN_NAMES)})(?![\w-]))",
    re.IGNORECASE,
)
_HAS_DASH: Final = re.compile(f"[{_DASHES}]")
# `--` after a space or at the start, then a name. The lookbehind comes after the literal `--`
# so that re can scan for the literal quickly.
_PARAM_START: Final = re.compile(r"--(?<!\S--)([^\W\d_][\w-]*)")
_URL: Final = re.compile(r"<?https?://\S+>?")
_SPACE: Final = re.compile(r"\s+")
# A `::` that starts a number (a sign, a digit or a point) must finish one before the next
# space or `::`; `cat:: dog` and `cat::heavy` are plain multi-prompts.
_WEIGHT_START: Final = re.compile(r"::(?=[-+.0-9])((?:(?!::)\S)*)")
_WEIGHT_NUMBER: Final = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")


def normalise_dashes(prompt: str) -> str:
    """Turn `—ar`, `–v` or `—-no` (phone autocorrect) into `--ar`, `--v`, `--no`.

    Only a dash run holding an em/en dash, after a space or at the start, and followed by a known
    parameter name is changed; other dashes in the text are kept.
    """
    return _PHONE_DASH.sub("--", prompt) if _HAS_DASH.search(prompt) else prompt


def parse_parameters(prompt: str) -> tuple[str, list[Param]]:
    """Split a prompt into its text and its trailing `--name value` parameters.

    Dashes are normalised first (`normalise_dashes`). The text is everything before the first
    `--name`; each value runs to the next `--name` and is stripped ("" when there is none).
    """
    prompt = normalise_dashes(prompt)
    starts = list(_PARAM_START.finditer(prompt))
    if not starts:
        return prompt.strip(), []
    params = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(prompt)
        params.append(Param(match[1].casefold(), prompt[match.end() : end].strip()))
    return prompt[: starts[0].start()].strip(), params


def validate(prompt: str) -> list[ParamProblem]:
    """Every certainly malformed piece of the prompt, in order; an empty list when none is."""
    text, params = parse_parameters(prompt)
    problems = [
        ParamProblem("::", f"::{match[1]}", "must be a number, e.g. ::2", ProblemCode.BAD_WEIGHT)
        for match in _WEIGHT_START.finditer(_URL.sub(" ", text))
        if not _WEIGHT_NUMBER.fullmatch(match[1])
    ]
    for param in params:
        problem = _check(param)
        if problem is not None:
            problems.append(problem)
    return problems


def _check(param: Param) -> ParamProblem | None:
    name, value = param.name, param.value
    spec = _SPECS.get(param.canonical)
    if spec is None:
        return None  # Midjourney's to judge
    if not value:
        if spec.arity == "required":
            return ParamProblem(name, value, "needs a value", ProblemCode.MISSING_VALUE)
        return None
    if spec.arity == "none":
        return ParamProblem(name, value, "takes no value", ProblemCode.UNEXPECTED_VALUE)
    if spec.check is None or "{" in value:  # free text, or a permutation like {16:9, 1:1}
        return None
    reason = spec.check(value)
    if reason is None:
        return None
    return ParamProblem(name, value, reason, ProblemCode.BAD_VALUE)


def _group(name: str) -> str:
    canonical = _ALIASES.get(name, name)
    return _GROUPS.get(canonical, canonical)


def with_defaults(prompt: str, defaults: Mapping[str, str]) -> str:
    """The prompt (dashes normalised) with each default appended unless the prompt sets it.

    `defaults` maps a parameter name (`"ar"`, or `"--ar"`) to its value (`""` for a flag such as
    `"fast"`). A default is skipped when the prompt already sets the same parameter under any
    alias (`--aspect` sets `ar`), or one that replaces it: `--niji` and `--v` replace each other,
    and so do `--fast`, `--relax` and `--turbo`, `--hd` and `--sd`, `--raw` and `--style`.
    The prompt's own parameters are never changed.
    """
    prompt = normalise_dashes(prompt).strip()
    present = {_group(param.name) for param in parse_parameters(prompt)[1]}
    added = []
    for raw_name, raw_value in defaults.items():
        name = raw_name.strip().lstrip("-").casefold()
        group = _group(name)
        if group in present:
            continue
        present.add(group)
        added.append(str(Param(name, " ".join(str(raw_value).split()))))
    return " ".join([prompt, *added]).strip()


def prompt_key(prompt: str) -> str:
    """A prompt as Midjourney echoes it may add parameters and rewrite links: compare the rest.

    The text before the parameters, links dropped, spaces collapsed, lowercased: the same for
    what we sent and for `**<prompt>**` in Midjourney's messages about it.
    """
    text = parse_parameters(_URL.sub(" ", prompt))[0]
    return _SPACE.sub(" ", text).strip().lower()
