"""`--check` never loses its report to one bad file or a dead worker (issue #13).

Each test runs `reviewls --check` in a subprocess, as CI does. A worker death or a bug is
simulated by a small driver script that monkeypatches the review before calling the CLI (the
workers are forked, so they inherit the patch); the product has no hook for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parent.parent
PRINTS = "def f():\n    print(1)\n"  # one RV101 on line 2


def _drive(tmp_path: Path, patch: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`reviewls --check ARGS` in `tmp_path`, with `patch` (Python) run first in the process."""
    script = textwrap.dedent(patch) + "\nimport sys\nfrom server.cli import main\nsys.exit(main(['--check', *sys.argv[1:]]))\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", script, *args], cwd=tmp_path, capture_output=True, text=True, check=False, env=env)


def _check(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _drive(tmp_path, "", *args)


# -- item 1: a dead worker lost the whole report ------------------------------------------------

_DIE_ON = """
import os
import server.batch as batch

real = batch.review_file

def review_file(path, display, fix):
    if os.path.basename(path) in NAMES:
        os._exit(70)  # as a SIGSEGV or the OOM killer would: no exception, no result
    return real(path, display, fix)

batch.review_file = review_file
"""


def test_a_worker_that_dies_costs_only_its_file(tmp_path: Path) -> None:
    # 40 files in chunks of 5: die.py's chunk-mates and the queued chunks must all be reviewed again
    for n in range(39):
        (tmp_path / f"m{n:02}.py").write_text(PRINTS)
    (tmp_path / "die.py").write_text(PRINTS)
    result = _drive(tmp_path, _DIE_ON.replace("NAMES", "{'die.py'}"), ".", "--no-cache", "--jobs", "2")
    # was a BrokenProcessPool traceback, no report, exit 2
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 2, result.stderr[-3000:]
    assert "reviewls: die.py: not reviewed: the reviewing process crashed" in result.stderr
    for n in range(39):
        assert f"m{n:02}.py:2:5: RV101" in result.stdout
    assert "die.py:" not in result.stdout.replace("die.py: not reviewed", "")
    assert "Found 39 findings in 39 of 39 files" in result.stdout


def test_two_files_that_kill_their_worker_are_each_listed(tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "c.py", "d.py", "e.py"):
        (tmp_path / name).write_text(PRINTS)
    result = _drive(tmp_path, _DIE_ON.replace("NAMES", "{'b.py', 'd.py'}"), ".", "--no-cache", "--jobs", "2", "--format", "json")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert sorted(d["path"] for d in document["diagnostics"]) == ["a.py", "c.py", "e.py"]
    crashed = "not reviewed: the reviewing process crashed"
    assert document["summary"]["errors"] == [{"path": "b.py", "message": crashed}, {"path": "d.py", "message": crashed}]
    assert f"reviewls: b.py: {crashed}" in result.stderr and f"reviewls: d.py: {crashed}" in result.stderr


# -- item 2: an exception in one file's review ended the run ------------------------------------

_RAISE_ON_BAD = """
from server.engine import Engine

real = Engine.analyze

def analyze(self, snapshot, *args, **kwargs):
    if snapshot.path.endswith("bad.py"):
        raise {ERROR}("bug on purpose")
    return real(self, snapshot, *args, **kwargs)

Engine.analyze = analyze
"""


def test_an_exception_in_one_file_is_a_crash_of_that_file(tmp_path: Path) -> None:
    for name in ("a.py", "bad.py", "c.py"):
        (tmp_path / name).write_text(PRINTS)
    for jobs in ("1", "2"):
        result = _drive(tmp_path, _RAISE_ON_BAD.replace("{ERROR}", "RuntimeError"), ".", "--no-cache", "--jobs", jobs)
        # was "internal error (traceback above)" and no report at all
        assert result.returncode == 2, result.stderr[-3000:]
        assert "a.py:2:5: RV101" in result.stdout and "c.py:2:5: RV101" in result.stdout, (jobs, result.stdout)
        assert "reviewls: bad.py: not reviewed: internal error: RuntimeError: bug on purpose" in result.stderr
        assert "please report it" not in result.stderr


def test_ctrl_c_still_stops_the_run(tmp_path: Path) -> None:
    for name in ("a.py", "bad.py", "c.py"):
        (tmp_path / name).write_text(PRINTS)
    result = _drive(tmp_path, _RAISE_ON_BAD.replace("{ERROR}", "KeyboardInterrupt"), ".", "--no-cache", "--jobs", "1")
    assert result.returncode == 130, result.stderr[-3000:]
    assert "not reviewed" not in result.stderr


# -- item 3: symlink loops ----------------------------------------------------------------------


def test_symlink_loops_and_cycles_are_listed_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text(PRINTS)
    (tmp_path / "loop.py").symlink_to("loop.py")
    (tmp_path / ".gitignore").symlink_to(".gitignore")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "svc.py").write_text(PRINTS)
    (sub / "up").symlink_to("..")  # directory cycles: never walked into
    (sub / "self").symlink_to("../sub")
    (sub / "ping.py").symlink_to("pong.py")
    (sub / "pong.py").symlink_to("ping.py")
    result = _check(tmp_path, ".", "--no-cache")
    # was RuntimeError: Symlink loop from '.../loop.py' (display_path), no report
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, result.stderr
    assert "ok.py:2:5: RV101" in result.stdout and "sub/svc.py:2:5: RV101" in result.stdout
    assert "Found 2 findings in 2 of 2 files" in result.stdout
    for name in ("loop.py", "sub/ping.py", "sub/pong.py"):
        assert f"reviewls: {name}: cannot read: a broken symlink (Too many levels of symbolic links)" in result.stderr
    # named on the command line, a loop is not "no such file": it is listed like any unreadable file
    alone = _check(tmp_path, "loop.py", "--no-cache")
    assert alone.returncode == 1, alone.stderr
    assert "reviewls: loop.py: cannot read: a broken symlink (Too many levels of symbolic links)" in alone.stderr
    # a PATH that is a symlink back up the tree is walked once
    up = _check(tmp_path, "sub/up", "--no-cache")
    assert up.returncode == 1 and "Traceback" not in up.stderr, up.stderr[-3000:]
    assert "ok.py:2:5: RV101" in up.stdout and "sub/svc.py:2:5: RV101" in up.stdout


# -- item 4: files the project index could not read were not listed -----------------------------


def test_files_the_project_index_could_not_read_are_listed(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("DATABASE_URL=\n")
    (tmp_path / "app.py").write_text("import os\n\nDB = os.environ['DATABASE_URL']\nSECRET = os.environ['SECRET_KEY']\n")
    (tmp_path / "flat.py").write_text("import os\n\nx = " + "+".join(["1"] * 4000) + "\n")
    result = _check(tmp_path, ".", "--no-cache")
    assert result.returncode == 1, result.stderr  # RV407 on app.py; the skipped block alone is information
    assert "app.py:4:" in result.stdout and "RV407" in result.stdout
    assert "reviewls: flat.py: not indexed for project rules: nested too deeply to read" in result.stderr


def test_a_crash_in_the_project_index_is_a_crash(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("DATABASE_URL=\n")
    (tmp_path / "app.py").write_text("import os\n\nDB = os.environ['DATABASE_URL']\nSECRET = os.environ['SECRET_KEY']\n")
    (tmp_path / "bad.py").write_text("import os\n")
    patch = """
    from server.project import ProjectIndex

    real = ProjectIndex._update

    def _update(self, path, text, env, rel):
        if rel == "bad.py":
            raise ValueError("bug on purpose")
        return real(self, path, text, env, rel)

    ProjectIndex._update = _update
    """
    result = _drive(tmp_path, patch, ".", "--no-cache")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "app.py:4:" in result.stdout
    assert "reviewls: bad.py: not indexed for project rules: internal error: ValueError: bug on purpose" in result.stderr


def test_syntax_warnings_of_the_code_under_review_stay_off_stderr(tmp_path: Path) -> None:
    # RV103 compiles comments that look like code: CPython warned about `1if` on stderr, once per worker
    (tmp_path / "m.py").write_text("def f(a, b):\n    # x = 1if a else b\n    return a\n")
    for jobs in ("1", "2"):
        result = _check(tmp_path, ".", "--no-cache", "--jobs", jobs)
        assert "RV103" in result.stdout
        assert result.stderr == "", result.stderr


# -- item 5: skipped blocks -----------------------------------------------------------------------

DEEP = "x = " + "[" * 300 + "1" + "]" * 300 + "\n"


def test_skipped_blocks_are_listed_on_stderr_and_never_exit_2(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("import os\n\n" + DEEP)
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = _check(tmp_path, ".", "--no-cache")
    assert result.returncode == 0, result.stderr  # information, under --fail-on warning
    assert "deep.py:3:1: not-reviewed [information]" in result.stdout
    lines = [line for line in result.stderr.splitlines() if "not reviewed" in line]
    assert lines == ["reviewls: deep.py:3: not reviewed: expressions nested deeper than the limit of 100 levels; split this statement into smaller ones"]
    assert _check(tmp_path, ".", "--no-cache", "--fail-on", "information").returncode == 1
    two = _check(tmp_path, ".", "--no-cache", "--jobs", "2")
    assert two.returncode == 0 and "reviewls: deep.py:3: not reviewed:" in two.stderr


def test_json_with_skipped_blocks_and_syntax_errors_follows_the_schema(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text(DEEP)
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    result = _check(tmp_path, ".", "--no-cache", "--format", "json")
    document = json.loads(result.stdout)
    assert {d["code"] for d in document["diagnostics"]} == {"not-reviewed", "syntax-error"}
    schema = json.loads((ROOT / "docs" / "check-output.schema.json").read_text())
    jsonschema.validate(document, schema)  # rejected `not-reviewed` before
    assert "reviewls: deep.py:1: not reviewed:" in result.stderr
