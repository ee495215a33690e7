"""Check a Midjourney prompt before it is sent: banned words and `--parameters`.

Submitting a banned prompt gets the Midjourney account warned and then suspended, and a malformed
parameter costs a full Midjourney round trip only to come back as "Invalid parameter". Both are
checked here, locally. The module is pure: no I/O except `BannedWords.load`, which reads the
word lists, and no state beyond the compiled patterns.

Banned words (`BannedWords`)
----------------------------
The seed project built a `set` from `prompt.split()` and intersected it with its list
(shared/seed-study.md section 4). That failed in four ways, and each rule below answers one:

- Multi-word entries ("no clothes") could never match a single token. Here a phrase matches with
  any run of spaces or punctuation between its words: "no   clothes", "no-clothes", "no_clothes".
- Punctuation and plurals slipped through ("nude," "nudes"). Here a term matches as a whole word
  wherever it stands, plus the plural and possessive forms of its last word: "nudes", "nude's",
  "nudes'", "orgies" for "orgy", "sexes" for "sex". Nothing else is added, so "heroines" passes a
  list holding "heroin".
- Chinese prompts were not filtered at all. Chinese and Japanese have no spaces between words, so a
  term written in those scripts matches as a plain substring ("一个裸体女人" hits 裸体). A Latin
  term right next to Chinese text still counts as a whole word ("一个nude女人").
- Everyday words caused false positives (bra, ass, kill, crack, thick, surgery...). Those words are
  kept out of `banned_words.txt`, and a term never matches inside a longer word: with "nude" and
  "sex" listed, "Nudelman", "Sussex" and "sextant" pass (the "Scunthorpe problem").

Matching is case-insensitive: prompt and terms are NFKC-normalised (full-width letters become
ASCII) and casefolded. Two kinds of text are skipped:

- URLs (`https://…`, `<https://s.mj.run/…>`, `www.…`): image prompts and `--sref` links carry
  random letters that would otherwise hit short terms.
- Parameter values. `--no nude` asks Midjourney for an image *without* nudity, so the values of
  `--no` are not searched as such, and no other parameter value is either (they are numbers,
  codes and links). One exception: a listed phrase that starts with "no" or "without" ("no
  clothes") is looked for in `--no` values without that word, because `--no clothes` means the
  same as "no clothes".

Ignoring parameter values is only safe together with `validate`: text hidden in a malformed value
(`--ar 16:9 naked`, `--tile naked`, `--foo naked`) is reported there as a problem, so a prompt
must be sent only when `find` returns None *and* `validate` returns no problems.

Speed: all Latin terms are compiled at construction into one regular expression shaped as a trie
(shared prefixes are tested once), the Chinese/Japanese terms into another, and a set holds one
key word per term (its longest word, with its plural forms). Most prompts are ASCII: their words
are split out with `bytes.translate` and, when none of them is a key word, the prompt is clean
without running any pattern. Otherwise the patterns run once over the prompt, and which term
matched is looked up only after a hit.

Parameters (`parse_parameters`, `validate`, `with_defaults`)
-------------------------------------------------------------
Midjourney reads parameters at the end of the prompt: `--name` after a space, then a value that
may span several words (`--no text, watermark`) up to the next `--name`. Phones often turn `--`
into an em dash (`—ar 16:9`); `normalise_dashes` turns a dash run containing an em or en dash
back into `--`, but only before a known parameter name, so "a cat —fluffy" is left alone.
Parameter names are case-insensitive. A value holding `{` is a permutation prompt
(`--ar {16:9, 1:1}`) and its value is not checked.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal

__all__ = [
    "BannedWords",
    "Param",
    "ParamProblem",
    "ProblemCode",
    "normalise_dashes",
    "parse_parameters",
    "validate",
    "with_defaults",
]

BANNED_WORDS_FILE: Final = "banned_words.txt"

# ------------------------------------------------------------------------------------------------
# Banned words
# ------------------------------------------------------------------------------------------------

# Scripts written without spaces between words: terms in them match as substrings, and their
# characters do not count as "word" characters when deciding where a Latin word starts or ends.
_CJK_RANGES: Final = (
    "\u2e80-\u2fdf"  # CJK radicals, Kangxi radicals
    "\u3000-\u303f"  # CJK symbols and punctuation
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u31ff"  # Bopomofo, Katakana extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff00-\uffef"  # half-width and full-width forms
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
_CJK_CHAR: Final = re.compile(f"[{_CJK_RANGES}]")
# A letter or digit of a space-separated script. `_` is not one, so "nude_girl" holds "nude".
_WORD_CHAR: Final = rf"[^\W_{_CJK_RANGES}]"
_WORD: Final = re.compile(rf"{_WORD_CHAR}+")
_SEPARATOR: Final = r"[\W_]+"  # between the words of a phrase: spaces, punctuation, `_`
_APOSTROPHE: Final = "['\u2019]"
# Endings allowed after a term's last word: plural and possessive, nothing else.
_PLAIN_ENDING: Final = rf"(?:{_APOSTROPHE}s|s{_APOSTROPHE}?|{_APOSTROPHE})?"  # nude's nudes nudes'
_SIBILANT_ENDING: Final = rf"(?:es{_APOSTROPHE}?|{_APOSTROPHE}s?)?"  # sexes sex's
_SIBILANTS: Final = ("s", "x", "z", "ch", "sh")
_VOWELS: Final = frozenset("aeiou")
_URL: Final = re.compile(r"(?:https?://|www\.)\S+")  # run on casefolded text
_ASCII_NON_WORD: Final = bytes(c for c in range(128) if not chr(c).isalnum())
# Turns every ASCII byte that is not a letter or digit into a space, so bytes.split() gives words.
_ASCII_SPLIT: Final = bytes.maketrans(_ASCII_NON_WORD, b" " * len(_ASCII_NON_WORD))
# Phrases that mean "without X": in a `--no` value, X alone means the same thing.
_NEGATIONS: Final = frozenset({"no", "without"})
_NEVER: Final = re.compile(r"(?!)")


def _canonical_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _searchable(text: str) -> str:
    """The text as the patterns see it: NFKC, casefolded, URLs blanked out."""
    text = _canonical_text(text)
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    return text


def _is_y_plural(word: str) -> bool:
    return len(word) > 1 and word.endswith("y") and word[-2] not in _VOWELS


def _last_word_forms(word: str) -> set[str]:
    """The forms `_word_atoms` lets the last word take, apostrophes left out."""
    if _is_y_plural(word):
        return {word, word + "s", word[:-1] + "ies"}
    return {word, word + ("es" if word.endswith(_SIBILANTS) else "s")}


def _ascii_keys(words: Sequence[str]) -> set[bytes]:
    """ASCII words of which one must appear in an ASCII text that holds the term.

    The longest word of the term is used (the last one on a tie): in a phrase it is usually the
    rarest ("clothes" in "no clothes"), so common first words such as "no" or "white" do not
    send every prompt that holds them to the full pattern.
    """
    longest = max(range(len(words)), key=lambda index: (len(words[index]), index))
    word = words[longest]
    forms = _last_word_forms(word) if longest == len(words) - 1 else {word}
    return {form.encode("ascii") for form in forms if form.isascii()}


def _word_atoms(words: Sequence[str]) -> list[str]:
    """Regex pieces for a Latin term: one per character, separators, then the ending.

    One piece per character lets the pieces of all terms share a trie, so the combined pattern
    tests a position with a character comparison or two instead of one per term.
    """
    atoms: list[str] = []
    for index, word in enumerate(words):
        if index:
            atoms.append(_SEPARATOR)
        if index < len(words) - 1:
            atoms.extend(re.escape(char) for char in word)
        elif _is_y_plural(word):
            # orgy -> orgies; the "y" itself goes into the ending so the two forms can split.
            atoms.extend(re.escape(char) for char in word[:-1])
            atoms.append(f"(?:y{_PLAIN_ENDING}|ies{_APOSTROPHE}?)")
        else:
            atoms.extend(re.escape(char) for char in word)
            atoms.append(_SIBILANT_ENDING if word.endswith(_SIBILANTS) else _PLAIN_ENDING)
    return atoms


def _cjk_atoms(term: str) -> list[str]:
    """Regex pieces for a substring term; a space in the term allows any spacing there."""
    return [r"\s*" if char.isspace() else re.escape(char) for char in " ".join(term.split())]


def _trie_pattern(sequences: Iterable[Sequence[str]]) -> str:
    """One regex matching any of the atom sequences, sharing common prefixes.

    Atoms that end a term (an ending, or the end of the sequence) are tried last, so at a given
    position a phrase is preferred to a term that is its first word.
    """
    root: dict[str, dict] = {}
    for sequence in sequences:
        node = root
        for atom in sequence:
            node = node.setdefault(atom, {})
        node[""] = {}
    return _emit(root)


def _emit(node: dict[str, dict]) -> str:
    children = sorted(
        (atom for atom in node if atom),
        key=lambda atom: atom in (_PLAIN_ENDING, _SIBILANT_ENDING) or atom.startswith("(?:y"),
    )
    branches = [atom + _emit(node[atom]) for atom in children]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body


@dataclass(frozen=True, slots=True)
class _Term:
    written: str  # as in the list, returned by find()
    pattern: re.Pattern[str]  # matches exactly the text this term blocks


class BannedWords:
    """A compiled banned-word list. `find(prompt)` gives the first blocked term, or None."""

    __slots__ = (
        "_ascii_keys",
        "_cjk",
        "_cjk_terms",
        "_latin",
        "_latin_terms",
        "_negated",
        "_negated_terms",
    )

    def __init__(self, terms: Iterable[str]) -> None:
        seen: set[str] = set()
        latin: list[tuple[str, list[str]]] = []
        cjk: list[tuple[str, list[str]]] = []
        negated: list[tuple[str, list[str]]] = []
        ascii_keys: set[bytes] = set()
        for raw in terms:
            written = " ".join(raw.split())
            key = _canonical_text(written)
            if not key or key in seen:
                continue
            seen.add(key)
            if _CJK_CHAR.search(key):
                cjk.append((written, _cjk_atoms(key)))
                continue
            words = _WORD.findall(key)
            if not words:
                raise ValueError(f"banned term {raw!r} has no letters or digits")
            latin.append((written, _word_atoms(words)))
            ascii_keys |= _ascii_keys(words)
            if len(words) > 1 and words[0] in _NEGATIONS:
                negated.append((written, _word_atoms(words[1:])))
        self._latin, self._latin_terms = _compile_group(latin, bounded=True)
        self._cjk, self._cjk_terms = _compile_group(cjk, bounded=False)
        self._negated, self._negated_terms = _compile_group(negated, bounded=True)
        self._ascii_keys = frozenset(ascii_keys)

    @classmethod
    def load(cls, *paths: str | os.PathLike[str]) -> BannedWords:
        """The list shipped as `bridge/banned_words.txt`, extended by the lines of `paths`.

        Files hold one term or phrase a line; blank lines and text after `#` are ignored.
        """
        shipped = importlib.resources.files("bridge") / BANNED_WORDS_FILE
        texts = [shipped.read_text(encoding="utf-8")]
        texts.extend(Path(path).read_text(encoding="utf-8") for path in paths)
        return cls(term for text in texts for term in _list_lines(text))

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term, as written in the list (duplicates dropped)."""
        return tuple(t.written for t in (*self._latin_terms, *self._cjk_terms))

    def __len__(self) -> int:
        return len(self._latin_terms) + len(self._cjk_terms)

    def __repr__(self) -> str:
        return f"<BannedWords: {len(self)} terms>"

    def find(self, prompt: str) -> str | None:
        """The first blocked term in `prompt`, as written in the list, or None when it is clean.

        "First" is the earliest in the prompt text; when nothing is there, the `--no` values are
        searched for negated phrases (see the module docstring).
        """
        text, params = parse_parameters(prompt)
        found = self._search_text(_searchable(text))
        if found is None and self._negated_terms:
            for param in params:
                if param.name == "no":
                    found = _first(self._negated, self._negated_terms, _searchable(param.value))
                    if found is not None:
                        break
        return found

    def _search_text(self, text: str) -> str | None:
        if text.isascii():
            # Fast path for most prompts: no CJK term can match, and unless one of the term's
            # key words is among the text's words, no Latin term can either.
            words = text.encode("ascii").translate(_ASCII_SPLIT).split()
            if self._ascii_keys.isdisjoint(words):
                return None
            return _first(self._latin, self._latin_terms, text)
        hits = [
            (match.start(), -len(match.group()), match.group(), terms)
            for match, terms in (
                (self._latin.search(text), self._latin_terms),
                (self._cjk.search(text), self._cjk_terms),
            )
            if match
        ]
        if not hits:
            return None
        _, _, found, terms = min(hits, key=lambda hit: hit[:2])
        return _which(found, terms)


def _list_lines(text: str) -> Iterable[str]:
    for line in text.splitlines():
        term = line.split("#", 1)[0].strip()
        if term:
            yield term


def _compile_group(
    entries: Sequence[tuple[str, list[str]]], *, bounded: bool
) -> tuple[re.Pattern[str], tuple[_Term, ...]]:
    if not entries:
        return _NEVER, ()
    # Longest first: when one match could be read as two terms, the longer one is reported.
    ordered = sorted(entries, key=lambda entry: -len(entry[1]))
    terms = tuple(_Term(written, re.compile("".join(atoms))) for written, atoms in ordered)
    body = _trie_pattern(atoms for _, atoms in entries)
    if bounded:
        body = rf"(?<!{_WORD_CHAR})(?:{body})(?!{_WORD_CHAR})"
    return re.compile(body), terms


def _first(pattern: re.Pattern[str], terms: Sequence[_Term], text: str) -> str | None:
    match = pattern.search(text)
    return None if match is None else _which(match.group(), terms)


def _which(found: str, terms: Sequence[_Term]) -> str:
    for term in terms:
        if term.pattern.fullmatch(found):
            return term.written
    raise AssertionError(f"matched {found!r} but no term accounts for it")  # pragma: no cover


# ------------------------------------------------------------------------------------------------
# Parameters
# ------------------------------------------------------------------------------------------------


class ProblemCode(StrEnum):
    """What is wrong with a parameter; stable strings the bot can translate."""

    UNKNOWN = "unknown"  # not a Midjourney parameter
    MISSING_VALUE = "missing_value"  # needs a value and has none
    UNEXPECTED_VALUE = "unexpected_value"  # takes no value but has one
    BAD_VALUE = "bad_value"  # value out of range or malformed


@dataclass(frozen=True, slots=True)
class Param:
    """One `--name value` parameter as typed: name lowercase without dashes, value "" if none."""

    name: str
    value: str = ""

    @property
    def canonical(self) -> str:
        """The short name this one is an alias of (`aspect` -> `ar`); unknown names unchanged."""
        return _ALIASES.get(self.name, self.name)

    def __str__(self) -> str:
        return f"--{self.name} {self.value}" if self.value else f"--{self.name}"


@dataclass(frozen=True, slots=True)
class ParamProblem:
    """One problem found by `validate`. `reason` is a short English fragment, `code` is stable."""

    name: str
    value: str
    reason: str
    code: ProblemCode


_Check = Callable[[str], str | None]  # returns a reason when the value is bad
_Arity = Literal["none", "optional", "required"]


@dataclass(frozen=True, slots=True)
class _Spec:
    arity: _Arity
    check: _Check | None = None


_INTEGER: Final = re.compile(r"[0-9]+")
_NUMBER: Final = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_RATIO: Final = re.compile(r"([0-9]+):([0-9]+)")
_URL_TOKEN: Final = re.compile(r"<?https?://\S+?>?", re.IGNORECASE)
_WEIGHT: Final = r"(?:::-?[0-9]+(?:\.[0-9]+)?)?"  # image weight suffix, e.g. ::2
_SREF_TOKEN: Final = re.compile(rf"(?:<?https?://\S+?>?|[0-9]+|random){_WEIGHT}", re.IGNORECASE)
_CREF_TOKEN: Final = re.compile(rf"<?https?://\S+?>?{_WEIGHT}", re.IGNORECASE)
_CODE_TOKEN: Final = re.compile(r"[a-z0-9_-]+", re.IGNORECASE)
_MAX_RATIO: Final = 14


def _int_range(low: int, high: int) -> _Check:
    def check(value: str) -> str | None:
        if _INTEGER.fullmatch(value) and low <= int(value) <= high:
            return None
        return f"must be a whole number from {low} to {high}"

    return check


def _number_range(low: int, high: int) -> _Check:
    def check(value: str) -> str | None:
        if _NUMBER.fullmatch(value) and low <= Decimal(value) <= high:
            return None
        return f"must be a number from {low} to {high}"

    return check


def _number_in(*allowed: str) -> _Check:
    allowed_numbers = frozenset(Decimal(a) for a in allowed)
    message = "must be one of " + ", ".join(allowed)

    def check(value: str) -> str | None:
        if _NUMBER.fullmatch(value) and Decimal(value) in allowed_numbers:
            return None
        return message

    return check


def _word_in(*allowed: str) -> _Check:
    message = "must be one of " + ", ".join(allowed)

    def check(value: str) -> str | None:
        return None if value.casefold() in allowed else message

    return check


def _tokens(pattern: re.Pattern[str], message: str, *, single: bool = False) -> _Check:
    def check(value: str) -> str | None:
        tokens = value.split()
        if single and len(tokens) != 1:
            return message
        return None if all(pattern.fullmatch(token) for token in tokens) else message

    return check


def _aspect(value: str) -> str | None:
    match = _RATIO.fullmatch(value)
    if not match or not int(match[1]) or not int(match[2]):
        return "must be W:H with whole numbers above 0, e.g. 16:9"
    width, height = int(match[1]), int(match[2])
    if width > _MAX_RATIO * height or height > _MAX_RATIO * width:
        return "must be between 1:14 and 14:1"
    return None


_FLAG: Final = _Spec("none")  # takes no value
_SPECS: Final[Mapping[str, _Spec]] = {
    "ar": _Spec("required", _aspect),
    "v": _Spec("required", _number_in("1", "2", "3", "4", "5", "5.1", "5.2", "6", "6.1", "7")),
    "niji": _Spec("optional", _number_in("4", "5", "6")),
    "s": _Spec("required", _int_range(0, 1000)),
    "c": _Spec("required", _int_range(0, 100)),
    "q": _Spec("required", _number_in(".25", ".5", "1", "2", "4")),
    "seed": _Spec("required", _int_range(0, 4_294_967_295)),
    "w": _Spec("required", _int_range(0, 3000)),
    "iw": _Spec("required", _number_range(0, 3)),
    "stop": _Spec("required", _int_range(10, 100)),
    "tile": _FLAG,
    "style": _Spec(
        "required",
        _word_in("raw", "cute", "expressive", "original", "scenic", "4a", "4b", "4c"),
    ),
    "fast": _FLAG,
    "relax": _FLAG,
    "turbo": _FLAG,
    "no": _Spec("required"),
    "r": _Spec("required", _int_range(1, 40)),
    "sref": _Spec("required", _tokens(_SREF_TOKEN, "must be image links, style codes or random")),
    "cref": _Spec("required", _tokens(_CREF_TOKEN, "must be image links")),
    "cw": _Spec("required", _int_range(0, 100)),
    "p": _Spec("optional", _tokens(_CODE_TOKEN, "must be profile or moodboard codes")),
    "sw": _Spec("required", _int_range(0, 1000)),
    "sv": _Spec("required", _int_range(1, 99)),
    "video": _FLAG,
    "draft": _FLAG,
    "exp": _Spec("required", _int_range(0, 100)),
    "oref": _Spec("required", _tokens(_URL_TOKEN, "must be one image link", single=True)),
    "ow": _Spec("required", _int_range(1, 1000)),
    "hd": _FLAG,
    "upbeta": _FLAG,
    "uplight": _FLAG,
    "test": _FLAG,
    "testp": _FLAG,
    "creative": _FLAG,
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
}
# Parameters that replace each other: setting one counts as setting the others (with_defaults).
_GROUPS: Final[Mapping[str, str]] = {
    "v": "model",
    "niji": "model",
    "fast": "speed",
    "relax": "speed",
    "turbo": "speed",
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
    """Every problem with the prompt's parameters, in order; an empty list when all are fine."""
    problems = []
    for param in parse_parameters(prompt)[1]:
        problem = _check(param)
        if problem is not None:
            problems.append(problem)
    return problems


def _check(param: Param) -> ParamProblem | None:
    name, value = param.name, param.value
    spec = _SPECS.get(param.canonical)
    if spec is None:
        return ParamProblem(name, value, "unknown parameter", ProblemCode.UNKNOWN)
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
    and so do `--fast`, `--relax` and `--turbo`. The prompt's own parameters are never changed.
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
