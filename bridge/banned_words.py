"""Banned words: the terms a prompt must not carry to Midjourney.

Submitting a banned prompt gets the Midjourney account warned and then suspended, so this is
checked here, locally. The module is pure: no I/O except `BannedWords.load`, which reads the
word lists, and no state beyond the compiled patterns. Where parameters start and what they
hold is Midjourney's prompt grammar, read from `bridge.prompts`.

The seed project built a `set` from `prompt.split()` and intersected it with its list
(docs/banned-words.md#what-went-wrong-before). That failed in four ways, and each rule below
answers one:

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
- Values of known parameters. `--no nude` asks Midjourney for an image *without* nudity, so the
  values of `--no` are not searched as such, and no other known parameter's value is either
  (they are numbers, codes and links). One exception: a listed phrase that starts with "no" or
  "without" ("no clothes") is looked for in `--no` values without that word, because `--no
  clothes` means the same as "no clothes". A parameter we do not know goes to Midjourney as it
  is, so its name and value are searched like the text (`--nude`, `--foo naked`).

Ignoring known parameters' values is only safe together with `validate`: text hidden in a
malformed value (`--ar 16:9 naked`, `--tile naked`) is reported there as a problem, so a prompt
must be sent only when `find` returns None *and* `validate` returns no problems.

Speed: all Latin terms are compiled at construction into one regular expression shaped as a trie
(shared prefixes are tested once), the Chinese/Japanese terms into another, and a set holds one
key word per term (its longest word, with its plural forms). Most prompts are ASCII: their words
are split out with `bytes.translate` and, when none of them is a key word, the prompt is clean
without running any pattern. Otherwise the patterns run once over the prompt, and which term
matched is looked up only after a hit.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bridge.prompts import parse_parameters

__all__ = ["BANNED_WORDS_FILE", "BannedWords"]

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

        "First" is the earliest in the prompt text, then in the parameters we do not know;
        when nothing is there, the `--no` values are searched for negated phrases (see the
        module docstring).
        """
        text, params = parse_parameters(prompt)
        # Parameters Midjourney may not know go out as they are: they count as text.
        unknown = [f"{param.name} {param.value}" for param in params if not param.known]
        found = self._search_text(_searchable(" ".join([text, *unknown])))
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
