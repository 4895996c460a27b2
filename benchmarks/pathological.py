"""Pathological input through a real LSP client over stdio (issue #13 items 1-3).

For each input, in a fresh server whose workspace holds a small module (`small.py`, one finding)
and the input (`input.py`):

- hover latency: `small.py` is opened and analysed, then `input.py` is opened and a hover on
  `small.py`'s finding is sent every 10 ms (at least --hovers of them) until `input.py`'s
  diagnostics arrive: median, p90 and max milliseconds (the goal: under 50 ms throughout);
- open: milliseconds from didOpen of `input.py` to its diagnostics, and what they say;
- edit: milliseconds from one incremental didChange at the end of `input.py` to its diagnostics;
- shutdown: in another fresh server, milliseconds from the `shutdown` request sent 50 ms after
  didOpen of `input.py` to its answer (the server must not outlive its editor).

A server that dies (before the limits of `server/engine/limits.py`: SIGSEGV on deep brackets) is
reported as such. The inputs: 1,500 nested brackets (item 1); `x = 1+1+...` with 4,000, 6,000 and
20,000 terms and `f(f(...))` 1,000 deep (item 2); a 10 MB single line and a 166k-line module
(item 3); and, for comparison, the largest module of Django's `django/` (legitimate code).

    .venv/bin/python benchmarks/pathological.py [--hovers 20] [--only NAME,...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types as lsp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import python_files, sdist
from benchmarks.ruffcmp import Session, load, p90

SMALL = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
HOVER_AT = lsp.Position(4, 16)  # on `requests.get`: RV301's documentation
GOAL_MS = 50.0


def _largest_django_module() -> str:
    files = python_files(sdist("django==5.2.*") / "django")
    return max(files, key=lambda p: p.stat().st_size).read_text(encoding="utf-8")


INPUTS: dict[str, Callable[[], str]] = {
    "brackets-1500": lambda: "x = " + "(" * 1500 + "1" + ")" * 1500 + "\n",
    "sum-4000": lambda: "x = " + "+".join(["1"] * 4000) + "\n",
    "sum-6000": lambda: "x = " + "+".join(["1"] * 6000) + "\n",
    "sum-20000": lambda: "x = " + "+".join(["1"] * 20000) + "\n",
    "calls-1000": lambda: "x = " + "f(" * 1000 + "1" + ")" * 1000 + "\n",
    "line-10MB": lambda: "x = [" + ", ".join(["1"] * 3_300_000) + "]\n",
    "lines-166k": lambda: "".join(f"x{i} = {i}\n" for i in range(166_000)),
    "django-largest": _largest_django_module,
}


def _alive(session: Session) -> bool:
    server = session.client._server
    return server is not None and server.returncode is None


async def _hover(session: Session, uri: str) -> float:
    start = time.perf_counter()
    params = lsp.HoverParams(lsp.TextDocumentIdentifier(uri), HOVER_AT)
    await asyncio.wait_for(session.client.text_document_hover_async(params), 120)
    return (time.perf_counter() - start) * 1000


async def measure(name: str, text: str, hovers: int) -> dict[str, object]:
    """Hover latencies while `input.py` is analysed, its open and edit times, and the count of its diagnostics."""
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "small.py").write_text(SMALL)
        (root / "input.py").write_text(text)
        session = Session("reviewls", "push", root)
        await session.__aenter__()
        try:
            small = session.open(root / "small.py", SMALL)
            await session.diagnostics(small, 1)
            await _hover(session, small)  # the first hover pays its one-time costs
            start = time.perf_counter()
            uri = session.open(root / "input.py", text)
            published = asyncio.ensure_future(session.diagnostics(uri, 1, 600))
            arrived: list[float] = []
            published.add_done_callback(lambda _: arrived.append(time.perf_counter()))
            latencies: list[float] = []
            while (not published.done() or len(latencies) < hovers) and _alive(session):
                try:
                    latencies.append(await _hover(session, small))
                except Exception:  # the server died under the client
                    break
                await asyncio.sleep(0.01)
            try:
                count = await published
                out["open ms"] = (arrived[0] - start) * 1000
                out["diagnostics"] = count
            except Exception:
                out["open ms"] = None
            out["hover ms"] = latencies
            if _alive(session) and out["open ms"] is not None:
                lines = text.split("\n")
                last = len(lines) - 2 if len(lines) > 1 else 0
                start = time.perf_counter()
                session.insert(uri, 2, last, len(lines[last]), "  # edited")
                await session.diagnostics(uri, 2, 600)
                out["edit ms"] = (time.perf_counter() - start) * 1000
            out["alive"] = _alive(session)
            out["peak MiB"] = session.peak_rss_mib() if _alive(session) else None
        finally:
            if _alive(session):
                await session.__aexit__(None, None, None)
            else:
                await session.client.stop()
    out["shutdown ms"] = await shutdown_latency(text)
    return out


async def shutdown_latency(text: str) -> float | None:
    """Milliseconds from `shutdown` (sent 50 ms after didOpen of the input) to its answer; None if the server died."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "input.py").write_text(text)
        session = Session("reviewls", "push", root)
        await session.__aenter__()
        session.open(root / "input.py", text)
        await asyncio.sleep(0.05)
        if not _alive(session):
            await session.client.stop()
            return None
        start = time.perf_counter()
        try:
            await asyncio.wait_for(session.client.shutdown_async(None), 600)
        except Exception:
            await session.client.stop()
            return None
        elapsed = (time.perf_counter() - start) * 1000
        session.client.exit(None)
        await session.client.stop()
        return elapsed


def _ms(value: object) -> str:
    return f"{value:,.0f}" if isinstance(value, float) else "-"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hovers", type=int, default=20, help="hovers at least per input (default 20)")
    parser.add_argument("--only", default="", help="comma-separated input names (default: all)")
    args = parser.parse_args()
    names = [n for n in INPUTS if not args.only or n in args.only.split(",")]
    print(f"start: {load()}")
    rows = ["| input | hover median ms | hover p90 ms | hover max ms | hovers | open ms | edit ms | shutdown ms | diagnostics | peak MiB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in names:
        text = INPUTS[name]()
        result = await measure(name, text, args.hovers)
        hovers = result["hover ms"]
        assert isinstance(hovers, list)
        cells = [statistics.median(hovers), p90(hovers), max(hovers)] if hovers else [None, None, None]
        died = "" if result["alive"] else " (server died)"
        peak = result.get("peak MiB")
        rows.append(
            f"| {name}{died} | {' | '.join(_ms(c) for c in cells)} | {len(hovers)} | {_ms(result.get('open ms'))} | "
            f"{_ms(result.get('edit ms'))} | {_ms(result.get('shutdown ms'))} | {result.get('diagnostics', '-')} | "
            f"{f'{peak:,.0f}' if isinstance(peak, float) else '-'} |"
        )
        print(rows[-1], flush=True)
    print("\n" + "\n".join(rows))
    print(f"\ngoal: hover under {GOAL_MS:.0f} ms while another document is analysed; end: {load()}")


if __name__ == "__main__":
    asyncio.run(main())
