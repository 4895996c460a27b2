"""The CI formats: SARIF against the official schema, GitHub workflow commands, the markdown report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema

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
