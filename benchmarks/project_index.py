"""The project tier on a >= 100k-line code base: the full index build, and re-indexing after one save.

The code base is Django's `django/` package from its sdist (~159k lines, `benchmarks/corpus.py`),
copied into a temporary folder so the root is the project (its modules are `django.db.models...`,
as in a checkout). The session is the one the server and `--check` use
(`server.projectsession.ProjectSession`) with `Engine(Config(preview=True))`: every rule selected,
preview ones included, so every project rule and the project part of every edit rule runs, with
the settings `--check` derives (`settings_config` over every file, timed on its own).

Every run is a fresh subprocess (nothing warm from the run before) that reports:

- the full build: `scan` (read every file and gather its facts) and the first `check` (the
  project rules over the index), wall and CPU seconds, and the peak RSS (VmHWM);
- re-indexing after one file's save, for a small (~50 lines), the median (Django's is ~60
  lines), a ~1,000-line and a large (~3,000 lines) file: append a new function (new text every
  time: nothing comes from the content cache), then `session.update(path, text)` (re-reads that one file: should cost time
  proportional to the file) and `session.check()` (the rules over the whole index: proportional
  to the project). Medians over `--saves` saves per run and all runs, the ratio of update + check
  to the full build, and the update's milliseconds per 1,000 lines of the saved file; and
  where a check's CPU goes (the index's view, each project rule's `check`); with `--by-kind`,
  where the scan's goes (reading, parsing, clone windows, each fact kind and `collect`).

Then the warm build of `--check`: the on-disk facts cache (`ProjectSession(cache_dir=..., secret=...)`)
filled by one fresh process, and read by `--runs` more. Prints a Markdown table and the machine
load at start and end.

    .venv/bin/python benchmarks/project_index.py [--runs 3] [--saves 5] [--by-kind] [--no-cache-run] [--source PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import python_files, sdist
from benchmarks.ruffcmp import load, p90, peak_rss_mib

SIZES = (("small", 50), ("median", 0), ("1k", 1000), ("large", 3000))  # 0: the median file of the project


def django_copy(folder: Path, source: Path | None = None) -> Path:
    """A copy of Django's `django/` package (or `source`) as `folder/<name>`; returns `folder`, the root."""
    source = source or sdist("django==5.2.*") / "django"
    shutil.copytree(source, folder / source.name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8", errors="replace").splitlines())


def pick_files(root: Path) -> dict[str, tuple[str, int]]:
    """Files of several sizes to save: label -> (path relative to the root, lines)."""
    sizes = sorted((line_count(p), p.relative_to(root).as_posix()) for p in python_files(root))
    picked: dict[str, tuple[str, int]] = {}
    for label, target in SIZES:
        lines, rel = sizes[len(sizes) // 2] if target == 0 else min(sizes, key=lambda item: abs(item[0] - target))
        picked[label] = (rel, lines)
    return picked


def child(root: Path, saves: int, picked: dict[str, tuple[str, int]], cache: Path | None, by_kind: bool = False) -> dict[str, Any]:
    """One fresh build over `root` and the saves; the figures as JSON-able data."""
    from server.batch import iter_files
    from server.config import Config
    from server.engine import Engine
    from server.fsio import ReadError, read_source
    from server.locate import split_lines
    from server.projectsession import ProjectSession, settings_config

    roots = (root.resolve(),)

    def lines_of(path: str) -> list[str]:  # as --check reads a file for its suppression comments
        try:
            return split_lines(read_source(root / path, roots).text)
        except ReadError:
            return []

    out: dict[str, Any] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    files = list(iter_files([str(root)], Config(preview=True)))
    entry_points = [p for p in root.glob("*") if p.is_file()] + files
    config = settings_config(root, Config(preview=True), entry_points, files, roots)
    out["settings"] = (time.perf_counter() - wall, time.process_time() - cpu)
    engine = Engine(config)
    session = ProjectSession(root, engine, cache_dir=cache, secret=b"benchmark" if cache else None)
    out["rules"] = sorted({rule.meta.code for rule in engine.projects.rules()})
    out["kinds"] = sorted(g.name for g in engine.projects.gatherers())
    wall, cpu = time.perf_counter(), time.process_time()
    session.scan(files)
    out["scan"] = (time.perf_counter() - wall, time.process_time() - cpu)
    wall, cpu = time.perf_counter(), time.process_time()
    pairs = session.check(lines_of)
    out["check"] = (time.perf_counter() - wall, time.process_time() - cpu)
    out["findings"] = len(pairs)
    out["problems"] = len(session.problems)
    out["crashes"] = [c.code for c in session.crashes]
    out["gathered"] = session.index.gathered
    out["rss_built"] = peak_rss_mib(os.getpid(), "VmRSS")
    out["saves"] = {}
    counter = 0
    for label, (rel, _) in picked.items():
        path = root / rel
        original = path.read_text(encoding="utf-8")
        timings: list[tuple[float, float, float, float]] = []  # update, check: wall, then CPU
        for _ in range(saves):
            counter += 1
            text = f"{original}\n\ndef _reviewls_benchmark_{counter}(value):\n    return value + {counter}\n"
            wall, cpu = time.perf_counter(), time.process_time()
            session.update(path, text)
            wall_updated, cpu_updated = time.perf_counter(), time.process_time()
            session.check(lines_of)
            timings.append((wall_updated - wall, time.perf_counter() - wall_updated, cpu_updated - cpu, time.process_time() - cpu_updated))
        out["saves"][label] = timings
    out["peak_rss"] = peak_rss_mib(os.getpid())
    out["parts"] = check_parts(session)
    out["kinds_cpu"] = gather_parts(session, files) if by_kind else {}
    return out


def gather_parts(session: Any, files: list[Path]) -> dict[str, float]:
    """Where the scan's CPU goes: reading every Python file, its one `ast` parse, the clone
    windows (RV902) and each fact kind or `collect` over every file (one more pass, not cached)."""
    from rules.api.project import SourceFile
    from server.fsio import ReadError, read_source
    from server.project import clone_windows

    parts: dict[str, float] = {}

    def timed(name: str, work: Any) -> Any:
        cpu = time.process_time()
        try:
            return work()
        finally:
            parts[name] = parts.get(name, 0.0) + time.process_time() - cpu

    for path in files:
        if path.suffix != ".py":
            continue
        try:
            text = timed("read the file", lambda: read_source(path).text)  # noqa: B023  (called here)
        except ReadError:
            continue
        rel = path.relative_to(session.root).as_posix()
        source = SourceFile(rel, text)
        timed("ast.parse (shared)", source.tree)
        if session.index.clones:
            timed("clone windows (RV902)", lambda: clone_windows(rel, text))  # noqa: B023  (called here)
        for gatherer in session.index.gatherers:
            timed(gatherer.name, lambda: gatherer.gather(source))  # noqa: B023  (called here)
    return parts


def check_parts(session: Any) -> dict[str, float]:
    """Where a `check` goes: CPU seconds of building the index's view, and of each project
    rule's `check` over it (as the project tier calls it, findings not filtered)."""
    from rules.api import ModuleContext
    from server.engine.guard import isolate

    parts: dict[str, float] = {}
    cpu = time.process_time()
    view = session.index.facts(session.config.settings_modules)
    parts["the index's view (facts())"] = time.process_time() - cpu
    for rule in session.engine.projects.rules():
        owner = rule.part_of or rule
        instance = rule(ModuleContext(path="."), session.engine.options(owner))
        cpu = time.process_time()
        crash = isolate(rule.meta.code, ".", 1, "project check", lambda: instance.check(view))  # noqa: B023  (called here)
        parts[f"{rule.meta.code} {rule.__name__}{' (crashed)' if crash else ''}"] = time.process_time() - cpu
    return parts


def run_child(root: Path, saves: int, picked: dict[str, tuple[str, int]], cache: Path | None = None, by_kind: bool = False) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(root), "--saves", str(saves), "--picked", json.dumps(picked)]
    command += ["--cache", str(cache)] if cache else []
    command += ["--by-kind"] if by_kind else []
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the measuring process failed ({result.returncode}):\n{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def cells(wall: float, cpu: float, form: str = "{:.1f}") -> tuple[str, str]:
    return form.format(wall), form.format(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measure; medians are reported (default 3)")
    parser.add_argument("--saves", type=int, default=5, help="saves of each picked file per run (default 5)")
    parser.add_argument("--source", type=Path, help="the code base to copy (default: django/ from the Django 5.2 sdist)")
    parser.add_argument("--no-cache-run", action="store_true", help="skip the warm build with the on-disk facts cache")
    parser.add_argument("--by-kind", action="store_true", help="also time each fact kind and collect over every file (one more pass per run)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--picked", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        picked = {label: (rel, lines) for label, (rel, lines) in json.loads(args.picked).items()}
        json.dump(child(args.child, args.saves, picked, args.cache, args.by_kind), sys.stdout)
        return
    print(f"start: {load()}")
    with tempfile.TemporaryDirectory(prefix="reviewls-project-") as folder:
        root = django_copy(Path(folder) / "project", args.source)
        files = python_files(root)
        lines = sum(line_count(p) for p in files)
        picked = pick_files(root)
        print(f"{len(files)} Python files, {lines:,} lines under {root}")
        runs = [run_child(root, args.saves, picked, by_kind=args.by_kind) for _ in range(args.runs)]
        first = runs[0]
        print(f"project rules: {', '.join(first['rules'])}; shared fact kinds and collects: {', '.join(first['kinds']) or 'none'}")
        print(f"{first['findings']} project findings, {first['problems']} files without facts, crashes: {first['crashes'] or 'none'}")
        build = median([r["scan"][0] + r["check"][0] for r in runs])
        build_cpu = median([r["scan"][1] + r["check"][1] for r in runs])

        def both(key: str) -> tuple[float, float]:
            return median([r[key][0] for r in runs]), median([r[key][1] for r in runs])

        rss = f"{median([r['peak_rss'] for r in runs]):.0f}"
        rows: list[tuple[str, str, str, str]] = [
            ("settings as --check derives them (reads every file): s", *cells(*both("settings"), "{:.2f}"), ""),
            ("full build: scan s", *cells(*both("scan"), "{:.2f}"), f"{both('scan')[1] / build_cpu:.0%} of the build"),
            ("full build: first check s", *cells(*both("check"), "{:.2f}"), f"{both('check')[1] / build_cpu:.0%} of the build"),
            ("full build (scan + first check): s", *cells(build, build_cpu, "{:.2f}"), f"{lines / build_cpu:,.0f} lines per CPU-second"),
            ("peak RSS (VmHWM): MiB", rss, "", f"after the build {median([r['rss_built'] for r in runs]):.0f} MiB (VmRSS)"),
        ]
        for label, (rel, size) in picked.items():
            timings = [t for r in runs for t in r["saves"][label]]
            update = (median([t[0] for t in timings]) * 1000, median([t[2] for t in timings]) * 1000)
            redo = (median([t[1] for t in timings]) * 1000, median([t[3] for t in timings]) * 1000)
            total = (median([t[0] + t[1] for t in timings]) * 1000, median([t[2] + t[3] for t in timings]) * 1000)
            spread = p90([(t[2] + t[3]) * 1000 for t in timings])
            name = f"save {label} `{rel}` ({size:,} lines)"
            rows.append((f"{name}: update ms", *cells(*update), f"{update[1] / (size / 1000):.1f} CPU ms per 1k lines of the file"))
            rows.append((f"{name}: check ms", *cells(*redo), f"{redo[1] / (lines / 1000):.2f} CPU ms per 1k lines of the project"))
            rows.append((f"{name}: update + check ms", *cells(*total), f"{total[1] / 1000 / build_cpu:.1%} of the full build's CPU; CPU p90 {spread:.1f} ms"))
        if not args.no_cache_run:
            cache = Path(folder) / "facts-cache"
            filled = run_child(root, 0, {}, cache)
            warm = [run_child(root, 0, {}, cache) for _ in range(args.runs)]
            filling = (filled["scan"][0] + filled["check"][0], filled["scan"][1] + filled["check"][1])
            warm_build = (median([r["scan"][0] + r["check"][0] for r in warm]), median([r["scan"][1] + r["check"][1] for r in warm]))
            warm_scan = (median([r["scan"][0] for r in warm]), median([r["scan"][1] for r in warm]))
            rows.append(("--check's facts cache: the build filling it (1 run): s", *cells(*filling, "{:.2f}"), ""))
            rows.append(("--check's facts cache: warm build (scan + check): s", *cells(*warm_build, "{:.2f}"), f"{warm_build[1] / build_cpu:.0%} of the build's CPU without the cache"))
            rows.append(("--check's facts cache: warm scan: s", *cells(*warm_scan, "{:.2f}"), ""))
    parts = {name: median([r["parts"][name] for r in runs if name in r["parts"]]) * 1000 for name in runs[0]["parts"]}
    print("\nwhere a check's CPU goes (after the saves; median ms): " + ", ".join(f"{name} {ms:.0f}" for name, ms in sorted(parts.items(), key=lambda item: -item[1])))
    if args.by_kind:
        kinds = {name: median([r["kinds_cpu"][name] for r in runs]) for name in runs[0]["kinds_cpu"]}
        print("where the scan's CPU goes (--by-kind; median s over every file): " + ", ".join(f"{name} {seconds:.2f}" for name, seconds in sorted(kinds.items(), key=lambda item: -item[1])))
    print("\n| measure | median wall | median CPU | note (on CPU time: the machine is shared) |\n| --- | ---: | ---: | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n{args.runs} fresh processes per measure, {args.saves} saves per file and run, medians; end: {load()}")


if __name__ == "__main__":
    main()
