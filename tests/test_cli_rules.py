"""Rule docs from the terminal (#15): `reviewls rule CODE|NAME`, `--explain`, `reviewls rules`,
the rule's name on each text finding line and the options in `--show-settings`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rules.precision import is_preview
from rules.registry import all_rules
from server.docs import rule_page

ROOT = Path(__file__).resolve().parent.parent


def reviewls(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_rule_prints_the_rule_page_by_code_or_name() -> None:
    page = (ROOT / "docs" / "rules" / "RV604.md").read_text(encoding="utf-8")
    assert rule_page("RV604") == page  # the page on disk is generated from the same function
    for query in ("RV604", "rv604", "count-after-cursor-filter"):
        done = reviewls("rule", query)
        assert done.returncode == 0, done.stderr
        assert done.stdout == page, query
    explained = reviewls("--explain", "RV604")
    assert explained.returncode == 0 and explained.stdout == page


def test_an_unknown_rule_is_an_error_with_close_matches() -> None:
    typo = reviewls("rule", "RV6O4")
    assert typo.returncode == 2 and typo.stdout == ""
    assert "unknown rule 'RV6O4'" in typo.stderr and "RV604 (count-after-cursor-filter)" in typo.stderr
    name = reviewls("rule", "count-after-cursr-filter")
    assert name.returncode == 2 and "RV604 (count-after-cursor-filter)" in name.stderr
    part = reviewls("rule", "print")
    assert part.returncode == 2 and "RV101 (print-statement)" in part.stderr
    assert reviewls("--explain", "nothing-like-it").returncode == 2
    assert reviewls("rule").returncode == 2  # a code, a name or --all


def test_rule_json_carries_the_metadata_and_the_page() -> None:
    done = reviewls("rule", "RV301", "--format", "json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["code"] == "RV301" and info["name"] == "http-call-without-timeout"
    assert info["fix"] == "safe" and info["options"] == {"timeout": 10}
    assert info["status"] in ("stable", "preview")
    assert info["explanation"] == rule_page("RV301")
    every = json.loads(reviewls("rule", "--all", "--format", "json").stdout)
    assert [i["code"] for i in every] == [r.meta.code for r in all_rules()]


def test_rules_lists_code_name_family_severity_fix_and_status() -> None:
    done = reviewls("rules")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "family", "severity", "fix", "status", "precision"]
    assert len(lines) == 1 + len(all_rules())
    for line, rule in zip(lines[1:], all_rules(), strict=True):
        meta = rule.meta
        cells = line.split()
        fix = meta.fix.value if meta.fix else "none"
        assert cells[:5] == [meta.code, meta.name, meta.family, meta.severity.value, fix], line
        assert cells[5] == ("preview" if is_preview(meta.code) else "stable"), line
        assert len(cells) > 6  # the precision it rests on
    listed = json.loads(reviewls("rules", "--format", "json").stdout)
    assert {i["code"]: i["fix"] for i in listed} == {r.meta.code: r.meta.fix.value if r.meta.fix else "none" for r in all_rules()}


def test_a_folder_named_rules_is_still_reviewed() -> None:
    done = reviewls("rules", "--check", "--select", "RV101")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All checks passed" in done.stdout


def test_text_finding_lines_name_the_rule(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text("import requests\n\n\ndef f():\n    print(1)\n    return requests.get('u')\n")
    out = reviewls("--check", ".", "--no-cache", "--select", "RV101,RV301", cwd=tmp_path).stdout
    assert "svc.py:5:5: RV101 [warning] print-statement: `print()` in application code" in out
    assert "svc.py:6:12: RV301 [*] [warning] http-call-without-timeout: " in out
    assert "`reviewls rule CODE`" in out


def test_show_settings_lists_rule_options_and_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.reviewls]\n"
        'per-file-ignores = { "scripts/*" = ["print-statement", "RV102"] }\n'
        "[tool.reviewls.rules.http-call-without-timeout]\ntimeout = 5\n"
    )
    done = reviewls("--show-settings", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert '  "scripts/*" = ["print-statement", "RV102"]' in lines
    assert "respect-gitignore: true" in lines
    timeout = lines.index(next(line for line in lines if line.startswith("  RV301 ")))
    assert lines[timeout + 1].split() == ["timeout", "=", "5", "#", "default", "10"]
    printing = lines.index(next(line for line in lines if line.startswith("  RV101 ")))
    assert lines[printing + 1].split() == ["level", "=", '"info"', "#", "default"]
