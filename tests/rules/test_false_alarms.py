"""The false alarms seen on real applications (shared/precision/false-alarms) stay quiet.

Each folder is a minimal reproduction of a finding a reviewer marked wrong; with every rule on
(`--preview`) none of them may come back. Their patterns are also `Valid` examples of the rules.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FALSE_ALARMS = ROOT.parent / "shared" / "precision" / "false-alarms"
FOLDERS = sorted(p for p in FALSE_ALARMS.iterdir() if p.is_dir()) if FALSE_ALARMS.is_dir() else []


def test_the_reproductions_are_there() -> None:
    # shared/ sits beside the checkout on developer machines and in CI
    assert len(FOLDERS) >= 16, f"expected the false-alarm reproductions in {FALSE_ALARMS}"


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_no_finding_on_a_known_false_alarm(folder: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server", "--check", str(folder), "--preview", "--no-cache", "--format", "json", "--fail-on", "hint"],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # no config of ours applies
    )
    findings = json.loads(done.stdout)["diagnostics"]
    assert not findings, "\n".join(f"{f['path']}:{f['line']} {f['code']} {f['message']}" for f in findings)
    assert done.returncode == 0, done.stderr


def test_a_comment_that_looks_like_code_raises_no_warning_for_the_user(recwarn: pytest.WarningsRecorder) -> None:
    """RV103 compiles comments to see whether they are code; CPython's SyntaxWarnings about a
    comment (`# x = 1if a else b`: "invalid decimal literal") must not reach the user's stderr."""
    import warnings

    from rules.hygiene.commented_out_code import looks_like_code

    warnings.simplefilter("always")
    looks_like_code(["x = 1if a else b"])
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]
