"""The project tier of the language server, in a process of its own.

The edit tier answers keystrokes in milliseconds; the project tier reads and re-checks a whole
code base. In one process they would share the interpreter lock (a 100k-line index would hold
every keystroke behind it), so the server keeps the project session in a worker process and
talks to it through a pipe:

- the server sends *runs*: `Run(run_id, config, changes, rescan)` — the configuration when it
  changed, the files saved, created, changed or deleted since the last run, and whether the whole
  workspace must be walked (the first run, a new configuration);
- the worker applies the changes to its index (one file each: never rebuilt from scratch), walks
  the workspace when asked (reporting `Progress`), runs the project rules, and answers `Result`
  (findings with their fixes already built, crashes, files without facts);
- a newer run cancels an older one: the worker looks at the pipe between files and between rules,
  and answers `Cancelled` for the run it abandons (its changes stay applied).

The worker exits when the pipe closes (the server stopped or died). If it dies, the server
starts a new one (`ProjectWorker.alive`) and the next run walks the workspace again.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from rules.api import Fix
from server.config import Config
from server.engine import Diagnostic, Engine, Snapshot
from server.engine.model import Cancelled, RuleCrash
from server.fsio import ReadError, read_source
from server.locate import split_lines
from server.project import names_settings
from server.projectsession import ProjectSession, settings_config

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Change:
    """A file saved (`text` from the editor), created or changed on disk (`text` None), or deleted."""

    path: str  # absolute
    text: str | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Run:
    run_id: int
    config: Config | None  # None: the worker's current configuration
    changes: tuple[Change, ...] = ()
    rescan: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    run_id: int
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class Result:
    run_id: int
    findings: tuple[tuple[str, Diagnostic, Fix | None], ...]  # (path relative to the root, finding without its key, built fix)
    crashes: tuple[RuleCrash, ...] = ()
    problems: tuple[tuple[str, str], ...] = ()
    files: int = 0  # files in the index
    # what the project's settings are (`projectsession.settings_config` over the whole workspace, as
    # `--check` decides it), when this run walked the workspace or a file that can change them changed
    settings: tuple[tuple[str, ...], tuple[str, ...]] | None = None


@dataclass(frozen=True, slots=True)
class Abandoned:
    """The run was superseded by a newer one before it finished."""

    run_id: int


@dataclass
class _State:
    root: Path
    config: Config | None = None
    session: ProjectSession | None = None
    walked: bool = False
    decided: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # the settings modules and what they configure
    settings_dirty: bool = True  # decide them again at the end of the next run that finishes
    pending: list[object] = field(default_factory=list)


class _Superseded(Exception):
    """A newer run arrived: abandon this one."""


def serve(conn: Connection, root: str) -> None:
    """The worker process's loop (the `spawn` target)."""
    logging.basicConfig(level=logging.WARNING)
    try:
        os.nice(10)  # background work: on a busy machine the editor's process gets the CPU first
    except (OSError, AttributeError):  # not permitted, or no nice() (Windows)
        pass
    state = _State(Path(root))
    while True:
        try:
            message = state.pending.pop(0) if state.pending else conn.recv()
        except (EOFError, OSError):
            return  # the server is gone
        if not isinstance(message, Run):
            return  # `None`: stop
        try:
            answer = _run(conn, state, message)
        except _Superseded:
            answer = Abandoned(message.run_id)
        except (EOFError, BrokenPipeError):
            return  # the server is gone
        except Exception:  # isolation point: a bug in one run must not kill the worker (and its index)
            logger.exception("project worker: run %s failed", message.run_id)
            answer = Abandoned(message.run_id)
        try:
            conn.send(answer)
        except (OSError, ValueError):
            return


def _run(conn: Connection, state: _State, run: Run) -> Result | Abandoned:
    from server.batch import iter_files

    if run.config is not None and run.config != state.config:
        if state.session is not None and state.config is not None and _same_rules(run.config, state.config):
            state.session.engine.set_config(run.config)  # only the settings modules changed: the index stays
        else:
            state.session = None  # other rules or options: an index with what they gather
        state.config = run.config
    if state.config is None:
        state.config = Config()
    if state.session is None:
        state.session = ProjectSession(state.root, Engine(state.config))
        state.walked = False
    session = state.session
    if any(names_settings(Path(change.path)) for change in run.changes):
        state.settings_dirty = True  # kept when this run is abandoned: the run that finishes decides
    for change in run.changes:
        path = Path(change.path)
        if change.deleted:
            session.remove(path)
        elif _included(state.root, path, state.config):
            session.update(path, change.text)

    def superseded(walking: bool = False) -> bool:
        """A message waits (a newer run, or a stop): it is handled once this run is abandoned. While
        the workspace is walked, a run that only brings changes waits instead (it is applied after
        the walk): saves every second must not keep a large workspace from ever being indexed."""
        while conn.poll():
            message = conn.recv()
            state.pending.append(message)
            if not (walking and isinstance(message, Run) and message.config is None and not message.rescan):
                return True
        return False

    if run.rescan or not state.walked:
        files = list(iter_files([str(state.root)], state.config))
        conn.send(Progress(run.run_id, 0, len(files)))
        done = 0
        step = 25
        for _ in session.scan_steps(files, step):
            done += step
            conn.send(Progress(run.run_id, min(done, len(files)), len(files)))
            if superseded(walking=True):
                raise _Superseded
        state.walked = True
        state.settings_dirty = True
        conn.send(Progress(run.run_id, len(files), len(files)))

    def lines_of(path: str) -> list[str]:
        try:
            return split_lines(read_source(state.root / path, (state.root.resolve(),)).text)
        except ReadError:
            return []

    try:
        pairs = session.check(lines_of, cancelled=superseded)
    except Cancelled:
        raise _Superseded from None
    findings: list[tuple[str, Diagnostic, Fix | None]] = []
    for rel, finding in pairs:
        fix = session.engine.build_fix(Snapshot(rel, None, (), ()), finding) if finding.fix is not None else None
        findings.append((rel, dataclasses.replace(finding, fix=None), fix))
    if state.settings_dirty or state.decided is None:
        state.decided = _settings(state.root, state.config, session)
        state.settings_dirty = False
    # what edit rules read of the whole project (RV503's prefix path parameters) follows every change
    settings = None
    if state.decided is not None:
        modules, configured = state.decided
        settings = (modules, tuple(sorted({*configured, *session.project_settings()})))
    return Result(run.run_id, tuple(findings), tuple(session.crashes), tuple(sorted(session.problems.items())), len(session.index.paths()), settings)


def _same_rules(a: Config, b: Config) -> bool:
    """Equal but for what the project's settings are (which the worker itself decides)."""
    return dataclasses.replace(a, settings_modules=(), project_settings=()) == dataclasses.replace(b, settings_modules=(), project_settings=())


def _settings(root: Path, config: Config, session: ProjectSession) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The settings modules and what they configure, decided as `--check` decides them on the root."""
    files = [root / rel for rel in session.index.paths()]
    entry_points = [p for p in root.glob("*") if p.is_file()]
    decided = settings_config(root, dataclasses.replace(config, settings_modules=(), project_settings=()), [*entry_points, *files], files)
    return decided.settings_modules, decided.project_settings


def _included(root: Path, path: Path, config: Config) -> bool:
    """Would the workspace walk index this file? Its kind, no excluded folder or virtualenv on its
    way, not ignored by git (with `respect-gitignore`), and readable under the policy (no symlink
    out of the workspace): the same filters as `batch.iter_files`."""
    from server.batch import GitIgnore
    from server.configfiles import kind_of
    from server.fsio import refusal

    if kind_of(path.as_posix(), config.file_types) is None:
        return False
    try:
        relative = path.relative_to(root)
    except ValueError:
        return False
    here = root
    for part in relative.parts:
        here = here / part
        if config.is_excluded(here) or (here != path and (here / "pyvenv.cfg").exists()):
            return False
    if config.respect_gitignore:
        ignores = GitIgnore.for_walk(root)
        if ignores is None:
            return False
        folder = Path(os.path.abspath(root))
        for part in relative.parts[:-1]:
            folder = folder / part
            if ignores.ignored(folder, is_dir=True):
                return False
            ignores.enter(folder)
        if ignores.ignored(folder / relative.parts[-1], is_dir=False):
            return False
    return refusal(path, (root.resolve(),), walked=True) is None


class ProjectWorker:
    """The server's side of the worker: start it, send runs, hand every answer to `on_message`
    (called on the reader thread: the caller moves it to its event loop)."""

    def __init__(self, root: Path, on_message: Callable[[object], None], on_exit: Callable[[], None]) -> None:
        self.root = root
        self.on_message = on_message
        self.on_exit = on_exit
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._lock = threading.Lock()
        # runs go out on a thread of their own: a pipe write blocks while the worker is busy and
        # the pipe is full (a saved 2 MB file), and the caller is the server's event loop
        self._outbox: queue.SimpleQueue[Run | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        self._config: Config | None = None  # the last configuration sent: a restarted worker gets it
        self.stopping = False

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(theirs, str(self.root)), name="reviewls-project", daemon=True)
        process.start()
        theirs.close()
        self._conn, self._process = ours, process
        threading.Thread(target=self._read, args=(ours, process), name="reviewls-project-reader", daemon=True).start()

    def send(self, run: Run) -> None:
        """Queue a run (never blocks); the worker is started on first use or after it died."""
        if run.config is not None:
            self._config = run.config
        if self._sender is None:
            self._sender = threading.Thread(target=self._send_loop, name="reviewls-project-sender", daemon=True)
            self._sender.start()
        self._outbox.put(run)

    def _send_loop(self) -> None:
        while True:
            run = self._outbox.get()
            if run is None:
                return
            try:
                with self._lock:
                    if self.stopping:
                        return
                    if not self.alive:
                        self.start()
                        if run.config is None:  # a new process knows nothing: give it the configuration
                            run = dataclasses.replace(run, config=self._config)
                    conn = self._conn
                assert conn is not None
                conn.send(run)
            except Exception:  # isolation point: no worker (no processes or descriptors left), a run that does not pickle
                logger.exception("project worker: run %s not sent", run.run_id)
                self.on_message(Abandoned(run.run_id))  # its caller must not wait for ever

    def _read(self, conn: Connection, process: multiprocessing.process.BaseProcess) -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError, TypeError):  # closed (TypeError: closed by `stop` meanwhile)
                break
            except Exception:  # isolation point: an answer that does not unpickle
                if self.stopping:
                    break
                logger.exception("project worker: unreadable answer")
                continue
            self.on_message(message)
        conn.close()
        process.join(timeout=5)
        if not self.stopping:
            logger.warning("project worker exited (code %s)", process.exitcode)
            self.on_exit()

    def stop(self) -> None:
        self.stopping = True
        self._outbox.put(None)
        with self._lock:
            conn, process = self._conn, self._process
            self._conn = self._process = None
        if conn is not None:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
            conn.close()
        if process is not None:
            process.join(timeout=2)
            if process.is_alive():
                process.kill()
