"""Open documents: text and version per URI, with their block index kept up to date.

Positions here are code points; the LSP layer converts from the client's units (UTF-16 by
default) before calling `apply_change`. Lines break where the LSP breaks them (`split_lines`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from server.blocks import BlockIndex
from server.engine import Snapshot
from server.engine.limits import file_excess
from server.locate import split_lines


@dataclass(frozen=True, slots=True)
class Change:
    """Replace [start, end) with `text`; None range means the whole document."""

    text: str
    start: tuple[int, int] | None = None  # (0-based line, column in code points)
    end: tuple[int, int] | None = None


class Document:
    def __init__(self, uri: str, path: str, text: str, version: int | None = None) -> None:
        self.uri = uri
        self.path = path
        self.version = version
        self.lines: list[str] = split_lines(text)
        self.index = _index(self.lines)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def apply(self, change: Change) -> None:
        if change.start is None or change.end is None:
            self.lines = split_lines(change.text)
            self.index = _index(self.lines)
            return
        lines = self.lines
        count = len(lines)
        (start_line, start_col), (end_line, end_col) = change.start, change.end
        if (end_line, end_col) < (start_line, start_col):
            (start_line, start_col), (end_line, end_col) = (end_line, end_col), (start_line, start_col)
        start_line = min(max(start_line, 0), count)
        end_line = min(max(end_line, 0), count)

        def content(i: int) -> str:
            return lines[i].rstrip("\r\n") if i < count else ""

        first = lines[start_line] if start_line < count else ""
        last = lines[end_line] if end_line < count else ""
        before = first[: min(start_col, len(content(start_line)))]
        after = last[min(end_col, len(content(end_line))) :]
        segment = split_lines(before + change.text + after)
        old_stop = min(end_line + 1, count)
        # a line without a newline at the end of the segment joins the line that follows
        if segment and not segment[-1].endswith(("\n", "\r")) and old_stop < count:
            segment[-1] += lines[old_stop]
            old_stop += 1
        # a CR ending the line above and an LF the segment starts with are one break (CRLF)
        if start_line > 0 and segment and segment[0].startswith("\n") and lines[start_line - 1].endswith("\r"):
            start_line -= 1
            segment = split_lines(lines[start_line] + "".join(segment))
        lines[start_line:old_stop] = segment
        if self.index is None or file_excess(lines) is not None:
            self.index = _index(lines)  # still (or now) too large: not cut; back under the limits: cut whole
        else:
            self.index.update(lines, start_line, old_stop, start_line + len(segment))

    def snapshot(self) -> Snapshot:
        return Snapshot(self.path, self.version, tuple(self.lines), tuple(self.index.units) if self.index else ())


def _index(lines: list[str]) -> BlockIndex | None:
    """The document's blocks; None for a file beyond the engine's file limits, which is never
    cut (a 166k-line file took 4 s on the event loop per open) since it will not be reviewed."""
    return None if file_excess(lines) is not None else BlockIndex.build(lines)


class DocumentStore:
    """uri -> Document; handlers mutate it, workers read snapshots."""

    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self._lock = threading.Lock()

    def open(self, uri: str, path: str, text: str, version: int | None) -> Document:
        with self._lock:
            doc = Document(uri, path, text, version)
            self._docs[uri] = doc
            return doc

    def change(self, uri: str, version: int | None, changes: list[Change]) -> Document | None:
        with self._lock:
            doc = self._docs.get(uri)
            if doc is None:
                return None
            for change in changes:
                doc.apply(change)
            doc.version = version
            return doc

    def close(self, uri: str) -> None:
        with self._lock:
            self._docs.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def snapshot(self, uri: str) -> Snapshot | None:
        with self._lock:
            doc = self._docs.get(uri)
            return doc.snapshot() if doc else None

    def uris(self) -> list[str]:
        return list(self._docs)
