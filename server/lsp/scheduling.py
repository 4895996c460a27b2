"""When work runs: the one engine thread, the order jobs get it, one task per document.

The engine's caches are single-threaded, so every analysis, fix and project scan runs on one
thread, one job at a time (`EngineThread`), in the order `Turns` gives: the newest foreground
request first, background work (the project tier) only when nothing else waits. Each open
document has at most one analysis task (`DocumentTasks`): a newer version cancels the older
one before it is analysed (latest version wins), and a result is published only if the
document still has the version it was computed for.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from server.engine.limits import THREAD_STACK_BYTES

T = TypeVar("T")

INLINE_LINES = 1500  # documents analysed on the event loop when the engine thread is idle...
INLINE_CHARS = 200_000  # ...and not longer than this (a 10 MB one-line file is one line)
_INLINE_SLOW = 0.02  # seconds: an inline analysis this long held the loop up


class Turns:
    """The order work gets the engine thread in: one job at a time, the newest foreground request
    first (200 files opened at once: the last one, on screen, is analysed first), background work
    only when nothing else waits."""

    def __init__(self) -> None:
        self.busy = False
        self.foreground: list[asyncio.Future[None]] = []
        self.background: list[asyncio.Future[None]] = []

    async def acquire(self, background: bool) -> None:
        if not self.busy:
            self.busy = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self.background if background else self.foreground).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the turn was handed over just as the task was cancelled: pass it on
            raise

    def release(self) -> None:
        while self.foreground or self.background:
            waiter = self.foreground.pop() if self.foreground else self.background.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return
        self.busy = False


class EngineThread:
    """The engine's one thread, with the turns its jobs take."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="reviewls-engine")
        # libcst's native parser takes about 6.5 KB of C stack per nested bracket: a thread of
        # the platform default (512 KB on macOS) dies at ~75; the engine's thread gets 16 MB
        previous = threading.stack_size(THREAD_STACK_BYTES)
        try:
            self.executor.submit(int).result()  # the pool's one thread starts now, with that stack
        finally:
            threading.stack_size(previous)
        self.turns = Turns()
        self.submitted = 0  # jobs queued with `submit`, not yet done
        self._submitted_lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: object, background: bool = False, inline: bool = False) -> T:
        """Run engine work on the engine thread (its caches are single-threaded).

        Waiting work goes newest first (the file just opened or typed in is the one on screen),
        and `background` work (the project tier) only when no foreground request waits. `inline`
        work (a small document's analysis, under a millisecond) runs on the event loop itself
        when the engine thread has nothing queued: the hop to the thread and back cost more.
        """
        await self.turns.acquire(background)
        if inline and not self.submitted:
            started = time.perf_counter()
            try:
                result = fn(*args)  # small and nothing queued on the thread: skip the thread hop
            finally:
                self.turns.release()
            if time.perf_counter() - started > _INLINE_SLOW:
                # the loop was blocked: let the messages that came meanwhile (a newer version) in
                # before the caller decides whether this result is still current
                await asyncio.sleep(_INLINE_SLOW)
            return result
        job = asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)
        try:
            result = await asyncio.shield(job)
        except asyncio.CancelledError:
            # the caller gave up, the thread did not: the next job waits until it is really free
            job.add_done_callback(lambda _: self.turns.release())
            raise
        self.turns.release()
        return result

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        """Queue work on the engine thread without waiting (configuration changes, in order)."""
        with self._submitted_lock:
            self.submitted += 1
        future = self.executor.submit(fn, *args)

        def done(_: object) -> None:
            with self._submitted_lock:
                self.submitted -= 1

        future.add_done_callback(done)

    def shutdown(self) -> None:
        """Let queued jobs go: the running one finishes, the rest never start."""
        self.executor.shutdown(wait=False, cancel_futures=True)


class DocumentTasks:
    """At most one analysis task per document; scheduling a newer one cancels the older."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def restart(self, uri: str, work: Coroutine[Any, Any, None]) -> None:
        self.cancel(uri)
        self._tasks[uri] = asyncio.ensure_future(work)

    def cancel(self, uri: str) -> None:
        task = self._tasks.pop(uri, None)
        if task is not None and not task.done():
            task.cancel()

    def cancel_all(self) -> None:
        for uri in list(self._tasks):
            self.cancel(uri)
