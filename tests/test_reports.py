"""The CI formats: SARIF against the official schema, GitHub workflow commands, the markdown report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema

from rules.api import Fix, Safety, Severity, TextEdit
from server.batch import CheckResult, Record

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "examples-report.md"


def reviewls(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_sarif_validates_against_the_official_schema() -> None:
    document = json.loads(reviewls("--check", "examples/shop", "--format", "sarif", "--no-cache", "--preview").stdout)
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(document)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    assert all(r["helpUri"].endswith(f"/{r['id']}.md") and "## Why is this bad?" in r["help"]["markdown"] for r in rules)
    results = run["results"]
    assert len({r["ruleId"] for r in results}) == 36  # every rule: the demo shows each one
    secret = next(r for r in results if r["ruleId"] == "RV401" and "Sentry" in r["message"]["text"])
    assert "0123456789abcdef" not in json.dumps(document)  # secrets are masked everywhere
    assert "('http…' (70 chars))" in secret["message"]["text"]
    timeout = next(r for r in results if r["ruleId"] == "RV301")
    location = timeout["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "examples/shop/shop/services/payments.py", "uriBaseId": "SRCROOT"}
    assert location["region"] == {"startLine": 17, "startColumn": 20, "endLine": 17, "endColumn": 29}
    replacement = timeout["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert "timeout=10" in replacement["insertedContent"]["text"]
    assert rules[timeout["ruleIndex"]]["id"] == "RV301"
    assert len(timeout["partialFingerprints"]["reviewlsFingerprint/v1"]) == 20


# ::error file=F,line=L,col=C,endLine=EL,endColumn=EC,title=T::MESSAGE (GitHub's documented syntax)
COMMAND = re.compile(
    r"^::(error|warning|notice) file=[^,:%]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=RV\d{3} [a-z-]+::[^\r\n]+$"
)


def test_github_lines_follow_the_workflow_command_syntax() -> None:
    lines = reviewls("--check", "examples/shop", "--format", "github", "--preview").stdout.splitlines()
    assert len(lines) == 45
    for line in lines:
        assert COMMAND.match(line), line
    assert "::warning file=examples/shop/shop/services/payments.py,line=17,col=20,endLine=17,endColumn=29,title=RV301 http-call-without-timeout::" in "\n".join(lines)


def test_github_escapes() -> None:
    from server.report.github import escape_data, escape_property

    assert escape_data("50% done\nnext") == "50%25 done%0Anext"
    assert escape_property("a,b:c") == "a%2Cb%3Ac"


def test_markdown_report_matches_the_golden_file() -> None:
    report = reviewls("--check", "examples/shop", "--format", "markdown").stdout
    if os.environ.get("REVIEWLS_UPDATE_GOLDEN"):
        GOLDEN.write_text(report)
    assert report == GOLDEN.read_text(), "review the change, then REVIEWLS_UPDATE_GOLDEN=1 pytest tests/test_reports.py"


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    result = reviewls("--check", "examples/shop", "--format", "sarif", "--output", str(target))
    assert result.stdout == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"


def _record(path: str, code: str, severity: Severity, safety: Safety | None = None) -> Record:
    fix = Fix("Fix it", safety, (TextEdit(1, 0, 1, 1, "x"),)) if safety else None
    return Record(path, code, "print-statement", severity, "a message", 1, 0, 1, 1, f"{path}{code}", fix)


def _result() -> CheckResult:
    """16 files reviewed; findings in 3: 1 safe fix, 2 unsafe ones, 2 without a fix."""
    findings = [
        _record("a.py", "RV101", Severity.WARNING, Safety.UNSAFE),
        _record("a.py", "RV101", Severity.WARNING, Safety.UNSAFE),
        _record("a.py", "RV101", Severity.WARNING),
        _record("b.py", "RV401", Severity.ERROR),
        _record("c.py", "RV301", Severity.WARNING, Safety.SAFE),
    ]
    return CheckResult(findings=findings, files=16)


def test_summaries_count_files_with_findings_and_label_fixes() -> None:
    from server.report import renderer

    result = _result()
    text = renderer("text")(result)
    assert "Found 5 findings in 3 of 16 files (RV101 x3, RV301 x1, RV401 x1)." in text
    assert "[*] 1 fixable with `reviewls --check --fix`." in text
    assert "2 more have an unsafe fix, offered as a quick fix in the editor" in text
    summary = json.loads(renderer("json")(result))["summary"]
    assert (summary["files"], summary["files_with_findings"]) == (16, 3)
    assert (summary["fixable"], summary["fixable_safe"], summary["fixable_unsafe"]) == (1, 1, 2)  # as the text says
    markdown = renderer("markdown")(result)
    assert "Reviewed **16** files: **5** findings in 3 files" in markdown
    assert "1 can be fixed automatically with `reviewls --check --fix`; 2 more have an unsafe fix" in markdown


def test_markdown_lists_the_files_with_the_most_findings_first() -> None:
    from server.report import renderer

    markdown = renderer("markdown")(_result())
    table = markdown[markdown.index("## Files with the most findings") :].split("\n\n")[1].splitlines()
    assert table[2:] == ["| `a.py` | 3 | 0 |", "| `b.py` | 1 | 1 |", "| `c.py` | 1 | 0 |"]  # ties: errors first


def test_json_schema_describes_the_summary() -> None:
    schema = json.loads((ROOT / "docs" / "check-output.schema.json").read_text())
    summary = schema["properties"]["summary"]
    for key in ("files_with_findings", "fixable_safe", "fixable_unsafe"):
        assert key in summary["required"] and key in summary["properties"]
    from server.report.json import document

    jsonschema.validate(document(_result()), schema)
