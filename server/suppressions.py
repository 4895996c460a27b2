"""Inline suppressions: `# reviewls: ignore[RV101]` and bare `# reviewls: ignore`.

A comment suppresses findings that start on its line, or, as a comment line of its own, the
statement right below it (through any decorators in between).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_IGNORE = re.compile(r"#\s*reviewls:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.I)

ALL = "*"


def codes_on_line(line: str) -> frozenset[str] | None:
    """Codes (or names) a line's comment suppresses; `{"*"}` for all; None if no comment."""
    if "reviewls" not in line:
        return None
    found = _IGNORE.search(line)
    if found is None:
        return None
    codes = found.group("codes")
    if codes is None:
        return frozenset((ALL,))
    return frozenset(part.strip() for part in codes.split(",") if part.strip())


def is_suppressed(lines: Sequence[str], line: int, code: str, name: str) -> bool:
    """Is a finding of `code`/`name` that starts on 1-based `line` suppressed?"""
    index = line - 1
    if 0 <= index < len(lines) and _matches(codes_on_line(lines[index]), code, name):
        return True
    above = index - 1
    while 0 <= above < len(lines) and lines[above].lstrip().startswith("@"):
        above -= 1
    if 0 <= above < len(lines) and lines[above].lstrip().startswith("#"):
        return _matches(codes_on_line(lines[above]), code, name)
    return False


def _matches(codes: frozenset[str] | None, code: str, name: str) -> bool:
    return codes is not None and (ALL in codes or code in codes or name in codes)


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
