"""The reviewls language server (pygls 2.x).

Handlers translate protocol to engine calls and decide *when* to run: a change updates the
document store on the event loop (cheap: a line scan of the touched blocks), then restarts a
per-URI task that analyses an immutable snapshot on the single engine thread and publishes
only if the document still has that version. Pull-capable clients get pull diagnostics
instead of pushed ones (both at once would show every finding twice in VS Code).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification
from pygls.protocol.language_server import lsp_method
from pygls.workspace.position_codec import PositionCodec

from rules.api.project import ProjectRule
from server import __version__
from server.batch import iter_files
from server.config import Config, ConfigError, find_config_file, load_config
from server.documents import Change
from server.engine import Analysis, Engine, Diagnostic, RuleCrash, Snapshot
from server.lsp import actions
from server.lsp.convert import (
    diagnostic,
    from_client_position,
    hover_markdown,
    span_range,
)
from server.project import ProjectIndex, project_defaults, settings_targets

logger = logging.getLogger(__name__)

T = TypeVar("T")
CONFIG_FILES = ("pyproject.toml", "reviewls.toml")
_FILE_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "severity": "severity",
    "perFileIgnores": "per-file-ignores",
    "exclude": "exclude",
    "reportSyntaxErrors": "report-syntax-errors",
    "rules": "rules",
    "preview": "preview",
}
_EDITOR_KEYS = {
    "enable",
    "run",
    "diagnosticMode",
    "debounce",
    "showNotifications",
    "trace",
    "logLevel",
    "interpreter",
    "importStrategy",
    "args",
    "path",
    "cwd",
    "workspace",
}


@dataclass
class EditorSettings:
    """What the client sends as initializationOptions / didChangeConfiguration."""

    enable: bool = True
    run: str = "onType"  # or "onSave"
    diagnostic_mode: str = "auto"  # "push", "pull" or "auto" (pull when the client can)
    debounce_ms: int = 0
    log_level: str = "warning"
    config: dict[str, object] = field(default_factory=dict)  # keys in the config-file schema


def parse_settings(raw: object, previous: EditorSettings | None = None) -> tuple[EditorSettings, list[str]]:
    """Editor settings from a client payload; unknown keys are returned as warnings."""
    settings = EditorSettings() if previous is None else EditorSettings(**vars(previous))
    warnings: list[str] = []
    if not isinstance(raw, Mapping):
        return settings, warnings
    for wrapper in ("reviewls", "settings"):
        inner = raw.get(wrapper)
        if isinstance(inner, Mapping):
            raw = inner
    config = dict(settings.config)
    for key, value in raw.items():
        if key in _FILE_KEYS:
            # editors send every setting with its default; an empty one must not hide the project's file
            if value is None or value == [] or value == {}:
                config.pop(_FILE_KEYS[key], None)
            else:
                config[_FILE_KEYS[key]] = value
        elif key == "enable":
            settings.enable = bool(value)
        elif key == "run" and value in ("onType", "onSave"):
            settings.run = str(value)
        elif key == "diagnosticMode" and value in ("auto", "push", "pull"):
            settings.diagnostic_mode = str(value)
        elif key == "debounce" and isinstance(value, int):
            settings.debounce_ms = max(0, value)
        elif key in ("logLevel", "trace") and isinstance(value, str):
            settings.log_level = "debug" if value in ("verbose", "debug") else value
        elif key not in _EDITOR_KEYS:
            warnings.append(f"unknown setting `{key}` ignored")
    settings.config = config
    return settings, warnings


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        path = unquote(parsed.path)
        if os.name == "nt" and path.startswith("/"):
            path = path[1:]
        return path
    return unquote(parsed.path) or uri


class _ClientLogHandler(logging.Handler):
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


class _Protocol(LanguageServerProtocol):
    """Answers a request whose params do not fit the protocol with an error response.

    pygls logs such a message and drops it, leaving the client waiting forever for its
    answer; JSON-RPC says the request gets an "invalid params" error.
    """

    # The document store (server/documents.py) is the one copy of each open file. pygls' own
    # workspace would keep another and rebuild its whole text on every incremental change (a
    # 5k-line file: a join of 5k lines per keystroke), so its text-document handlers only pass
    # the notification on to ours.
    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> Iterator[Any]:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> Iterator[Any]:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams) -> Iterator[Any]:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                self._send_response(data["id"], error=exc.to_response_error())
            # a message pygls' dispatcher skips (it only handles JSON-RPC 2.0)
            return JsonRPCNotification(method=str(data.get("method", "")), params=None, jsonrpc="invalid")


_INLINE_LINES = 1500  # documents analysed on the event loop when the engine thread is idle
_INLINE_SLOW = 0.02  # seconds: an inline analysis this long held the loop up


class _PipeReader:
    """The client's messages read by the event loop itself.

    pygls reads stdin on a thread, one header line or body at a time: three thread hops per
    keystroke. When stdin is a pipe or a socket (every editor), an asyncio stream reads it
    with none; other kinds of stdin keep pygls' reader.
    """

    def __init__(self, stdin: BinaryIO) -> None:
        self.stdin = stdin
        self.stream: asyncio.StreamReader | None = None

    @staticmethod
    def usable(stdin: BinaryIO) -> bool:
        try:
            mode = os.fstat(stdin.fileno()).st_mode
        except (OSError, ValueError, AttributeError):
            return False
        return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)

    async def _stream(self) -> asyncio.StreamReader:
        if self.stream is None:
            stream = asyncio.StreamReader(limit=1 << 20)
            await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), self.stdin)
            self.stream = stream
        return self.stream

    async def readline(self) -> bytes:
        stream = await self._stream()
        try:
            return await stream.readline()
        except ValueError:  # a "line" over the limit: not a header; hand it over in pieces
            return await stream.read(1 << 20)

    async def readexactly(self, n: int) -> bytes:
        try:
            return await (await self._stream()).readexactly(n)
        except asyncio.IncompleteReadError as exc:  # the client went away mid-message
            return exc.partial


class _Turns:
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


class ReviewServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("reviewls", __version__, protocol_cls=_Protocol)
        from server.documents import DocumentStore

        self.store = DocumentStore()
        self.engine = Engine()
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="reviewls-engine")
        self.turns = _Turns()
        self.submitted = 0  # jobs queued with `submit`, not yet done
        self._submitted_lock = threading.Lock()
        self.settings = EditorSettings()
        self.file_config = Config()
        self.engine_config = Config()
        self.root: Path = Path.cwd()
        self.pull = False
        self.latest: dict[str, tuple[Snapshot, Analysis]] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.reported_crashes: set[tuple[str, str]] = set()
        self.project_index: ProjectIndex | None = None
        self.project_findings: dict[str, list[Diagnostic]] = {}  # uri -> save-tier findings
        self.loop: asyncio.AbstractEventLoop | None = None
        self.log_handler = _ClientLogHandler(self)
        self.log_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    # -- plumbing ------------------------------------------------------------------------
    def _start_io_async(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls' stdio loop, with stdin read by the event loop when it is a pipe (`_PipeReader`)."""
        source = stdin or sys.stdin.buffer
        if not _PipeReader.usable(source):
            super()._start_io_async(stdin, stdout)
            return
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(
                run_async(
                    stop_event=self._stop_event,
                    reader=_PipeReader(source),
                    protocol=self.protocol,
                    logger=logger,
                    error_handler=self.report_server_error,
                )
            )
        except BrokenPipeError:
            logger.error("connection to the client lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

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
        candidates = [p for pattern in ("*", "*/*.py") for p in self.root.glob(pattern) if p.is_file()]
        targets = settings_targets(self.root, candidates)
        settings_files = [p for pattern in ("settings.py", "*/settings.py", "*/settings/*.py", "*/*/settings.py") for p in self.root.glob(pattern)]
        defaults = project_defaults(self.root, targets, settings_files)
        if targets or defaults:
            config = dataclasses.replace(config, settings_modules=targets, project_settings=defaults)
        self.engine_config = config
        self.submit(self.engine.set_config, config)
        level = logging.DEBUG if self.settings.log_level == "debug" else logging.WARNING
        self.log_handler.setLevel(level)

    def refresh_all(self) -> None:
        self.latest.clear()
        if self.pull:
            if self.client_capabilities.workspace and self.client_capabilities.workspace.diagnostics:
                self.workspace_diagnostic_refresh(None)
            return
        for uri in self.store.uris():
            self.schedule(uri)

    # -- analysis ------------------------------------------------------------------------
    def schedule(self, uri: str) -> None:
        task = self.tasks.get(uri)
        if task is not None and not task.done():
            task.cancel()
        self.tasks[uri] = asyncio.ensure_future(self._analyze_and_publish(uri))

    async def analysis_for(self, uri: str) -> tuple[Snapshot, Analysis] | None:
        """The analysis of the document's current version (computed if needed)."""
        snapshot = self.store.snapshot(uri)
        if snapshot is None:
            return None
        latest = self.latest.get(uri)
        if latest is not None and latest[0].version == snapshot.version and latest[0].lines == snapshot.lines:
            return latest
        analysis = await self.in_engine(self.engine.analyze, snapshot, inline=len(snapshot.lines) <= _INLINE_LINES)
        latest = self.latest.get(uri)
        if latest is not None and latest[0].version == snapshot.version and latest[0].lines == snapshot.lines:
            return latest  # another request analysed this version first: one result (and result id) per version
        self.report_crashes(analysis.crashes)
        doc = self.store.get(uri)
        if doc is not None and doc.version == snapshot.version:
            self.latest[uri] = (snapshot, analysis)
        return snapshot, analysis

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
            self.publish(uri, snapshot.version, [diagnostic(codec, snapshot.lines, f, snapshot.version, uri) for f in findings])

    def publish(self, uri: str, version: int | None, diagnostics: list[lsp.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    async def run_project(self, saved: Path | None = None, text: str | None = None) -> None:
        """The save tier: update the project index (the saved file only, after the first
        scan), run the project rules, and republish the files whose project findings changed."""
        config = self.engine_config

        def start() -> Iterator[None]:
            if self.project_index is None:
                needs = {need for rule in config.enabled_rules(".") if issubclass(rule, ProjectRule) for need in rule.needs}
                self.project_index = ProjectIndex(self.root, config.file_types, needs=needs)
            # files are re-read only when their size or mtime changed; the saved one from the editor
            return self.project_index.scan_steps(iter_files([str(self.root)], config))

        def lines_of(path: str) -> list[str]:
            try:
                return (self.root / path).read_text(encoding="utf-8-sig").splitlines(keepends=True)
            except (OSError, UnicodeDecodeError):
                return []

        def finish() -> list[tuple[str, Diagnostic]]:
            assert self.project_index is not None
            if saved is not None:
                self.project_index.update(saved, text)
            pairs = self.engine.check_project(self.project_index.facts(), lines_of)
            crashes = list(self.engine.project_crashes)
            if crashes and self.loop is not None:
                self.loop.call_soon_threadsafe(self.report_crashes, crashes)
            return pairs

        # the scan goes in steps, each its own turn on the engine thread: an open or an edit that
        # arrives meanwhile waits for one step, not for the whole project
        steps = await self.in_engine(start, background=True)
        while await self.in_engine(next, steps, False, background=True) is not False:
            pass
        pairs = await self.in_engine(finish, background=True)
        grouped: dict[str, list[Diagnostic]] = {}
        for path, finding in pairs:
            grouped.setdefault((self.root / path).as_uri(), []).append(finding)
        changed = {uri for uri in set(grouped) | set(self.project_findings) if grouped.get(uri) != self.project_findings.get(uri)}
        self.project_findings = grouped
        if self.pull:
            if changed and self.client_capabilities.workspace and self.client_capabilities.workspace.diagnostics:
                self.workspace_diagnostic_refresh(None)
            return
        for uri in changed:
            if self.store.get(uri) is not None:
                self.latest.pop(uri, None)
                self.schedule(uri)
            else:
                lines = Path(uri_to_path(uri)).read_text(encoding="utf-8-sig").splitlines(keepends=True) if Path(uri_to_path(uri)).exists() else []
                codec = self.codec()
                self.publish(uri, None, [diagnostic(codec, lines, f, None, uri) for f in grouped.get(uri, [])])

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


server = ReviewServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: ReviewServer, params: lsp.InitializeParams) -> None:
    ls.loop = asyncio.get_running_loop() if _has_loop() else None
    root = params.root_uri or (params.workspace_folders[0].uri if params.workspace_folders else None)
    if root:
        ls.root = Path(uri_to_path(root))
    settings, warnings = parse_settings(params.initialization_options)
    ls.settings = settings
    for warning in warnings:
        logger.warning("%s", warning)
    caps = params.capabilities.text_document
    client_pulls = caps is not None and caps.diagnostic is not None
    ls.pull = settings.diagnostic_mode == "pull" or (settings.diagnostic_mode == "auto" and client_pulls)
    ls.load_file_config()
    # one-time set-up (rule tables, libcst's node types, first regex uses) before the first file
    # arrives, so its analysis costs what every later one does
    ls.executor.submit(ls.engine.warm_up).result()
    config_file = find_config_file(ls.root)
    logger.info(
        "reviewls %s on %s (%s), cwd %s, root %s, config %s, %d rules enabled, %s diagnostics",
        __version__,
        sys.executable,
        sys.version.split()[0],
        os.getcwd(),
        ls.root,
        config_file or "defaults",
        len(ls.engine_config.enabled_rules("module.py")),
        "pull" if ls.pull else "push",
    )


def _has_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@server.feature(lsp.INITIALIZED)
async def initialized(ls: ReviewServer, params: lsp.InitializedParams) -> None:
    if ls.loop is None:
        ls.loop = asyncio.get_running_loop()
    asyncio.ensure_future(ls.run_project())  # the save tier once at start, in the background
    workspace = ls.client_capabilities.workspace
    watch = workspace.did_change_watched_files if workspace else None
    if watch is not None and watch.dynamic_registration:
        watchers = [lsp.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_FILES]
        registration = lsp.Registration(
            id="reviewls-config-watch",
            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        try:
            await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[registration]))
        except Exception:  # isolation point: a client that refuses still gets everything else
            logger.warning("the client did not accept the config file watcher; restart to reload configuration")


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: ReviewServer, params: lsp.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    ls.store.open(doc.uri, _display_path(ls, doc.uri), doc.text, doc.version)
    if not ls.pull:
        ls.schedule(doc.uri)


def _display_path(ls: ReviewServer, uri: str) -> str:
    path = Path(uri_to_path(uri))
    try:
        return path.relative_to(ls.root).as_posix()
    except ValueError:
        return path.as_posix()


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: ReviewServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    doc = ls.store.get(uri)
    if doc is None:
        return
    codec = ls.codec()
    for change in params.content_changes:
        if isinstance(change, lsp.TextDocumentContentChangePartial):
            # each change's range refers to the text after the previous changes
            start = from_client_position(codec, doc.lines, change.range.start)
            end = from_client_position(codec, doc.lines, change.range.end)
            ls.store.change(uri, params.text_document.version, [Change(change.text, start, end)])
        else:
            ls.store.change(uri, params.text_document.version, [Change(change.text)])
    ls.latest.pop(uri, None)
    if not ls.pull and ls.settings.run == "onType":
        ls.schedule(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: ReviewServer, params: lsp.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    if Path(uri_to_path(uri)).name in CONFIG_FILES:
        ls.load_file_config()
        ls.refresh_all()
        return
    saved = Path(uri_to_path(uri))
    if saved.name == "settings.py" or saved.parent.name == "settings":
        before = ls.engine_config.project_settings
        ls.apply_config()  # DRF defaults (throttling, pagination) may have changed
        if ls.engine_config.project_settings != before:
            ls.refresh_all()
    if not ls.pull and ls.settings.run == "onSave":
        ls.schedule(uri)
    doc = ls.store.get(uri)
    await ls.run_project(Path(uri_to_path(uri)), doc.text if doc else None)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ReviewServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    task = ls.tasks.pop(uri, None)
    if task is not None:
        task.cancel()
    doc = ls.store.get(uri)
    if doc is not None:
        ls.engine.forget(doc.path)  # its blocks and fix handles (which hold its parsed trees)
    ls.store.close(uri)
    ls.latest.pop(uri, None)
    if not ls.pull:
        ls.publish(uri, None, [])


@server.feature(
    lsp.TEXT_DOCUMENT_DIAGNOSTIC,
    lsp.DiagnosticOptions(identifier="reviewls", inter_file_dependencies=False, workspace_diagnostics=False),
)
async def pull_diagnostics(ls: ReviewServer, params: lsp.DocumentDiagnosticParams) -> lsp.DocumentDiagnosticReport:
    uri = params.text_document.uri
    if not ls.settings.enable:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[], result_id="disabled")
    result = await ls.analysis_for(uri)
    if result is None:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[])
    snapshot, analysis = result
    result_id = f"{snapshot.version}:{id(analysis)}"
    if params.previous_result_id == result_id:
        return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    codec = ls.codec()
    findings = [*analysis.findings, *ls.project_findings.get(uri, [])]
    items = [diagnostic(codec, snapshot.lines, f, snapshot.version, uri) for f in findings]
    return lsp.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)


def _lazy_resolve(ls: ReviewServer) -> bool:
    caps = ls.client_capabilities.text_document
    action = caps.code_action if caps else None
    support = action.resolve_support if action else None
    return bool(support and "edit" in support.properties)


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll, actions.FIX_ALL_KIND],
        resolve_provider=True,
    ),
)
async def code_action(ls: ReviewServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    uri = params.text_document.uri
    result = await ls.analysis_for(uri)
    if result is None:
        return None
    snapshot, analysis = result
    codec = ls.codec()
    only = params.context.only
    out: list[lsp.CodeAction] = []
    if actions.wants(only, lsp.CodeActionKind.QuickFix):
        lazy = _lazy_resolve(ls)
        for diag in params.context.diagnostics:
            if diag.source != "reviewls":
                continue
            finding = actions.find_finding(
                [*analysis.findings, *ls.project_findings.get(uri, [])], codec, snapshot.lines, diag.code, diag.range, diag.data
            )
            if finding is None:
                continue
            fix = await ls.in_engine(actions.fix_action, ls.engine, snapshot, uri, codec, finding, diag, lazy, ls.root)
            if fix is not None:
                out.append(fix)
            if finding.code.startswith("RV"):
                out.append(actions.ignore_action(snapshot, uri, codec, finding, diag))
    if actions.wants(only, actions.FIX_ALL_KIND) and any(f.fix and f.fix.safety.value == "safe" for f in analysis.findings):
        action = actions.fix_all_action(uri, snapshot.version)
        if not _lazy_resolve(ls):
            action.edit = await ls.in_engine(actions.fix_all_edit, ls.engine, snapshot, uri, codec)
        out.append(action)
    return out


@server.feature(lsp.CODE_ACTION_RESOLVE)
async def resolve_code_action(ls: ReviewServer, action: lsp.CodeAction) -> lsp.CodeAction:
    data = action.data if isinstance(action.data, Mapping) else {}
    uri = str(data.get("uri", ""))
    result = await ls.analysis_for(uri)
    if result is None:
        return action
    snapshot, analysis = result
    if data.get("version") != snapshot.version:
        return action  # the document moved on: no edit rather than a wrong one
    codec = ls.codec()
    if data.get("fixAll"):
        action.edit = await ls.in_engine(actions.fix_all_edit, ls.engine, snapshot, uri, codec)
        return action
    target = actions.range_from_data(data.get("range", [0, 0, 0, 0]))
    findings = [*analysis.findings, *ls.project_findings.get(uri, [])]
    finding = actions.find_finding(findings, codec, snapshot.lines, data.get("code"), target, data)
    if finding is not None:
        action.edit = await ls.in_engine(actions.resolve_fix, ls.engine, snapshot, uri, codec, finding, ls.root)
    return action


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
async def hover(ls: ReviewServer, params: lsp.HoverParams) -> lsp.Hover | None:
    result = await ls.analysis_for(params.text_document.uri)
    if result is None:
        return None
    snapshot, analysis = result
    codec = ls.codec()
    pos = params.position
    parts: list[str] = []
    hit: lsp.Range | None = None
    for finding in analysis.findings:
        r = span_range(codec, snapshot.lines, finding.span)
        if (r.start.line, r.start.character) <= (pos.line, pos.character) <= (r.end.line, r.end.character):
            text = hover_markdown(finding.code)
            if text and text not in parts:
                parts.append(text)
                hit = hit or r
    if not parts:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)), range=hit)


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
def did_change_configuration(ls: ReviewServer, params: lsp.DidChangeConfigurationParams) -> None:
    settings, warnings = parse_settings(params.settings, ls.settings)
    for warning in warnings:
        logger.warning("%s", warning)
    ls.settings = settings
    ls.apply_config()
    ls.refresh_all()


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: ReviewServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    if any(Path(uri_to_path(change.uri)).name in CONFIG_FILES for change in params.changes):
        ls.load_file_config()
        ls.refresh_all()


# not `reviewls.fixAll`: vscode-languageclient registers server commands as VS Code commands,
# and the extension's own palette command has that id
@server.command("reviewls.applyFixAll")
async def fix_all_command(ls: ReviewServer, uri: str) -> None:
    """workspace/executeCommand for clients without code actions: apply every safe fix to `uri`."""
    result = await ls.analysis_for(uri)
    if result is None:
        return
    snapshot, _ = result
    edit = await ls.in_engine(actions.fix_all_edit, ls.engine, snapshot, uri, ls.codec())
    if edit is not None:
        await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(edit=edit, label="reviewls: fix all"))


def serve(tcp: str | None = None) -> int:
    """Run the server until the client exits; logs go to stderr and, filtered, to the client."""
    logging.getLogger().addHandler(server.log_handler)
    logging.getLogger("server").setLevel(logging.INFO)
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0
