"""Batch review for `--check`: files on disk, in parallel processes, with a result cache.

Each file is reviewed by the same engine the server uses. Results cross process boundaries
and the cache as plain `Record`s (with their fix edits already built), keyed by what they
depend on: the file's path and content, the configuration and the reviewls version.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rules.api import Fix, Safety, Severity, TextEdit
from rules.api.project import ProjectRule
from server import __version__
from server.config import Config
from server.configfiles import kind_of
from server.documents import Document
from server.engine import Diagnostic, Engine, Snapshot
from server.fixes import apply_edits, fix_all
from server.project import ProjectIndex, project_defaults, settings_targets

logger = logging.getLogger(__name__)

CACHE_DIR = ".reviewls_cache"


class ReadError(Exception):
    """A file that cannot be reviewed (missing, unreadable, not UTF-8)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


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
    error: str | None = None
    crashes: list[tuple[str, int]] = field(default_factory=list)  # (code, line)
    cached: bool = False


@dataclass
class CheckResult:
    findings: list[Record] = field(default_factory=list)
    files: int = 0
    fixed: dict[str, list[str]] = field(default_factory=dict)  # path -> codes fixed
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    crashes: list[tuple[str, str, int]] = field(default_factory=list)  # (code, path, line)
    baselined: int = 0
    cached_files: int = 0

    @property
    def fixed_count(self) -> int:
        return sum(len(codes) for codes in self.fixed.values())


def iter_files(paths: Sequence[str], config: Config) -> Iterator[Path]:
    """Files reviewls reviews under `paths` (Python, compose, requirements, nginx, .env examples),
    skipping excluded folders; explicit files are always kept."""
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            here = Path(root)
            dirs[:] = sorted(d for d in dirs if not config.is_excluded(here / d))
            for name in sorted(files):
                if kind_of((here / name).as_posix(), config.file_types) is not None and not config.is_excluded(here / name):
                    yield here / name


def read_source(path: Path) -> tuple[str, bool]:
    """The file's text and whether it had a UTF-8 BOM; ReadError with the reason otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(str(path), f"cannot read: {exc.strerror or exc}") from None
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8-sig"), bom
    except UnicodeDecodeError as exc:
        raise ReadError(str(path), f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); file skipped") from None


def display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def write_atomic(path: Path, text: str, bom: bool) -> None:
    """Replace the file in one step: a crash never leaves half a file."""
    data = ("\ufeff" if bom else "") + text
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(data)
        os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


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


class Cache:
    """Results per file under .reviewls_cache/, keyed by path, content, config and version."""

    def __init__(self, root: Path, config: Config) -> None:
        self.folder = root / CACHE_DIR / __version__
        self.salt = repr((__version__, config.key, [r.meta.code for r in config.enabled_rules("x.py")]))

    def key(self, path: str, text: str) -> str:
        return hashlib.sha256(f"{self.salt}\0{path}\0{text}".encode()).hexdigest()

    def get(self, key: str) -> list[Record] | None:
        try:
            data = json.loads((self.folder / key[:2] / f"{key}.json").read_text(encoding="utf-8"))
            return [Record.from_json(item) for item in data]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, records: list[Record]) -> None:
        folder = self.folder / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            gitignore = self.folder.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n")
            handle, temp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump([r.to_json() for r in records], stream)
            os.replace(temp, folder / f"{key}.json")
        except OSError as exc:
            logger.warning("cannot write the result cache in %s: %s", folder, exc.strerror)


_worker: tuple[Engine, Cache | None] | None = None


def _init_worker(config: Config, cache_root: str | None) -> None:
    global _worker
    _worker = (Engine(config), Cache(Path(cache_root), config) if cache_root else None)


def review_file(path: str, display: str, fix: bool) -> FileReport:
    """Review one file in this process (the worker's engine and cache)."""
    assert _worker is not None, "worker not initialised"
    engine, cache = _worker
    report = FileReport(display)
    try:
        text, bom = read_source(Path(path))
    except ReadError as exc:
        report.error = exc.reason
        return report
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
                write_atomic(Path(path), fixed.text, bom)
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


def _project_records(
    items: Sequence[tuple[str, str, bool]], config: Config, fix: bool, result: CheckResult, cache_root: Path | None = None
) -> list[Record]:
    """The save tier over the reviewed files: project rules, with their safe fixes under --fix."""
    engine = Engine(config)
    rules = [r for r in config.enabled_rules(".") if isinstance(r, type) and issubclass(r, ProjectRule)]
    if not rules:
        return []
    root = Path.cwd()
    needs = {need for rule in rules for need in rule.needs}
    facts_cache = cache_root / CACHE_DIR / __version__ / "project" if cache_root is not None else None
    index = ProjectIndex(root, config.file_types, needs=needs, cache_dir=facts_cache)
    paths = [Path(path) for path, _, _ in items]
    index.scan(paths)

    def lines_of(path: str) -> list[str]:
        try:
            return (root / path).read_text(encoding="utf-8-sig").splitlines(keepends=True)
        except (OSError, UnicodeDecodeError):
            return []

    pairs = engine.check_project(index.facts(), lines_of)
    result.crashes.extend((crash.code, crash.path, crash.line) for crash in engine.project_crashes)
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
                text, bom = read_source(file)
            except ReadError as exc:
                result.errors.append((target, f"not fixed: {exc.reason}"))
                continue
            write_atomic(file, apply_edits(text, changes), bom)
        if edits:
            index.scan(paths)
            pairs = engine.check_project(index.facts(), lines_of)
    records: list[Record] = []
    for path, finding in pairs:
        built = engine.build_fix(Snapshot(path, None, (), ()), finding) if finding.fix else None
        records.append(Record.of(path, finding, fingerprint(finding, None, Counter()), built))
    return records


def _from_cache(cache: Cache, path: str, display: str) -> FileReport | None:
    try:
        text, _ = read_source(Path(path))
    except ReadError:
        return None  # reported by the review itself
    records = cache.get(cache.key(display, text))
    return None if records is None else FileReport(display, records, cached=True)


def _size(item: tuple[str, str, bool]) -> int:
    try:
        return os.path.getsize(item[0])
    except OSError:
        return 0


def _chunks(items: list[tuple[str, str, bool]], size: int) -> Iterator[list[tuple[str, str, bool]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _review_chunk(chunk: list[tuple[str, str, bool]]) -> list[FileReport]:
    return [review_file(*item) for item in chunk]


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
    files = list(iter_files(paths, config))
    entry_points = [p for raw in paths for p in Path(raw).glob("*") if p.is_file()] + files
    targets = settings_targets(Path.cwd(), entry_points)
    defaults = project_defaults(Path.cwd(), targets, files)
    if targets or defaults:
        config = dataclasses.replace(config, settings_modules=targets, project_settings=defaults)
    items = [(str(path), display_path(path), fix) for path in files]
    everything = items  # the project tier sees every file, cached or not
    jobs = max(1, jobs or os.cpu_count() or 1)
    root = str(cache_root) if cache_root else None
    total = len(items)
    reports: list[FileReport] = []
    if cache_root is not None and not fix:
        # cached files are served here: a warm run starts no worker at all
        cache = Cache(cache_root, config)
        pending = []
        for item in items:
            hit = _from_cache(cache, item[0], item[1])
            if hit is None:
                pending.append(item)
            else:
                reports.append(hit)
        items = pending
    if progress and reports:
        progress(len(reports), total)
    if jobs == 1 or len(items) < 2:
        _init_worker(config, root)
        for item in items:
            reports.append(review_file(*item))
            if progress:
                progress(len(reports), total)
    else:
        size = max(1, min(16, len(items) // (jobs * 4) or 1))
        # the workers are forked: objects frozen here are never scanned (nor copied on write) by
        # their collector; the biggest files go first, so no worker is left with a long tail
        gc.freeze()
        items.sort(key=_size, reverse=True)
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(config, root)) as pool:
            for chunk_reports in pool.map(_review_chunk, _chunks(items, size)):
                reports.extend(chunk_reports)
                if progress:
                    progress(len(reports), total)
    reports.sort(key=lambda report: report.path)
    result = CheckResult()
    result.findings.extend(_project_records(everything, config, fix, result, cache_root))
    for report in reports:
        if report.error is not None:
            result.errors.append((report.path, report.error))
            continue
        result.files += 1
        result.cached_files += report.cached
        result.findings.extend(report.records)
        if report.fixed:
            result.fixed[report.path] = report.fixed
        result.crashes.extend((code, report.path, line) for code, line in report.crashes)
    result.findings.sort(key=lambda r: (r.path, r.line, r.col, r.code))
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
