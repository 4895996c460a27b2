"""Applying fix edits to text, checking that the result parses, and fix-all to a fixed point."""

from __future__ import annotations

import ast
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from rules.api import Fix, Safety, TextEdit
from rules.api.configdata import FileKind
from server.configfiles import kind_of
from server.configfiles import parses as config_parses
from server.documents import Document
from server.engine import Engine, Diagnostic
from server.locate import split_lines

logger = logging.getLogger(__name__)

MAX_ROUNDS = 10


def _offsets(text: str) -> list[int]:
    """Where each line starts, lines broken at LF, CRLF and CR as the engine and the client do."""
    starts = [0]
    for line in split_lines(text):
        starts.append(starts[-1] + len(line))
    return starts


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Apply non-overlapping edits (positions in `text`), last first."""
    starts = _offsets(text)

    def offset(line: int, col: int) -> int:
        if line - 1 >= len(starts):
            return len(text)
        return min(starts[line - 1] + col, len(text))

    out = text
    for edit in sorted(edits, key=lambda e: (e.start_line, e.start_col), reverse=True):
        a, b = offset(edit.start_line, edit.start_col), offset(edit.end_line, edit.end_col)
        out = out[:a] + edit.text + out[b:]
    return out


def parses(text: str, path: str = "module.py", file_types: Sequence[tuple[str, str]] = ()) -> bool:
    """Does the text still read as its file kind (Python, compose YAML, requirements...)?"""
    kind = kind_of(path, file_types)
    if kind is not None and kind is not FileKind.PYTHON:
        return config_parses(kind, text, path)
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # too deep for CPython: not ours to write
        return False
    return True


def _overlaps(a: Fix, b: Fix) -> bool:
    for x in a.edits:
        for y in b.edits:
            if (x.start_line, x.start_col) <= (y.end_line, y.end_col) and (y.start_line, y.start_col) <= (x.end_line, x.end_col):
                return True
    return False


@dataclass(frozen=True)
class FixAllResult:
    text: str
    applied: tuple[str, ...]  # codes of the fixes applied, in order
    rounds: int


def fix_all(engine: Engine, path: str, text: str, *, unsafe: bool = False, codes: frozenset[str] | None = None) -> FixAllResult:
    """Apply every safe fix (and unsafe ones if asked) until nothing changes.

    Each round applies the fixes whose edits do not touch each other; a round whose result
    does not parse is retried fix by fix, dropping the ones that break the module. Code
    that did not parse before is left alone.
    """
    applied: list[str] = []
    if not parses(text, path, engine.config.file_types):
        return FixAllResult(text, (), 0)
    current = text
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        doc = Document("", path, current)
        snapshot = doc.snapshot()
        findings = [
            f
            for f in engine.analyze(snapshot).findings
            if f.fix is not None
            and (unsafe or f.fix.safety is Safety.SAFE)
            and (codes is None or f.code in codes)
        ]
        chosen: list[tuple[Diagnostic, Fix]] = []
        for finding in findings:
            fix = engine.build_fix(snapshot, finding)
            if fix is None or any(_overlaps(fix, other) for _, other in chosen):
                continue
            chosen.append((finding, fix))
        if not chosen:
            break
        candidate = apply_edits(current, [e for _, fix in chosen for e in fix.edits])
        if not parses(candidate, path, engine.config.file_types):
            candidate = current
            kept: list[tuple[Diagnostic, Fix]] = []
            for finding, fix in chosen:
                attempt = apply_edits(candidate, fix.edits)
                if parses(attempt, path, engine.config.file_types):
                    kept.append((finding, fix))
                    break  # later fixes' positions refer to the old text: next round
                logger.warning("dropping %s fix at %s:%d: the result does not parse", finding.code, path, finding.span.line)
            if not kept:
                break
            candidate = apply_edits(current, kept[0][1].edits)
            chosen = kept
        if candidate == current:
            break
        applied.extend(finding.code for finding, _ in chosen)
        current = candidate
    return FixAllResult(current, tuple(applied), rounds)
