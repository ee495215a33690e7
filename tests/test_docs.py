"""Comments, docstrings and documents point only inside the repository, at things that exist.

A comment that cites a file outside the repository (the team's research notes, another
project's source, a numbered section of either) leaves a reader with a fact they cannot check.
Such facts live in docs/, in our own words, and the comment points there:
`docs/<file>.md#<section>`. A bare `#<section>` refers to the file itself or to a docs/ file
it names. Scanned: Python comments and docstrings, and the whole text of the Markdown,
Makefile and configuration files.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("bot", "bridge", "storage", "tests", "bench", "migrations", "docs")
TOP_FILES = (
    "Makefile",
    "README.md",
    "alembic.ini",
    "pyproject.toml",
    "Dockerfile",
    "compose.yaml",
    ".env.example",
    ".ci/run",
)
TEXT_SUFFIXES = (".md", ".txt", ".ini", ".toml", ".yaml", ".yml")
SKIPPED = ("tests/data/",)

# What points outside: paths that leave the clone, the team's notes, numbered sections of them.
OUTSIDE = (
    re.compile(r"(?<![\w.-])(?:\.\./|/work/)"),
    re.compile(r"(?<![\w/.-])shared/"),
    re.compile(
        r"\b(?:midjourney-formats|midjourney-2026|seed-study|telegram-facts|design|style|peers)"
        r"\.md\b"
    ),
    re.compile(r"\bCI@"),
    re.compile(r"\b(?:NZ|TA|EM|YK)\b"),  # the short names other clients went by in those notes
    re.compile(r"§"),
    re.compile(r"\bsections?\s+(?:[a-f](?:\.\d+)?|\d+(?:\.\d+)*)\b(?!\.\w)"),
    re.compile(r"\bformats\s+[a-f](?:\.\d+)?\b"),
    re.compile(r"\([a-f]\.\d+(?:\s*[–,-]\s*[a-f]?\.?\d+)*\)"),
)
MARKDOWN_FILE = re.compile(r"(?<![\w/.-])([\w./-]*[\w-]\.md)\b")
DOCS_REF = re.compile(r"(?<![\w/.-])(docs/[\w./-]*[\w])(?:#([\w-]+))?")
CODE_PATH = re.compile(r"`((?:bot|bridge|storage|tests|bench|migrations)/[\w./-]*[\w/])`")
BARE_ANCHOR = re.compile(r"(?:(?<=[\s(])|^)#([a-z][a-z0-9]{2,}(?:-[a-z0-9]+)*)\b")

ALL_PATTERNS = (*OUTSIDE, MARKDOWN_FILE, DOCS_REF, BARE_ANCHOR)


def _scanned_files() -> list[Path]:
    files = [ROOT / name for name in TOP_FILES if (ROOT / name).is_file()]
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            relative = path.relative_to(ROOT).as_posix()
            if not path.is_file() or relative.startswith(SKIPPED):
                continue
            if path.suffix == ".py" or path.suffix in TEXT_SUFFIXES:
                files.append(path)
    return files


def _documented(tree: ast.Module) -> Iterator[ast.AST]:
    """The module and every class and function in it, however nested in statements."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        for name in ("body", "orelse", "finalbody", "handlers"):
            stack.extend(child for child in getattr(node, name, ()) if isinstance(child, ast.AST))


def _python_notes(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every comment and docstring of a Python source."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string.lstrip("#")
    for node in _documented(ast.parse(source)):
        if isinstance(
            node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        ) and (docstring := ast.get_docstring(node, clean=False)):
            first = node.body[0].lineno
            for offset, line in enumerate(docstring.splitlines()):
                yield first + offset, line


def notes(path: Path, text: str) -> list[tuple[int, str]]:
    if path.suffix == ".py":
        return sorted(_python_notes(text))
    return list(enumerate(text.splitlines(), 1))


def slug(heading: str) -> str:
    """The anchor a Markdown renderer gives a heading (GitHub's rule)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@functools.cache
def anchors(document: Path) -> frozenset[str]:
    text = document.read_text(encoding="utf-8")
    headings = re.finditer(r"^#{1,6}\s+(.+?)\s*$", text, re.MULTILINE)
    return frozenset(slug(m.group(1)) for m in headings)


def problems(path: Path, text: str) -> list[str]:
    """Everything wrong with what one file's notes point at, as "file:line: why" lines."""
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    found: list[str] = []
    if not any(pattern.search(text) for pattern in ALL_PATTERNS):
        return found  # notes are part of the text: nothing to read them for
    lines = notes(path, text)
    cited = {path} if path.suffix == ".md" else set()
    for number, line in lines:
        where = f"{name}:{number}"
        found += [f"{where}: points outside: {m.group(0)!r}" for pattern in OUTSIDE
                  for m in pattern.finditer(line)]
        for match in MARKDOWN_FILE.finditer(line):
            target = match.group(1)
            if "/" in target:
                exists = (ROOT / target).is_file() or (path.parent / target).is_file()
            else:
                exists = any(ROOT.glob(f"*/{target}")) or (ROOT / target).is_file()
            if not exists:
                found.append(f"{where}: no such file in the repository: {target}")
        for match in DOCS_REF.finditer(line):
            target, anchor = ROOT / match.group(1), match.group(2)
            if not target.exists():
                found.append(f"{where}: no such file: {match.group(1)}")
            elif anchor and target.suffix == ".md" and anchor not in anchors(target):
                found.append(f"{where}: no section #{anchor} in {match.group(1)}")
            elif target.suffix == ".md":
                cited.add(target)
    known = frozenset().union(*(anchors(document) for document in cited))
    for number, line in lines:
        for match in BARE_ANCHOR.finditer(line):
            if match.group(1) not in known:
                found.append(f"{name}:{number}: #{match.group(1)} is no section it cites")
    return found


def test_notes_point_only_inside_the_repository_at_what_exists() -> None:
    files = _scanned_files()
    assert len(files) > 100  # the scan sees the code, not an empty folder
    found = [p for path in files for p in problems(path, path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_code_paths_the_docs_name_exist() -> None:
    missing = [
        f"{document.name}: {match.group(1)}"
        for document in sorted((ROOT / "docs").glob("*.md"))
        for match in CODE_PATH.finditer(document.read_text(encoding="utf-8"))
        if not any(ROOT.glob(match.group(1)))
    ]
    assert missing == []


@pytest.mark.parametrize(
    "note",
    [
        "# ids from midjourney-formats.md a.3",
        "# as the formats a.6 say",
        "# images by index (a.5)",
        "# see /work/shared/telegram-facts.md",
        "# ../shared/real-midjourney",
        "# read at CI@03f013d",
        "# build number as NZ/TA send it",
        "# video costs (section 2.4)",
        "# limits (§2)",
        "# see docs/no-such-file.md",
        "# see docs/midjourney-on-the-wire.md#no-such-section",
        "# see docs/deploy.md",
        "# a bare anchor #nowhere-at-all",
    ],
)
def test_a_note_pointing_outside_or_at_nothing_is_found(note: str) -> None:
    assert problems(ROOT / "bridge" / "example.py", f"{note}\nx = 1\n") != []


def test_a_note_pointing_at_a_docs_section_passes() -> None:
    note = '"""See docs/midjourney-on-the-wire.md#nonces and #cancel-job."""\n# (0.21-0.22)\n'
    assert problems(ROOT / "bridge" / "example.py", note) == []
