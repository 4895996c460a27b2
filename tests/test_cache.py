"""The result cache cannot be forged by a repository, nor turned into a way to write outside it
(#13 items 9 and 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.batch import cache_key

ROOT = Path(__file__).resolve().parent.parent
UNFIXED = "import requests\n\n\ndef f(url):\n    return requests.get(url)\n"
FIXED = "import requests\n\n\ndef f(url):\n    return requests.get(url, timeout=10)\n"
FAKE = {
    "path": "app.py", "code": "RV401", "rule": "hardcoded-secret-key", "severity": "error", "message": "injected",
    "line": 1, "col": 0, "end_line": 1, "end_col": 1, "fingerprint": "0" * 20, "fix": None,
}


def reviewls(*args: str, cwd: Path, user: Path) -> subprocess.CompletedProcess[str]:
    """A run as the user whose cache directory is `user`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(user)}
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=cwd, capture_output=True, text=True, check=False, env=env)


def _entries(root: Path) -> list[Path]:
    return [p for p in (root / ".reviewls_cache").rglob("*.json") if "project" not in p.parts]


def forge(repo: Path, tmp_path: Path, content: list[dict[str, object]]) -> None:
    """What a hostile repository ships: the cache entries its author's own run made, rewritten."""
    reviewls("--check", ".", "--select", "RV301", cwd=repo, user=tmp_path / "author")
    entries = _entries(repo)
    assert entries
    for entry in entries:
        entry.write_text(json.dumps(content))


def test_a_shipped_cache_entry_cannot_hide_a_finding(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text(UNFIXED)
    forge(repo, tmp_path, [])
    result = reviewls("--check", ".", "--select", "RV301", cwd=repo, user=tmp_path / "victim")
    assert "app.py:5:12: RV301" in result.stdout
    assert result.returncode == 1


def test_a_shipped_cache_entry_cannot_inject_a_finding(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text(FIXED)
    forge(repo, tmp_path, [FAKE])
    result = reviewls("--check", ".", "--select", "RV301", cwd=repo, user=tmp_path / "victim")
    assert "injected" not in result.stdout
    assert "All checks passed (1 file)" in result.stdout and result.returncode == 0


def test_a_shipped_cache_entry_cannot_stop_a_fix(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text(UNFIXED)
    forge(repo, tmp_path, [])
    result = reviewls("--check", ".", "--select", "RV301", "--fix", cwd=repo, user=tmp_path / "victim")
    assert "fixed app.py: RV301 x1" in result.stdout
    assert (repo / "app.py").read_text() == FIXED


def test_cache_works_and_a_tampered_entry_is_a_miss(tmp_path: Path) -> None:
    repo, user = tmp_path / "repo", tmp_path / "user"
    repo.mkdir()
    (repo / "app.py").write_text(UNFIXED)
    first = reviewls("--check", ".", "--select", "RV301", cwd=repo, user=user)
    key = user / "reviewls" / "key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert (repo / ".reviewls_cache" / ".gitignore").read_text().endswith("*\n")
    [entry] = _entries(repo)
    assert reviewls("--check", ".", "--select", "RV301", "--format", "json", cwd=repo, user=user).returncode == 1
    # the same run from the cache
    assert reviewls("--check", ".", "--select", "RV301", cwd=repo, user=user).stdout == first.stdout
    mac, _, payload = entry.read_bytes().partition(b"\n")
    entry.write_bytes(mac + b"\n" + payload.replace(b"requests.get", b"requests.put"))
    assert reviewls("--check", ".", "--select", "RV301", cwd=repo, user=user).stdout == first.stdout
    assert entry.read_bytes().partition(b"\n")[2] == payload  # written again, authentic


def test_symlinks_in_the_cache_folder_never_lead_a_write_outside(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    (repo / "app.py").write_text(UNFIXED)
    (repo / ".reviewls_cache").mkdir()
    (repo / ".reviewls_cache" / ".gitignore").symlink_to(outside / "planted")
    version = subprocess.run(
        [sys.executable, "-c", "import server; print(server.__version__)"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    (repo / ".reviewls_cache" / version).symlink_to(outside)
    result = reviewls("--check", ".", "--select", "RV301", cwd=repo, user=tmp_path / "user")
    assert "app.py:5:12: RV301" in result.stdout
    assert list(outside.iterdir()) == []


def test_a_key_others_could_read_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = cache_key()
    key = tmp_path / "reviewls" / "key"
    assert first is not None and key.read_bytes() == first and key.stat().st_mode & 0o777 == 0o600
    assert cache_key() == first  # made once, then kept
    key.chmod(0o644)
    second = cache_key()
    assert second is not None and second != first and key.stat().st_mode & 0o777 == 0o600
