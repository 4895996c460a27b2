"""The server's side of the project tier: runs sent to the project worker, its progress shown
as LSP work-done progress, its findings published for every file they concern.

The project worker (`server/projectworker.py`) keeps the project index in another process, so
a keystroke never waits for it. Every save, watched-file change or configuration change sends
a run; a newer run cancels an older one in the worker. The findings of the last finished run
are kept per URI (`ReviewServer.project_findings`): open documents show them with their own
findings; files that are not open get them pushed (`publishDiagnostics`) or, for clients that
pull the workspace's diagnostics, through `workspace/diagnostic` — and both are cleared when a
later run no longer finds them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from server.engine import Diagnostic
from server.lsp.convert import diagnostic
from server.lsp.settings import uri_to_path
from server.projectworker import Abandoned, Change, Progress, ProjectWorker, Result, Run

if TYPE_CHECKING:
    from server.lsp.session import ReviewServer

logger = logging.getLogger(__name__)

MAX_RESTARTS = 3  # a worker that keeps dying (a file that crashes the interpreter) is given up


class ProjectRuns:
    def __init__(self, ls: ReviewServer) -> None:
        self.ls = ls
        self.worker: ProjectWorker | None = None
        self.run_id = 0
        self.sent_config: object = None
        self.waiters: dict[int, asyncio.Future[None]] = {}
        self.tokens: dict[int, _ProgressBar] = {}
        self.restarts = 0
        self.given_up = False
        self.last: Result | None = None  # the last finished run's answer
        self.files = 0  # files in the index after the last run
        self.pulled: set[str] = set()  # URIs given findings in the last workspace/diagnostic answer
        self.workspace_pull = False  # the client asked for workspace/diagnostic: it gets unopened files' findings there
        self.pushed: set[str] = set()  # URIs pushed to a pulling client before it pulled the workspace
        self.unpublished: set[str] = set()  # URIs whose project findings changed and are not published yet

    async def run(self, changes: Sequence[Change] = (), *, rescan: bool = False) -> None:
        """Send a run and wait until it finished, or a newer run superseded it."""
        ls = self.ls
        if self.given_up or ls.stopping or not ls.has_root:
            return  # no workspace folder (a single file): no project to index
        loop = asyncio.get_running_loop()
        if self.worker is None:
            self.worker = ProjectWorker(ls.root, self._from_worker, self._worker_exited)
        self.run_id += 1
        run_id = self.run_id
        config = ls.engine_config
        fresh = config != self.sent_config
        self.sent_config = config
        waiter: asyncio.Future[None] = loop.create_future()
        self.waiters[run_id] = waiter
        self.worker.send(Run(run_id, config if fresh else None, tuple(changes), rescan=rescan))
        await waiter

    def stop(self) -> None:
        for run_id in list(self.tokens):
            self.tokens.pop(run_id).end("stopped")
        if self.worker is not None:
            self.worker.stop()
        for waiter in self.waiters.values():
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()

    # -- answers from the worker (reader thread -> event loop) ---------------------------
    def _from_worker(self, message: object) -> None:
        loop = self.ls.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._handle(message)))

    def _worker_exited(self) -> None:
        loop = self.ls.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._restart)

    def _restart(self) -> None:
        for run_id in list(self.tokens):
            self.tokens.pop(run_id).end("stopped")
        self._release(self.run_id)
        if self.ls.stopping:
            return
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            self.given_up = True
            self.ls.log_to_client(
                lsp.MessageType.Error,
                "reviewls: the project index stopped unexpectedly several times; cross-file findings are off until restart",
            )
            return
        self.sent_config = None  # a new worker: send everything again
        asyncio.ensure_future(self.run(rescan=True))

    async def _handle(self, message: object) -> None:
        if isinstance(message, Progress):
            self._progress(message)
        elif isinstance(message, Abandoned):
            bar = self.tokens.pop(message.run_id, None)
            if bar is not None:
                bar.end("superseded by a newer save")
            self._release(message.run_id)
        elif isinstance(message, Result):
            bar = self.tokens.pop(message.run_id, None)
            try:
                await self._apply(message)
            finally:
                if bar is not None:
                    bar.end(f"{message.files} files indexed")
                self._release(message.run_id)

    def _release(self, run_id: int) -> None:
        """Wake the callers of this run and of the older ones (the worker answers in order)."""
        for known in [r for r in self.waiters if r <= run_id]:
            waiter = self.waiters.pop(known)
            if not waiter.done():
                waiter.set_result(None)

    def _progress(self, message: Progress) -> None:
        bar = self.tokens.get(message.run_id)
        if bar is None:
            window = self.ls.client_capabilities.window
            if not (window and window.work_done_progress) or message.done >= message.total:
                return
            bar = self.tokens[message.run_id] = _ProgressBar(self.ls, f"reviewls/index/{message.run_id}", message.total)
        bar.report(message.done)

    async def _apply(self, result: Result) -> None:
        ls = self.ls
        self.last = result
        self.files = result.files
        self.restarts = 0  # a worker that finishes runs is healthy: only deaths in a row count
        if result.settings is not None:
            ls.adopt_settings(*result.settings)
        pairs = await ls.in_engine(ls.engine.adopt_project, result.findings, background=True)
        if result.crashes:
            ls.report_crashes(result.crashes)
        grouped: dict[str, list[Diagnostic]] = {}
        for path, finding in pairs:
            grouped.setdefault((ls.root / path).as_uri(), []).append(finding)
        changed = {uri for uri in set(grouped) | set(ls.project_findings) if grouped.get(uri) != ls.project_findings.get(uri)}
        changed |= self.unpublished  # what an older run had no time to publish before this one arrived
        self.unpublished = set(changed)
        ls.project_findings = grouped
        if not changed:
            return
        if not ls.settings.enable:
            self.unpublished.clear()
            return  # kept for when it is enabled again, shown nowhere meanwhile
        for uri in changed:
            if ls.store.get(uri) is not None:
                self.unpublished.discard(uri)
                ls.latest.pop(uri, None)  # a new analysis: pushed now, or a new result id for the next pull
                if not ls.pull:
                    ls.schedule(uri)
            elif ls.pull and self.workspace_pull:
                self.unpublished.discard(uri)  # the workspace pull answers from `project_findings`
            else:
                # a file that is not open: pushed, unless this client pulls the workspace's diagnostics
                if ls.pull:
                    self.pushed.add(uri)  # cleared once the client pulls the workspace (its own collection)
                # the file is read off the event loop: a first run may publish hundreds of files
                lines = await asyncio.to_thread(ls.file_lines, Path(uri_to_path(uri)))
                if ls.project_findings is not grouped:
                    return  # a newer run's findings arrived meanwhile: it publishes what is left
                self.unpublished.discard(uri)
                codec = ls.codec()
                ls.publish(uri, None, [diagnostic(codec, lines, f, None, uri, ls.related_lines) for f in grouped.get(uri, [])])
        if ls.pull and ls.refreshes_diagnostics():
            ls.workspace_diagnostic_refresh(None)  # open documents are pulled again, and the workspace


class _ProgressBar:
    """One run's work-done progress: created, begun, reported, ended — in that order, whatever
    the order the worker's messages and the client's answer arrive in."""

    def __init__(self, ls: ReviewServer, token: str, total: int) -> None:
        self.ls = ls
        self.token = token
        self.total = max(total, 1)
        self.ready = False
        self.ended: str | None = None
        self.done = 0
        asyncio.ensure_future(self._create())

    async def _create(self) -> None:
        try:
            await self.ls.work_done_progress.create_async(self.token)
        except Exception:  # isolation point: a client that refuses progress still gets the findings
            logger.debug("the client refused the progress token %s", self.token, exc_info=True)
            return
        self.ls.work_done_progress.begin(
            self.token,
            lsp.WorkDoneProgressBegin(title="reviewls: indexing the project", message=f"0/{self.total} files", percentage=0, cancellable=False),
        )
        self.ready = True
        if self.ended is not None:
            self._end()
        elif self.done:
            self.report(self.done)

    def report(self, done: int) -> None:
        self.done = done
        if self.ready and self.ended is None:
            self.ls.work_done_progress.report(
                self.token, lsp.WorkDoneProgressReport(message=f"{done}/{self.total} files", percentage=min(100, done * 100 // self.total))
            )

    def end(self, message: str) -> None:
        self.ended = message
        if self.ready:
            self._end()

    def _end(self) -> None:
        self.ls.work_done_progress.end(self.token, lsp.WorkDoneProgressEnd(message=self.ended))
