"""Value types of the rule SDK: metadata, severities, fixes and examples."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from enum import StrEnum

from rules.api.triggers import EVERY_BLOCK, Trigger


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"

    @property
    def rank(self) -> int:
        """Higher is more severe; `--fail-on` compares ranks."""
        return {"error": 4, "warning": 3, "information": 2, "hint": 1}[self.value]


class Scope(StrEnum):
    FILE = "file"
    MODULE = "module"
    PROJECT = "project"


class Safety(StrEnum):
    """What a fix promises. SAFE keeps behaviour and runs in fix-all and `--fix`."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True)
class RuleMeta:
    code: str
    name: str
    family: str
    severity: Severity
    scope: Scope = Scope.FILE  # set from the rule's class (FileRule, ModuleRule, ConfigRule, ProjectRule)
    frameworks: tuple[str, ...] = ()
    fix: Safety | None = None
    aliases: tuple[str, ...] = ()
    # which blocks can matter to the rule, judged on words before libcst parses (rules/api/triggers.py)
    trigger: Trigger = EVERY_BLOCK


def _dedent(code: str) -> str:
    text = textwrap.dedent(code)
    if text.startswith("\n"):
        text = text[1:]
    return text if text.endswith("\n") or not text else text + "\n"


@dataclass(frozen=True)
class Valid:
    """An example the rule must stay quiet on."""

    code: str
    path: str = "app/services.py"
    files: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return _dedent(self.code)


@dataclass(frozen=True)
class Invalid:
    """An example with `# <- RVxxx` markers on each line that must be flagged.

    `fixed` is the source after applying every fix of this rule once (fix-all).
    """

    code: str
    fixed: str | None = None
    path: str = "app/services.py"
    files: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return _dedent(self.code)

    @property
    def fixed_source(self) -> str | None:
        return None if self.fixed is None else _dedent(self.fixed)


@dataclass(frozen=True, slots=True)
class Span:
    """A range in a file: lines 1-based, columns 0-based code points."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace [start, end) with `text`; lines 1-based, columns 0-based code points.

    `path` is set when the edit belongs to another file than the finding's (project fixes).
    """

    start_line: int
    start_col: int
    end_line: int
    end_col: int
    text: str
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    safety: Safety
    edits: tuple[TextEdit, ...]
