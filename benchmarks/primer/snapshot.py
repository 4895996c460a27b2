"""Run reviewls on a primer app and keep what it finds as a snapshot.

A finding is identified by (path, code, fingerprint): the fingerprint hashes the flagged code,
not its line, so a finding keeps its identity (and its label) when lines above it move.
Every rule runs, preview ones too, so a change to any rule shows in the snapshot's diff.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.primer.apps import HERE, App, fetch, line_count

SNAPSHOTS = HERE / "snapshots"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    code: str
    fingerprint: str
    message: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.code, self.fingerprint)


@dataclass(frozen=True)
class Snapshot:
    app: str
    wheel: str
    files: int
    lines: int
    findings: tuple[Finding, ...]

    @property
    def counts(self) -> Counter[str]:
        return Counter(f.code for f in self.findings)

    def to_json(self) -> str:
        data = {
            "app": self.app,
            "wheel": self.wheel,
            "files": self.files,
            "lines": self.lines,
            "counts": dict(sorted(self.counts.items())),
            "findings": [[f.path, f.line, f.code, f.fingerprint, f.message] for f in self.findings],
        }
        # one finding per line: a rule change reads as a line diff in review
        head = json.dumps({k: v for k, v in data.items() if k != "findings"}, indent=1)[:-2]
        rows = ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in data["findings"])
        return f'{head},\n "findings": [\n{rows}\n ]\n}}\n'

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        data = json.loads(text)
        findings = tuple(Finding(p, line, code, fp, msg) for p, line, code, fp, msg in data["findings"])
        return cls(data["app"], data["wheel"], data["files"], data["lines"], findings)


def run(app: App, *, jobs: int | None = None, select: list[str] | None = None) -> Snapshot:
    """Review the app with every rule (`--preview`), or only `select`, as a user would with a fresh checkout."""
    folder = fetch(app)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "findings.json"
        command = [
            sys.executable, "-m", "server", "--check", *app.paths, "--preview", "--no-cache",
            "--config", str(folder / "reviewls.toml"), "--write-baseline", str(out),
        ]
        if select:
            command += ["--select", ",".join(select)]
        if jobs:
            command += ["--jobs", str(jobs)]
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"reviewls failed on {app.name} (exit {done.returncode}):\n{done.stderr[-4000:]}")
        data = json.loads(out.read_text(encoding="utf-8"))
    findings = tuple(sorted(Finding(e["path"], e["line"], e["code"], e["fingerprint"], e["message"]) for e in data["findings"]))
    files, lines = line_count(app)
    return Snapshot(app.name, app.wheel, files, lines, findings)


def snapshot_path(app: App) -> Path:
    return SNAPSHOTS / f"{app.name}.json"


def load(app: App) -> Snapshot | None:
    path = snapshot_path(app)
    return Snapshot.from_json(path.read_text(encoding="utf-8")) if path.exists() else None


def load_all(apps: list[App]) -> list[Snapshot]:
    """The committed snapshots (offline: labels and precision are computed from these)."""
    found = [load(app) for app in apps]
    return [s for s in found if s is not None]
