"""Typed data of the non-Python files reviewls reads, and the base of rules over them.

One reader per file type lives in `server/configfiles.py`; rules get these values, with the
source range of everything they may report (lines 1-based, columns 0-based).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from rules.api.rule import RuleBase
from rules.api.types import Fix, Scope, Severity, Span


class FileKind(StrEnum):
    PYTHON = "python"
    COMPOSE = "compose"
    REQUIREMENTS = "requirements"
    NGINX = "nginx"
    DOTENV = "dotenv"
    PYPROJECT = "pyproject"


@dataclass(frozen=True, slots=True)
class ComposeEnv:
    key: str
    key_span: Span
    value: str | None  # None: `- KEY` or `KEY:` with no value (passed through from the host)
    value_span: Span | None


@dataclass(frozen=True, slots=True)
class ComposeService:
    name: str
    name_span: Span
    environment: tuple[ComposeEnv, ...]
    network_mode: tuple[str, Span] | None
    env_files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ComposeFile:
    services: tuple[ComposeService, ...]


@dataclass(frozen=True, slots=True)
class Requirement:
    name: str
    specifier: str  # "" when none
    marker: str
    url: str | None
    span: Span  # the requirement itself, without comments and options


@dataclass(frozen=True, slots=True)
class RequirementsFile:
    entries: tuple[Requirement, ...]
    constraints: bool  # a constraints file (-c target, constraints*.txt), or a library's pyproject


@dataclass(frozen=True, slots=True)
class NginxUpstream:
    name: str
    span: Span  # the `upstream NAME` words


@dataclass(frozen=True, slots=True)
class NginxFile:
    upstreams: tuple[NginxUpstream, ...]


@dataclass(frozen=True, slots=True)
class DotenvKey:
    key: str
    span: Span


@dataclass(frozen=True, slots=True)
class DotenvFile:
    keys: tuple[DotenvKey, ...]


ConfigData = ComposeFile | RequirementsFile | NginxFile | DotenvFile


@dataclass(frozen=True, slots=True)
class ConfigReport:
    span: Span
    message: str
    fix: Fix | None
    severity: Severity | None = None  # lower than the rule's when only likely


class ConfigRule(RuleBase):
    """A rule over one non-Python file's typed data. Fixes are plain text edits, built at once."""

    SCOPE = Scope.FILE

    kinds: ClassVar[frozenset[FileKind]] = frozenset()

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.config_reports: list[ConfigReport] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def check(self, data: ConfigData) -> None:
        raise NotImplementedError

    def report_span(self, span: Span, message: str, *, fix: Fix | None = None, severity: Severity | None = None) -> None:
        self.config_reports.append(ConfigReport(span, message, fix, severity))

