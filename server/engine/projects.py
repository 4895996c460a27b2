"""The project tier: project rules over the project index (`server/project.py`), on save and in `--check`.

Rule code runs in the crash guard, and the caller's file reader (`lines_of`) is guarded too: one
unreadable file never costs the project its other findings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rules.api import ModuleContext
from rules.api.project import ProjectFacts, ProjectRule
from server.engine.guard import isolate, logger
from server.engine.model import Diagnostic, FixTable, RuleCrash
from server.suppressions import is_suppressed

if TYPE_CHECKING:
    from server.engine.core import Engine


class ProjectTier:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.crashes: list[RuleCrash] = []  # of the last `check`

    def check(
        self, facts: ProjectFacts, lines_of: Callable[[str], Sequence[str]] | None = None
    ) -> list[tuple[str, Diagnostic]]:
        """Save tier: project rules over the project index; (path, finding) pairs.

        Per-file ignores and suppression comments apply to the file each finding is in
        (`lines_of(path)` gives its lines, when the caller can read them). Rules that crashed
        are in `project_crashes` afterwards (the CLI exits 2, the server tells the client).
        """
        self.crashes = []
        out: list[tuple[str, Diagnostic]] = []
        ctx = ModuleContext(path=".")
        for rule in all_project_rules():
            if rule not in self.engine.config.enabled_rules("."):
                continue
            instance = rule(ctx, self.engine.options(rule))
            crash = isolate(rule.meta.code, ".", 1, "project check", lambda: instance.check(facts))
            if crash is not None:
                self.crashes.append(crash)
                continue
            for report in instance.project_reports:
                if rule not in self.engine.enabled_rules(report.path):
                    continue
                finding = self.engine.ready_finding(FixTable.PROJECT, rule, report.message, report.span, report.fix, report.severity)
                if lines_of is not None and is_suppressed(self._lines(lines_of, report.path), finding.span.line, rule.meta.code, rule.meta.name):
                    continue
                out.append((report.path, finding))
        out.sort(key=lambda item: (item[0], item[1].span.line, item[1].span.col, item[1].code))
        self.engine.fixes.publish(FixTable.PROJECT, (finding for _, finding in out))
        return out

    def _lines(self, lines_of: Callable[[str], Sequence[str]], path: str) -> Sequence[str]:
        """A file's lines for its suppression comments; none when it cannot be read (a symlink
        loop, a file gone): its findings stay, the other files' are not lost with it."""
        try:
            return lines_of(path)
        except Exception:  # isolation point: the caller's reader, on any file of the project
            logger.warning("project findings of %s: its suppression comments cannot be read", path, exc_info=True)
            return ()


def all_project_rules() -> list[type[ProjectRule]]:
    from rules.registry import all_rules

    return [r for r in all_rules() if issubclass(r, ProjectRule)]

