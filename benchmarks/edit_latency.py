"""Edit-to-diagnostics latency through a real LSP client over stdio, reviewls against `ruff server`.

For real modules of about 200, 1,000 and 5,000 lines (from Django and SQLAlchemy sdists),
open the file, then type a comment, one character per version, at the end of the last statement
of a 10-30 line function near the middle of the module: each step sends one incremental
didChange and waits for the diagnostics of that version (every version's text is new, so
nothing is served from a cache). The same typing runs against `ruff server` (Ruff's default rules unless --ruff-select).

Both servers push diagnostics (publishDiagnostics with the version) to a client that does not
advertise pull diagnostics, and answer textDocument/diagnostic requests (and stop pushing) when
it does: `--mode push` (default) waits for the push, `--mode pull` sends a request after each
change. Prints the median and p90 per size for both servers, their ratio, each server's CPU
time per edit (from /proc), the goals, and the machine load at start and end.

    .venv/bin/python benchmarks/edit_latency.py [--edits 60] [--mode push|pull]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import closest_module, sdist
from benchmarks.ruffcmp import Session, add_ruff_select, load, p90, pair, ratio, table

SIZES = (200, 1000, 5000)
SERVERS = ("reviewls", "ruff")
GOALS = {200: "≤ 2.5x ruff", 5000: "≤ 1.1x ruff"}  # on the median


def _target_line(text: str) -> tuple[int, int]:
    """(0-based line, column) at the end of the last statement of a 10-30 line function near the middle.

    The edited function is of the same size in every module, so the figures compare what the
    module's size costs, not the size of the function that happens to be in the middle.
    """
    tree = ast.parse(text)
    functions = [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        and len(n.body) > 1
        and 10 <= (n.end_lineno or n.lineno) - n.lineno <= 30
        and isinstance(n.body[-1], (ast.Return, ast.Expr, ast.Assign))
        and n.body[-1].lineno == n.body[-1].end_lineno
    ]
    middle = len(text.splitlines()) // 2
    fn = min(functions, key=lambda n: abs(n.lineno - middle))
    stmt = fn.body[-1]
    line = stmt.lineno - 1
    return line, len(text.splitlines()[line])


async def measure(name: str, args: argparse.Namespace, path: Path) -> tuple[list[float], float, int]:
    """Milliseconds from each didChange to its diagnostics, the server's CPU ms per edit, and the last count."""
    text = path.read_text(encoding="utf-8")
    line, col = _target_line(text)
    edits = args.edits
    typed = "  # " + "reviewed " * (edits // 9 + 1)
    timings: list[float] = []
    count = 0
    async with Session(name, args.mode, path.parent, args.ruff_select) as session:
        uri = session.open(path, text)
        await session.diagnostics(uri, 1)
        cpu = session.cpu()
        for step in range(edits):
            # type a trailing comment one character at a time: every version is new text
            start = time.perf_counter()
            session.insert(uri, step + 2, line, col + step, typed[step])
            count = await session.diagnostics(uri, step + 2, 60)
            timings.append((time.perf_counter() - start) * 1000)
        cpu_ms = (session.cpu() - cpu) * 1000 / edits
    return timings, cpu_ms, count


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=60, help="characters typed per module and server (default 60)")
    parser.add_argument("--mode", choices=("push", "pull"), default="push", help="how diagnostics are obtained (default push)")
    add_ruff_select(parser)
    args = parser.parse_args()
    print(f"start: {load()}; diagnostics by {args.mode}; ruff rules: {args.ruff_select or 'default'}")
    roots = [sdist("django==5.2.*") / "django", sdist("sqlalchemy==2.0.*") / "lib"]
    rows: list[tuple[str, str, str, str, str]] = []
    medians: dict[tuple[str, int], float] = {}
    for size in SIZES:
        path = closest_module(roots, size)
        lines = len(path.read_text(encoding="utf-8").splitlines())
        result = {name: await measure(name, args, path) for name in SERVERS}
        for name, (timings, cpu_ms, count) in result.items():
            medians[name, size] = statistics.median(timings)
            print(
                f"{name:<8} {lines:>6} lines  {path.name:<16} median {medians[name, size]:6.1f} ms   "
                f"p90 {p90(timings):6.1f} ms   CPU {cpu_ms:5.1f} ms/edit   {count} diagnostics"
            )
        ours, theirs = result["reviewls"], result["ruff"]
        label = f"{lines:,}-line `{path.name}`"
        rows.append((f"{label}: median ms", *pair(medians["reviewls", size], medians["ruff", size]), GOALS.get(size, "")))
        rows.append((f"{label}: p90 ms", *pair(p90(ours[0]), p90(theirs[0])), ""))
        rows.append((f"{label}: server CPU ms per edit", *pair(ours[1], theirs[1]), ""))
    spread = [medians[name, 5000] / medians[name, 200] for name in SERVERS]
    rows.append(("median 5,000 / median 200 lines", f"{spread[0]:.2f}", f"{spread[1]:.2f}", ratio(*spread), ""))
    print("\n" + table(rows))
    print(f"\n{args.edits} edits per module and server, diagnostics by {args.mode}; end: {load()}")



if __name__ == "__main__":
    asyncio.run(main())
