"""`reviewls --check` throughput on Django's source (from its sdist, ~159k lines).

Cold runs (no cache) with --jobs 1 and --jobs 2 in lines per second, then the warm re-run
(cache filled, nothing changed) as a fraction of a cold run with the same jobs.

    .venv/bin/python benchmarks/check_throughput.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import python_files, sdist  # noqa: E402


def timed(target: Path, config: Path, *flags: str) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "server", "--check", str(target), "--config", str(config), "--format", "json", "--output", "/dev/null", *flags],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 2:
        raise SystemExit(f"reviewls failed:\n{result.stderr}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    target = sdist("django==5.2.*") / "django"
    files = python_files(target)
    lines = sum(len(p.read_text(encoding="utf-8", errors="replace").splitlines()) for p in files)
    print(f"{len(files)} files, {lines} lines")
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "reviewls.toml"  # isolates the run from any project config; the cache lives here
        config.write_text("")
        cold: dict[int, float] = {}
        for jobs in (1, 2):
            cold[jobs] = statistics.median(timed(target, config, "--no-cache", "--jobs", str(jobs)) for _ in range(args.runs))
            print(f"cold --jobs {jobs}: median {cold[jobs]:.1f} s -> {lines / cold[jobs]:,.0f} lines/s")
        shutil.rmtree(Path(folder) / ".reviewls_cache", ignore_errors=True)
        timed(target, config, "--jobs", "2")  # fills the cache
        warm = statistics.median(timed(target, config, "--jobs", "2") for _ in range(args.runs))
        print(f"warm --jobs 2 (cached, no change): median {warm:.2f} s = {warm / cold[2]:.1%} of cold")


if __name__ == "__main__":
    main()
