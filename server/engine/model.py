"""What the engine hands out: snapshots in, findings, crashes and analyses out.

A `Diagnostic` is the one shape a finding has from a rule to the LSP and CLI layers. Its fix is
a `FixRef`: a title, a safety and a key. The key is opaque: only the engine's `FixTable`
resolves it (to the block's tree and the rule's lazy fix), so no parsed tree leaves the engine;
the LSP keeps the key and the document version in `Diagnostic.data`, as Ruff's server does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from collections.abc import Iterable
from enum import StrEnum

import libcst as cst

from rules.api import BlockHandle, Fix, LazyFix, Safety, Severity
from rules.api.types import Span
from server.blocks import Block, Unit
from server.locate import Range


class Tier(StrEnum):
    EDIT = "edit"
    SAVE = "save"


@dataclass(frozen=True, slots=True)
class SyntaxIssue:
    line: int  # relative to the block's first line, 0-based
    col: int
    message: str


@dataclass(slots=True)
class Parsed:
    tree: cst.Module | None
    error: SyntaxIssue | None
    positions: dict[int, Range] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FixHandle:
    """What `build_fix` needs to turn a lazy fix into edits; kept in the engine's `FixTable`.

    Python findings carry a lazy fix, their block and snapshot; config-file and project findings
    a ready `Fix`.
    """

    parsed: Parsed | None
    block: Block | None
    block_start: int  # 0-based document line
    lazy: LazyFix | None
    ready: Fix | None = None
    snapshot: Snapshot | None = None


@dataclass(frozen=True, slots=True)
class FixRef:
    """A finding's fix as the outside sees it: what it does, how safe it is, and a key.

    The key is unique in the engine's lifetime and stays off the finding's identity, so two
    analyses of the same text give equal diagnostics.
    """

    title: str
    safety: Safety
    key: int = field(compare=False, hash=False)


class FixTable:
    """Resolves `FixRef` keys to fix handles, for the newest analysis of each document.

    A tier registers a handle while it analyses a document and publishes the document's
    diagnostics when done: the table then keeps exactly the handles those diagnostics name
    (findings reused from the previous version keep their keys). Project findings live under
    the owner `PROJECT`. `forget` drops a closed document's handles and the trees they hold.
    """

    PROJECT = "\0project"

    def __init__(self) -> None:
        self._keys = itertools.count(1)
        self._pending: dict[str, dict[int, FixHandle]] = {}
        self._published: dict[str, dict[int, FixHandle]] = {}

    def register(self, owner: str, handle: FixHandle, title: str, safety: Safety) -> FixRef:
        key = next(self._keys)
        self._pending.setdefault(owner, {})[key] = handle
        return FixRef(title, safety, key)

    def publish(self, owner: str, diagnostics: Iterable[Diagnostic]) -> None:
        pending = self._pending.pop(owner, {})
        old = self._published.get(owner, {})
        table: dict[int, FixHandle] = {}
        for diagnostic in diagnostics:
            if diagnostic.fix is not None:
                key = diagnostic.fix.key
                handle = pending.get(key) or old.get(key)
                if handle is not None:
                    table[key] = handle
        if table:
            self._published[owner] = table
        else:
            self._published.pop(owner, None)

    def resolve(self, owner: str, ref: FixRef) -> FixHandle | None:
        """The handle of `ref` in `owner`'s newest analysis, or in the last project check."""
        handle = self._published.get(owner, {}).get(ref.key)
        return handle if handle is not None else self._published.get(self.PROJECT, {}).get(ref.key)

    def forget(self, owner: str | None = None) -> None:
        """Drop one owner's handles, or (None) every document's."""
        if owner is None:
            project = self._published.get(self.PROJECT)
            self._published.clear()
            self._pending.clear()
            if project:
                self._published[self.PROJECT] = project
        else:
            self._published.pop(owner, None)
            self._pending.pop(owner, None)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    fix: FixRef | None = None
    related: tuple[RelatedSpan, ...] = ()


@dataclass(frozen=True, slots=True)
class RelatedSpan:
    """Another place a finding points at: in the same document, or in `path` (a project finding)."""

    span: Span
    message: str
    path: str | None = None  # relative to the project root; None: the finding's own document


@dataclass(frozen=True, slots=True)
class RuleCrash:
    code: str
    path: str
    line: int
    error: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable view of one document version, safe to analyse on a worker thread."""

    path: str
    version: int | None
    lines: tuple[str, ...]
    units: tuple[Unit, ...]

    def blocks(self) -> list[tuple[int, Block]]:
        return [(unit.start + block.offset, block) for unit in self.units for block in unit.blocks]


@dataclass(frozen=True)
class Analysis:
    path: str
    version: int | None
    findings: tuple[Diagnostic, ...]
    crashes: tuple[RuleCrash, ...]
    syntax_errors: tuple[Span, ...]
    blocks_run: int  # blocks whose rules ran (not served from cache)
    # blocks (or the whole file) beyond a limit of `limits.py`: their `not-reviewed` information
    # diagnostics, also among `findings` (the CLI lists them like any finding)
    skipped: tuple[Diagnostic, ...] = ()


class Cancelled(Exception):
    """An analysis stopped because its caller no longer wants it (a newer version, a shutdown).

    Raised between blocks by `Engine.analyze(snapshot, cancelled)` when `cancelled()` is true;
    the caches keep what was computed, so the next analysis does not redo it.
    """


@dataclass(frozen=True, slots=True)
class BlockRef(BlockHandle):
    start: int
    block: Block
    parsed: Parsed

