"""Edit-to-diagnostics latency through a real LSP client over stdio.

For real modules of about 200, 1,000 and 5,000 lines (from Django and SQLAlchemy sdists),
open the file, then type a comment, one character per version, at the end of the last statement
of a 10-30 line function near the middle of the module: each step sends one incremental
didChange and waits for the publishDiagnostics of that version (the block is re-parsed
every time: each version's text is new). Prints the median and p90 per size and the 5,000/200 median ratio.

    .venv/bin/python benchmarks/edit_latency.py [--edits 60]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import closest_module, sdist  # noqa: E402

SIZES = (200, 1000, 5000)


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


async def measure(path: Path, edits: int) -> list[float]:
    client = LanguageClient("reviewls-bench", "1")
    waiters: dict[int, asyncio.Future[None]] = {}

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        future = waiters.get(params.version or 0)
        if future is not None and not future.done():
            future.set_result(None)

    await client.start_io(sys.executable, "-m", "server")
    await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=path.parent.as_uri()))
    client.initialized(lsp.InitializedParams())
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    loop = asyncio.get_running_loop()
    waiters[1] = loop.create_future()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, text)))
    await asyncio.wait_for(waiters[1], 120)
    line, col = _target_line(text)
    timings: list[float] = []
    typed = "  # " + "reviewed " * (edits // 9 + 1)
    for version in range(2, edits + 2):
        # type a trailing comment one character at a time: every version is new text (no cache hit)
        position = lsp.Position(line, col + version - 2)
        change = lsp.TextDocumentContentChangePartial(range=lsp.Range(position, position), text=typed[version - 2])
        waiters[version] = loop.create_future()
        start = time.perf_counter()
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), [change])
        )
        await asyncio.wait_for(waiters[version], 60)
        timings.append((time.perf_counter() - start) * 1000)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=60)
    args = parser.parse_args()
    roots = [sdist("django==5.2.*") / "django", sdist("sqlalchemy==2.0.*") / "lib"]
    medians: dict[int, float] = {}
    for size in SIZES:
        path = closest_module(roots, size)
        lines = len(path.read_text(encoding="utf-8").splitlines())
        timings = await measure(path, args.edits)
        medians[size] = statistics.median(timings)
        p90 = statistics.quantiles(timings, n=10)[-1]
        print(f"{lines:>6} lines  {path.name:<24} median {medians[size]:6.1f} ms   p90 {p90:6.1f} ms   ({args.edits} edits)")
    print(f"5,000/200 median ratio: {medians[5000] / medians[200]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
