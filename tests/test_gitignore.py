"""Walks skip what git ignores, as Ruff's `respect-gitignore` does (#15): the repository's
.gitignore files (root and nested), .git/info/exclude; opt out by flag or config; files and
folders named on the command line are reviewed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.batch import iter_files
from server.config import Config, ConfigError, parse_table

ROOT = Path(__file__).resolve().parent.parent
FILES = ("app/svc.py", "app/generated/gen.py", "app/keep/kept.py", "out/build.py", "local/mine.py", "tools/a.py", "tools/b.py")


def reviewls(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for rel in FILES:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("print(1)\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".git" / "info").mkdir(parents=True, exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("local/\n")
    (repo / ".gitignore").write_text("# build output\nout/\ntools/*.py\n")
    (repo / "app" / ".gitignore").write_text("!\ngenerated/\n\\\n")  # git skips the lines it cannot read
    (repo / "tools" / ".gitignore").write_text("!b.py\n")  # a deeper file overrides the root's
    return repo


def _walk(paths: list[str], config: Config) -> list[str]:
    return [path.as_posix() for path in iter_files(paths, config)]


def test_the_walk_skips_what_git_ignores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    monkeypatch.chdir(repo)
    assert _walk(["."], Config()) == ["app/svc.py", "app/keep/kept.py", "tools/b.py"]
    # git itself agrees
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], capture_output=True, text=True, check=True).stdout
    assert sorted(_walk(["."], Config())) == sorted(line for line in listed.splitlines() if line.endswith(".py"))
    # a folder below the root: the root's .gitignore still applies
    assert _walk(["tools"], Config()) == ["tools/b.py"]
    off = parse_table({"respect-gitignore": False}, "test")
    assert len(_walk(["."], off)) == len(FILES)


def test_paths_named_on_the_command_line_are_reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(_repo(tmp_path))
    assert _walk(["out/build.py", "app/generated"], Config()) == ["out/build.py", "app/generated/gen.py"]


def test_check_respects_gitignore_by_default_and_opts_out(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    done = reviewls("--check", ".", "--no-cache", "--select", "RV101", cwd=repo)
    assert "app/svc.py:1:1: RV101" in done.stdout
    for hidden in ("generated", "out/", "local/", "tools/a.py"):
        assert hidden not in done.stdout, hidden
    every = reviewls("--check", ".", "--no-cache", "--select", "RV101", "--no-respect-gitignore", cwd=repo)
    assert all(f"{rel}:1:1: RV101" in every.stdout for rel in FILES), every.stdout
    (repo / "pyproject.toml").write_text("[tool.reviewls]\nrespect-gitignore = false\n")
    configured = reviewls("--check", ".", "--no-cache", "--select", "RV101", cwd=repo)
    assert "out/build.py:1:1: RV101" in configured.stdout
    back_on = reviewls("--check", ".", "--no-cache", "--select", "RV101", "--respect-gitignore", cwd=repo)
    assert "out/build.py" not in back_on.stdout


def test_respect_gitignore_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError, match="respect-gitignore.*expected true or false"):
        parse_table({"respect-gitignore": "yes"}, "test")
