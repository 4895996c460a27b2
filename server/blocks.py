"""Cutting a module into blocks, and keeping the cut up to date from edit ranges.

A block is the unit of parsing and caching: each top-level statement (with its decorators
and the comments right above it), and inside a top-level class each member (a method, a
nested class, or a run of plain statements). Re-parsing a whole 5k-line module on every
keystroke costs 30-45 ms even with `ast`, and ~400 ms with libcst; re-parsing one method
costs about a millisecond.

Boundaries come from a small line scanner (strings, brackets, backslash continuations)
rather than a parse. An edit re-scans only the top-level units it touches plus one neighbour
on each side; if the scan ends inside an open string or bracket it extends to the next unit,
and if the document never closes it, the document is cut by a resynchronising heuristic and
its broken units are marked provisional, so only the broken block fails to parse while the
others keep their trees and findings. The cut is a function of the text alone: an edited
document is cut as a fresh open of the same text would be.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

_CODE = re.compile(r"""#|'''|\"\"\"|'|"|[()\[\]{}]|\\(?=\r?\n?$)""")
_STRING_END = {q: re.compile(r"\\.|" + re.escape(q), re.S) for q in ("'''", '"""', "'", '"')}
_CONTINUATION = frozenset(("else", "elif", "except", "finally", "case"))
_WORD = re.compile(r"[A-Za-z_]\w*")
_CLASS = re.compile(r"class\b")
_DEF = re.compile(r"(?:async\s+)?def\b")
# lines that look so much like a top-level statement that the fallback cut restarts there
_RESYNC = re.compile(r"(?:@|(?:async\s+)?def\s|class\s|import\s|from\s\S+\s+import\b|if\s|for\s|while\s|try:|with\s)")

State = tuple[str | None, int, bool]  # open quote, bracket depth, backslash continuation
CLEAN: State = (None, 0, False)


class BlockKind(StrEnum):
    STATEMENT = "statement"
    CLASS_HEADER = "class-header"
    CLASS_MEMBER = "class-member"


@dataclass(frozen=True, slots=True)
class Block:
    """Lines of one block; `offset` is relative to its unit's first line.

    `prefix`/`suffix` frame the text so it parses alone: a class member is parsed under its
    class header, a class header with a synthetic `...` body. Neither belongs to the block.
    """

    offset: int
    text: str
    line_count: int
    kind: BlockKind = BlockKind.STATEMENT
    prefix: str = ""
    suffix: str = ""
    prefix_lines: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        prefix = self.prefix  # its lines end in LF, CRLF or a lone CR (a CR-only file)
        object.__setattr__(self, "prefix_lines", prefix.count("\n") + prefix.count("\r") - prefix.count("\r\n"))

    @property
    def parse_text(self) -> str:
        """prefix + text + suffix, built when asked (a parse, a new summary): a class member's
        would repeat its class header for every member of every open file"""
        return self.prefix + self.text + self.suffix if self.prefix or self.suffix else self.text


@dataclass(frozen=True, slots=True)
class Unit:
    """One top-level statement: a single block, or a class cut into header and members."""

    start: int
    line_count: int
    blocks: tuple[Block, ...]
    provisional: bool = False

    @property
    def end(self) -> int:
        return self.start + self.line_count


def scan_line(line: str, state: State) -> State:
    """The scanner state after `line`, given the state before it."""
    quote, depth, _ = state
    i = 0
    if quote is not None:
        end = _STRING_END[quote]
        while True:
            found = end.search(line, i)
            if found is None:
                if len(quote) == 1 and not line.rstrip("\r\n").endswith("\\"):
                    return None, depth, False  # unterminated one-line string: error, stop here
                return quote, depth, False
            i = found.end()
            if found.group() == quote:
                break
    while True:
        found = _CODE.search(line, i)
        if found is None:
            return None, depth, False
        token = found.group()
        i = found.end()
        if token == "#":
            return None, depth, False
        if token in "([{":
            depth += 1
        elif token in ")]}":
            depth = max(0, depth - 1)
        elif token == "\\":
            return None, depth, True
        else:
            end = _STRING_END[token]
            while True:
                closing = end.search(line, i)
                if closing is None:
                    if len(token) == 3 or line.rstrip("\r\n").endswith("\\"):
                        return token, depth, False
                    return None, depth, False
                i = closing.end()
                if closing.group() == token:
                    break


def scan(lines: Sequence[str], start: int, stop: int) -> tuple[list[bool], State]:
    """Which lines of [start, stop) begin outside strings/brackets, and the final state."""
    state = CLEAN
    clean: list[bool] = []
    for i in range(start, stop):
        line = lines[i]
        clean.append(state == CLEAN)
        state = scan_line(line, state)
    return clean, state


def _lead(line: str) -> str:
    """The line's indentation as Python reads it: a form feed in it starts the count again."""
    blanks = line[: len(line) - len(line.lstrip(" \t\f"))]
    return blanks[blanks.rfind("\f") + 1 :]


def _indent(line: str) -> int:
    return len(_lead(line))


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _first_word(line: str) -> str:
    found = _WORD.match(line.lstrip(" \t\f"))
    return found.group() if found else ""


def _attach_comments(lines: Sequence[str], i: int, floor: int, indent: int) -> int:
    """Move a block start up over the comment lines directly above it (no blank between)."""
    j = i
    while j - 1 > floor:
        above = lines[j - 1]
        stripped = above.strip()
        if not stripped.startswith("#") or _indent(above) != indent:
            break
        j -= 1
    return j


def _statement_starts(lines: Sequence[str], clean: Sequence[bool], base: int, start: int, stop: int, indent: int) -> list[tuple[int, str]]:
    """(line, kind) of each logical statement that starts at exactly `indent`."""
    out: list[tuple[int, str]] = []
    for i in range(start, stop):
        if not clean[i - base]:
            continue
        line = lines[i]
        if not _is_code(line) or _indent(line) != indent:
            continue
        body = line.lstrip(" \t\f")
        if body.startswith("@"):
            kind = "decorator"
        elif _DEF.match(body):
            kind = "def"
        elif _CLASS.match(body):
            kind = "class"
        elif _first_word(line) in _CONTINUATION:
            kind = "continuation"
        else:
            kind = "simple"
        out.append((i, kind))
    return out


def split(lines: Sequence[str], start: int, stop: int, clean: Sequence[bool]) -> list[Unit]:
    """Cut [start, stop) into top-level units (classes cut further into members)."""
    starts: list[int] = []
    previous = ""
    for i, kind in _statement_starts(lines, clean, start, start, stop, 0):
        if not starts:
            starts.append(start)
        elif _opens_unit(kind, previous):
            starts.append(_attach_comments(lines, i, starts[-1], 0))
        previous = kind
    if not starts:
        starts.append(start)
    units: list[Unit] = []
    for n, unit_start in enumerate(starts):
        unit_stop = starts[n + 1] if n + 1 < len(starts) else stop
        if unit_stop <= unit_start:
            continue
        blocks = _class_blocks(lines, clean, start, unit_start, unit_stop)
        if blocks is None:
            text = "".join(lines[unit_start:unit_stop])
            blocks = (Block(0, text, unit_stop - unit_start),)
        units.append(Unit(unit_start, unit_stop - unit_start, blocks))
    return units


def _class_blocks(lines: Sequence[str], clean: Sequence[bool], base: int, start: int, stop: int) -> tuple[Block, ...] | None:
    """Header + member blocks for a class unit with an indented body, else None."""
    class_line = next(
        (i for i in range(start, stop) if clean[i - base] and _is_code(lines[i]) and not lines[i].lstrip().startswith("@")),
        None,
    )
    if class_line is None or not _CLASS.match(lines[class_line].lstrip("\f")):
        return None
    header_end = next((i for i in range(class_line + 1, stop) if clean[i - base]), None)
    if header_end is None:
        return None
    first = next((i for i in range(header_end, stop) if clean[i - base] and _is_code(lines[i])), None)
    if first is None or _indent(lines[first]) == 0:
        return None
    indent = _indent(lines[first])
    header = "".join(lines[start:header_end])
    header_block = Block(0, header, header_end - start, BlockKind.CLASS_HEADER, suffix=_lead(lines[first]) + "...\n")
    members = _member_blocks(lines, clean, base, header_end, stop, indent, header)
    return (header_block, *[replace(b, offset=b.offset + header_end - start) for b in members])


def _opens_unit(kind: str, previous: str) -> bool:
    """Does a top-level statement of `kind` start a unit, after one of kind `previous`? (A
    decorator takes the definition below it; `else`/`except` belong to their statement.)"""
    return kind != "continuation" and not (previous == "decorator" and kind in ("def", "class", "decorator"))


def _opens_member(kind: str, previous: str, line: str) -> bool:
    """Does a class statement of `kind` on `line` start a member, after one of kind `previous`?

    A decorator takes the definition below it, and a run of plain statements is one member.
    Never at a line indented after a form feed: libcst rejects a compound statement placed
    so first in a class body (CPython does not), so it stays with the member above it.
    """
    if "\f" in line[: len(line) - len(line.lstrip(" \t\f"))]:
        return False
    return (kind in ("def", "class", "decorator") and previous != "decorator") or (kind == "simple" and previous in ("def", "class"))


def _member_blocks(
    lines: Sequence[str], clean: Sequence[bool], base: int, start: int, stop: int, indent: int, header: str
) -> list[Block]:
    """Member blocks of [start, stop) inside a class body at `indent`; offsets from `start`."""
    member_starts: list[int] = []
    previous = ""
    for i, kind in _statement_starts(lines, clean, base, start, stop, indent):
        if not member_starts:
            member_starts.append(start)
        elif _opens_member(kind, previous, lines[i]):
            member_starts.append(_attach_comments(lines, i, member_starts[-1], indent))
        if kind != "continuation":
            previous = kind
    if not member_starts and stop > start:
        member_starts.append(start)
    blocks: list[Block] = []
    for n, member_start in enumerate(member_starts):
        member_stop = member_starts[n + 1] if n + 1 < len(member_starts) else stop
        text = "".join(lines[member_start:member_stop])
        if not text.endswith(("\n", "\r")):
            text += "\n"  # the last line of the file; the parse needs a newline, the range does not
        blocks.append(Block(member_start - start, text, member_stop - member_start, BlockKind.CLASS_MEMBER, prefix=header))
    return blocks


class BlockIndex:
    """The units of one document, kept in step with its edits."""

    def __init__(self, units: list[Unit]) -> None:
        self.units = units
        self.rescanned_lines = 0  # lines scanned by the last update (for tests and logs)

    @classmethod
    def build(cls, lines: Sequence[str]) -> BlockIndex:
        clean, state = scan(lines, 0, len(lines))
        if state == CLEAN:
            index = cls(split(lines, 0, len(lines), clean))
        else:
            index = cls(_fallback_split(lines, 0, len(lines)))
        index.rescanned_lines = len(lines)
        return index

    def blocks(self) -> list[tuple[int, Block]]:
        """(absolute first line, block) for every block in document order."""
        return [(unit.start + block.offset, block) for unit in self.units for block in unit.blocks]

    def _unit_at(self, line: int) -> int:
        """Index of the unit holding `line` (the first one for lines before them all)."""
        return max(bisect.bisect_right(self.units, line, key=lambda unit: unit.start) - 1, 0)

    def update(self, lines: Sequence[str], edit_start: int, old_stop: int, new_stop: int) -> None:
        """Old lines [edit_start, old_stop) became new lines [edit_start, new_stop).

        A healthy document re-scans the touched units and their neighbours only. A document
        with an open string or bracket (a provisional unit before the edit, or a touched
        region that never closes) is cut afresh, whole: the resynchronising cut of a broken
        region depends on where its scan starts, so a local cut would depend on the edit
        history, and a block could read differently from a fresh open of the same text (a
        finding lost while the error lasts). That costs a few scans of the file per edit
        while it is broken (about 6 ms each per 4k lines); unchanged blocks still hit the
        parse and result caches under their text.
        """
        if not self.units or any(unit.provisional for unit in self.units):
            self._rebuild(lines)
            return
        delta = new_stop - old_stop
        touched = self._unit_at(max(edit_start - 1, 0))
        if touched == self._unit_at(min(old_stop, self.units[-1].end - 1)) and self._update_members(
            lines, touched, edit_start, old_stop, delta
        ):
            return
        # from the unit before the touched one: a touched unit may lose its statement and merge upwards
        first = max(touched - 1, 0)
        last = self._unit_at(min(old_stop, self.units[-1].end - 1))
        if last + 1 < len(self.units):
            last += 1
        start = self.units[first].start
        stop = self.units[last].end + delta
        clean, state = scan(lines, start, stop)
        scanned = stop - start
        while True:
            if state == CLEAN:
                new_units = split(lines, start, stop, clean)
                floor = new_units[-1].start if new_units else start
                if last + 1 == len(self.units) or _still_starts(lines, clean, start, floor, stop, 0):
                    break
                # else the next unit belongs with the region's last one (a decorator now right above its def)
            elif last + 1 == len(self.units):
                self._rebuild(lines)  # the region never closes: the document is broken from here on
                return
            last += 1
            more_stop = self.units[last].end + delta
            more, state = scan_continue(lines, stop, more_stop, state)
            scanned += more_stop - stop
            clean.extend(more)
            stop = more_stop
        tail = [replace(unit, start=unit.start + delta) for unit in self.units[last + 1 :]] if delta else self.units[last + 1 :]
        self.units = self.units[:first] + new_units + tail
        self.rescanned_lines = scanned

    def _rebuild(self, lines: Sequence[str]) -> None:
        fresh = BlockIndex.build(lines)
        self.units = fresh.units
        self.rescanned_lines = fresh.rescanned_lines

    def _update_members(self, lines: Sequence[str], index: int, edit_start: int, old_stop: int, delta: int) -> bool:
        """Re-cut only the touched members of a big class; False when the class shape changed.

        Django's QuerySet is one 1.8k-line class: re-scanning the whole class on every key
        would make latency grow with the class. The edit must stay inside the member area
        (not the header), leave the region balanced, and add no line at the class's level or
        above; anything else falls back to re-cutting whole units.
        """
        unit = self.units[index]
        if len(unit.blocks) < 2 or unit.provisional:
            return False
        header = unit.blocks[0]
        members = unit.blocks[1:]
        header_end = unit.start + header.line_count
        if edit_start - 1 < header_end or old_stop >= unit.end:
            return False
        offsets = [unit.start + b.offset for b in members]
        first = max(_position(offsets, edit_start - 1) - 1, 0)
        last = min(_position(offsets, old_stop) + 1, len(members) - 1)
        start = offsets[first]
        stop = offsets[last] + members[last].line_count + delta
        if stop <= start:
            return False
        clean, state = scan(lines, start, stop)
        if state != CLEAN:
            return False
        indent = _member_indent(lines, clean, start, stop)
        for i in range(start, stop):
            if clean[i - start] and _is_code(lines[i]) and _indent(lines[i]) == 0:
                return False  # a new top-level statement: the unit itself changes
        if indent is None or indent != _header_member_indent(header):
            return False
        new_members = _member_blocks(lines, clean, start, start, stop, indent, header.text)
        if not new_members:
            return False
        if last + 1 < len(members) and not _still_starts(lines, clean, start, start + new_members[-1].offset, stop, indent):
            return False  # the next member now belongs with the region's last one
        rebased = [replace(b, offset=b.offset + start - unit.start) for b in new_members]
        tail = [replace(b, offset=b.offset + delta) for b in members[last + 1 :]] if delta else list(members[last + 1 :])
        blocks = (header, *members[:first], *rebased, *tail)
        self.units[index] = replace(unit, line_count=unit.line_count + delta, blocks=blocks)
        if delta:
            self.units[index + 1 :] = [replace(u, start=u.start + delta) for u in self.units[index + 1 :]]
        self.rescanned_lines = stop - start
        return True


def _still_starts(lines: Sequence[str], clean: Sequence[bool], base: int, floor: int, stop: int, indent: int) -> bool:
    """Does a block still start at `stop`, right after a re-cut region whose last block starts at `floor`?

    The region's cut cannot see past `stop`, but whether the next statement opens a block of
    its own depends on the statement before it (a decorator takes its `def`; a run of plain
    class statements goes on after another one) and on the comment lines above it. A cut of
    the whole document decides it from the same rules; so must the re-cut region, or an edit
    leaves a cut no fresh open would make.
    """
    statement = stop
    while statement < len(lines) and lines[statement].lstrip(" \t\f").startswith("#") and _indent(lines[statement]) == indent:
        statement += 1  # comment lines the statement below took with it
    found = _statement_starts(lines, [True], statement, statement, min(statement + 1, len(lines)), indent)
    if not found:
        return False
    kind = found[0][1]
    before = _statement_starts(lines, clean, base, floor, stop, indent)
    kinds = [k for _, k in before if indent == 0 or k != "continuation"]  # members: continuations keep the kind
    previous = kinds[-1] if kinds else ""
    opens = _opens_unit(kind, previous) if indent == 0 else _opens_member(kind, previous, lines[statement])
    return opens and _attach_comments(lines, statement, floor, indent) == stop


def _position(starts: Sequence[int], line: int) -> int:
    """Index of the last start <= line (0 when line precedes them all)."""
    return max(bisect.bisect_right(starts, line) - 1, 0)


def _member_indent(lines: Sequence[str], clean: Sequence[bool], start: int, stop: int) -> int | None:
    first = next((i for i in range(start, stop) if clean[i - start] and _is_code(lines[i])), None)
    return None if first is None else _indent(lines[first])


def _header_member_indent(header: Block) -> int:
    """The class body's indentation, as recorded in the header's synthetic body."""
    return _indent(header.suffix)


def _fallback_split(lines: Sequence[str], start: int, stop: int) -> list[Unit]:
    """Cut an unbalanced region at lines that look like statements; mark the broken units.

    A unit the resynchronising scan enters and leaves clean, with no restart inside, scans
    clean alone: only the others are scanned again (a broken document is cut whole on each
    edit, so this saves a scan of the file per keystroke).
    """
    clean: list[bool] = []
    restarts: list[int] = []  # lines where the scan gave up an open string or bracket
    state = CLEAN
    for i in range(start, stop):
        line = lines[i]
        if state != CLEAN and _RESYNC.match(line):
            state = CLEAN
            restarts.append(i)
        clean.append(state == CLEAN)
        state = scan_line(line, state)
    final = state

    def broken(unit: Unit) -> bool:
        leaves_clean = clean[unit.end - start] if unit.end < stop else final == CLEAN
        restarted = bisect.bisect_right(restarts, unit.end) > bisect.bisect_right(restarts, unit.start)
        if clean[unit.start - start] and leaves_clean and not restarted:
            return False
        return scan(lines, unit.start, unit.end)[1] != CLEAN

    return [replace(unit, provisional=broken(unit)) for unit in split(lines, start, stop, clean)]


def scan_continue(lines: Sequence[str], start: int, stop: int, state: State) -> tuple[list[bool], State]:
    """Continue a scan from a known state."""
    clean: list[bool] = []
    for i in range(start, stop):
        clean.append(state == CLEAN)
        state = scan_line(lines[i], state)
    return clean, state
