"""The project tier: project rules over the project index (`server/project.py`), on save and in `--check`.

Each enabled project rule (and each project part of an enabled edit rule, RV501 across files)
contributes its `collect` and the shared fact kinds it `needs` to the index (`gatherers`), then
`check` runs the rules over the index's view. Rule code runs in the crash guard, and the caller's
file reader (`lines_of`) is guarded too: one unreadable file never costs the project its other findings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rules.api import ModuleContext, RuleBase
from rules.api.facts import KINDS
from rules.api.project import ProjectFacts, ProjectRule, ProjectView, collect_kind
from server.engine.guard import isolate, logger
from server.engine.model import Cancelled, Diagnostic, FixTable, RelatedSpan, RuleCrash
from server.suppressions import is_suppressed

if TYPE_CHECKING:
    from server.engine.core import Engine
    from server.project import Gatherer


class ProjectTier:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.crashes: list[RuleCrash] = []  # of the last `check`
        self.settings_crashes: list[RuleCrash] = []  # of the last `project_settings`

    def rules(self) -> list[type[ProjectRule]]:
        """The enabled project rules and the project parts of enabled edit rules."""
        enabled = set(self.engine.config.enabled_rules("."))
        return [rule for rule in all_project_rules() if _owner(rule) in enabled]

    def settings_rules(self) -> list[type[RuleBase]]:
        """Enabled edit rules that read facts of the whole project (`RuleBase.project_needs`)."""
        return [rule for rule in self.engine.config.enabled_rules(".") if rule.project_needs]

    def project_settings(self, view: ProjectView) -> tuple[str, ...]:
        """The entries those rules compute from the index, for `Config.project_settings`; a rule
        that crashes here gives none (listed in `crashes`)."""
        entries: set[str] = set()
        self.settings_crashes = []
        for rule in self.settings_rules():
            found: list[str] = []
            crash = isolate(rule.meta.code, ".", 1, "project settings", lambda: found.extend(rule.project_settings(view)))
            if crash is not None:
                self.settings_crashes.append(crash)
            entries.update(found)
        return tuple(sorted(entries))

    def gatherers(self) -> list[Gatherer]:
        """What the index must gather per file for the enabled rules: the shared kinds they
        need (project rules' `needs`, edit rules' `project_needs`) and each rule's own `collect`."""
        from server.project import Gatherer

        out: dict[str, Gatherer] = {}
        for need in sorted({need for rule in self.settings_rules() for need in rule.project_needs}):
            kind = KINDS.get(need)
            if kind is not None:
                out.setdefault(kind.name, Gatherer(kind.name, kind.version, kind.gather))
        for rule in self.rules():
            for need in sorted(rule.needs):
                kind = KINDS.get(need)
                if kind is not None:
                    out.setdefault(kind.name, Gatherer(kind.name, kind.version, kind.gather))
            if rule.collect is not ProjectRule.collect:
                instance = rule(ModuleContext(path="."), self.engine.options(_owner(rule)))
                name = collect_kind(rule)
                out[name] = Gatherer(name, rule.collect_version, instance.collect)
        return list(out.values())

    def check(
        self, facts: ProjectFacts, lines_of: Callable[[str], Sequence[str]] | None = None, cancelled: Callable[[], bool] | None = None
    ) -> list[tuple[str, Diagnostic]]:
        """Save tier: project rules over the project index; (path, finding) pairs.

        Per-file ignores and suppression comments apply to the file each finding is in
        (`lines_of(path)` gives its lines, when the caller can read them). Rules that crashed
        are in `project_crashes` afterwards (the CLI exits 2, the server tells the client).
        `cancelled()` is asked before each rule; when true, `Cancelled` is raised.
        """
        self.crashes = []
        out: list[tuple[str, Diagnostic]] = []
        ctx = ModuleContext(path=".")
        view = facts if isinstance(facts, ProjectView) else ProjectView(*(getattr(facts, f) for f in ProjectFacts.__dataclass_fields__))
        for rule in self.rules():
            if cancelled is not None and cancelled():
                raise Cancelled
            owner = _owner(rule)
            instance = rule(ctx, self.engine.options(owner))
            crash = isolate(rule.meta.code, ".", 1, "project check", lambda: instance.check(view))
            if crash is not None:
                self.crashes.append(crash)
                continue
            for report in instance.project_reports:
                if owner not in self.engine.enabled_rules(report.path):
                    continue
                finding = self.engine.ready_finding(FixTable.PROJECT, owner, report.message, report.span, report.fix, report.severity)
                if report.related:
                    related = tuple(RelatedSpan(r.span, r.message, None if r.path == report.path else r.path) for r in report.related)
                    finding = dataclasses.replace(finding, related=related)
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


def _owner(rule: type[ProjectRule]) -> type[RuleBase]:
    """The rule whose selection, options and code a project rule reports under."""
    return rule.part_of or rule


def all_project_rules() -> list[type[ProjectRule]]:
    from rules.registry import all_rules, project_parts

    return [*(r for r in all_rules() if issubclass(r, ProjectRule)), *project_parts()]
