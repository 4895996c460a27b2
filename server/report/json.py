"""The JSON contract of DESIGN.md: lines and columns 1-based, paths relative to the cwd."""

from __future__ import annotations

import json
from collections import Counter

from rules.api import Fix
from server.batch import CheckResult

VERSION = 1


def _fix(fix: Fix | None) -> dict[str, object] | None:
    if fix is None:
        return None
    return {
        "safety": fix.safety.value,
        "title": fix.title,
        "edits": [
            {"line": e.start_line, "column": e.start_col + 1, "end_line": e.end_line, "end_column": e.end_col + 1, "text": e.text}
            for e in fix.edits
        ],
    }


def document(result: CheckResult) -> dict[str, object]:
    diagnostics = [
        {
            "path": r.path,
            "line": r.line,
            "column": r.col + 1,
            "end_line": r.end_line,
            "end_column": r.end_col + 1,
            "code": r.code,
            "rule": r.rule,
            "severity": r.severity.value,
            "message": r.message,
            "fix": _fix(r.fix),
        }
        for r in result.findings
    ]
    return {
        "version": VERSION,
        "diagnostics": diagnostics,
        "summary": {
            "files": result.files,  # reviewed
            "files_with_findings": result.files_with_findings,
            "findings": len(diagnostics),
            # what `--fix` fixes, as the text and markdown reports count it (safe fixes only)
            "fixable": result.fixable_safe,
            "fixable_safe": result.fixable_safe,
            "fixable_unsafe": result.fixable_unsafe,
            "fixed": result.fixed_count,
            "baselined": result.baselined,
            "by_severity": dict(sorted(Counter(str(d["severity"]) for d in diagnostics).items())),
            "by_code": dict(sorted(Counter(str(d["code"]) for d in diagnostics).items())),
            # files not reviewed, then fixes not written ("not fixed: read-only file")
            "errors": [{"path": path, "message": message} for path, message in [*result.errors, *result.unwritten]],
        },
    }


def render(result: CheckResult) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"
