"""`reviewls --check` as a user runs it: a subprocess, its stdout, stderr and exit code."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from rules.precision import is_preview
from rules.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "shop"
TEXT_GOLDEN = ROOT / "tests" / "golden" / "examples-check.txt"
EIGHT = {"RV101", "RV102", "RV105", "RV201", "RV203", "RV204", "RV301", "RV801", "RV802"}
DATA_ASYNC = {"RV103", "RV106", "RV303", "RV601", "RV602", "RV603", "RV604", "RV701"}
SECURITY = {"RV401", "RV402", "RV403", "RV404", "RV405", "RV406"}
CONFIG_FILES = {"RV407", "RV901", "RV902", "RV903", "RV904", "RV905", "RV906"}
ROUTES = {"RV202", "RV302", "RV501", "RV502", "RV503", "RV504"}
ALL = EIGHT | DATA_ASYNC | SECURITY | CONFIG_FILES | ROUTES


def reviewls(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _codes(stdout: str) -> set[str]:
    return {line.split(": ")[1].split()[0] for line in stdout.splitlines() if line.startswith("examples/")}


def test_demo_shows_every_stable_rule_by_default() -> None:
    result = reviewls("--check", "examples/shop")
    stable = {rule.meta.code for rule in all_rules() if not is_preview(rule.meta.code)}
    assert stable, "no stable rule"
    assert _codes(result.stdout) == stable, "the demo shows every stable rule and no preview rule"


def test_demo_reports_every_rule_with_preview() -> None:
    result = reviewls("--check", "examples/shop", "--preview")
    assert result.returncode == 1, result.stderr
    codes = _codes(result.stdout)
    assert codes == ALL
    # RV101's fix is unsafe (an info record is dropped at the default WARNING level): no [*]
    assert "examples/shop/shop/services/payments.py:16:9: RV101 [warning] print-statement: `print()` in application code" in result.stdout
    assert "[*] 8 fixable with `reviewls --check --fix`.\n" in result.stdout


def test_text_output_matches_the_golden_file() -> None:
    """Each finding line names its rule after `path:line:col: CODE`; the summary counts the files
    with findings of those reviewed, labels safe and unsafe fixes and points to `reviewls rule`."""
    report = reviewls("--check", "examples/shop", "--no-cache").stdout
    if os.environ.get("REVIEWLS_UPDATE_GOLDEN"):
        TEXT_GOLDEN.write_text(report)
    assert report == TEXT_GOLDEN.read_text(), "review the change, then REVIEWLS_UPDATE_GOLDEN=1 pytest tests/test_cli.py"


def test_json_output_follows_the_contract() -> None:
    result = reviewls("--check", "examples/shop", "--format", "json", "--preview")
    document = json.loads(result.stdout)
    schema = json.loads((ROOT / "docs" / "check-output.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert {d["code"] for d in document["diagnostics"]} == ALL
    timeout = next(d for d in document["diagnostics"] if d["code"] == "RV301")
    assert timeout["path"] == "examples/shop/shop/services/payments.py"
    assert (timeout["line"], timeout["column"]) == (17, 20)
    assert timeout["fix"]["safety"] == "safe"
    assert document["summary"]["findings"] == len(document["diagnostics"])
    for secret in ("Sup3r-S3cret-2024", "django-insecure-9x!2kq#shop", "0123456789abcdef0123456789abcdef"):
        assert secret not in result.stdout  # messages and fixes mask secrets


def test_fix_leaves_parsing_files_and_nothing_fixable(tmp_path: Path) -> None:
    demo = tmp_path / "shop"
    shutil.copytree(DEMO, demo)
    # run from the folder, as a user does: rules read folder names (tests/, settings/) below it
    result = reviewls("--check", "--fix", "--preview", "shop", cwd=tmp_path)
    assert "Fixed 8 findings." in result.stdout
    for path in demo.rglob("*.py"):
        ast.parse(path.read_text())
    payments = (demo / "shop" / "services" / "payments.py").read_text()
    assert 'print(f"charging order {order_id} for {amount}")' in payments  # RV101's fix is unsafe: --fix leaves it
    assert "http.post(WAREHOUSE_HOOK, json={\"order\": order_id}, timeout=10)" in payments
    again = json.loads(reviewls("--check", "shop", "--format", "json", "--preview", cwd=tmp_path).stdout)
    assert [d for d in again["diagnostics"] if d["fix"] and d["fix"]["safety"] == "safe"] == []
    assert {d["code"] for d in again["diagnostics"]} == ALL - {"RV301", "RV106", "RV701", "RV404", "RV501"}
    accounts = (demo / "shop" / "api" / "accounts.py").read_text()
    assert accounts.index('@router.get("/summary")') < accounts.index('@router.post("/login")') < accounts.index('@router.get("/{account_id}")')
    assert '# totals for the dashboard\n@router.get("/summary")' in accounts
    reports = (demo / "shop" / "services" / "reports.py").read_text()
    assert "            await self.send(order)\n" in reports
    assert 'logger.info("report for %s: %s rows", status, len(rows))' in reports
    assert 'DEBUG = env.bool("DEBUG", default=False)' in (demo / "shop" / "settings.py").read_text()


def test_select_ignore_and_fail_on() -> None:
    only = reviewls("--check", "examples/shop", "--select", "RV301")
    assert {line.split(": ")[1].split()[0] for line in only.stdout.splitlines() if line.startswith("examples/")} == {"RV301"}
    assert reviewls("--check", "examples/shop", "--select", "RV102").returncode == 0  # information < warning
    assert reviewls("--check", "examples/shop", "--select", "RV102", "--fail-on", "information").returncode == 1
    assert reviewls("--check", "examples/shop", "--ignore", "RV", "--preview").returncode == 0


def test_a_crashing_project_rule_exits_2(tmp_path: Path) -> None:
    (tmp_path / "boom_project.py").write_text("x = 1\n")
    env = {**os.environ, "REVIEWLS_PLUGINS": "tests.fixtures.plugin_rules", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "server", "--check", ".", "--select", "RV996,RV101"],
        cwd=tmp_path, capture_output=True, text=True, check=False, env=env,
    )
    assert result.returncode == 2, result.stderr
    assert "rule RV996 crashed" in result.stderr
    assert "All checks passed" in result.stdout  # the other rules still ran


def test_a_broken_pyproject_with_our_table_is_an_error_not_ignored(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.reviewls]\nselect = ['RV101'\n")  # unclosed list
    (tmp_path / "app.py").write_text("def f():\n    print(1)\n")
    result = reviewls("--check", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid TOML" in result.stderr and "pyproject.toml" in result.stderr
    # a broken pyproject.toml that is not ours is still none of our business
    (tmp_path / "pyproject.toml").write_text("[project\nname = 'x'\n")
    assert reviewls("--check", ".", cwd=tmp_path).returncode == 1  # the print is found with the defaults


def test_an_unreadable_file_is_not_all_checks_passed(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_bytes(b"\x00\x01\xff\xfe binary")
    result = reviewls("--check", ".", cwd=tmp_path)
    assert result.returncode == 1  # a file that was not reviewed is a problem, not a crash
    assert "All checks passed" not in result.stdout
    assert "1 file could not be reviewed" in result.stdout
    assert "x.py: not valid UTF-8" in result.stderr


def test_an_internal_error_exits_2_not_1(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    code = (
        "import sys, server.batch as b\n"
        "def boom(*a, **k):\n    raise RuntimeError('bug on purpose')\n"
        "b.run_check = boom\n"
        "import server.cli as c\n"
        "c.run_check = boom\n"
        "sys.exit(c.main(['--check', '.']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2, result.stderr
    assert "internal error" in result.stderr and "bug on purpose" in result.stderr


def test_bad_paths_config_and_files(tmp_path: Path) -> None:
    missing = reviewls("--check", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"reviewls: error: no such file or directory: {tmp_path / 'nope'}"

    (tmp_path / "pyproject.toml").write_text("[tool.reviewls]\nselectt = ['RV101']\n")
    (tmp_path / "ok.py").write_text("x = 1\n")
    bad = reviewls("--check", ".", cwd=tmp_path)
    assert bad.returncode == 2
    assert "`selectt`: unknown key" in bad.stderr and "pyproject.toml" in bad.stderr

    (tmp_path / "pyproject.toml").write_text("[tool.reviewls]\nignore = ['RV000']\n")
    assert "unknown rule code or name 'RV000'" in reviewls("--check", ".", cwd=tmp_path).stderr

    (tmp_path / "pyproject.toml").write_text("[tool.reviewls.rules.http-call-without-timeout]\ntimeout = 'long'\n")
    assert "expected int, got str" in reviewls("--check", ".", cwd=tmp_path).stderr

    (tmp_path / "pyproject.toml").write_text("[tool.reviewls]\n")
    (tmp_path / "latin1.py").write_bytes(b"name = '\xe9'\nprint(name)\n")
    (tmp_path / "svc.py").write_text("print('x')\n")
    mixed = reviewls("--check", ".", "--select", "RV101", cwd=tmp_path)
    assert mixed.returncode == 1
    assert "reviewls: latin1.py: not valid UTF-8 (byte 0xe9 at offset 8); file skipped" in mixed.stderr
    assert "svc.py:1:1: RV101" in mixed.stdout


def test_broken_python_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "half.py").write_text("def a():\n    print(1)\n\ndef b(:\n    pass\n")
    result = reviewls("--check", str(tmp_path / "half.py"), "--select", "RV101")
    assert result.returncode == 1
    assert "half.py:2:5: RV101" in result.stdout


def test_a_file_that_does_not_parse_is_a_finding_not_all_checks_passed(tmp_path: Path) -> None:
    """`--check` reports syntax errors as findings (Ruff does too: CI must not pass on code that
    does not parse); editors keep them off by default, and `report-syntax-errors = false` turns
    them off for both."""
    (tmp_path / "bad.py").write_text("def f(:\n    pass\n")
    result = reviewls("--check", ".", "--no-cache", cwd=tmp_path)
    assert result.returncode == 1 and "All checks passed" not in result.stdout
    assert "bad.py:1:7: syntax-error" in result.stdout
    (tmp_path / "pyproject.toml").write_text("[tool.reviewls]\nreport-syntax-errors = false\n")
    assert reviewls("--check", ".", "--no-cache", cwd=tmp_path).returncode == 0


def test_version_and_settings() -> None:
    assert reviewls("--version").stdout.startswith("reviewls ")
    settings = reviewls("--show-settings", "server/report/text.py").stdout
    assert "RV101 print-statement" in settings and "per-file-ignore" in settings


@pytest.mark.parametrize("module", ["server", "rules"])
def test_dogfood_our_own_code_is_clean(module: str) -> None:
    result = reviewls("--check", module)
    assert result.returncode == 0, result.stdout


def test_exclusions_apply_below_the_root_only(tmp_path: Path) -> None:
    project = tmp_path / "env" / "project"  # a parent named like a virtualenv must not hide the project
    for rel in ("app/svc.py", "build/gen.py", "app/generated/x.py", "node_modules/m.py"):
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text("print(1)\n")
    (project / "pyproject.toml").write_text('[tool.reviewls]\nexclude = ["app/generated"]\n')
    out = reviewls("--check", ".", cwd=project).stdout
    assert "app/svc.py:1:1: RV101" in out
    assert "build/" not in out and "generated" not in out and "node_modules" not in out


def test_log_level_takes_any_case(tmp_path: Path) -> None:
    """The VS Code setting's example is `["--log-level", "debug"]`: it used to stop the server."""
    (tmp_path / "ok.py").write_text("x = 1\n")
    for level in ("debug", "Info", "WARNING"):
        done = reviewls("--log-level", level, "--check", "ok.py", "--no-cache", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert reviewls("--log-level", "loud", "--check", "ok.py", cwd=tmp_path).returncode == 2
