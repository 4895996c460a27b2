"""Edit latency on an open file while the project tier runs, against its idle median, over LSP.

The real server (`python -m server`, stdio) gets a workspace root of >= 100k lines: a copy of
Django's `django/` package (~159k lines, as in `project_index.py`), with `preview` on (every
project rule runs). The benchmark only speaks LSP, so it measures the server whatever runs its
project tier (the engine thread, or a worker process).

1. The first project index: the server starts it in the background at `initialized`. Its end is
   the `$/progress` end of the work-done progress the server creates
   (`window/workDoneProgress/create`, answered), or, from a server that reports no progress,
   the moment its process tree (workers included) went quiet (no CPU for `--quiet` seconds).
2. A project run alone: open a ~200-line module, then append a function to a ~3,000-line file
   on disk and send didSave (the editor wrote it), `--solo` times; each run's length (progress,
   or quiet as above: a save may report no progress even when the first index does).
3. `--rounds` rounds, each an idle block then a busy block of `--edits / --rounds` keystrokes
   (alternating, so a machine whose load drifts weighs on both). A keystroke types one character
   of a comment into the open module, one version each (as `edit_latency.py` does, but at a
   typist's pace, `--pace`, so the busy keystrokes meet every phase of several project runs):
   keystroke -> publishDiagnostics of that version. Busy: the large file is saved again and
   again meanwhile, the next save as soon as the last run ended (progress) or after the median
   solo run (no progress: while typing the CPU never goes quiet); then how long the project
   tier took to finish after the block's last save.

Prints the idle and busy medians and p90, their ratio (goal <= 1.5x), how many keystrokes fell
inside a project run, the runs' lengths, the server's peak RSS, and the machine load.

    .venv/bin/python benchmarks/project_latency.py [--edits 60] [--rounds 3] [--pace 120] [--solo 3] [--no-preview] [--source PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import closest_module
from benchmarks.edit_latency import _target_line
from benchmarks.project_index import django_copy
from benchmarks.ruffcmp import Session, load, p90, peak_rss_mib, process_cpu

POLL = 0.1  # seconds between looks at the server's CPU time
ACTIVE = 0.02  # CPU seconds per poll above which the server counts as working


def process_tree(pid: int) -> list[int]:
    """`pid` and its live descendants (a project worker process, its pool)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    tree = [pid]
    for parent in tree:
        tree.extend(child for child, of in parents.items() if of == parent)
    return tree


def tree_cpu(pid: int) -> float:
    """CPU seconds of the server and its live descendants."""
    total = 0.0
    for member in process_tree(pid):
        try:
            total += process_cpu(member)
        except OSError:
            continue
    return total


class ProjectLatencySession(Session):
    """The reviewls server with a client that accepts work-done progress and records it, and
    records when project findings of unopened files (version-less publishes) arrive."""

    def __init__(self, root: Path, preview: bool) -> None:
        super().__init__("reviewls", "push", root)
        self.options = {"preview": True} if preview else None
        self.created: list[str] = []  # progress tokens the server created
        self.begun: dict[str, float] = {}  # token -> when it began
        self.ended: dict[str, float] = {}  # token -> when it ended
        self.titles: dict[str, str] = {}
        self.project_publishes: list[float] = []
        # pygls tags the handler with attributes: functions, not bound methods
        self.client.feature(lsp.WINDOW_WORK_DONE_PROGRESS_CREATE)(lambda params: self._create(params))
        self.client.feature(lsp.PROGRESS)(lambda params: self._progress(params))
        initialize = self.client.initialize_async

        async def with_progress(params: lsp.InitializeParams) -> Any:
            # ruffcmp's Session sends no window capabilities: this client says it shows progress
            params.capabilities.window = lsp.WindowClientCapabilities(work_done_progress=True)
            return await initialize(params)

        self.client.initialize_async = with_progress  # type: ignore[method-assign]

    def _create(self, params: lsp.WorkDoneProgressCreateParams) -> None:
        self.created.append(str(params.token))

    def _progress(self, params: lsp.ProgressParams) -> None:
        value = params.value
        kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
        token = str(params.token)
        if kind == "begin":
            self.begun[token] = time.perf_counter()
            title = value.get("title") if isinstance(value, dict) else getattr(value, "title", "")
            self.titles[token] = str(title or "")
        elif kind == "end":
            self.ended[token] = time.perf_counter()

    def _published(self, params: lsp.PublishDiagnosticsParams) -> None:
        if params.version is None:
            self.project_publishes.append(time.perf_counter())
        super()._published(params)

    def running(self) -> bool:
        """A progress the server began and has not ended."""
        return any(token not in self.ended for token in self.begun)

    def tree_cpu(self) -> float:
        return tree_cpu(self.pid)

    def peak_rss(self) -> str:
        """Peak RSS (VmHWM) of the server and of each live descendant, in MiB."""
        sizes = [peak_rss_mib(pid) for pid in process_tree(self.pid)]
        return " + ".join(f"{size:.0f}" for size in sizes if not math.isnan(size))


async def settle(session: ProjectLatencySession, since: float, quiet: float, timeout: float = 900) -> tuple[float, str]:
    """Wait until the project run begun after `since` ended; (when it ended, how that was seen).

    With progress: the end of every progress begun after `since` (and none running). Without:
    the last moment the server's process tree used CPU, once it was idle for `quiet` seconds.
    """
    last_cpu, last_active = session.tree_cpu(), time.perf_counter()
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        await asyncio.sleep(POLL)
        now, cpu = time.perf_counter(), session.tree_cpu()
        if cpu - last_cpu >= ACTIVE:
            last_active = now
        last_cpu = cpu
        fresh = [token for token, begun in session.begun.items() if begun >= since]
        if fresh and not session.running():
            return max(session.ended[token] for token in fresh), "progress"
        if not fresh and not session.running() and now - last_active >= quiet and now - since >= quiet:
            return last_active, "quiet"  # a server that reports no progress (for this run: a save may not)
    raise TimeoutError(f"the project tier did not finish within {timeout:.0f} s")


class Typist:
    """Types a comment into one open module, one character per version, timing each round trip."""

    def __init__(self, session: ProjectLatencySession, path: Path) -> None:
        self.session = session
        self.text = path.read_text(encoding="utf-8")
        self.line, self.col = _target_line(self.text)
        self.uri = session.open(path, self.text)
        self.version = 1
        self.typed = 0

    async def opened(self) -> None:
        await self.session.diagnostics(self.uri, 1)

    async def keystrokes(self, count: int, pace: float) -> list[tuple[float, float]]:
        """(start, ms) of each keystroke -> diagnostics of its version; a keystroke every `pace`
        seconds at most (a typist's pace: the keystrokes meet every part of the project runs)."""
        out: list[tuple[float, float]] = []
        for _ in range(count):
            if out:
                await asyncio.sleep(max(0.0, out[-1][0] + pace - time.perf_counter()))
            self.version += 1
            start = time.perf_counter()
            self.session.insert(self.uri, self.version, self.line, self.col + self.typed, "x" if self.typed % 7 else " ")
            self.typed += 1
            await self.session.diagnostics(self.uri, self.version, 300)
            out.append((start, (time.perf_counter() - start) * 1000))
        return out


class Saver:
    """Saves a large project file: appends a new function on disk, then didSave."""

    def __init__(self, session: ProjectLatencySession, path: Path) -> None:
        self.session = session
        self.path = path
        self.original = path.read_text(encoding="utf-8")
        self.count = 0
        self.sent: list[float] = []

    def save(self) -> float:
        self.count += 1
        text = f"{self.original}\n\ndef _reviewls_benchmark_{self.count}(value):\n    return value + {self.count}\n"
        self.path.write_text(text, encoding="utf-8")
        sent = time.perf_counter()
        self.session.client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(self.path.as_uri())))
        self.sent.append(sent)
        return sent


def inside(start: float, intervals: list[tuple[float, float]]) -> bool:
    return any(begin <= start <= end for begin, end in intervals)


def stats(label: str, timings: list[float]) -> str:
    return f"{label}: median {statistics.median(timings):7.1f} ms   p90 {p90(timings):7.1f} ms   max {max(timings):7.1f} ms   ({len(timings)} keystrokes)"


async def busy_block(session: ProjectLatencySession, typist: Typist, saver: Saver, args: argparse.Namespace, solo: float, progress: bool) -> tuple[list[tuple[float, float]], list[tuple[float, float]], float]:
    """Keystrokes while the project tier re-indexes after save upon save: the next save as soon
    as the last run ended (`progress`) or after the median solo run. (start, ms) of each
    keystroke, (save sent, run ended) of each run, and when the tier finished after the last save."""
    typing = True
    runs: list[tuple[float, float]] = []

    async def keep_saving() -> None:
        while typing:
            sent = saver.save()
            if progress:
                end, _ = await settle(session, sent, args.quiet)
                runs.append((sent, end))
            else:
                await asyncio.sleep(solo)  # about one run: the tier stays busy without a pile-up
                runs.append((sent, sent + solo))  # estimated: while typing the CPU never goes quiet

    saving = asyncio.ensure_future(keep_saving())
    await asyncio.sleep(0.05)  # the first save is on its way
    timed = await typist.keystrokes(args.edits // args.rounds, args.pace / 1000)
    typing = False
    await saving
    last = saver.sent[-1]
    end, _ = await settle(session, last, args.quiet)
    return timed, runs, end - last


async def measure(args: argparse.Namespace, root: Path) -> None:
    small = closest_module([root], 200)
    large = closest_module([root], 3000)
    lines = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in (small, large)}
    print(f"typing in {small.relative_to(root)} ({lines[small]} lines), saving {large.relative_to(root)} ({lines[large]:,} lines)")
    async with ProjectLatencySession(root, not args.no_preview) as session:
        started = time.perf_counter()
        ended, seen = await settle(session, started, args.quiet)
        index = ended - started
        print(f"first project index: {index:.1f} s after initialized (end seen by {seen}); "
              f"{len(session.project_publishes)} publishes of project findings; server peak RSS {session.peak_rss()} MiB")
        if session.created:
            print(f"progress: {len(session.created)} tokens created; titles: {sorted(set(session.titles.values()))}")
        typist = Typist(session, small)
        await typist.opened()
        saver = Saver(session, large)
        solo: list[float] = []
        seen_by: set[str] = set()
        for _ in range(args.solo):
            sent = saver.save()
            end, seen = await settle(session, sent, args.quiet)
            solo.append(end - sent)
            seen_by.add(seen)
        # while typing the server's CPU never goes quiet: only progress tells when a run ended
        progress = seen_by == {"progress"}
        print(f"project run after one save, alone: median {statistics.median(solo):.2f} s over {len(solo)} saves "
              f"(end seen by {', '.join(sorted(seen_by))}): " + ", ".join(f"{s:.2f}" for s in solo))
        # idle and busy blocks alternate, so a machine whose load drifts weighs on both
        idle: list[float] = []
        busy_timed: list[tuple[float, float]] = []
        runs: list[tuple[float, float]] = []
        finished: list[float] = []
        ratios: list[float] = []
        for _ in range(args.rounds):
            idle_block = [ms for _, ms in await typist.keystrokes(args.edits // args.rounds, args.pace / 1000)]
            timed, block_runs, finish = await busy_block(session, typist, saver, args, statistics.median(solo), progress)
            idle += idle_block
            busy_timed += timed
            runs += block_runs
            finished.append(finish)
            ratios.append(statistics.median(ms for _, ms in timed) / statistics.median(idle_block))
        busy = [ms for _, ms in busy_timed]
        overlapping = [ms for start, ms in busy_timed if inside(start, runs)]
        print(stats("idle", idle))
        print(stats("busy", busy))
        print(f"{len(runs)} saves while typing; the project tier finished {statistics.median(finished):.2f} s (median; "
              f"max {max(finished):.2f}) after the last save of a block; server peak RSS {session.peak_rss()} MiB")
        print("\n| measure | idle | busy | busy / idle | goal |\n| --- | ---: | ---: | ---: | --- |")
        print(f"| keystroke -> diagnostics, median ms | {statistics.median(idle):.1f} | {statistics.median(busy):.1f} | "
              f"{statistics.median(busy) / statistics.median(idle):.2f}x | ≤ 1.5x |")
        print(f"| ... median of the {args.rounds} rounds' ratios | | | {statistics.median(ratios):.2f}x | |")
        print(f"| keystroke -> diagnostics, p90 ms | {p90(idle):.1f} | {p90(busy):.1f} | {p90(busy) / p90(idle):.2f}x | |")
        print(f"| keystroke -> diagnostics, max ms | {max(idle):.1f} | {max(busy):.1f} | | |")
        if overlapping and len(overlapping) < len(busy):
            print(f"| keystrokes inside a project run, median ms | | {statistics.median(overlapping):.1f} | "
                  f"{statistics.median(overlapping) / statistics.median(idle):.2f}x | |")
        during = f"{statistics.median([e - s for s, e in runs]):.2f}" if progress and runs else "-"
        print(f"| project run after one save, s | {statistics.median(solo):.2f} | {during} | | |")
        print(f"\nfirst index {index:.1f} s; {len(overlapping)} of {len(busy)} busy keystrokes started inside a project run "
              f"({'by progress' if progress else 'estimated: the median solo run from each save'}); {args.rounds} rounds of "
              f"{args.edits // args.rounds} idle then {args.edits // args.rounds} busy keystrokes, one every {args.pace:.0f} ms at most")
        saver.path.write_text(saver.original, encoding="utf-8")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=60, help="keystrokes idle, and as many while busy (default 60)")
    parser.add_argument("--pace", type=float, default=120, help="ms from one keystroke to the next, at least (default 120: ~8 characters a second)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating idle and busy blocks (default 3)")
    parser.add_argument("--solo", type=int, default=3, help="saves timed alone, without typing (default 3)")
    parser.add_argument("--quiet", type=float, default=1.5, help="seconds without server CPU that end a run when it reports no progress (default 1.5)")
    parser.add_argument("--no-preview", action="store_true", help="default rules only (default: preview on, every project rule)")
    parser.add_argument("--source", type=Path, help="the code base to copy (default: django/ from the Django 5.2 sdist)")
    args = parser.parse_args()
    print(f"start: {load()}")
    with tempfile.TemporaryDirectory(prefix="reviewls-latency-") as folder:
        root = django_copy(Path(folder) / "project", args.source)
        await measure(args, root)
    print(f"end: {load()}")


if __name__ == "__main__":
    asyncio.run(main())
