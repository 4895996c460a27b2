"""Reading and writing files safely (#13 items 5, 10, 11, 12): what `--check` and `--fix` refuse
to read or write, and why; each test reproduces a defect of the issue."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from rules.api import Fix, Safety, TextEdit
from server import batch
from server.config import Config, parse_table
from server.engine import Snapshot
from server.fsio import MAX_FILE_BYTES, ReadError, WriteError, read_source, write_atomic

ROOT = Path(__file__).resolve().parent.parent
UNFIXED = "import requests\n\n\ndef f(url):\n    return requests.get(url)\n"
FIXED = "import requests\n\n\ndef f(url):\n    return requests.get(url, timeout=10)\n"
RV301 = parse_table({"select": ["RV301"]}, "test")


def _bounded_memory() -> None:
    # a regression that reads /dev/zero fails here with MemoryError instead of eating the machine
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def reviewls(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cwd / ".user-cache")}
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=cwd, capture_output=True, text=True, check=False, env=env, preexec_fn=_bounded_memory, timeout=300,
    )


def check_fix(root: Path, monkeypatch: pytest.MonkeyPatch, config: Config = RV301) -> batch.CheckResult:
    monkeypatch.chdir(root)
    return batch.run_check(["."], config, fix=True, jobs=1)


# item 5: endless and special files


def test_a_symlink_to_dev_zero_is_refused_without_reading(tmp_path: Path) -> None:
    (tmp_path / "evil.py").symlink_to("/dev/zero")
    (tmp_path / "app.py").write_text(UNFIXED)
    result = reviewls("--check", ".", "--select", "RV301", "--no-cache", "--jobs", "1", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "app.py:5:12: RV301" in result.stdout  # the other files are still reviewed
    assert "evil.py: not reviewed:" in result.stderr and "MemoryError" not in result.stderr


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "app.py").write_text(UNFIXED)
    result = reviewls("--check", ".", "--select", "RV301", "--no-cache", "--jobs", "1", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "pipe.py: not reviewed: not a regular file" in result.stderr


def test_a_baseline_that_is_dev_zero_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.reviewls]\nbaseline = "/dev/zero"\n')
    (tmp_path / "app.py").write_text("x = 1\n")
    result = reviewls("--check", ".", "--no-cache", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "/dev/zero: cannot read: not a regular file" in result.stderr


def test_a_config_file_that_is_dev_zero_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "reviewls.toml").symlink_to("/dev/zero")
    (tmp_path / "app.py").write_text("x = 1\n")
    result = reviewls("--check", ".", "--no-cache", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "reviewls.toml" in result.stderr and "not a regular file" in result.stderr


# item 10: PEP 263 coding lines


def test_a_latin1_file_with_a_coding_line_is_reviewed_and_fixed_in_latin1(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nimport requests\n\nNAME = 'caf\xe9'\n\n\ndef f(url):\n    return requests.get(url)\n"
    (tmp_path / "legacy.py").write_bytes(source.encode("latin-1"))
    result = reviewls("--check", ".", "--select", "RV301", "--no-cache", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "legacy.py:8:12: RV301" in result.stdout and result.stderr == ""
    fixed = reviewls("--check", ".", "--select", "RV301", "--no-cache", "--fix", cwd=tmp_path)
    assert "fixed legacy.py: RV301 x1" in fixed.stdout, fixed.stderr
    assert (tmp_path / "legacy.py").read_bytes() == source.replace("get(url)", "get(url, timeout=10)").encode("latin-1")


# item 11: --fix writes only what it may, and says what it did not write


def test_fix_does_not_overwrite_an_edit_made_during_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = tmp_path / "app.py"
    app.write_text(UNFIXED)
    real_fix_all = batch.fix_all

    def edit_meanwhile(*args: object, **kwargs: object) -> object:
        app.write_text(UNFIXED + "# the developer typed this meanwhile\n")
        return real_fix_all(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "fix_all", edit_meanwhile)
    result = check_fix(tmp_path, monkeypatch)
    assert app.read_text() == UNFIXED + "# the developer typed this meanwhile\n"
    assert result.fixed == {}
    assert [(path, why) for path, why in result.unwritten] == [("app.py", "not fixed: the file changed since it was read")]


def test_an_unwritable_folder_is_reported_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "locked", "z"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text(UNFIXED)
    real_mkstemp = batch.tempfile.mkstemp

    def mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
        if Path(str(kwargs.get("dir"))).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(batch.tempfile, "mkstemp", mkstemp)
    result = check_fix(tmp_path, monkeypatch)
    assert (tmp_path / "a" / "app.py").read_text() == FIXED
    assert (tmp_path / "z" / "app.py").read_text() == FIXED
    assert (tmp_path / "locked" / "app.py").read_text() == UNFIXED
    assert sorted(result.fixed) == ["a/app.py", "z/app.py"]
    assert result.unwritten == [("locked/app.py", "not fixed: cannot write in its folder: Permission denied")]
    assert [r.path for r in result.findings] == ["locked/app.py"]  # still reported, unfixed


def test_fix_leaves_a_read_only_file_alone(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(UNFIXED)
    app.chmod(0o444)
    result = reviewls("--check", ".", "--select", "RV301", "--no-cache", "--fix", cwd=tmp_path)
    assert app.read_text() == UNFIXED
    assert "reviewls: app.py: not fixed: read-only file" in result.stderr
    assert "app.py:5:12: RV301" in result.stdout
    assert result.returncode == 1


def test_fix_writes_through_a_symlink_and_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "real.py").write_text(UNFIXED)
    (tmp_path / "pyproject.toml").write_text('[tool.reviewls]\nexclude = ["shared"]\n')
    (tmp_path / "link.py").symlink_to("shared/real.py")
    result = reviewls("--check", ".", "--select", "RV301", "--no-cache", "--fix", cwd=tmp_path)
    assert "fixed shared/real.py: RV301 x1" in result.stdout, result.stderr  # shown as the file it is
    assert (tmp_path / "link.py").is_symlink()
    assert (tmp_path / "shared" / "real.py").read_text() == FIXED


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file another owner needs root")
def test_fix_keeps_owner_and_mode(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(UNFIXED)
    app.chmod(0o640)
    os.chown(app, 4321, 4322)
    reviewls("--check", ".", "--select", "RV301", "--no-cache", "--fix", cwd=tmp_path)
    assert app.read_text() == FIXED
    stat = app.stat()
    assert (stat.st_uid, stat.st_gid, stat.st_mode & 0o777) == (4321, 4322, 0o640)


# item 12: nothing is read or written through a symlink out of the workspace


def _env_project(root: Path, outside: Path) -> None:
    (root / "config").mkdir()
    (root / "config" / "settings.py").write_text("import os\n\nSECRET_KEY = os.environ['SECRET_KEY']\nSTRIPE_KEY = os.getenv('STRIPE_KEY')\n")
    outside.write_text("SECRET_KEY=\n")
    (root / ".env.example").symlink_to(outside)


def test_fix_does_not_edit_an_env_example_outside_the_workspace(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    _env_project(root, tmp_path / "elsewhere.env")
    result = reviewls("--check", ".", "--select", "RV407", "--no-cache", "--fix", cwd=root)
    assert (tmp_path / "elsewhere.env").read_text() == "SECRET_KEY=\n"
    assert (root / ".env.example").is_symlink()
    assert ".env.example: not reviewed: a symlink to a file outside the workspace" in result.stderr


class _EnvFixEngine:
    """Stands in for the engine: its one fix appends a key to `target` (an RV407-like project fix)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def build_fix(self, snapshot: object, finding: object) -> Fix:
        return Fix("Add `STRIPE_KEY`", Safety.SAFE, (TextEdit(2, 0, 2, 0, "STRIPE_KEY=\n", path=self.target),))


@pytest.mark.parametrize("target", [".env.example", "../elsewhere.env"])
def test_a_quick_fix_never_edits_a_file_outside_the_workspace(tmp_path: Path, target: str) -> None:
    from pygls.workspace.position_codec import PositionCodec

    from server.lsp.actions import resolve_fix

    root = tmp_path / "repo"
    root.mkdir()
    _env_project(root, tmp_path / "elsewhere.env")
    snapshot = Snapshot("config/settings.py", 1, tuple((root / "config" / "settings.py").read_text().splitlines(keepends=True)), ())
    uri = (root / "config" / "settings.py").as_uri()
    engine = _EnvFixEngine(target)
    assert resolve_fix(engine, snapshot, uri, PositionCodec(), None, root) is None  # type: ignore[arg-type]
    (root / ".env.example").unlink()
    (root / ".env.example").write_text("SECRET_KEY=\n")
    inside = resolve_fix(_EnvFixEngine(".env.example"), snapshot, uri, PositionCodec(), None, root)  # type: ignore[arg-type]
    assert inside is not None and inside.document_changes


# the policy itself (server/fsio.py)


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 100)
    with pytest.raises(ReadError) as caught:
        read_source(big, max_bytes=100)
    assert caught.value.kind == "refused" and caught.value.listing.startswith("not reviewed: larger than")
    with os.fdopen(os.open(tmp_path / "huge.py", os.O_CREAT | os.O_WRONLY), "wb") as stream:
        stream.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written, nothing is read
    skipped: list[tuple[str, str]] = []
    assert list(batch.iter_files([str(tmp_path)], Config(), skipped)) == [big]
    assert skipped == [(batch.display_path(tmp_path / "huge.py"), "not reviewed: larger than 10 MB (10.0 MB)")]


def test_encodings_round_trip_and_bad_coding_lines_are_reported(tmp_path: Path) -> None:
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfx = 1\n")
    source = read_source(bom)
    assert (source.text, source.bom) == ("x = 1\n", True)
    write_atomic(bom, "x = 2\n", source)
    assert bom.read_bytes() == b"\xef\xbb\xbfx = 2\n"
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# coding: latin-1\nx = '\xe9'\n")
    source = read_source(latin)
    assert source.text == "# coding: latin-1\nx = '\xe9'\n"
    with pytest.raises(WriteError, match="cannot be written in iso-8859-1"):
        write_atomic(latin, source.text + "y = '\u20ac'\n", source)
    unknown = tmp_path / "unknown.py"
    unknown.write_bytes(b"# coding: klingon\nx = 1\n")
    with pytest.raises(ReadError, match="unknown encoding"):
        read_source(unknown)
    assert read_source(unknown, coding_line=False).text.startswith("# coding: klingon")


def test_writes_stay_in_the_workspace(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside.py"
    root.mkdir()
    outside.write_text("x = 1\n")
    source = read_source(outside)
    with pytest.raises(WriteError, match="outside the workspace"):
        write_atomic(root / ".." / "outside.py", "x = 2\n", source, (root.resolve(),))
    (root / "link.py").symlink_to(outside)
    with pytest.raises(WriteError, match="a symlink to a file outside the workspace"):
        write_atomic(root / "link.py", "x = 2\n", source, (root.resolve(),))
    with pytest.raises(ReadError, match="a symlink to a file outside the workspace"):
        read_source(root / "link.py", (root.resolve(),))
    assert outside.read_text() == "x = 1\n"


def test_two_processes_making_the_same_cache_folder_both_succeed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--jobs` workers write cache entries at once: the one that lost the race to create a
    shared folder (`.reviewls_cache/0.1.0/`) dropped its entry (a flaky cache under load)."""
    from server import fsio

    real = os.mkdir

    def racing(path: object, *args: object) -> None:
        real(path)  # type: ignore[arg-type]  # the other worker got there first
        raise FileExistsError(path)

    monkeypatch.setattr(fsio.os, "mkdir", racing)
    folder = tmp_path / ".reviewls_cache" / "0.1.0" / "ab"
    assert fsio.safe_folder(folder, tmp_path) == folder and folder.is_dir()
