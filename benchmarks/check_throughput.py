"""`reviewls --check` throughput in lines per second on Django's source (from its sdist).

    .venv/bin/python benchmarks/check_throughput.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import python_files, sdist  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    target = sdist("django==5.2.*") / "django"
    files = python_files(target)
    lines = sum(len(p.read_text(encoding="utf-8", errors="replace").splitlines()) for p in files)
    timings: list[float] = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "server", "--check", str(target), "--format", "json", "--output", "/dev/null"],
            capture_output=True,
            text=True,
            check=False,
        )
        timings.append(time.perf_counter() - start)
        if result.returncode == 2:
            raise SystemExit(f"reviewls failed:\n{result.stderr}")
    median = statistics.median(timings)
    print(f"{len(files)} files, {lines} lines; median {median:.1f} s over {args.runs} runs -> {lines / median:,.0f} lines/s")


if __name__ == "__main__":
    main()
