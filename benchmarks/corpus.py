"""Real code to measure on: sdists from PyPI, unpacked once into benchmarks/.cache/."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"


def sdist(spec: str) -> Path:
    """Download and unpack an sdist (e.g. "django==5.2.*"); return its source folder."""
    name = spec.split("=")[0].split("<")[0].split(">")[0].lower()
    CACHE.mkdir(exist_ok=True)
    existing = sorted(p for p in CACHE.iterdir() if p.is_dir() and p.name.lower().startswith(name + "-"))
    if existing:
        return existing[-1]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", spec, "-d", str(CACHE)],
        check=True,
    )
    archive = next(p for p in CACHE.iterdir() if p.name.lower().startswith(name + "-") and p.name.endswith(".tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return next(p for p in CACHE.iterdir() if p.is_dir() and p.name.lower().startswith(name + "-"))


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def closest_module(roots: list[Path], lines: int) -> Path:
    """The real module whose length is closest to `lines`."""
    candidates = [p for root in roots for p in python_files(root)]
    return min(candidates, key=lambda p: abs(len(p.read_text(encoding="utf-8", errors="replace").splitlines()) - lines))
