"""Adopting reviewls on legacy code: baseline, --diff, the result cache, --jobs, pre-commit."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from server.batch import Cache, Record, cache_key
from server.config import Config

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "import requests\n\n\ndef charge(order):\n    print(order)\n    return requests.post(URL)\n"


def reviewls(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`reviewls --check` with every rule (`--preview`): these tests are about adoption, not rule status."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    flags = ["--preview"] if "--check" in args else []
    return subprocess.run([sys.executable, "-m", "server", *args, *flags], cwd=cwd, capture_output=True, text=True, check=False, env=env)


def findings(cwd: Path, *args: str) -> list[dict[str, object]]:
    result = reviewls("--check", ".", "--format", "json", *args, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["diagnostics"]  # type: ignore[no-any-return]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_baseline_survives_lines_above_and_still_reports_new_findings(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(SERVICE)
    done = reviewls("--check", ".", "--write-baseline", "baseline.json", cwd=tmp_path)
    assert done.returncode == 0 and "wrote 2 findings" in done.stderr
    assert findings(tmp_path, "--baseline", "baseline.json") == []
    # ten lines inserted above: the old findings stay baselined
    (tmp_path / "svc.py").write_text("# header\n" * 10 + SERVICE + "\n\ndef refund(order):\n    print('refund')\n    return order\n")
    new = findings(tmp_path, "--baseline", "baseline.json")
    assert [(d["code"], d["line"]) for d in new] == [("RV101", 20)]
    text = reviewls("--check", ".", "--baseline", "baseline.json", cwd=tmp_path).stdout
    assert "2 findings in the baseline not shown." in text
    # the config key works like the flag
    (tmp_path / "pyproject.toml").write_text('[tool.reviewls]\nbaseline = "baseline.json"\n')
    assert [(d["code"], d["line"]) for d in findings(tmp_path)] == [("RV101", 20)]


def test_bad_baseline_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(SERVICE)
    (tmp_path / "baseline.json").write_text("{}")
    result = reviewls("--check", ".", "--baseline", "baseline.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "baseline.json: not a reviewls baseline" in result.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_limits_findings_to_changed_lines(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "svc.py").write_text(SERVICE)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "svc.py").write_text(SERVICE + "\n\ndef refund(order):\n    print('refund')\n    return order\n")
    (tmp_path / "new.py").write_text("print('new file')\n")
    got = sorted((d["path"], d["code"], d["line"]) for d in findings(tmp_path, "--diff", "HEAD"))
    assert got == [("new.py", "RV101", 1), ("svc.py", "RV101", 10)]
    bad = reviewls("--check", ".", "--diff", "nope", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown git revision 'nope'" in bad.stderr


def test_diff_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(SERVICE)
    result = reviewls("--check", ".", "--diff", "HEAD", cwd=tmp_path)
    assert result.returncode == 2
    assert "--diff needs a git repository" in result.stderr


def test_cache_serves_unchanged_files_and_can_be_disabled(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.reviewls]\n")
    for n in range(3):
        (tmp_path / f"svc{n}.py").write_text(SERVICE)
    cold = findings(tmp_path)
    cache = tmp_path / ".reviewls_cache"
    results = list(cache.rglob("*.json"))  # entries are "<MAC>\n<JSON>" (tests/test_cache.py)
    entries = [e for e in results if json.loads(e.read_bytes().partition(b"\n")[2])]  # the pyproject.toml has none
    assert len(results) == 4 and len(entries) == 3
    assert not (cache / "0.1.0" / "project").exists()  # clone windows are kept in the user cache directory
    assert (cache / ".gitignore").read_text() == "*\n"
    # poison one entry, sealed with the user's own key: a warm run must read it (proves the cache is used)
    poisoned = [Record.from_json(item) for item in json.loads(entries[0].read_bytes().partition(b"\n")[2])]
    poisoned[0] = dataclasses.replace(poisoned[0], message="served from the cache")
    secret = cache_key()
    assert secret is not None
    Cache(tmp_path, Config(), secret).put(entries[0].stem, poisoned)
    warm = findings(tmp_path)
    assert sum(d["message"] == "served from the cache" for d in warm) == 1
    assert len(warm) == len(cold)
    fresh = findings(tmp_path, "--no-cache")
    assert fresh == cold
    # a config change invalidates
    (tmp_path / "pyproject.toml").write_text('[tool.reviewls]\nignore = ["RV301"]\n')
    assert {d["code"] for d in findings(tmp_path)} == {"RV101"}


def test_warm_run_keeps_project_findings(tmp_path: Path) -> None:
    """Cached files still take part in the save tier (RV902 needs both copies, RV407 the env reads)."""
    shutil.copytree(ROOT / "examples" / "shop", tmp_path / "shop")
    cold = findings(tmp_path)
    warm = findings(tmp_path)
    assert warm == cold
    assert {d["code"] for d in warm} >= {"RV902", "RV903"}


def test_parallel_review_gives_the_same_findings(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "shop", tmp_path / "shop")
    one = findings(tmp_path, "--jobs", "1", "--no-cache")
    two = findings(tmp_path, "--jobs", "2", "--no-cache")
    assert one == two and len(one) == 45


def test_fix_reports_what_it_changed(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(SERVICE)
    out = reviewls("--check", ".", "--fix", cwd=tmp_path).stdout
    assert out.startswith("fixed svc.py: RV301 x1\n")  # RV101's fix is unsafe: --fix leaves the print
    assert "Fixed 1 finding." in out


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_runs_the_hook(tmp_path: Path) -> None:
    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]
    executable = Path(sys.executable).parent / hook["entry"].split()[0]
    local = {**hook, "entry": " ".join([str(executable), *hook["entry"].split()[1:]]), "language": "system"}
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    (repo / "svc.py").write_text(SERVICE)
    (repo / "README.txt").write_text("print('not python')\n")
    git(repo, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    failed = subprocess.run(pre_commit, cwd=repo, capture_output=True, text=True, env=env, check=False)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "svc.py:5:5: RV101" in failed.stdout
    assert "README.txt" not in failed.stdout
    (repo / "svc.py").write_text("import requests\n\n\ndef charge(order):\n    return requests.post(URL, timeout=5)\n")
    git(repo, "add", ".")
    passed = subprocess.run(pre_commit, cwd=repo, capture_output=True, text=True, env=env, check=False)
    assert passed.returncode == 0, passed.stdout + passed.stderr
