"""A long editing session against one reviewls server: is memory flat, does typing coalesce?

Three phases through a real LSP client over stdio (push diagnostics):

1. **Burst**: 2,000 incremental edits sent as fast as the pipe takes them (no waiting), on a
   ~300-line Django module; counts the diagnostics published for intermediate versions and the
   time from the last edit to the last version's diagnostics.
2. **Soak**: 10,000 edits typed one at a time (each waits for its diagnostics), each version a
   new text (a counter typed into a comment that moves over the module's functions, then
   erased), so the caches keep filling; resident memory (VmRSS) after the first 1,000 edits
   and at the end. Goal: within 10%.
3. **Open/close**: a 5,000-line module opened and closed 20 times; VmRSS after the first
   cycle and after the last. Goal: within 10% (a closed document's memory is given back).

The workspace holds the two modules alone, so the project tier's first scan does not run
alongside (its index grows with the project, once, then stays).

    .venv/bin/python benchmarks/soak.py [--burst 2000] [--edits 10000] [--cycles 20]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import closest_module, sdist
from benchmarks.ruffcmp import Session, peak_rss_mib


def rss_mib(pid: int) -> float:
    """The process' current resident set size (VmRSS) in MiB."""
    return peak_rss_mib(pid, "VmRSS")


def _function_ends(text: str) -> list[tuple[int, int]]:
    """(0-based line, end column) of the last line of each top-level function's last statement."""
    lines = text.splitlines()
    out = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            last = node.body[-1]
            if last.lineno == last.end_lineno:
                out.append((last.lineno - 1, len(lines[last.lineno - 1])))
    return out


class Counter:
    """Publishes seen per URI (every version, not only awaited ones)."""

    def __init__(self, session: Session) -> None:
        self.count: dict[str, int] = {}
        original = session._published

        def published(params: lsp.PublishDiagnosticsParams) -> None:
            self.count[params.uri] = self.count.get(params.uri, 0) + 1
            original(params)

        session._published = published  # type: ignore[method-assign]


async def burst(session: Session, path: Path, edits: int) -> tuple[int, float]:
    counter = Counter(session)
    text = path.read_text(encoding="utf-8")
    line, col = _function_ends(text)[len(_function_ends(text)) // 2]
    uri = session.open(path, text)
    await session.diagnostics(uri, 1)
    before = counter.count.get(uri, 0)
    for step in range(edits):
        version = step + 2
        if step % 2 == 0:
            session.insert(uri, version, line, col, "x")
        else:
            position = lsp.Position(line, col)
            change = lsp.TextDocumentContentChangePartial(range=lsp.Range(position, lsp.Position(line, col + 1)), text="")
            session.pending[(uri, version)] = asyncio.get_running_loop().create_future()
            session.client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), [change])
            )
    sent = time.perf_counter()
    await session.diagnostics(uri, edits + 1, 300)
    settle = time.perf_counter() - sent
    for key in [k for k in session.pending if k[0] == uri]:
        session.pending.pop(key).cancel()
    return counter.count.get(uri, 0) - before - 1, settle


async def soak(session: Session, path: Path, edits: int) -> tuple[float, float, float]:
    text = path.read_text(encoding="utf-8")
    ends = _function_ends(text)
    uri = session.open(path, text)
    await session.diagnostics(uri, 1)
    version, done, at_1000 = 1, 0, float("nan")
    started = time.perf_counter()
    while done < edits:
        line, col = ends[(done // 12) % len(ends)]
        typed = f"  # {done}"
        for offset, char in enumerate(typed):  # type the comment, one version per character
            version += 1
            session.insert(uri, version, line, col + offset, char)
            await session.diagnostics(uri, version, 60)
            done += 1
            if done == 1000:
                at_1000 = rss_mib(session.pid)
        version += 1  # then erase it in one change
        position = lsp.Position(line, col)
        change = lsp.TextDocumentContentChangePartial(range=lsp.Range(position, lsp.Position(line, col + len(typed))), text="")
        session._expect(uri, version)
        session.client.text_document_did_change(lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), [change]))
        await session.diagnostics(uri, version, 60)
        done += 1
    per_edit = (time.perf_counter() - started) * 1000 / done
    return at_1000, rss_mib(session.pid), per_edit


async def cycles(session: Session, path: Path, count: int) -> tuple[float, float]:
    text = path.read_text(encoding="utf-8")
    first = float("nan")
    for cycle in range(count):
        uri = session.open(path, text)
        await session.diagnostics(uri, 1, 120)
        session.client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
        await asyncio.sleep(0.2)
        session.pending.pop((uri, 1), None)
        if cycle == 0:
            first = rss_mib(session.pid)
    return first, rss_mib(session.pid)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=10000)
    parser.add_argument("--cycles", type=int, default=20)
    args = parser.parse_args()
    django = sdist("django==5.2.*")
    small, large = closest_module([django], 300), closest_module([django], 5000)
    print(f"load at start: {os.getloadavg()[0]:.2f}; modules: {small.relative_to(django)}, {large.relative_to(django)}")
    # a workspace of the two modules alone: the project tier's first scan of a whole checkout
    # (memory that grows while it runs, then stays) would blur what the edits cost
    workspace = Path(tempfile.mkdtemp(prefix="reviewls-soak-"))
    small = Path(shutil.copy(small, workspace / small.name))
    large = Path(shutil.copy(large, workspace / large.name))
    await _run(args, workspace, small, large)
    shutil.rmtree(workspace, ignore_errors=True)


async def _run(args: argparse.Namespace, django: Path, small: Path, large: Path) -> None:
    async with Session("reviewls", "push", django) as session:
        intermediate, settle = await burst(session, small, args.burst)
        print(f"burst: {args.burst} edits sent at once: {intermediate} intermediate versions published, last version's diagnostics {settle * 1000:.0f} ms after the last edit")
    async with Session("reviewls", "push", django) as session:
        at_1000, end, per_edit = await soak(session, small, args.edits)
        growth = (end - at_1000) / at_1000 * 100
        print(f"soak: {args.edits} typed edits ({per_edit:.1f} ms each): RSS {at_1000:.0f} MiB after 1,000, {end:.0f} MiB at the end ({growth:+.1f}%; goal within ±10%)")
    async with Session("reviewls", "push", django) as session:
        first, last = await cycles(session, large, args.cycles)
        growth = (last - first) / first * 100
        print(f"open/close: {args.cycles} cycles of a {len(large.read_text().splitlines())}-line module: RSS {first:.0f} MiB after the first, {last:.0f} MiB after the last ({growth:+.1f}%; goal within ±10%)")
    print(f"load at end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")



if __name__ == "__main__":
    asyncio.run(main())
