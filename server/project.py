"""The project index behind the save tier: facts per file, recomputed only for changed files.

Facts are what project rules need and nothing more: env-var reads with literal names (an
`ast` pass with import resolution), `.env.example`-style keys, and the module/package layout.
A file's facts are cached under its content hash, so re-indexing after a save re-reads one file.

One bad file never costs the others their facts: files are read under the `fsio` policy
(regular files under its size cap: no FIFO, `/dev/zero` or symlink loop), a file beyond the
engine's limits (`server/engine/limits.py`) or one CPython refuses for its nesting gets no facts,
and any other failure on one file is logged; each is listed in `ProjectIndex.problems`.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import io
import json
import keyword
import logging
import os
import pickle
import re
import stat
import tokenize
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from rules.api.configdata import FileKind
from rules.api.context import Role, roles_for_path
from rules.api.env import ENV_NAME, is_env_wrapper
from rules.api.project import (
    CLONE_MIN_LINES,
    CLONES,
    CloneWindow,
    EnvExample,
    EnvUse,
    ProjectFacts,
    ProjectView,
    SourceFile,
)
from rules.api.types import Span
from server.configfiles import kind_of, read_dotenv
from rules.api.astnames import ast_dotted as _dotted
from server.engine.limits import MAX_FILE_CHARS, MAX_FILE_LINES, Excess
from server.fsio import ReadError, read_source

logger = logging.getLogger(__name__)

_DJANGO_ENV = frozenset(("str", "bool", "int", "float", "list", "tuple", "dict", "json", "url", "db", "db_url", "cache", "cache_url", "email", "email_url", "path"))


@dataclass(frozen=True, slots=True)
class _FileFacts:
    digest: str
    stamp: tuple[int, int] = (0, 0)  # (mtime_ns, size) when read from disk
    env_uses: tuple[EnvUse, ...] = ()
    example: EnvExample | None = None
    clones: tuple[CloneWindow, ...] = ()
    # fact kinds gathered from the file (shared kinds and rules' `collect`): "name@version" -> value
    kinds: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Gatherer:
    """One fact kind as the index runs it: a versioned function of one file."""

    name: str
    version: int
    gather: Callable[[SourceFile], object | None]

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"


_DECLARATIVE = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Pass)
_BODIES = ("body", "orelse", "finalbody")
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_MOD = (1 << 61) - 1
_BASE = 1_000_003


def _statement_lists(body: list[ast.stmt], lists: list[list[ast.stmt]], sizes: dict[int, int]) -> int:
    """Collect `body` and the statement lists nested in it; record each statement's logical
    lines (itself plus its nested statements). Statements only: expressions are not walked."""
    lists.append(body)
    total = 0
    for stmt in body:
        size = 1
        for field in _BODIES:
            nested = getattr(stmt, field, None)
            if isinstance(nested, list) and nested and isinstance(nested[0], ast.stmt):
                size += _statement_lists(nested, lists, sizes)
        for handler in getattr(stmt, "handlers", ()):
            size += _statement_lists(handler.body, lists, sizes)
        for case in getattr(stmt, "cases", ()):
            size += _statement_lists(case.body, lists, sizes)
        sizes[id(stmt)] = size
        total += size
    return total


def _data(expr: ast.expr | None) -> bool:
    """A literal, a name, or a display of those: data, not a computation."""
    if isinstance(expr, (ast.Constant, ast.Name)) or expr is None:
        return True
    if isinstance(expr, ast.Attribute):
        return _data(expr.value)
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return all(_data(e) for e in expr.elts)
    if isinstance(expr, ast.Dict):
        return all(_data(k) and _data(v) for k, v in zip(expr.keys, expr.values))
    return False


def _declarative(stmt: ast.stmt) -> bool:
    """Imports, assignments, docstrings, calls that only hand data over (`threads.append(email)`,
    `email.tags.extend(["a", "b"])`, `obj.save()`), and classes of only those (dataclasses,
    models, settings): field lists and sample data share this shape by design."""
    if isinstance(stmt, ast.ClassDef):
        return all(_declarative(s) for s in stmt.body)
    if isinstance(stmt, ast.If) and (_dotted(stmt.test) or "").endswith("TYPE_CHECKING"):
        return all(_declarative(s) for s in (*stmt.body, *stmt.orelse))  # imports for the type checker
    if isinstance(stmt, ast.Try) and not stmt.finalbody:  # `try: import x except ImportError: x = None`, `try: x = json.loads(x) except ValueError: x = {}`
        return all(_declarative(s) for s in (*stmt.body, *stmt.orelse, *(s for h in stmt.handlers for s in h.body)))
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        return isinstance(call.func, ast.Attribute) and all(_data(a) for a in call.args) and all(_data(k.value) for k in call.keywords)
    return isinstance(stmt, _DECLARATIVE) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))


def _line_shapes(text: str) -> tuple[dict[int, int], dict[int, int]]:
    """Line number -> hash of its tokens with names and literals erased (attribute names kept),
    and the coarse shape (attribute names erased too, names not told from literals: rows of one
    table); one tokenize for both."""
    fine: dict[int, list[str]] = {}
    coarse: dict[int, list[str]] = {}
    previous = ""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, value = token.type, token.string
            if kind in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            line = token.start[0]
            if kind in (tokenize.NUMBER, tokenize.STRING) or value in ("True", "False", "None"):
                fine.setdefault(line, []).append("L")
                coarse.setdefault(line, []).append("_")
            elif kind == tokenize.NAME and not keyword.iskeyword(value):
                fine.setdefault(line, []).append(value if previous == "." else "_")
                coarse.setdefault(line, []).append("_")
            else:
                fine.setdefault(line, []).append(value)
                coarse.setdefault(line, []).append(value)
            previous = token.string
    except (tokenize.TokenError, SyntaxError):
        return {}, {}

    def hashed(shapes: dict[int, list[str]]) -> dict[int, int]:
        return {line: int.from_bytes(hashlib.sha1(" ".join(parts).encode()).digest()[:7], "big") for line, parts in shapes.items()}

    return hashed(fine), hashed(coarse)


CLONE_ALGORITHM = "w4"  # bump when clone_windows() changes: cached windows of an older one are stale
DEFINITION_MARK = "+def"  # ends the digest of a window that is one whole def/class (RV902 reads it)


def _first_line(stmt: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _periodic(shapes: list[int]) -> bool:
    """The run repeats one short pattern of statements (a row of `registry.register(...)` calls, a
    chain of `if x is not None: kwargs["x"] = x`, draw-label/draw-value pairs): a table written as
    code, which matches itself shifted by a row. Its copies are rows of a table, not copied logic."""
    n = len(shapes)
    return n > 1 and any(all(shapes[i] == shapes[i + period] for i in range(n - period)) for period in range(1, n // 2 + 1))


def clone_windows(path: str, text: str, tree: ast.Module | None = None) -> tuple[CloneWindow, ...]:
    """For every statement list, the shortest run of CLONE_MIN_LINES logical lines from each
    statement, with a digest of its erased shape: one `ast` parse (the index's, shared with the
    fact kinds) and one tokenize per file, and a rolling hash over the lines so each window costs O(1)."""
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return ()
    lines, coarse = _line_shapes(text)

    def row(stmt: ast.stmt) -> int:
        return hash(tuple(coarse.get(n) for n in range(_first_line(stmt), (stmt.end_lineno or stmt.lineno) + 1)))

    order = sorted(lines)
    position = {line: index for index, line in enumerate(order)}
    prefix = [0]
    powers = [1]
    for line in order:
        prefix.append((prefix[-1] * _BASE + lines[line]) % _MOD)
        powers.append(powers[-1] * _BASE % _MOD)

    def digest(first: int, last: int) -> str | None:
        start = next((position[n] for n in range(first, last + 1) if n in position), None)
        end = next((position[n] for n in range(last, first - 1, -1) if n in position), None)
        if start is None or end is None:
            return None
        value = (prefix[end + 1] - prefix[start] * powers[end + 1 - start]) % _MOD
        return f"{value:x}-{end + 1 - start}"

    lists: list[list[ast.stmt]] = []
    logical: dict[int, int] = {}
    _statement_lists(tree.body, lists, logical)
    out: list[CloneWindow] = []
    for statements in lists:
        sizes = [logical[id(s)] for s in statements]
        shapes = [row(s) for s in statements]
        for start in range(len(statements)):
            total, end = 0, start
            while end < len(statements) and total < CLONE_MIN_LINES:
                total += sizes[end]
                end += 1
            if total < CLONE_MIN_LINES:
                break
            window = statements[start:end]
            if all(_declarative(s) for s in window):
                continue
            if len(window) > 1 and any(isinstance(s, _DEFINITIONS) for s in window):
                continue  # a run of small definitions (properties, tiny views) is a pattern, not a copied block
            rows = shapes[start:end]
            if len(window) == 1 and not getattr(window[0], "orelse", None) and not getattr(window[0], "handlers", None):
                rows = [row(s) for s in getattr(window[0], "body", ())]
            if _periodic(rows):
                continue  # a table written as statements (`registry.register(...)` rows, `if x: kw["x"] = x` chains)
            first, last = window[0], window[-1]
            shape = digest(_first_line(first), last.end_lineno or last.lineno)
            if shape is None:
                continue
            if len(window) == 1 and isinstance(first, _DEFINITIONS):
                shape += DEFINITION_MARK  # a whole definition: same group, but known not to be a fragment
            span = Span(first.lineno, first.col_offset, last.end_lineno or last.lineno, last.end_col_offset or 0)
            out.append(CloneWindow(path, span, shape, total))
    return tuple(out)


def env_uses(path: str, text: str) -> tuple[EnvUse, ...]:
    """Env reads with literal names: os.environ[...], os.getenv, os.environ.get, env(...), config(...)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ()
    imports: dict[str, str] = {}
    env_objects: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imports[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            callee = _dotted(node.value.func) or ""
            head, _, rest = callee.partition(".")
            if f"{imports.get(head, head)}{'.' + rest if rest else ''}" in ("environ.Env", "environs.Env", "starlette.config.Config"):
                env_objects.update(t.id for t in node.targets if isinstance(t, ast.Name))

    def qualified(expr: ast.expr) -> str:
        name = _dotted(expr) or ""
        head, _, rest = name.partition(".")
        return f"{imports.get(head, head)}{'.' + rest if rest else ''}"

    uses: list[EnvUse] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any((_dotted(b) or "").endswith("BaseSettings") for b in node.bases):
            uses.extend(_pydantic_fields(path, node))
            continue
        key_node: ast.expr | None = None
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and qualified(node.value) == "os.environ":
            key_node = node.slice  # `os.environ["X"] = ...` writes the variable; only reads count
        elif isinstance(node, ast.Call) and node.args:
            name = qualified(node.func)
            func = node.func
            owner = _dotted(func.value) if isinstance(func, ast.Attribute) else _dotted(func)
            django_env = owner in env_objects and (isinstance(func, ast.Name) or (isinstance(func, ast.Attribute) and func.attr in _DJANGO_ENV))
            first = node.args[0]
            wrapper = isinstance(first, ast.Constant) and isinstance(first.value, str) and ENV_NAME.fullmatch(first.value) and is_env_wrapper(name)
            if name in ("os.getenv", "os.environ.get", "decouple.config") or django_env or wrapper:
                key_node = first  # a project's own reader (`envbool("X", d)`, `get_env("X")`) counts as a read
        if isinstance(key_node, ast.Constant) and isinstance(key_node.value, str) and key_node.end_col_offset is not None:
            span = Span(key_node.lineno, key_node.col_offset, key_node.end_lineno or key_node.lineno, key_node.end_col_offset)
            uses.append(EnvUse(path, key_node.value, span))
    return tuple(sorted(uses, key=lambda u: (u.span.line, u.span.col)))


def _pydantic_fields(path: str, cls: ast.ClassDef) -> list[EnvUse]:
    """pydantic-settings fields read the variable of their name (or alias), after `env_prefix`."""
    prefix = ""
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets):
            if isinstance(stmt.value, ast.Call):
                for kw in stmt.value.keywords:
                    if kw.arg == "env_prefix" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        prefix = kw.value.value
    uses: list[EnvUse] = []
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name) or stmt.target.id == "model_config":
            continue
        key = (prefix + stmt.target.id).upper()
        node: ast.expr = stmt.target
        if isinstance(stmt.value, ast.Call):
            for kw in stmt.value.keywords:
                if kw.arg in ("alias", "validation_alias", "env") and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    key, node = kw.value.value.upper(), kw.value
        end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        uses.append(EnvUse(path, key, Span(node.lineno, node.col_offset, node.end_lineno or node.lineno, end)))
    return uses


def _resolved(path: Path) -> Path:
    """`path.resolve()`, or its absolute form when that fails (a symlink loop raises RuntimeError)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def _read(path: Path) -> str | None:
    """A project file's text under the `fsio` policy (regular file, size cap, PEP 263), or None."""
    try:
        return read_source(path).text
    except ReadError as exc:
        logger.debug("%s not read: %s", path, exc.reason)
        return None


def _parse(text: str) -> ast.Module | None:
    """`ast.parse`, None for a file CPython cannot read (broken, or nested past its own limits)."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _too_large(text: str) -> Excess | None:
    """A file beyond the engine's limits gets no facts (the edit tier does not review it either)."""
    lines = text.count("\n") + 1
    if lines > MAX_FILE_LINES:
        return Excess("lines", lines, MAX_FILE_LINES, "file")
    if len(text) > MAX_FILE_CHARS:
        return Excess("characters", len(text), MAX_FILE_CHARS, "file")
    return None


def _example(path: str, text: str) -> EnvExample:
    lines = text.splitlines(keepends=True)
    last = len(lines)
    end_col = len(lines[-1].rstrip("\r\n")) if lines and not lines[-1].endswith(("\n", "\r")) else 0
    end_line = last if end_col else last + 1
    return EnvExample(path, read_dotenv(text), Span(end_line, end_col, end_line, end_col), not lines or lines[-1].endswith(("\n", "\r")))


class ProjectIndex:
    """Facts of every file of the project; `update` re-reads one file when its text changed."""

    def __init__(
        self,
        root: Path,
        file_types: Iterable[tuple[str, str]] = (),
        *,
        needs: Iterable[str] = (),
        cache_dir: Path | None = None,
        gatherers: Iterable[Gatherer] = (),
        secret: bytes | None = None,
    ) -> None:
        self.root = root
        self._real_root: Path | None = None
        self.file_types = tuple(file_types)
        self.clones = CLONES in set(needs)  # read every Python file for clone windows
        self.cache_dir = cache_dir  # facts by content hash, so a warm `--check` does not redo them
        self.gatherers = tuple(gatherers)  # fact kinds and rules' `collect`, run per Python file
        self.secret = secret  # signs the cached facts (pickles): an entry that does not authenticate is a miss
        self._files: dict[str, _FileFacts] = {}
        self.reads = 0  # files (re)indexed, for tests
        self.gathered = 0  # (file, kind) pairs gathered, for tests and the benchmark
        # files without facts and why (unreadable, too large, too deeply nested, an error), by
        # path relative to the root: the CLI and the server list them, the other files go on
        self.problems: dict[str, str] = {}

    def _relative(self, path: Path) -> str:
        if self._real_root is None:
            self._real_root = _resolved(self.root)
        try:
            return _resolved(path).relative_to(self._real_root).as_posix()
        except ValueError:
            return path.as_posix()

    def has_examples(self) -> bool:
        return any(f.example is not None for f in self._files.values())

    def update(self, path: Path, text: str | None = None, *, env: bool | None = None, rel: str | None = None) -> None:
        """(Re)index one file; `env=False` skips reading env uses (no example file to check against);
        `rel` is its path relative to the root when the caller already has it. A file that cannot
        be indexed loses its facts and is listed in `problems`; it never stops the others."""
        rel = rel if rel is not None else self._relative(path)
        self.problems.pop(rel, None)
        try:
            self._update(path, text, env, rel)
        except Exception as exc:  # isolation point: one bad file must not cost the project tier the others
            reason = "nested too deeply to read" if isinstance(exc, (RecursionError, MemoryError)) else f"internal error: {type(exc).__name__}: {exc}"
            logger.warning("project index: %s skipped (%s)", rel, reason, exc_info=not isinstance(exc, (RecursionError, MemoryError)))
            self._files[rel] = _FileFacts("")  # still a module of the project, without facts
            self.problems[rel] = reason

    def _update(self, path: Path, text: str | None, env: bool | None, rel: str) -> None:
        kind = kind_of(rel, self.file_types)
        if kind not in (FileKind.PYTHON, FileKind.DOTENV):
            return
        want_env = self.has_examples() if env is None else env
        if kind is FileKind.PYTHON and not want_env and not self.clones and not self.gatherers and text is None:
            self._files[rel] = _FileFacts("")  # its place in the layout is all that is needed
            return
        stamp = (0, 0)
        if text is None:
            try:
                stat = path.stat()
                stamp = (stat.st_mtime_ns, stat.st_size)
                known = self._files.get(rel)
                if known is not None and known.stamp == stamp and known.digest.endswith("+env") == want_env and not self._missing(known, rel):
                    return  # unchanged on disk since it was read
                text = read_source(path).text
            except ReadError as exc:
                self._files.pop(rel, None)
                self.problems[rel] = exc.listing
                return
            except OSError as exc:  # a symlink loop, a file gone since the walk
                self._files.pop(rel, None)
                self.problems[rel] = f"cannot read: {exc.strerror or exc}"
                return
        if kind is FileKind.PYTHON and (excess := _too_large(text)) is not None:
            self._files[rel] = _FileFacts("")  # a module of the project, without facts
            self.problems[rel] = excess.message()
            return
        digest = hashlib.sha256(text.encode()).hexdigest() + ("+clones" if self.clones else "") + ("+env" if want_env else "")
        known = self._files.get(rel)
        if known is not None and known.digest == digest:
            missing = self._missing(known, rel) if kind is FileKind.PYTHON else ()
            if known.stamp != stamp or missing:
                kinds = {**known.kinds, **self._gather(SourceFile(rel, text), digest, missing)} if missing else known.kinds
                self._files[rel] = _FileFacts(digest, stamp, known.env_uses, known.example, known.clones, kinds)
            return
        self.reads += 1
        if kind is FileKind.DOTENV:
            self._files[rel] = _FileFacts(digest, stamp, example=_example(rel, text))
        else:
            source = SourceFile(rel, text)  # one parse for the clone windows and every fact kind
            self._files[rel] = _FileFacts(
                digest,
                stamp,
                env_uses=env_uses(rel, text) if want_env else (),
                clones=self._clone_windows(source, digest) if self.clones else (),
                kinds=self._gather(source, digest, self._gatherers_for(rel)),
            )

    def _missing(self, known: _FileFacts, rel: str) -> tuple[Gatherer, ...]:
        return tuple(g for g in self._gatherers_for(rel) if g.key not in known.kinds)

    def _gatherers_for(self, rel: str) -> tuple[Gatherer, ...]:
        """Migrations are generated code: their names and shapes are Django's, not the project's."""
        return () if Role.MIGRATION in roles_for_path(rel) else self.gatherers

    def _gather(self, source: SourceFile, digest: str, gatherers: Iterable[Gatherer]) -> dict[str, object]:
        """The fact kinds of one Python file: from the signed disk cache when a `--check` saw this
        content before, else gathered (one parse shared by all kinds). A kind that fails is logged
        and listed in `problems`; the file keeps its other kinds."""
        wanted = tuple(gatherers)
        if not wanted:
            return {}
        cached = self._cached_kinds(digest)
        out = {g.key: cached[g.key] for g in wanted if g.key in cached}
        todo = [g for g in wanted if g.key not in out]
        if not todo:
            return out
        rel = source.path
        for gatherer in todo:
            self.gathered += 1
            try:
                out[gatherer.key] = gatherer.gather(source)
            except Exception as exc:  # isolation point: one kind's bug must not cost the file its other facts
                reason = "nested too deeply to read" if isinstance(exc, (RecursionError, MemoryError)) else f"internal error in {gatherer.name}: {type(exc).__name__}: {exc}"
                logger.warning("project index: %s: %s", rel, reason, exc_info=not isinstance(exc, (RecursionError, MemoryError)))
                self.problems[rel] = reason
                out[gatherer.key] = None
        if self.problems.get(rel) is None:
            self._store_kinds(digest, {**cached, **out})
        return out

    def _entry(self, digest: str) -> Path | None:
        if self.cache_dir is None or self.secret is None:
            return None
        return self.cache_dir / f"{digest[:40]}-facts.pickle"

    def _cached_kinds(self, digest: str) -> dict[str, object]:
        entry = self._entry(digest)
        if entry is None or self.secret is None:
            return {}
        try:
            if not stat.S_ISREG(os.lstat(entry).st_mode):
                return {}  # never read through a symlink or a FIFO
            with open(entry, "rb") as stream:
                mac, _, payload = stream.read().partition(b"\n")
            if not hmac.compare_digest(mac, hmac.new(self.secret, payload, hashlib.sha256).hexdigest().encode()):
                return {}  # not written by this user's reviewls: never unpickled
            value = pickle.loads(payload)  # noqa: S301  (authenticated above)
            return value if isinstance(value, dict) else {}
        except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            return {}  # not cached yet, unreadable, or from an older version of a fact's class

    def _store_kinds(self, digest: str, kinds: Mapping[str, object]) -> None:
        entry = self._entry(digest)
        if entry is None or self.secret is None:
            return
        try:
            payload = pickle.dumps(dict(kinds), protocol=pickle.HIGHEST_PROTOCOL)
            mac = hmac.new(self.secret, payload, hashlib.sha256).hexdigest().encode()
            entry.parent.mkdir(parents=True, exist_ok=True)
            temp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
            temp.write_bytes(mac + b"\n" + payload)
            os.replace(temp, entry)
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            logger.debug("facts of %s not cached: %s", digest[:12], exc)

    def _clone_windows(self, source: SourceFile, digest: str) -> tuple[CloneWindow, ...]:
        rel, text = source.path, source.text
        if self.cache_dir is None:
            return clone_windows(rel, text, source.tree())
        entry = self.cache_dir / f"{digest[:40]}-{CLONE_ALGORITHM}.json"
        try:
            rows = json.loads(entry.read_text())
            return tuple(CloneWindow(rel, Span(*row[:4]), row[4], row[5]) for row in rows)
        except (OSError, ValueError, TypeError, IndexError):
            pass  # not cached yet, or unreadable: compute it again
        windows = clone_windows(rel, text, source.tree())
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            rows = [[w.span.line, w.span.col, w.span.end_line, w.span.end_col, w.digest, w.lines] for w in windows]
            entry.write_text(json.dumps(rows))
        except OSError as exc:
            logger.debug("clone windows of %s not cached: %s", rel, exc)
        return windows

    def remove(self, path: Path) -> None:
        """Forget a deleted file, or every file under a deleted folder."""
        rel = self._relative(path)
        for known in [p for p in self._files if p == rel or p.startswith(rel + "/")]:
            del self._files[known]
        for known in [p for p in self.problems if p == rel or p.startswith(rel + "/")]:
            del self.problems[known]

    def scan(self, paths: Iterable[Path]) -> None:
        """Index these files; files no longer among them are dropped."""
        for _ in self.scan_steps(paths):
            pass

    def scan_steps(self, paths: Iterable[Path], step: int = 50) -> Iterator[None]:
        """`scan`, pausing after every `step` files: a server answers requests in between."""
        # each path is resolved once (a realpath walks every parent folder: thousands of files)
        listed = [(path, self._relative(path)) for path in paths]
        kinds = {rel: kind_of(rel, self.file_types) for _, rel in listed}
        want_env = any(kind is FileKind.DOTENV for kind in kinds.values())
        seen: set[str] = set()
        ordered = sorted(listed, key=lambda item: kinds[item[1]] is not FileKind.DOTENV)
        for index, (path, rel) in enumerate(ordered, 1):
            self.update(path, env=want_env, rel=rel)
            seen.add(rel)
            if index % step == 0:
                yield
        for rel in list(self._files):
            if rel not in seen:
                del self._files[rel]
        for rel in list(self.problems):
            if rel not in seen:
                del self.problems[rel]

    def paths(self) -> list[str]:
        """The indexed files, relative to the root."""
        return sorted(self._files)

    def facts(self, settings_modules: Iterable[str] = ()) -> ProjectView:
        python = sorted(p for p in self._files if p.endswith((".py", ".pyi")))
        packages = sorted({str(PurePosixPath(p).parent) for p in python if "/" in p})
        examples = tuple(f.example for _, f in sorted(self._files.items()) if f.example is not None)
        # only projects that document their environment are checked against it: skip the reads otherwise
        uses = tuple(u for p in python for u in self._files[p].env_uses) if examples else ()
        clones = tuple(c for p in python for c in self._files[p].clones) if self.clones else ()
        kinds: dict[str, dict[str, object]] = {}
        for gatherer in self.gatherers:
            values: dict[str, object] = {}
            for path in python:
                value = self._files[path].kinds.get(gatherer.key)
                if value is not None:
                    values[path] = value
            kinds[gatherer.name] = values
        return ProjectView(str(self.root), uses, examples, tuple(python), tuple(packages), clones, tuple(settings_modules), kinds)


_SETTINGS_TARGET = re.compile(r"""DJANGO_SETTINGS_MODULE["']?\s*[,=:]\s*["']([\w.]+)["']""")
_ENTRY_POINTS = frozenset(("manage.py", "wsgi.py", "asgi.py", "celery.py", "conftest.py", "pytest.ini", "setup.cfg", "tox.ini", "pyproject.toml"))


_DRF_DEFAULT = re.compile(r"""["'](DEFAULT_(?:THROTTLE_CLASSES|PAGINATION_CLASS))["']\s*:\s*(?!\s|None\b|\[\s*\]|\(\s*\))""")
# a class whose own code counts attempts: `check_rate_limit(...)`, `rate_limit(...)`, `throttle.allow()`
_LIMIT_CALL = re.compile(r"(?i)(rate_?limit|ratelimited|throttl|limiter)")
LIMITED_PREFIX = "rate-limited:"  # `rate-limited:pkg.forms.LoginForm`: the project's class that limits attempts
LIMITS_SCANNED = "rate-limited-scan"  # the project's classes were read: a class not listed does not limit


def is_settings_module(path: Path) -> bool:
    """`settings.py`, `settings/*.py` and the variants a project ships beside them (`settings_example.py`,
    `settings_docker.py`, `docker_settings.py`): a deployment copies one of them."""
    stem = path.stem
    return path.suffix == ".py" and (stem == "settings" or stem.startswith("settings_") or stem.endswith("_settings") or path.parent.name == "settings")


def _module_file(root: Path, here: Path, module: str | None, level: int) -> Path | None:
    """The file an import names, inside the project (`from pkg.api import f` -> root/pkg/api.py)."""
    base = here.parent
    for _ in range(max(level - 1, 0)):
        base = base.parent
    start = base if level else root
    parts = module.split(".") if module else []
    for candidate in (start.joinpath(*parts).with_suffix(".py") if parts else None, start.joinpath(*parts, "__init__.py")):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _function_source(path: Path, name: str) -> str:
    text = _read(path)
    tree = _parse(text) if text is not None else None
    if text is None or tree is None:
        return ""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.get_source_segment(text, node) or ""
    return ""


def _built_settings(root: Path, path: Path, text: str) -> str:
    """`REST_FRAMEWORK = get_drf_settings(...)`: the source of the function that builds the dict,
    defined in the settings module or imported from the project."""
    tree = _parse(text)
    if tree is None:
        return ""
    sources: list[str] = []
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "REST_FRAMEWORK" for t in node.targets)):
            continue
        if not (isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)):
            continue
        name = node.value.func.id
        for other in tree.body:
            if isinstance(other, (ast.FunctionDef, ast.AsyncFunctionDef)) and other.name == name:
                sources.append(ast.get_source_segment(text, other) or "")
            elif isinstance(other, ast.ImportFrom):
                for alias in other.names:
                    if (alias.asname or alias.name) == name and (module := _module_file(root, path, other.module, other.level)) is not None:
                        sources.append(_function_source(module, alias.name))
    return "\n".join(sources)


def _limiting_classes(root: Path, files: Iterable[Path]) -> set[str]:
    """Qualified names of the project's classes that limit attempts in their own code (a form calling
    `check_rate_limit`, an auth backend counting failures), and of their subclasses."""
    limits: dict[str, bool] = {}
    bases: dict[str, list[str]] = {}
    for path in files:
        if path.suffix != ".py" or Role.TEST in roles_for_path(path.as_posix()):
            continue
        full = path if path.is_absolute() else root / path
        text = _read(full)
        if text is None or "class " not in text or "Form" not in text and "Backend" not in text:
            continue
        tree = _parse(text)
        try:
            relative = _resolved(full).relative_to(_resolved(root))
        except ValueError:
            continue
        if tree is None:
            continue
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        imported = {alias.asname or alias.name: f"{node.module}.{alias.name}" for node in tree.body if isinstance(node, ast.ImportFrom) and node.module and not node.level for alias in node.names}
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                qualified = f"{module}.{node.name}"
                limits[qualified] = any(
                    isinstance(call, ast.Call) and _LIMIT_CALL.search((_dotted(call.func) or "").rsplit(".", 1)[-1]) is not None for call in ast.walk(node)
                )
                names = [_dotted(b) or "" for b in node.bases]
                bases[qualified] = [imported.get(n, f"{module}.{n}" if "." not in n else n) for n in names]
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            if not limits[name] and any(limits.get(parent, False) for parent in parents):
                limits[name] = changed = True
    return {name for name, limited in limits.items() if limited}


def project_defaults(root: Path, targets: Iterable[str], files: Iterable[Path] = ()) -> tuple[str, ...]:
    """What the project configures around its endpoints, out of a module rule's sight: the DRF
    defaults its settings set (`DEFAULT_THROTTLE_CLASSES`, `DEFAULT_PAGINATION_CLASS`) and, when
    the project's Python files are given, which of its classes limit attempts (`rate-limited:<class>`).

    DRF defaults are read from the modules DJANGO_SETTINGS_MODULE names and any settings module
    among `files` (`settings.py`, `settings/*.py`, `settings_docker.py`), following
    `REST_FRAMEWORK = build(...)` into the function that builds the dict: a regex over a few
    files, cheap enough for the edit tier's context.
    """
    files = list(files)
    paths = {root / target for target in targets}
    paths.update(p for p in files if is_settings_module(p))
    found: set[str] = set()
    for path in sorted(paths):
        text = _read(path)
        if text is None:
            continue  # an unreadable settings module configures nothing we can see
        found.update(_DRF_DEFAULT.findall(text))
        if "REST_FRAMEWORK" in text:
            found.update(_DRF_DEFAULT.findall(_built_settings(root, path if path.is_absolute() else root / path, text)))
    python = [p for p in files if p.suffix == ".py"]
    if len(python) > len(paths):  # the project's modules, not only its settings
        found.add(LIMITS_SCANNED)
        found.update(LIMITED_PREFIX + name for name in _limiting_classes(root, python))
    return tuple(sorted(found))


def names_settings(path: Path) -> bool:
    """Can this file change what the project's settings are (a settings module, or an entry point
    naming DJANGO_SETTINGS_MODULE)?"""
    return path.name in _ENTRY_POINTS or is_settings_module(path)


def settings_targets(root: Path, files: Iterable[Path]) -> tuple[str, ...]:
    """Modules named by DJANGO_SETTINGS_MODULE in manage.py, wsgi/asgi, pytest config...,
    as paths relative to `root` (`config/settings/production.py`)."""
    targets: set[str] = set()
    for path in files:
        if path.name not in _ENTRY_POINTS:
            continue
        text = _read(path)
        if text is None:
            continue  # an unreadable entry point names no settings module
        for dotted in _SETTINGS_TARGET.findall(text):
            base = dotted.replace(".", "/")
            for candidate in (f"{base}.py", f"{base}/__init__.py"):
                if (root / candidate).is_file() or (path.parent / candidate).is_file():
                    targets.add(candidate)
    return tuple(sorted(targets))
