"""The server's session: open documents, settings and configuration, the engine, the latest
analysis of each document and the project findings, and how results reach the client.

Handlers (`server/lsp/handlers/`) translate protocol to calls on this object; *when* work
runs is `scheduling.py`'s business, the wire is `transport.py`'s and the lifecycle rules are
`protocol.py`'s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

from lsprotocol import types as lsp
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.workspace.position_codec import PositionCodec

from server import __version__
from server.batch import iter_files
from server.config import Config, ConfigError, find_config_file, load_config
from server.documents import DocumentStore
from server.fsio import ReadError, read_source
from server.locate import split_lines
from server.engine import Analysis, Diagnostic, Engine, RuleCrash, Snapshot
from server.engine.model import Cancelled
from server.lsp.convert import diagnostic
from server.lsp.protocol import ReviewProtocol
from server.lsp.scheduling import INLINE_CHARS, INLINE_LINES, DocumentTasks, EngineThread
from server.lsp.settings import EditorSettings, uri_to_path
from server.lsp.transport import read_messages, reader_for
from server.lsp.projectruns import ProjectRuns
from server.project import is_settings_module
from server.projectsession import settings_config
from server.projectworker import Change

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ClientLogHandler(logging.Handler):
    """Forwards WARNING+ (everything when verbose) to window/logMessage, from any thread."""

    def __init__(self, server: ReviewServer) -> None:
        super().__init__(logging.WARNING)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "reviewls_crash", False):
            return  # rule crashes are reported once per (rule, file) by the server itself
        kind = lsp.MessageType.Error if record.levelno >= logging.ERROR else (
            lsp.MessageType.Warning if record.levelno >= logging.WARNING else lsp.MessageType.Log
        )
        self.server.log_to_client(kind, self.format(record))


class ReviewServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("reviewls", __version__, protocol_cls=ReviewProtocol)
        self.store = DocumentStore()
        self.engine = Engine()
        self.engine_thread = EngineThread()
        self.settings = EditorSettings()
        self.file_config = Config()
        self.engine_config = Config()
        self.root: Path = Path.cwd()
        self.has_root = False  # the client named a workspace folder (else no project tier)
        self.pull = False
        self.latest: dict[str, tuple[Snapshot, Analysis]] = {}
        self.tasks = DocumentTasks()
        self.stopping = False  # `shutdown` received: analyses stop between blocks
        self.reported_crashes: set[tuple[str, str]] = set()
        self.projects = ProjectRuns(self)
        self.decided_settings: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self.project_findings: dict[str, list[Diagnostic]] = {}  # uri -> save-tier findings
        self.loop: asyncio.AbstractEventLoop | None = None
        self.log_handler = ClientLogHandler(self)
        self.log_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    # -- plumbing ------------------------------------------------------------------------
    def _start_io_async(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve stdio with our read loop (`transport.read_messages`) until end of input or `exit`."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(read_messages(self._stop_event, reader_for(stdin or sys.stdin.buffer), self.review_protocol))
        except BrokenPipeError:
            logger.error("connection to the client lost; shutting down")
        except KeyboardInterrupt:
            pass
        finally:
            self.tasks.cancel_all()
            self.engine_thread.shutdown()
            self.projects.stop()
            self.shutdown()  # type: ignore[no-untyped-call]

    @property
    def review_protocol(self) -> ReviewProtocol:
        assert isinstance(self.protocol, ReviewProtocol)
        return self.protocol

    @property
    def exit_code(self) -> int:
        """0 after `shutdown` then `exit` (or end of input), 1 for `exit` without `shutdown`."""
        return self.review_protocol.exit_code or 0

    def report_server_error(self, error: Exception, source: object) -> None:
        """Log protocol-level errors instead of popping a message per error (pygls' default)."""
        logger.error("server error (%s): %s", getattr(source, "__name__", source), error)

    def log_to_client(self, kind: lsp.MessageType, message: str) -> None:
        params = lsp.LogMessageParams(type=kind, message=message)
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.window_log_message(params)
        else:
            loop.call_soon_threadsafe(self.window_log_message, params)

    async def in_engine(self, fn: Callable[..., T], *args: object, background: bool = False, inline: bool = False) -> T:
        """Run engine work on the engine thread (see `scheduling.EngineThread.run`)."""
        return await self.engine_thread.run(fn, *args, background=background, inline=inline)

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        """Queue work on the engine thread without waiting (configuration changes, in order)."""
        self.engine_thread.submit(fn, *args)

    def codec(self) -> PositionCodec:
        return self.workspace.position_codec

    # -- configuration -------------------------------------------------------------------
    def load_file_config(self) -> None:
        """Read the project's config; on error keep the last good one and tell the user."""
        try:
            self.file_config = load_config(find_config_file(self.root))
        except ConfigError as exc:
            logger.warning("invalid configuration, keeping the previous one: %s", exc)
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error, f"reviewls: invalid configuration: {exc}"))
        self.apply_config()

    def apply_config(self) -> None:
        config = self.file_config
        if self.settings.config:
            try:
                config = config.merged(self.settings.config, "editor settings")
            except ConfigError as exc:
                logger.warning("invalid editor settings ignored: %s", exc)
                self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error, f"reviewls: invalid setting: {exc}"))
        if self.decided_settings is not None:  # the project worker's decision over the whole workspace
            config = dataclasses.replace(config, settings_modules=self.decided_settings[0], project_settings=self.decided_settings[1])
        else:  # a quick look until then: the entry points and settings modules of the top folders
            candidates = [p for pattern in ("*", "*/*.py") for p in self.root.glob(pattern) if p.is_file()]
            nearby = [p for pattern in ("*.py", "*/*.py", "*/*/*.py") for p in self.root.glob(pattern)]
            config = settings_config(self.root, config, candidates, [p for p in nearby if is_settings_module(p)])
        self.engine_config = config
        self.submit(self.engine.set_config, config)
        level = logging.DEBUG if self.settings.log_level == "debug" else logging.WARNING
        self.log_handler.setLevel(level)

    def adopt_settings(self, modules: tuple[str, ...], configured: tuple[str, ...]) -> None:
        """The project worker decided which modules are the project's settings and what they
        configure, over the whole workspace (as `--check` does): when that differs from the quick
        look at start, the engine takes it and open documents are analysed again."""
        self.decided_settings = (modules, configured)
        config = self.engine_config
        if (config.settings_modules, config.project_settings) == (modules, configured):
            return
        self.engine_config = dataclasses.replace(config, settings_modules=modules, project_settings=configured)
        self.submit(self.engine.set_config, self.engine_config)
        self.refresh_all()

    def refreshes_diagnostics(self) -> bool:
        """Does the client accept `workspace/diagnostic/refresh`?"""
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)

    def config_changed(self) -> None:
        """The configuration changed (file or editor settings, already applied): analyse the open
        documents again, and let the project worker run with it (other rules, exclusions...)."""
        self.refresh_all()
        if self.loop is not None:
            asyncio.ensure_future(self.projects.run())

    def refresh_all(self) -> None:
        self.latest.clear()
        if self.pull:
            if self.refreshes_diagnostics():
                self.workspace_diagnostic_refresh(None)
            return
        for uri in self.store.uris():
            self.schedule(uri)

    # -- analysis ------------------------------------------------------------------------
    def schedule(self, uri: str) -> None:
        """(Re)start the document's analysis task: a newer version cancels the older one."""
        self.tasks.restart(uri, self._analyze_and_publish(uri))

    async def analysis_for(self, uri: str) -> tuple[Snapshot, Analysis] | None:
        """The analysis of the document's current version (computed if needed).

        The engine is told to stop between blocks once the document has a newer version (that
        one is analysed instead) or the server is shutting down (None): a long analysis never
        holds the engine for a version nobody will see.
        """
        while True:
            snapshot = self.store.snapshot(uri)
            if snapshot is None or self.stopping:
                return None
            latest = self.latest.get(uri)
            if latest is not None and latest[0].version == snapshot.version and latest[0].lines == snapshot.lines:
                return latest
            try:
                analysis = await self.in_engine(
                    self.engine.analyze, snapshot, self._stale(uri, snapshot.version), inline=_small(snapshot)
                )
            except Cancelled:
                logger.debug("analysis of %s version %s stopped: superseded", uri, snapshot.version)
                continue
            break
        latest = self.latest.get(uri)
        if latest is not None and latest[0].version == snapshot.version and latest[0].lines == snapshot.lines:
            return latest  # another request analysed this version first: one result (and result id) per version
        self.report_crashes(analysis.crashes)
        doc = self.store.get(uri)
        if doc is not None and doc.version == snapshot.version:
            self.latest[uri] = (snapshot, analysis)
        return snapshot, analysis

    def _stale(self, uri: str, version: int | None) -> Callable[[], bool]:
        """Asked by the engine thread between blocks: has this analysis lost its use?"""

        def stale() -> bool:
            doc = self.store.get(uri)
            return self.stopping or doc is None or doc.version != version

        return stale

    async def _analyze_and_publish(self, uri: str) -> None:
        if self.settings.debounce_ms:
            await asyncio.sleep(self.settings.debounce_ms / 1000)
        if not self.settings.enable:
            self.publish(uri, None, [])
            return
        result = await self.analysis_for(uri)
        if result is None:
            return
        snapshot, analysis = result
        doc = self.store.get(uri)
        if doc is None or doc.version != snapshot.version:
            logger.debug("dropping stale diagnostics for %s version %s", uri, snapshot.version)
            return
        if not self.pull:
            codec = self.codec()
            findings = [*analysis.findings, *self.project_findings.get(uri, [])]
            self.publish(uri, snapshot.version, [diagnostic(codec, snapshot.lines, f, snapshot.version, uri, self.related_lines) for f in findings])

    def publish(self, uri: str, version: int | None, diagnostics: list[lsp.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    async def run_project(self, saved: Path | None = None, text: str | None = None) -> None:
        """The save tier: the project worker updates its index (the saved file only, after the
        first walk), runs the project rules, and the files whose project findings changed are
        republished (`projectruns.ProjectRuns`). Returns when this run finished or a newer one
        superseded it."""
        changes = (Change(str(saved), text),) if saved is not None else ()
        await self.projects.run(changes)

    async def files_changed(self, changes: Iterable[Change]) -> None:
        """Files created, changed or deleted on disk (watched files): the index follows them."""
        await self.projects.run(tuple(changes))

    def related_lines(self, path: str) -> tuple[str, list[str]]:
        """A project-relative path -> its URI and lines (an open document's, else the file's)."""
        uri = (self.root / path).as_uri()
        doc = self.store.get(uri)
        return uri, list(doc.snapshot().lines) if doc is not None else self.file_lines(self.root / path)

    def file_lines(self, path: Path) -> list[str]:
        """A workspace file that is not open, under the reading policy (`fsio`: regular files in
        the workspace, size cap, PEP 263), cut where the client cuts lines; [] if unreadable."""
        try:
            return split_lines(read_source(path, (self.root.resolve(),)).text)
        except ReadError:
            return []

    def report_crashes(self, crashes: Iterable[RuleCrash]) -> None:
        for crash in crashes:
            key = (crash.code, crash.path)
            if key in self.reported_crashes:
                continue
            self.reported_crashes.add(key)
            last = crash.error.strip().splitlines()[-1] if crash.error.strip() else "unknown error"
            self.log_to_client(
                lsp.MessageType.Error,
                f"reviewls: rule {crash.code} crashed on {crash.path}:{crash.line} ({last}); "
                "its findings there are skipped, the other rules still run",
            )


def _small(snapshot: Snapshot) -> bool:
    """Small enough to analyse on the event loop when the engine thread is idle."""
    return len(snapshot.lines) <= INLINE_LINES and sum(map(len, snapshot.lines)) <= INLINE_CHARS
