"""Project rules: checks that need more than one file, run on save and in `--check`.

The engine's project index gathers facts per file (recomputed only for files that changed)
and hands rules a `ProjectFacts` view; rules report against any file of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rules.api.configdata import DotenvFile
from rules.api.rule import RuleBase
from rules.api.types import Fix, Scope, Severity, Span


@dataclass(frozen=True, slots=True)
class EnvUse:
    """A read of an environment variable with a literal name, in a Python file."""

    path: str
    key: str
    span: Span


@dataclass(frozen=True, slots=True)
class EnvExample:
    """A `.env.example`-style file: its keys, and where a new key would go."""

    path: str
    data: DotenvFile
    end: Span  # an empty range at the end of the file
    ends_with_newline: bool


@dataclass(frozen=True, slots=True)
class CloneWindow:
    """A run of statements of at least CLONE_MIN_LINES logical lines, and the digest of its
    shape: the same digest means the same code once identifiers and literals are erased."""

    path: str
    span: Span
    digest: str
    lines: int  # logical lines (statements, nested ones included)


# what a project rule can ask the index to gather besides the layout (ProjectRule.needs)
CLONES = "clones"
CLONE_MIN_LINES = 6


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    root: str
    env_uses: tuple[EnvUse, ...]
    env_examples: tuple[EnvExample, ...]
    python_files: tuple[str, ...]  # paths relative to the root, posix
    packages: tuple[str, ...]  # folders with an __init__.py or Python files, relative, posix
    clones: tuple[CloneWindow, ...] = ()  # only when an enabled rule needs CLONES


@dataclass(frozen=True, slots=True)
class ProjectReport:
    path: str
    span: Span
    message: str
    fix: Fix | None
    severity: Severity | None = None  # lower than the rule's when only likely


class ProjectRule(RuleBase):
    """A rule over the whole project's facts."""

    SCOPE = Scope.PROJECT

    # facts beyond the layout and env reads that the index must gather for this rule (CLONES)
    needs: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.project_reports: list[ProjectReport] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def check(self, facts: ProjectFacts) -> None:
        raise NotImplementedError

    def report_file(self, path: str, span: Span, message: str, *, fix: Fix | None = None, severity: Severity | None = None) -> None:
        self.project_reports.append(ProjectReport(path, span, message, fix, severity))
