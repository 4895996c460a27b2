"""The config-file tier: docker-compose, requirements, nginx and `.env.example` files.

One reader per kind turns text into typed data (`server/configfiles.py`); `ConfigRule`s get
the data and report spans with ready-built fixes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules.api import ModuleContext, Severity
from rules.api.configdata import ConfigRule, FileKind
from rules.api.types import Span
from server.configfiles import ConfigParseError
from server.configfiles import read as read_config
from server.engine.guard import isolate
from server.engine.model import Analysis, Diagnostic, RuleCrash, Snapshot
from server.suppressions import Ledger

if TYPE_CHECKING:
    from server.engine.core import Engine


class ConfigTier:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def analyze(self, snapshot: Snapshot, kind: FileKind) -> Analysis:
        """A docker-compose, requirements, nginx or .env.example file: typed data, config rules."""
        text = "".join(snapshot.lines)
        try:
            data = read_config(kind, text, snapshot.path)
        except ConfigParseError as exc:
            span = Span(exc.line, exc.col, exc.line, exc.col + 1)
            self.engine.fixes.publish(snapshot.path, ())
            errors = [Diagnostic("syntax-error", "syntax-error", Severity.ERROR, f"syntax error: {exc.message}", span)]
            return Analysis(snapshot.path, snapshot.version, tuple(errors) if self.engine.config.report_syntax_errors else (), (), (span,), 0)
        findings: list[Diagnostic] = []
        crashes: list[RuleCrash] = []
        ctx = ModuleContext(path=snapshot.path)
        for rule in self.engine.enabled_rules(snapshot.path):
            if not issubclass(rule, ConfigRule) or kind not in rule.kinds:
                continue
            instance = rule(ctx, self.engine.options(rule))
            crash = isolate(rule.meta.code, snapshot.path, 1, "config file", lambda: instance.check(data))
            if crash is not None:
                crashes.append(crash)
                continue
            for report in instance.config_reports:
                findings.append(self.engine.ready_finding(snapshot.path, rule, report.message, report.span, report.fix, report.severity))
        ledger = Ledger(snapshot.lines)
        findings = [f for f in findings if not ledger.suppresses(f.span.line, f.code, f.name)]
        judged, failed = self.engine.check_suppressions(
            snapshot.path, ctx, ledger, lambda line, col: _opens_comment(snapshot.lines[line], col), whole=True, crashed={c.code for c in crashes}
        )
        findings.extend(judged)
        crashes.extend(failed)
        findings.sort(key=lambda f: (f.span.line, f.span.col, f.code))
        self.engine.fixes.publish(snapshot.path, findings)
        return Analysis(snapshot.path, snapshot.version, tuple(findings), tuple(crashes), (), 0)


def _opens_comment(line: str, col: int) -> bool:
    """Does the `#` at `col` open a comment (YAML, requirements, dotenv, nginx, TOML)? It must
    start the line or follow a blank, outside quotes; an unbalanced quote before it (even an
    apostrophe in plain text) counts as a string, so a directive there is never judged."""
    before = line[:col]
    return (not before or before[-1] in " \t") and before.count('"') % 2 == 0 and before.count("'") % 2 == 0
