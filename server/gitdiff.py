"""`--diff REV`: the lines changed since a git revision, per file (paths relative to the cwd)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
ALL_LINES = frozenset({-1})  # marker: every line of the file (untracked files)


class DiffError(Exception):
    """`--diff` cannot work here: not a repository, unknown revision, git missing."""


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise DiffError("--diff needs git, and git is not installed") from None
    if done.returncode != 0:
        raise DiffError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"git {args[0]} failed")
    return done.stdout


def changed_lines(rev: str, cwd: Path) -> dict[str, frozenset[int]]:
    """path (relative to `cwd`) -> 1-based lines added or changed since `rev` (ALL_LINES if new)."""
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    except DiffError:
        raise DiffError(f"--diff needs a git repository, and {cwd} is not inside one") from None
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd)
    except DiffError:
        raise DiffError(f"--diff: unknown git revision {rev!r}") from None
    diff = _git(["diff", "--unified=0", "--no-color", "--no-ext-diff", "--relative=", rev, "--"], top)
    changes: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            current = None if target == "/dev/null" else changes.setdefault(target.removeprefix("b/"), set())
        elif current is not None and (hunk := _HUNK.match(line)):
            start, count = int(hunk.group(1)), int(hunk.group(2) or "1")
            current.update(range(start, start + count))
    result: dict[str, frozenset[int]] = {}
    for path, lines in changes.items():
        result[_relative(top / path, cwd)] = frozenset(lines)
    for path in _git(["ls-files", "--others", "--exclude-standard"], top).splitlines():
        result[_relative(top / path, cwd)] = ALL_LINES
    return result


def _relative(path: Path, cwd: Path) -> str:
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def on_changed_lines(path: str, line: int, end_line: int, changes: dict[str, frozenset[int]]) -> bool:
    lines = changes.get(path)
    if lines is None:
        return False
    return lines is ALL_LINES or any(n in lines for n in range(line, end_line + 1))
