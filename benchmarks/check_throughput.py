"""`reviewls --check` throughput on Django's `django/` folder (from its sdist, ~159k lines), against Ruff.

Cold runs (no cache) with --jobs 1 and --jobs 2, then the warm re-run (cache filled, nothing
changed, --jobs 2); and `ruff check --isolated --no-cache --quiet` (Ruff's default rules; --ruff-select ALL for every rule) on the same folder
in the same run. Each figure is the median over --runs of wall time and of CPU time: user +
system of the whole process tree (worker processes included), from RUSAGE_CHILDREN deltas.
Prints lines per CPU-second, the jobs-2/jobs-1 CPU overhead, the reviewls/ruff ratios, the goals,
and the machine load at start and end. `--preview` also runs reviewls' preview rules.

    .venv/bin/python benchmarks/check_throughput.py [--runs 3] [--preview] [--ruff-select ALL]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import python_files, sdist
from benchmarks.ruffcmp import RUFF, add_ruff_select, load, pair, table


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the process and all its descendants) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):  # 1: findings
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def medians(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall and median CPU seconds over `runs` runs."""
    results = [timed(command) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per measure; medians are reported (default 3)")
    parser.add_argument("--preview", action="store_true", help="pass --preview to reviewls (default: default rules)")
    add_ruff_select(parser)
    args = parser.parse_args()
    print(f"start: {load()}")
    target = sdist("django==5.2.*") / "django"
    files = python_files(target)
    lines = sum(len(p.read_text(encoding="utf-8", errors="replace").splitlines()) for p in files)
    print(f"{len(files)} files, {lines:,} lines; reviewls rules: {'preview' if args.preview else 'default'}; ruff rules: {args.ruff_select or 'default'}")
    ruff_select = ["--select", args.ruff_select] if args.ruff_select else []
    ruff_wall, ruff_cpu = medians([RUFF, "check", "--isolated", "--no-cache", *ruff_select, "--quiet", str(target)], args.runs)
    print(f"ruff: median {ruff_wall:.2f} s wall, {ruff_cpu:.2f} s CPU -> {lines / ruff_cpu:,.0f} lines per CPU-second")
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "reviewls.toml"  # isolates the run from any project config; the cache lives here
        config.write_text("")
        reviewls = [sys.executable, "-m", "server", "--check", str(target), "--config", str(config), "--format", "json", "--output", "/dev/null"]
        reviewls += ["--preview"] if args.preview else []
        # --jobs 1 and --jobs 2 alternate run by run, so a machine that drifts (other load, clock)
        # weighs on both; the overhead is the median of the paired ratios
        runs: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        for _ in range(args.runs):
            for jobs in (1, 2):
                runs[jobs].append(timed([*reviewls, "--no-cache", "--jobs", str(jobs)]))
        cold = {jobs: (statistics.median(r[0] for r in done), statistics.median(r[1] for r in done)) for jobs, done in runs.items()}
        for jobs in (1, 2):
            print(f"cold --jobs {jobs}: median {cold[jobs][0]:.1f} s wall, {cold[jobs][1]:.1f} s CPU -> {lines / cold[jobs][1]:,.0f} lines per CPU-second")
        paired = statistics.median(two[1] / one[1] - 1 for one, two in zip(runs[1], runs[2]))
        timed([*reviewls, "--jobs", "2"])  # fills the cache
        warm = medians([*reviewls, "--jobs", "2"], args.runs)
        print(f"warm --jobs 2 (cached, no change): median {warm[0]:.2f} s wall = {warm[0] / cold[2][0]:.1%} of cold, {warm[1]:.2f} s CPU")
    overhead = paired
    rows = [
        ("cold --jobs 1: wall s", *pair(cold[1][0], ruff_wall, "{:.2f}"), ""),
        ("cold --jobs 1: CPU s", *pair(cold[1][1], ruff_cpu, "{:.2f}"), ""),
        ("cold --jobs 1: lines per CPU-second", *pair(lines / cold[1][1], lines / ruff_cpu, "{:,.0f}"), "≥ 15,000"),
        ("cold --jobs 2: wall s", *pair(cold[2][0], ruff_wall, "{:.2f}"), ""),
        ("cold --jobs 2: CPU s", *pair(cold[2][1], ruff_cpu, "{:.2f}"), ""),
        ("cold CPU, --jobs 2 / --jobs 1 (median of paired runs)", f"{overhead:+.1%}", "-", "-", "≤ +5%"),
        ("warm --jobs 2 (cached): wall s", *pair(warm[0], ruff_wall, "{:.2f}"), ""),
        ("warm --jobs 2 (cached): CPU s", *pair(warm[1], ruff_cpu, "{:.2f}"), ""),
    ]
    print("\n" + table(rows))
    print("\nruff column: the same `ruff check` (all its threads) in every row; ratio = reviewls / ruff")
    print(f"{args.runs} runs per measure, medians; end: {load()}")


if __name__ == "__main__":
    main()
