"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

Every rule is listed with its help text and link; results carry fixes where a rule has one
and a partial fingerprint (the baseline's) so viewers track findings across commits.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from rules.api import Fix, Severity
from rules.registry import all_rules
from server import __version__
from server.batch import CheckResult, Record

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFORMATION: "note", Severity.HINT: "note"}


def _location(path: str) -> dict[str, object]:
    return {"uri": quote(path), "uriBaseId": "SRCROOT"}


def _region(line: int, col: int, end_line: int, end_col: int) -> dict[str, int]:
    return {"startLine": line, "startColumn": col + 1, "endLine": end_line, "endColumn": end_col + 1}


def _fix(record: Record, fix: Fix) -> dict[str, object]:
    return {
        "description": {"text": f"{fix.title} ({fix.safety.value})"},
        "artifactChanges": [
            {
                "artifactLocation": _location(record.path),
                "replacements": [
                    {
                        "deletedRegion": _region(e.start_line, e.start_col, e.end_line, e.end_col),
                        "insertedContent": {"text": e.text},
                    }
                    for e in fix.edits
                ],
            }
        ],
    }


def document(result: CheckResult) -> dict[str, object]:
    rules = list(all_rules())
    index = {rule.meta.code: n for n, rule in enumerate(rules)}
    descriptors = [
        {
            "id": rule.meta.code,
            "name": rule.meta.name,
            "shortDescription": {"text": rule.summary()},
            "fullDescription": {"text": rule.why()},
            "helpUri": rule.docs_url(),
            "help": {"text": rule.docs(), "markdown": rule.docs()},
            "defaultConfiguration": {"level": LEVELS[rule.meta.severity]},
            "properties": {"tags": [rule.meta.family, *rule.meta.frameworks], "fix": rule.meta.fix.value if rule.meta.fix else "none"},
        }
        for rule in rules
    ]
    results: list[dict[str, object]] = []
    for record in result.findings:
        item: dict[str, object] = {
            "ruleId": record.code,
            "level": LEVELS[record.severity],
            "message": {"text": record.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _location(record.path),
                        "region": _region(record.line, record.col, record.end_line, record.end_col),
                    }
                }
            ],
            "partialFingerprints": {"reviewlsFingerprint/v1": record.fingerprint},
        }
        if record.code in index:
            item["ruleIndex"] = index[record.code]
        if record.fix is not None:
            item["fixes"] = [_fix(record, record.fix)]
        results.append(item)
    notifications = [
        {"level": "error", "message": {"text": f"{path}: {reason}"}, "locations": [{"physicalLocation": {"artifactLocation": _location(path)}}]}
        for path, reason in [*result.errors, *result.unwritten]
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "reviewls",
                        "version": __version__,
                        "informationUri": "https://github.com/reviewls/reviewls",
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": Path.cwd().resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {"executionSuccessful": not result.crashed, "toolExecutionNotifications": notifications}
                ],
                "results": results,
            }
        ],
    }


def render(result: CheckResult) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"
