"""Reporters for `reviewls --check`: each turns a CheckResult into text for stdout or a file."""

from __future__ import annotations

from dataclasses import dataclass, field

from rules.api import Fix
from server.engine import Finding


@dataclass(frozen=True)
class FileFinding:
    path: str  # relative to the working directory, with forward slashes
    finding: Finding
    fix: Fix | None = None


@dataclass
class CheckResult:
    findings: list[FileFinding] = field(default_factory=list)
    files: int = 0
    fixed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message): unreadable files
    crashes: list[tuple[str, str, int]] = field(default_factory=list)  # (code, path, line)
