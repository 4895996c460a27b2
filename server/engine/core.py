"""The engine behind one thin facade: which rules run on what, per tier.

`Engine.analyze(snapshot)` sends a Python module to the Python tier (`python.py`: blocks read
with `ast` first, libcst only where a trigger wants it) and a docker-compose, requirements,
nginx or `.env.example` file to the config-file tier (`configs.py`); `check_project` runs the
project tier (`projects.py`); `build_fix` resolves a finding's opaque fix reference
(`fixbuilder.py`). Rule code runs inside one crash guard (`guard.py`, `walk.py` for the
block walk). The engine knows no rule by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Sequence

from rules.api import Fix, ModuleContext, RuleBase, Scope, Severity, SuppressionRule, Usage
from rules.api.configdata import FileKind
from rules.api.project import ProjectFacts
from rules.api.types import Span
from server.config import Config
from server.configfiles import kind_of
from server.engine.configs import ConfigTier
from server.engine.fixbuilder import build_fix
from server.engine.guard import isolate
from server.engine.limits import NOT_REVIEWED
from server.engine.model import Analysis, Cancelled, Diagnostic, FixHandle, FixTable, RuleCrash, Snapshot
from server.engine.projects import ProjectTier
from server.engine.python import PythonTier
from server.suppressions import Ledger

__all__ = ["Cancelled", "Engine"]

# codes of the engine's own diagnostics: suppressible, never a rule's
PSEUDO_CODES = frozenset(("syntax-error", NOT_REVIEWED))

# a module that wakes most rules' triggers (analysed once at server start, then forgotten)
_WARM_UP = """import logging
import os
import requests
from django.urls import path

logger = logging.getLogger(__name__)
API_KEY = os.environ.get("API_TOKEN", "changeme")  # TODO: remove


class Service:
    def __init__(self, client):
        self.client = client

    async def fetch(self, url):
        try:
            return requests.get(url)
        except Exception:
            pass

    async def fetch(self, url):
        # x = compute(url)
        for item in url:
            print(item.objects.count())
        logger.info(f"done {url}")


urlpatterns = [path("<int:pk>/", Service), path("stats/", Service)]
"""


class Engine:
    """Runs the enabled rules over snapshots (edit tier) and project facts (save tier)."""

    def __init__(self, config: Config | None = None, *, cache_size: int = 20000, use_triggers: bool = True) -> None:
        self.config = config or Config()
        self._enabled: dict[str, tuple[type[RuleBase], ...]] = {}
        self._rule_options: dict[type[RuleBase], object] = {}
        self.python = PythonTier(self, cache_size, use_triggers)
        self.configs = ConfigTier(self)
        self.projects = ProjectTier(self)
        self.fixes = FixTable()  # resolves the fix keys of the newest analysis of each document

    @property
    def parse_calls(self) -> int:
        """libcst parses done (tests prove block reuse with it)."""
        return self.python.parse_calls

    @property
    def project_crashes(self) -> list[RuleCrash]:
        """Project rules that crashed in the last `check_project` (and edit rules in the last
        computation of what they read of the project)."""
        return [*self.projects.settings_crashes, *self.projects.crashes]

    def clear_caches(self) -> None:
        """Drop parsed trees and results (the CLI does this between files to bound memory)."""
        self.python.clear()
        self.fixes.forget()

    def forget(self, path: str) -> None:
        """A document closed: drop what the engine keeps for it (fix handles hold its trees)."""
        self.python.forget(path)
        self.fixes.forget(path)

    def warm_up(self) -> None:
        """Pay one-time costs (rule tables, libcst's node types, first regex uses) up front: a
        language server calls this at start so the first file opened costs what later ones do."""
        from server.documents import Document

        self.analyze(Document("file:///warm-up.py", "warm_up.py", _WARM_UP).snapshot())
        self.clear_caches()

    def set_config(self, config: Config) -> None:
        self.config = config
        self._enabled.clear()
        self._rule_options.clear()
        self.python.forget_documents()

    def enabled_rules(self, path: str) -> tuple[type[RuleBase], ...]:
        rules = self._enabled.get(path)
        if rules is None:
            rules = self.config.enabled_rules(path)
            self._enabled[path] = rules
        return rules

    def options(self, rule: type[RuleBase]) -> object:
        """The rule's options from the configuration (built once per configuration)."""
        if rule not in self._rule_options:
            self._rule_options[rule] = self.config.options_for(rule)
        return self._rule_options[rule]

    def context(self, snapshot: Snapshot) -> ModuleContext:
        return self.python.context(snapshot)

    def analyze(self, snapshot: Snapshot, cancelled: Callable[[], bool] | None = None) -> Analysis:
        """Findings of the edit tier for one snapshot, by the kind of file it is.

        `cancelled` is asked between blocks (from the thread running the analysis): when it
        returns True, `Cancelled` is raised. A language server passes "a newer version of this
        document arrived, or the server is shutting down", so a long analysis stops within one
        block. Blocks and files beyond the limits of `limits.py` are not parsed: each gets one
        `not-reviewed` information diagnostic (in `findings` and `skipped`).
        """
        kind = kind_of(snapshot.path, self.config.file_types)
        if kind is not None and kind is not FileKind.PYTHON:
            return self.configs.analyze(snapshot, kind)
        if kind is None and "." in snapshot.path.rsplit("/", 1)[-1]:
            return Analysis(snapshot.path, snapshot.version, (), (), (), 0)  # a file type reviewls does not review
        return self.python.analyze(snapshot, cancelled)

    def build_fix(self, snapshot: Snapshot, diagnostic: Diagnostic) -> Fix | None:
        """The edits of a diagnostic's fix, computed on demand; None if it cannot be built (or
        `snapshot` is not the document version the diagnostic came from any more)."""
        if diagnostic.fix is None:
            return None
        handle = self.fixes.resolve(snapshot.path, diagnostic.fix)
        return None if handle is None else build_fix(self.python, snapshot, diagnostic, handle)

    def check_project(
        self, facts: ProjectFacts, lines_of: Callable[[str], Sequence[str]] | None = None, cancelled: Callable[[], bool] | None = None
    ) -> list[tuple[str, Diagnostic]]:
        """Save tier: project rules over the project index; (path, finding) pairs."""
        return self.projects.check(facts, lines_of, cancelled)

    def adopt_project(self, findings: Iterable[tuple[str, Diagnostic, Fix | None]]) -> list[tuple[str, Diagnostic]]:
        """Project findings checked elsewhere (the server's project worker), with their fixes
        already built: registered in this engine's fix table as the last project check."""
        out: list[tuple[str, Diagnostic]] = []
        for path, finding, fix in findings:
            if fix is not None:
                finding = dataclasses.replace(finding, fix=self.fixes.register(FixTable.PROJECT, FixHandle(None, None, 0, None, fix), fix.title, fix.safety))
            out.append((path, finding))
        self.fixes.publish(FixTable.PROJECT, (finding for _, finding in out))
        return out

    def ready_finding(
        self, owner: str, rule: type[RuleBase], message: str, span: Span, fix: Fix | None, severity: Severity | None = None
    ) -> Diagnostic:
        """A finding of a config or project rule: a range and, if any, an already built fix
        (resolved through `owner`'s entry in the fix table, a path or `FixTable.PROJECT`)."""
        return Diagnostic(
            rule.meta.code,
            rule.meta.name,
            self.config.severity_for(rule, severity),
            message,
            span,
            self.fixes.register(owner, FixHandle(None, None, 0, None, fix), fix.title, fix.safety) if fix else None,
        )

    def check_suppressions(
        self, path: str, ctx: ModuleContext, ledger: Ledger, comment: Callable[[int, int], bool], *, whole: bool, crashed: Collection[str]
    ) -> tuple[list[Diagnostic], list[RuleCrash]]:
        """Findings of the enabled suppression rules over a file's comments, once `ledger` applied
        them to the file's findings (and themselves suppressible through it).

        A code that hid nothing is UNUSED only when its rule ran on the whole file: it is enabled
        here, runs in this tier (a project rule's findings are not seen here), did not crash,
        and the file had no syntax error or block beyond a limit (`whole`). A bare comment that
        hid nothing is UNUSED on the same terms, and only when no project rule is enabled.
        """
        enabled = self.enabled_rules(path)
        judges = [rule for rule in enabled if issubclass(rule, SuppressionRule)]
        if not judges:
            return [], []
        from rules.registry import by_code, by_name, parts_of

        codes, names = by_code(), by_name()

        def across_files(rule: type[RuleBase]) -> bool:
            """Does the rule report from the project tier (wholly, or through a project part)?"""
            return rule.meta.scope is Scope.PROJECT or bool(parts_of(rule))

        def judge(entry: str) -> Usage:
            rule = codes.get(entry) or names.get(entry)
            if rule is None:
                return Usage.UNDECIDED if entry in PSEUDO_CODES else Usage.UNKNOWN
            if not whole or rule not in enabled or rule.meta.code in crashed or across_files(rule) or issubclass(rule, SuppressionRule):
                return Usage.UNDECIDED
            return Usage.UNUSED

        decided = whole and not crashed and not any(across_files(rule) for rule in enabled)
        uses = ledger.uses(judge, Usage.UNUSED if decided else Usage.UNDECIDED, comment)
        findings: list[Diagnostic] = []
        crashes: list[RuleCrash] = []
        if not uses:
            return findings, crashes
        for rule in judges:
            instance = rule(ctx, self.options(rule))
            crash = isolate(rule.meta.code, path, 1, "suppression check", lambda: instance.check(uses))
            if crash is not None:
                crashes.append(crash)
                continue
            for report in instance.suppression_reports:
                finding = self.ready_finding(path, rule, report.message, report.span, report.fix, report.severity)
                if not ledger.suppresses(finding.span.line, finding.code, finding.name, listed_only=True):
                    findings.append(finding)
        return findings, crashes
