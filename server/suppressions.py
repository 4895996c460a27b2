"""Inline suppressions: `# reviewls: ignore[RV101]` and bare `# reviewls: ignore`.

A comment suppresses findings that start on its line, or, as a comment line of its own, the
statement right below it (through any decorators in between). A `Ledger` applies the comments
of one analysis and remembers which comment hid which finding, so suppression rules can tell a
comment that did its job from one that hid nothing.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from rules.api import SuppressedCode, SuppressionUse, Usage
from rules.api.types import Span

_IGNORE = re.compile(r"#\s*reviewls:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.I)
_ENTRY = re.compile(r"[^,]+")

ALL = "*"


@dataclass(frozen=True, slots=True)
class Directive:
    """A suppression comment as written on its line (columns 0-based code points)."""

    start: int  # the `#`
    end: int  # after `ignore` or the closing `]`
    # each listed code or name with its columns; None for a bare comment
    entries: tuple[tuple[str, int, int], ...] | None
    list_start: int = 0  # the text between the brackets, when there is a list
    list_end: int = 0

    @property
    def codes(self) -> frozenset[str]:
        return frozenset((ALL,)) if self.entries is None else frozenset(text for text, _, _ in self.entries)


def directive(line: str) -> Directive | None:
    """The line's suppression comment, if it has one."""
    if "reviewls" not in line:
        return None
    found = _IGNORE.search(line)
    if found is None:
        return None
    if found.group("codes") is None:
        return Directive(found.start(), found.end(), None)
    start = found.start("codes")
    entries = []
    for part in _ENTRY.finditer(found.group("codes")):
        text = part.group()
        if text.strip():
            first = part.start() + len(text) - len(text.lstrip())
            entries.append((text.strip(), start + first, start + first + len(text.strip())))
    return Directive(found.start(), found.end(), tuple(entries), start, found.end("codes"))


def codes_on_line(line: str) -> frozenset[str] | None:
    """Codes (or names) a line's comment suppresses; `{"*"}` for all; None if no comment."""
    found = directive(line)
    return None if found is None else found.codes


def suppressor(lines: Sequence[str], line: int, code: str, name: str, at: Callable[[int], Directive | None] | None = None) -> int | None:
    """The 0-based index of the line whose comment suppresses a finding of `code`/`name` that
    starts on 1-based `line`, or None. `at(index)` reads a line's directive (cached by a ledger)."""
    read = at or (lambda index: directive(lines[index]))
    index = line - 1
    if 0 <= index < len(lines) and _matches(read(index), code, name):
        return index
    above = index - 1
    while 0 <= above < len(lines) and lines[above].lstrip().startswith("@"):
        above -= 1
    if 0 <= above < len(lines) and lines[above].lstrip().startswith("#") and _matches(read(above), code, name):
        return above
    return None


def is_suppressed(lines: Sequence[str], line: int, code: str, name: str) -> bool:
    """Is a finding of `code`/`name` that starts on 1-based `line` suppressed?"""
    return suppressor(lines, line, code, name) is not None


def _matches(found: Directive | None, code: str, name: str) -> bool:
    if found is None:
        return False
    codes = found.codes
    return ALL in codes or code in codes or name in codes


class Ledger:
    """The suppression comments of one analysis of one file, and which of them hid a finding."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self._directives: dict[int, Directive | None] = {}
        self._used: dict[int, set[str]] = {}  # line index -> entries that hid a finding (ALL: a bare comment)

    def _at(self, index: int) -> Directive | None:
        if index not in self._directives:
            self._directives[index] = directive(self.lines[index])
        return self._directives[index]

    def _listing(self, index: int) -> Directive | None:
        found = self._at(index)
        return None if found is None or found.entries is None else found

    def suppresses(self, line: int, code: str, name: str, *, listed_only: bool = False) -> bool:
        """Is a finding of `code`/`name` on 1-based `line` suppressed? Records the comment's use.

        `listed_only`: only a comment listing the code or name hides it. For the findings of
        suppression rules: a bare comment would hide its own report, and bare comments were
        judged before those findings existed.
        """
        at = self._listing if listed_only else self._at
        index = suppressor(self.lines, line, code, name, at)
        if index is None:
            return False
        found = self._at(index)
        used = self._used.setdefault(index, set())
        if found is None or found.entries is None:
            used.add(ALL)
        else:
            used.update(text for text, _, _ in found.entries if text in (code, name))
        return True

    def uses(self, judge: Callable[[str], Usage], bare: Usage, comment: Callable[[int, int], bool]) -> list[SuppressionUse]:
        """Every suppression comment with its verdicts: codes that hid a finding are USED, the
        others get `judge(code)`; a bare comment that hid nothing gets `bare`. Directives for
        which `comment(index, column)` says no (text in a string) are left out."""
        out: list[SuppressionUse] = []
        for index, text in enumerate(self.lines):
            found = self._at(index) if "reviewls" in text else None
            if found is None or not comment(index, found.start):
                continue
            line = index + 1
            used = self._used.get(index, set())
            span = Span(line, found.start, line, found.end)
            if found.entries is None:
                out.append(SuppressionUse(span, text, True, (), Usage.USED if used else bare))
                continue
            codes = tuple(
                SuppressedCode(entry, Span(line, start, line, end), Usage.USED if entry in used else judge(entry))
                for entry, start, end in found.entries
            )
            verdicts = {code.usage for code in codes}
            usage = Usage.USED if Usage.USED in verdicts else Usage.UNDECIDED if Usage.UNDECIDED in verdicts else Usage.UNUSED
            out.append(SuppressionUse(span, text, False, codes, usage, Span(line, found.list_start, line, found.list_end)))
        return out


@lru_cache(maxsize=256)
def comment_columns(text: str) -> Mapping[int, int]:
    """0-based line -> the column where that line's comment starts, in a Python text (a block):
    a directive left of it, or on a line without one, is in a string. Empty if the text does
    not tokenize."""
    try:
        tokens = [token for token in tokenize.generate_tokens(io.StringIO(text).readline) if token.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):
        return MappingProxyType({})
    return MappingProxyType({token.start[0] - 1: token.start[1] for token in tokens})


def add_code(line: str, code: str) -> str:
    """The line with `code` added to its suppression comment (or a new one appended)."""
    ending = line[len(line.rstrip("\r\n")) :]
    body = line[: len(line) - len(ending)]
    found = _IGNORE.search(body)
    if found is None:
        return f"{body}  # reviewls: ignore[{code}]{ending}"
    codes = found.group("codes")
    if codes is None:
        return line
    listed = [part.strip() for part in codes.split(",") if part.strip()]
    if code in listed:
        return line
    replacement = f"# reviewls: ignore[{', '.join([*listed, code])}]"
    return f"{body[: found.start()]}{replacement}{body[found.end() :]}{ending}"
