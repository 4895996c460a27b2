"""Suppression rules: checks over the `# reviewls: ignore[...]` comments of one file.

The engine applies a file's suppression comments to its findings and records which comment hid
which finding; after that it hands every enabled `SuppressionRule` the file's comments with a
verdict per listed code (`Usage`). The engine decides what it can know (a code that names no
rule, a code whose rule ran on the whole file and found nothing the comment covers); the rule
decides what to report and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from rules.api.rule import RuleBase
from rules.api.types import Fix, Scope, Severity, Span


class Usage(StrEnum):
    """What one analysis can tell of a suppression comment, or of one code it lists."""

    USED = "used"  # it hid at least one finding of this analysis
    UNUSED = "unused"  # its rule ran on the whole file and found nothing the comment covers
    UNKNOWN = "unknown"  # it names no rule (nor an engine pseudo-code such as `syntax-error`)
    # this analysis cannot tell: the rule is not enabled, runs in the project tier, crashed,
    # judges suppressions itself, or part of the file could not be reviewed
    UNDECIDED = "undecided"


@dataclass(frozen=True, slots=True)
class SuppressedCode:
    """One entry of a comment's list, as written (`RV101` or `print-statement`)."""

    text: str
    span: Span
    usage: Usage


@dataclass(frozen=True, slots=True)
class SuppressionUse:
    """A suppression comment of the file and what this analysis knows of its use.

    `span` is the directive itself (`# reviewls: ignore[...]`, one line); `line_text` is the
    whole line with its line break, so a fix can drop the directive and keep the rest.
    A bare comment (`# reviewls: ignore`) has `bare` set, no codes, and its own `usage`; a
    comment with a list has the verdict per code (`usage` is USED when any code was).
    """

    span: Span
    line_text: str
    bare: bool
    codes: tuple[SuppressedCode, ...]
    usage: Usage
    list_span: Span | None = None  # the text between the brackets, for a comment with a list


@dataclass(frozen=True, slots=True)
class SuppressionReport:
    span: Span
    message: str
    fix: Fix | None
    severity: Severity | None = None


class SuppressionRule(RuleBase):
    """A rule over a file's suppression comments (after the engine applied them to its findings).

    Its findings are themselves suppressible. Fixes are plain text edits, built at once.
    """

    SCOPE = Scope.FILE

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.suppression_reports: list[SuppressionReport] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def check(self, comments: Sequence[SuppressionUse]) -> None:
        raise NotImplementedError

    def report_span(self, span: Span, message: str, *, fix: Fix | None = None, severity: Severity | None = None) -> None:
        self.suppression_reports.append(SuppressionReport(span, message, fix, severity))
