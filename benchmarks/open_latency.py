"""Open-to-diagnostics latency and memory through a real LSP client over stdio, reviewls against `ruff server`.

(a) First open: in a fresh server (timing starts once initialize has completed), the time from
    didOpen of a ~200-line and of a ~5,300-line module to its diagnostics, and the server's CPU
    time over that open; median over --fresh servers per file. Each file is copied alone into a
    temporary workspace, so what is measured is the first analysis, not a workspace scan.
(b) Many files: in one fresh server whose workspace is Django's sdist, didOpen the --files largest
    modules of `django/` back to back, then the time until every one has its diagnostics, the
    server's CPU time over it, and its peak RSS (VmHWM from /proc).

Both servers run with the same client; Ruff with its default rules (see --ruff-select). Diagnostics are
pushed (default) or pulled (--mode pull: a textDocument/diagnostic request per file). CPU time
comes from /proc/<pid>/stat in clock ticks (10 ms), so a single short open's CPU is coarse.

    .venv/bin/python benchmarks/open_latency.py [--fresh 5] [--files 200] [--mode push|pull]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import closest_module, python_files, sdist
from benchmarks.ruffcmp import Session, add_ruff_select, load, pair, table

SERVERS = ("reviewls", "ruff")
FIRST_OPEN = {200: "≤ 30 ms", 5300: "≤ 250 ms"}  # module size -> goal


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8", errors="replace").splitlines())


async def first_open(name: str, args: argparse.Namespace, path: Path) -> tuple[float, float]:
    """Milliseconds from didOpen to its diagnostics in a fresh server, and the server's CPU ms over it."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        shutil.copyfile(path, copy)
        text = copy.read_text(encoding="utf-8")
        async with Session(name, args.mode, Path(folder), args.ruff_select) as session:
            cpu = session.cpu()
            start = time.perf_counter()
            uri = session.open(copy, text)
            await session.diagnostics(uri, 1)
            return (time.perf_counter() - start) * 1000, (session.cpu() - cpu) * 1000


async def open_many(name: str, args: argparse.Namespace, root: Path, paths: list[Path]) -> tuple[float, float, float]:
    """Seconds from the first didOpen until all files have diagnostics, server CPU seconds over it, peak RSS MiB."""
    texts = [p.read_text(encoding="utf-8") for p in paths]
    async with Session(name, args.mode, root, args.ruff_select) as session:
        cpu = session.cpu()
        start = time.perf_counter()
        uris = [session.open(path, text) for path, text in zip(paths, texts)]
        await asyncio.gather(*(session.diagnostics(uri, 1, 600) for uri in uris))
        return time.perf_counter() - start, session.cpu() - cpu, session.peak_rss_mib()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", type=int, default=5, help="fresh servers per file and server in (a) (default 5)")
    parser.add_argument("--files", type=int, default=200, help="files opened at once in (b) (default 200)")
    parser.add_argument("--mode", choices=("push", "pull"), default="push", help="how diagnostics are obtained (default push)")
    add_ruff_select(parser)
    args = parser.parse_args()
    print(f"start: {load()}; diagnostics by {args.mode}; ruff rules: {args.ruff_select or 'default'}")
    django = sdist("django==5.2.*")
    roots = [django / "django", sdist("sqlalchemy==2.0.*") / "lib"]
    rows: list[tuple[str, str, str, str, str]] = []
    for size, goal in FIRST_OPEN.items():
        path = closest_module(roots, size)
        label = f"(a) first open, {_lines(path):,}-line `{path.name}`"
        result: dict[str, tuple[float, float]] = {}
        for name in SERVERS:
            runs = [await first_open(name, args, path) for _ in range(args.fresh)]
            result[name] = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            print(f"{name:<8} {label}: median {result[name][0]:.1f} ms, server CPU {result[name][1]:.0f} ms ({args.fresh} fresh servers)")
        rows.append((f"{label}: median ms", *pair(result["reviewls"][0], result["ruff"][0], "{:.1f}"), goal))
        rows.append((f"{label}: server CPU ms", *pair(result["reviewls"][1], result["ruff"][1], "{:.0f}"), ""))
    paths = sorted(python_files(django / "django"), key=_lines, reverse=True)[: args.files]
    label = f"(b) open {len(paths)} largest Django files ({sum(map(_lines, paths)):,} lines)"
    many = {name: await open_many(name, args, django, paths) for name in SERVERS}
    for name, (wall, cpu, rss) in many.items():
        print(f"{name:<8} {label}: all diagnostics after {wall:.2f} s, server CPU {cpu:.2f} s, peak RSS {rss:.0f} MiB")
    mine, ruff = many["reviewls"], many["ruff"]
    rows.append((f"{label}: s until all diagnostics", *pair(mine[0], ruff[0], "{:.2f}"), "≤ 8 s"))
    rows.append((f"{label}: server CPU s", *pair(mine[1], ruff[1], "{:.2f}"), ""))
    rows.append((f"{label}: server peak RSS MiB", *pair(mine[2], ruff[2], "{:.0f}"), "≤ 120 MiB"))
    print("\n" + table(rows))
    print(f"\n{args.fresh} fresh servers per file in (a), diagnostics by {args.mode}; end: {load()}")



if __name__ == "__main__":
    asyncio.run(main())
