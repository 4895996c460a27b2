"""Batch review for `--check`: files on disk, in parallel processes, with a result cache.

Each file is reviewed by the same engine the server uses. Results cross process boundaries
and the cache as plain `Record`s (with their fix edits already built), keyed by what they
depend on: the file's path and content, the configuration and the reviewls version.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pathspec

from rules.api import Fix, Safety, Severity, TextEdit
from server import __version__
from server.config import Config
from server.configfiles import kind_of
from server.documents import Document
from server.engine import Diagnostic, Engine, Snapshot
from server.engine.limits import NOT_REVIEWED
from server.fixes import apply_edits, fix_all
from server.fsio import ReadError, WriteError, create_new, read_source, refusal, safe_folder, user_cache_dir, write_atomic
from server.locate import split_lines
from server.projectsession import ProjectSession, settings_config

logger = logging.getLogger(__name__)

CACHE_DIR = ".reviewls_cache"
KEY_BYTES = 32
# why a file is not reviewed when the process reviewing it died (a SIGSEGV, the OOM killer)
CRASHED = "not reviewed: the reviewing process crashed"
__all__ = ["CACHE_DIR", "Cache", "CheckResult", "FileReport", "GitIgnore", "ReadError", "Record", "iter_files", "run_check"]


@dataclass(frozen=True)
class Record:
    """One finding as reporters, the cache and the baseline see it."""

    path: str
    code: str
    rule: str
    severity: Severity
    message: str
    line: int
    col: int  # 0-based code points, as in the engine
    end_line: int
    end_col: int
    fingerprint: str
    fix: Fix | None = None

    @classmethod
    def of(cls, path: str, diagnostic: Diagnostic, fingerprint: str, fix: Fix | None) -> Record:
        """The record of an engine diagnostic: the diagnostic, its file, its fingerprint and
        its fix's edits (built, so the record stands alone in reports, cache and baseline)."""
        span = diagnostic.span
        return cls(
            path,
            diagnostic.code,
            diagnostic.name,
            diagnostic.severity,
            diagnostic.message,
            span.line,
            span.col,
            span.end_line,
            span.end_col,
            fingerprint,
            fix,
        )

    @property
    def fix_safety(self) -> Safety | None:
        return self.fix.safety if self.fix else None

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        if self.fix is not None:
            data["fix"] = {"title": self.fix.title, "safety": self.fix.safety.value, "edits": [asdict(e) for e in self.fix.edits]}
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Record:
        fix_data = data.get("fix")
        fix = None
        if isinstance(fix_data, dict):
            edits = tuple(TextEdit(**e) for e in fix_data["edits"])
            fix = Fix(str(fix_data["title"]), Safety(fix_data["safety"]), edits)
        values = {k: v for k, v in data.items() if k not in ("fix", "severity")}
        return cls(severity=Severity(str(data["severity"])), fix=fix, **values)  # type: ignore[arg-type]


@dataclass
class FileReport:
    path: str
    records: list[Record] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)  # codes of the fixes applied
    error: str | None = None  # why the file was not reviewed
    unwritten: str | None = None  # why its fixes were not written (--fix)
    crashes: list[tuple[str, int]] = field(default_factory=list)  # (code, line)
    cached: bool = False
    crashed: bool = False  # `error` is a crash of its review (exit 2), not an unreadable file


@dataclass
class CheckResult:
    findings: list[Record] = field(default_factory=list)
    files: int = 0
    fixed: dict[str, list[str]] = field(default_factory=dict)  # path -> codes fixed
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): files not reviewed
    unwritten: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): fixes not written
    crashes: list[tuple[str, str, int]] = field(default_factory=list)  # (code, path, line)
    crashed_files: list[str] = field(default_factory=list)  # of `errors`, files whose review crashed: exit 2
    # files the project tier has no facts of, and why (`ProjectIndex.problems`): listed on stderr
    unindexed: list[tuple[str, str]] = field(default_factory=list)
    unindexed_crashes: list[str] = field(default_factory=list)  # of `unindexed`, internal errors: exit 2
    baselined: int = 0
    cached_files: int = 0

    @property
    def skipped(self) -> list[Record]:
        """The `not-reviewed` findings: blocks or files beyond the engine's limits."""
        return [r for r in self.findings if r.code == NOT_REVIEWED]

    @property
    def crashed(self) -> bool:
        """Did any part of the review crash (a rule, a file's review, the project index)?"""
        return bool(self.crashes or self.crashed_files or self.unindexed_crashes)

    @property
    def fixed_count(self) -> int:
        return sum(len(codes) for codes in self.fixed.values())

    @property
    def files_with_findings(self) -> int:
        """Files that have a finding (`files` counts the files reviewed)."""
        return len({r.path for r in self.findings})

    @property
    def fixable_safe(self) -> int:
        """Findings `--fix` fixes: every report counts fixable findings this one way."""
        return sum(1 for r in self.findings if r.fix_safety is Safety.SAFE)

    @property
    def fixable_unsafe(self) -> int:
        """Findings whose fix is unsafe: offered as quick fixes in the editor, never by `--fix`."""
        return sum(1 for r in self.findings if r.fix_safety is Safety.UNSAFE)


def workspace_roots(paths: Sequence[str]) -> tuple[Path, ...]:
    """What `--check PATHS` may read through symlinks: the working directory and each PATH
    (a file's folder), resolved."""
    roots = {Path.cwd().resolve()}
    for raw in paths:
        path = Path(raw)
        roots.add((path if path.is_dir() else path.parent).resolve())
    return tuple(sorted(roots))


_Chain = tuple[tuple[Path, pathspec.GitIgnoreSpec], ...]


def _valid_pattern(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


class GitIgnore:
    """What git ignores below one walked folder, as Ruff's `respect-gitignore` skips it.

    The `.gitignore` of each folder from the repository's root (the nearest folder up with a
    `.git`) down to the file, then the repository's `.git/info/exclude`: the deepest file
    whose patterns match decides, and within a file the last matching pattern (so `!keep.py`
    works). Outside a repository only the `.gitignore` files of the walked tree count. The
    global `core.excludesFile` is not read. Patterns are git's (pathspec's `GitIgnoreSpec`).
    Paths are absolute (`os.path.abspath`), folders entered top-down as they are walked.
    """

    def __init__(self, top: Path, repo: Path | None) -> None:
        self.repo = repo
        self._chains: dict[Path, _Chain] = {top: self._extend((), top)}
        info = repo / ".git" / "info" / "exclude" if repo is not None else None
        self._exclude = self._read(info) if info is not None and info.is_file() else None

    @classmethod
    def for_walk(cls, folder: Path) -> GitIgnore | None:
        """The rules for a walk of `folder`; None when `folder` is itself ignored: it was asked
        for by name, so it is reviewed like a file given on the command line."""
        folder = Path(os.path.abspath(folder))
        repo = next((up for up in (folder, *folder.parents) if (up / ".git").exists()), None)
        ignores = cls(repo or folder, repo)
        if repo is not None and repo != folder:
            for step in (*reversed(folder.parents[: folder.parents.index(repo)]), folder):
                if ignores.ignored(step, is_dir=True):
                    return None
                ignores.enter(step)
        return ignores

    @staticmethod
    def _read(path: Path) -> pathspec.GitIgnoreSpec | None:
        try:
            text = read_source(path, coding_line=False).text
        except ReadError as exc:
            logger.warning("%s not applied: %s", path, exc.reason)
            return None
        lines = text.splitlines()
        try:
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except ValueError:  # git skips a line it cannot read (a lone `!`); so do we, keeping the others
            lines = [line for line in lines if _valid_pattern(line)]
            logger.debug("%s: invalid patterns skipped", path)
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        return spec if len(spec) else None

    def _extend(self, chain: _Chain, folder: Path) -> _Chain:
        ignore = folder / ".gitignore"
        spec = self._read(ignore) if ignore.is_file() else None
        return (*chain, (folder, spec)) if spec is not None else chain

    def enter(self, folder: Path) -> None:
        """Walking into `folder`, whose parent was entered: read its `.gitignore`."""
        if folder not in self._chains:
            self._chains[folder] = self._extend(self._chains[folder.parent], folder)

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """Is `path`, in an entered folder, ignored? Folders are asked before they are walked."""
        suffix = "/" if is_dir else ""
        for folder, spec in reversed(self._chains[path.parent]):
            decided = spec.check_file(path.relative_to(folder).as_posix() + suffix).include
            if decided is not None:
                return decided
        if self._exclude is not None and self.repo is not None:
            return bool(self._exclude.check_file(path.relative_to(self.repo).as_posix() + suffix).include)
        return False


def iter_files(
    paths: Sequence[str], config: Config, skipped: list[tuple[str, str]] | None = None, roots: Sequence[Path] = ()
) -> Iterator[Path]:
    """Files reviewls reviews under `paths` (Python, compose, requirements, nginx, .env examples),
    skipping excluded folders and, with `respect-gitignore` (the default), what git ignores;
    explicit files are always kept.

    Files the read policy refuses (not regular, over the size limit, a symlink out of `roots`
    and the walked PATH) are left out, listed in `skipped` as (display path, reason).
    """
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            refused = refusal(path, (*roots, path.parent.resolve()))
            if refused is None:
                yield path
            elif skipped is not None and os.path.lexists(path):
                skipped.append((display_path(path), refused.listing))
            continue
        allowed = (*roots, path.resolve())
        ignores = GitIgnore.for_walk(path) if config.respect_gitignore else None
        for root, dirs, files in os.walk(path):
            here = Path(root)
            where = Path(os.path.abspath(root))
            if ignores is not None:
                ignores.enter(where)
            dirs[:] = sorted(
                d
                for d in dirs
                if not config.is_excluded(here / d)
                and not (ignores and ignores.ignored(where / d, is_dir=True))
                and not os.path.exists(os.path.join(root, d, "pyvenv.cfg"))  # a virtualenv, whatever its name
            )
            for name in sorted(files):
                if kind_of((here / name).as_posix(), config.file_types) is None or config.is_excluded(here / name):
                    continue
                if ignores is not None and ignores.ignored(where / name, is_dir=False):
                    logger.debug("not reviewed: %s is ignored by git", here / name)
                    continue
                refused = refusal(here / name, allowed, walked=True)
                if refused is None:
                    yield here / name
                else:
                    logger.debug("not reviewed: %s", refused)
                    if skipped is not None:
                        skipped.append((display_path(here / name), refused.listing))


def display_path(path: Path) -> str:
    """`path` relative to the working directory, as reports show it; as given when it is outside.

    A symlink loop cannot be resolved (RuntimeError on Python 3.11, OSError on others): it is
    named through its folder, so it is still listed as a file not reviewed.
    """
    try:
        try:
            real = path.resolve()
        except (RuntimeError, OSError):
            real = path.parent.resolve() / path.name
        return real.relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, RuntimeError, OSError):
        return path.as_posix()


def fingerprint(diagnostic: Diagnostic, lines: Sequence[str] | None, seen: Counter[tuple[str, str]]) -> str:
    """Identity of a finding that survives edits elsewhere: the rule and the flagged code.

    The flagged lines are compared with their whitespace stripped; the n-th identical
    finding in a file gets n in its fingerprint so duplicates stay distinct. A project
    finding (`lines` None: its file is not read for it) is known by its rule and message.
    """
    code = diagnostic.code
    if lines is None:
        return hashlib.sha256(f"{code}\0{diagnostic.message}".encode()).hexdigest()[:20]
    text = "\n".join(part.strip() for part in lines[diagnostic.span.line - 1 : diagnostic.span.end_line])
    occurrence = seen[(code, text)]
    seen[(code, text)] += 1
    return hashlib.sha256(f"{code}\0{text}\0{occurrence}".encode()).hexdigest()[:20]


def _make_key(path: Path) -> None:
    """A new random key at `path`, mode 0600: written whole to a temporary file, then linked
    into place only if no other process made one first."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".key.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(secrets.token_bytes(KEY_BYTES))
            stream.flush()
            os.fsync(stream.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temp)


def cache_key() -> bytes | None:
    """The secret that authenticates result-cache entries: made once per user and kept in the
    user cache directory (`$XDG_CACHE_HOME/reviewls/key`, mode 0600), never in a repository,
    so a repository cannot ship entries that hide or invent findings. None (run without the
    cache) when it cannot be kept."""
    path = user_cache_dir() / "key"
    for _ in range(3):
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            try:
                _make_key(path)
            except OSError as exc:
                logger.warning("result cache off: cannot create its key %s: %s", path, exc.strerror or exc)
                return None
            continue
        except OSError as exc:
            logger.warning("result cache off: cannot read its key %s: %s", path, exc.strerror or exc)
            return None
        with os.fdopen(fd, "rb") as stream:
            info = os.fstat(stream.fileno())
            data = stream.read(KEY_BYTES + 1)
        me = os.geteuid() if hasattr(os, "geteuid") else info.st_uid
        private = os.name != "posix" or not info.st_mode & 0o077
        if stat.S_ISREG(info.st_mode) and info.st_uid == me and private and len(data) == KEY_BYTES:
            return data
        if info.st_uid != me:
            logger.warning("result cache off: its key %s belongs to another user", path)
            return None
        logger.warning("result cache key %s was readable by others or malformed: replaced", path)
        try:
            os.unlink(path)
        except OSError as exc:
            logger.warning("result cache off: cannot replace its key %s: %s", path, exc.strerror or exc)
            return None
    return None


class Cache:
    """Results per file under .reviewls_cache/, keyed by path, content, config and version.

    The folder is in the repository, so what is in it is untrusted: entry names and contents
    are HMAC-SHA256'd with the user's key (`cache_key`), an entry whose MAC does not check is
    a miss (and is written again), and nothing is written through a symlink.
    """

    def __init__(self, root: Path, config: Config, secret: bytes) -> None:
        self.root = root
        self.folder = root / CACHE_DIR / __version__
        self.secret = secret
        self.salt = repr((__version__, config.key, [r.meta.code for r in config.enabled_rules("x.py")]))
        self._warned = False

    def key(self, path: str, text: str) -> str:
        return hmac.new(self.secret, f"{self.salt}\0{path}\0{text}".encode(), hashlib.sha256).hexdigest()

    def _mac(self, key: str, payload: bytes) -> bytes:
        return hmac.new(self.secret, key.encode() + b"\0" + payload, hashlib.sha256).hexdigest().encode()

    def get(self, key: str) -> list[Record] | None:
        entry = self.folder / key[:2] / f"{key}.json"
        try:
            if not stat.S_ISREG(os.lstat(entry).st_mode):
                return None  # a symlink or a FIFO planted in the cache is never read
            with open(entry, "rb") as stream:
                mac, _, payload = stream.read().partition(b"\n")
            if not hmac.compare_digest(mac, self._mac(key, payload)):
                logger.debug("cache entry %s does not authenticate: ignored", entry)
                return None
            return [Record.from_json(item) for item in json.loads(payload)]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, records: list[Record]) -> None:
        folder = self.folder / key[:2]
        try:
            safe_folder(folder, self.root)
            create_new(self.root / CACHE_DIR / ".gitignore", b"*\n")
            payload = json.dumps([r.to_json() for r in records]).encode()
            handle, temp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(self._mac(key, payload) + b"\n" + payload)
                os.replace(temp, folder / f"{key}.json")  # replaces a planted symlink, never follows it
            except BaseException:
                os.unlink(temp)
                raise
        except OSError as exc:
            if not self._warned:
                self._warned = True
                logger.warning("cannot write the result cache in %s: %s", folder, exc.strerror or exc)


_worker: tuple[Engine, Cache | None, tuple[Path, ...]] | None = None


def _init_worker(config: Config, cache_root: str | None, secret: bytes | None = None, roots: tuple[Path, ...] = ()) -> None:
    global _worker
    cache = Cache(Path(cache_root), config, secret) if cache_root and secret else None
    _worker = (Engine(config), cache, roots or (Path.cwd().resolve(),))


def review_file(path: str, display: str, fix: bool) -> FileReport:
    """Review one file in this process (the worker's engine and cache).

    A bug met on this file costs this file only: it is reported as a crash of its review
    (listed on stderr, exit 2) and the run goes on. Ctrl-C (KeyboardInterrupt) still stops it.
    """
    try:
        return _review_file(path, display, fix)
    except Exception as exc:  # isolation point: one file must not end the run
        logger.exception("internal error while reviewing %s", display)
        return FileReport(display, error=f"not reviewed: internal error: {_describe(exc)}", crashed=True)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _review_file(path: str, display: str, fix: bool) -> FileReport:
    assert _worker is not None, "worker not initialised"
    engine, cache, roots = _worker
    report = FileReport(display)
    try:
        source = read_source(Path(path), roots, walked=True)  # screened by iter_files: only a symlink can lead out
    except ReadError as exc:
        report.error = exc.listing
        return report
    text = source.text
    key = cache.key(display, text) if cache else None
    if cache is not None and key is not None:
        cached = cache.get(key)
        if cached is not None and not (fix and any(r.fix_safety is Safety.SAFE for r in cached)):
            report.records = cached
            report.cached = True
            return report
    try:
        if fix:
            fixed = fix_all(engine, display, text)
            if fixed.applied and fixed.text != text:
                try:
                    write_atomic(Path(path), fixed.text, source, roots)
                except WriteError as exc:
                    report.unwritten = f"not fixed: {exc.reason}"  # its findings are reported as they are
                else:
                    report.fixed = list(fixed.applied)
                    text = fixed.text
                    key = cache.key(display, text) if cache else None
        snapshot = Document(Path(path).resolve().as_uri(), display, text).snapshot()
        analysis = engine.analyze(snapshot)
        seen: Counter[tuple[str, str]] = Counter()
        for finding in analysis.findings:
            built = engine.build_fix(snapshot, finding) if finding.fix else None
            report.records.append(Record.of(display, finding, fingerprint(finding, snapshot.lines, seen), built))
        report.crashes = [(c.code, c.line) for c in analysis.crashes]
    finally:
        engine.clear_caches()
    if cache is not None and key is not None and not report.crashes:
        cache.put(key, report.records)
    return report


def _project_session(config: Config, cache_root: Path | None) -> ProjectSession:
    """The project session of a `--check` run: its facts cached by content digest in the user
    cache directory and signed (a repository cannot plant them), unless caching is off."""
    facts_cache = user_cache_dir() / __version__ / "project" if cache_root is not None else None
    return ProjectSession(Path.cwd(), Engine(config), cache_dir=facts_cache, secret=cache_key() if facts_cache else None)


def _project_records(project: ProjectSession, items: Sequence[tuple[str, str, bool]], fix: bool, result: CheckResult) -> list[Record]:
    """The save tier over the reviewed files (indexed by `run_check` already): project rules,
    with their safe fixes under --fix."""
    if not project.enabled:
        result.crashes.extend((crash.code, crash.path, crash.line) for crash in project.crashes)
        return []
    engine = project.engine
    root = project.root
    roots = (root.resolve(),)
    index = project.index
    paths = [Path(path) for path, _, _ in items]
    project.scan(paths)  # files `--fix` changed since the first scan are read again (by size and time)

    def lines_of(path: str) -> list[str]:
        try:
            return split_lines(read_source(root / path, roots).text)
        except ReadError:
            return []

    pairs = project.check(lines_of)
    result.crashes.extend((crash.code, crash.path, crash.line) for crash in project.crashes)
    if fix:
        edits: dict[str, list[TextEdit]] = {}
        for path, finding in pairs:
            built = engine.build_fix(Snapshot(path, None, (), ()), finding)
            if built is not None and built.safety is Safety.SAFE:
                for edit in built.edits:
                    edits.setdefault(edit.path or path, []).append(edit)
                result.fixed.setdefault(built.edits[0].path or path, []).append(finding.code)
        for target, changes in edits.items():
            file = root / target
            try:
                source = read_source(file, roots)
                write_atomic(file, apply_edits(source.text, changes), source, roots)
            except (ReadError, WriteError) as exc:
                result.fixed.pop(target, None)
                result.unwritten.append((target, f"not fixed: {exc.reason}"))
        if edits:
            project.scan(paths)
            pairs = project.check(lines_of)
    # files without facts (unreadable, beyond the limits, a bug): the project rules did not see them
    result.unindexed.extend(sorted(index.problems.items()))
    records: list[Record] = []
    for path, finding in pairs:
        built = engine.build_fix(Snapshot(path, None, (), ()), finding) if finding.fix else None
        records.append(Record.of(path, finding, fingerprint(finding, None, Counter()), built))
    return records


def _from_cache(cache: Cache, path: str, display: str, roots: tuple[Path, ...]) -> FileReport | None:
    try:
        text = read_source(Path(path), roots, walked=True).text
    except ReadError:
        return None  # reported by the review itself
    records = cache.get(cache.key(display, text))
    return None if records is None else FileReport(display, records, cached=True)


_Item = tuple[str, str, bool]  # (path, display path, fix)
_InitArgs = tuple[Config, str | None, bytes | None, tuple[Path, ...]]  # `_init_worker`'s arguments


def _size(item: _Item) -> int:
    try:
        return os.path.getsize(item[0])
    except OSError:
        return 0


def _chunks(items: list[_Item], size: int) -> Iterator[list[_Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _review_chunk(chunk: list[_Item]) -> list[FileReport]:
    return [review_file(*item) for item in chunk]


def _review_in_pool(items: list[_Item], jobs: int, initargs: _InitArgs, done: Callable[[list[FileReport]], None]) -> None:
    """Review `items` in `jobs` processes, one task per chunk; `done` gets each chunk's reports.

    A worker that dies (a SIGSEGV in native code, the OOM killer) breaks the whole pool and
    every chunk in it: those are reviewed again one file at a time (`_review_alone`), which
    finds the culprit, then the rest goes on in a fresh pool. Only `2 * jobs` chunks are in
    flight at once, so a death sends a few dozen files, not the whole run, to the slow path.
    """
    size = max(1, min(16, len(items) // (jobs * 4) or 1))
    waiting = deque(_chunks(items, size))
    while waiting:
        unfinished: list[_Item] = []
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=initargs)
        try:
            running: dict[Future[list[FileReport]], list[_Item]] = {}
            while waiting or running:
                while waiting and len(running) < 2 * jobs and not unfinished:
                    chunk = waiting.popleft()
                    running[pool.submit(_review_chunk, chunk)] = chunk
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    chunk = running.pop(future)
                    try:
                        reports = future.result()
                    except BrokenProcessPool:  # every chunk in the pool fails with it
                        unfinished.extend(chunk)
                        continue
                    except Exception:  # isolation point: e.g. a report that does not pickle
                        logger.exception("a chunk of %d files failed; each is reviewed again alone", len(chunk))
                        unfinished.extend(chunk)
                        continue
                    done(reports)
                if unfinished and not running:
                    break
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # Ctrl-C: chunks not started are dropped
        if unfinished:
            logger.warning("a reviewing process died: its %d files are reviewed again, one at a time", len(unfinished))
            _review_alone(sorted(unfinished, key=lambda item: item[1]), initargs, done)


def _review_alone(items: list[_Item], initargs: _InitArgs, done: Callable[[list[FileReport]], None]) -> None:
    """Review each file alone in a single-worker pool, a fresh one after each death: a file that
    kills it is the culprit, and is reported as not reviewed (a crash, exit 2)."""
    pool: ProcessPoolExecutor | None = None
    try:
        for item in items:
            if pool is None:
                pool = ProcessPoolExecutor(max_workers=1, initializer=_init_worker, initargs=initargs)
            try:
                reports = pool.submit(_review_chunk, [item]).result()
            except BrokenProcessPool:
                logger.error("reviewing %s killed its process", item[1])
                pool.shutdown(wait=True)
                pool = None
                reports = [FileReport(item[1], error=CRASHED, crashed=True)]
            except Exception as exc:  # isolation point: a failure outside review_file's own guard
                logger.exception("internal error while reviewing %s", item[1])
                reports = [FileReport(item[1], error=f"not reviewed: internal error: {_describe(exc)}", crashed=True)]
            done(reports)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def run_check(
    paths: Sequence[str],
    config: Config,
    *,
    fix: bool = False,
    jobs: int | None = None,
    cache_root: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CheckResult:
    """Review every file under `paths`; `progress(done, total)` is called as files finish."""
    roots = workspace_roots(paths)
    skipped: list[tuple[str, str]] = []
    files = list(iter_files(paths, config, skipped, roots))
    listed = set(files)
    entry_points = [p for raw in paths for p in Path(raw).glob("*") if p not in listed and refusal(p, roots) is None] + files
    config = settings_config(Path.cwd(), config, entry_points, files, roots)
    items = [(str(path), display_path(path), fix) for path in files]
    everything = items  # the project tier sees every file, cached or not
    jobs = max(1, jobs or os.cpu_count() or 1)
    secret = cache_key() if cache_root is not None else None
    # the project is indexed first: edit rules that read the whole project (`project_needs`) get
    # what they read through the config, as in the editor; the project rules run on it last
    project = _project_session(config, cache_root if secret else None)
    if project.enabled or project.informs:
        project.scan(files)
        entries = project.project_settings()
        if entries:
            config = dataclasses.replace(config, project_settings=tuple(sorted({*config.project_settings, *entries})))
            project.engine.set_config(config)
    root = str(cache_root) if cache_root and secret else None
    total = len(items)
    reports: list[FileReport] = []
    if cache_root is not None and secret is not None and not fix:
        # cached files are served here: a warm run starts no worker at all
        cache = Cache(cache_root, config, secret)
        pending = []
        for item in items:
            hit = _from_cache(cache, item[0], item[1], roots)
            if hit is None:
                pending.append(item)
            else:
                reports.append(hit)
        items = pending
    if progress and reports:
        progress(len(reports), total)
    if jobs == 1 or len(items) < 2:
        _init_worker(config, root, secret, roots)
        for item in items:
            reports.append(review_file(*item))
            if progress:
                progress(len(reports), total)
    else:
        # the workers are forked: objects frozen here are never scanned (nor copied on write) by
        # their collector; the biggest files go first, so no worker is left with a long tail
        gc.freeze()
        items.sort(key=_size, reverse=True)

        def done(chunk_reports: list[FileReport]) -> None:
            reports.extend(chunk_reports)
            if progress:
                progress(len(reports), total)

        _review_in_pool(items, jobs, (config, root, secret, roots), done)
    reports.sort(key=lambda report: report.path)
    result = CheckResult(errors=skipped)
    result.findings.extend(_project_records(project, everything, fix, result))
    for report in reports:
        if report.error is not None:
            result.errors.append((report.path, report.error))
            if report.crashed:
                result.crashed_files.append(report.path)
            continue
        if report.unwritten is not None:
            result.unwritten.append((report.path, report.unwritten))
        result.files += 1
        result.cached_files += report.cached
        result.findings.extend(report.records)
        if report.fixed:
            result.fixed[report.path] = report.fixed
        result.crashes.extend((code, report.path, line) for code, line in report.crashes)
    result.findings.sort(key=lambda r: (r.path, r.line, r.col, r.code))
    result.errors.sort()
    result.crashed_files.sort()
    # a file not reviewed at all is listed once, as such; `ProjectIndex` names a crash "internal error: ..."
    not_reviewed = {path for path, _ in result.errors}
    result.unindexed = [(path, why) for path, why in result.unindexed if path not in not_reviewed]
    result.unindexed_crashes = [path for path, why in result.unindexed if why.startswith("internal error")]
    result.unwritten.sort()
    return result


class Progress:
    """A progress bar on a terminal for runs over a second; silent otherwise (rich)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty() and not os.environ.get("CI")
        self.started = time.monotonic()
        self._bar: object | None = None
        self._task: object | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self.started < 1.0:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            bar = Bar("reviewing", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            bar.start()
            self._bar, self._task = bar, bar.add_task("files", total=total)
        self._bar.update(self._task, completed=done)  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()  # type: ignore[attr-defined]
