"""What the engine hands out: snapshots in, findings, crashes and analyses out.

A `Finding` is the one shape a finding has from a rule to the LSP and CLI layers; its
`FixHandle` is an opaque reference (kept off its identity) that `Engine.build_fix` resolves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    """What `build_fix` needs to turn a lazy fix into edits, kept off the finding's identity.

    Python findings carry a lazy fix and their block; config-file findings a ready `Fix`.
    """

    parsed: Parsed | None
    block: Block | None
    block_start: int  # 0-based document line
    lazy: LazyFix | None
    ready: Fix | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    fix_title: str | None = None
    fix_safety: Safety | None = None
    handle: FixHandle | None = field(default=None, compare=False, hash=False, repr=False)
    related: tuple[RelatedSpan, ...] = ()


@dataclass(frozen=True, slots=True)
class RelatedSpan:
    """Another place in the same document a finding points at."""

    span: Span
    message: str


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
    findings: tuple[Finding, ...]
    crashes: tuple[RuleCrash, ...]
    syntax_errors: tuple[Span, ...]
    blocks_run: int  # blocks whose rules ran (not served from cache)


@dataclass(frozen=True, slots=True)
class BlockRef(BlockHandle):
    start: int
    block: Block
    parsed: Parsed

