"""Fix edits, built only when a code action, `--fix` or a report asks (`build_fix`).

A rule's `LazyFix` runs against a `FixBuilder`: node replacements are applied to the block's
tree in one pass, the block is regenerated and the change reduced to one minimal text edit;
`ensure_import` adds an import where isort/Ruff's I001 would put it, `ensure_logger` the
module logger after the imports;
`move_above` rotates whole lines (decorators and comments included), across blocks.
"""

from __future__ import annotations

import ast
import logging
import re
import sys
from dataclasses import dataclass
from typing import TypeVar, cast

import libcst as cst

from rules.api import BlockHandle, Fix, ModuleContext, TextEdit
from server.context import unit_facts
from server.engine.model import BlockRef, Diagnostic, FixHandle, Snapshot
from server.engine.python import PythonTier, node_lines
from server.locate import split_lines

logger = logging.getLogger("server.engine")


# -- fixes ---------------------------------------------------------------------------
def build_fix(python: PythonTier, snapshot: Snapshot, finding: Diagnostic, handle: FixHandle) -> Fix | None:
    """The edits of a finding's fix (its handle resolved from the fix table), computed on
    demand; None if it cannot be built."""
    if handle.ready is not None:
        return handle.ready
    if handle.lazy is None or handle.parsed is None or handle.parsed.tree is None:
        return None
    builder = _FixBuilder(python, snapshot, handle)
    try:
        handle.lazy.build(builder)
        edits = builder.edits()
    except Exception:  # isolation point: a broken fix is not offered
        logger.exception("fix of %s at %s:%d could not be built", finding.code, snapshot.path, finding.span.line)
        return None
    if not edits:
        return None
    return Fix(handle.lazy.title, handle.lazy.safety, tuple(edits))


def _common_edit(old: str, new: str, first_line: int) -> TextEdit | None:
    """One minimal edit turning `old` (starting at 0-based `first_line`) into `new`."""
    if old == new:
        return None
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1

    def position(offset: int) -> tuple[int, int]:
        lines = split_lines(old[:offset])  # LF, CRLF or a lone CR: lines as the client counts them
        if lines and not lines[-1].endswith(("\n", "\r")):
            return first_line + len(lines), len(lines[-1])
        return first_line + len(lines) + 1, 0

    (sl, sc), (el, ec) = position(start), position(end_old)
    return TextEdit(sl, sc, el, ec, new[start:end_new])


_NodeT = TypeVar("_NodeT", bound=cst.CSTNode)


class _Replacer(cst.CSTTransformer):
    """Swaps nodes of the original tree (by identity) for their replacements, or removes them."""

    def __init__(self, table: dict[int, cst.CSTNode | cst.RemovalSentinel]) -> None:
        super().__init__()
        self.table = table

    def on_leave(self, original_node: _NodeT, updated_node: _NodeT) -> _NodeT | cst.RemovalSentinel | cst.FlattenSentinel[_NodeT]:
        return cast("_NodeT | cst.RemovalSentinel", self.table.get(id(original_node), updated_node))


class _FixBuilder:
    """The FixBuilder a rule's lazy fix talks to: node replacements plus module-level additions."""

    def __init__(self, python: PythonTier, snapshot: Snapshot, handle: FixHandle) -> None:
        self.python = python
        self.snapshot = snapshot
        self.handle = handle
        self.replacements: list[tuple[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel]] = []
        self.imports: list[str] = []
        self.logger_line: str | None = None
        self.moves: list[tuple[cst.CSTNode, cst.CSTNode, BlockHandle | None, bool]] = []
        self._ctx: ModuleContext | None = None

    @property
    def ctx(self) -> ModuleContext:
        if self._ctx is None:
            self._ctx = self.python.context(self.snapshot)
        return self._ctx

    def replace(self, old: cst.CSTNode, new: cst.CSTNode | cst.RemovalSentinel) -> None:
        self.replacements.append((old, new))

    def _local_name_of(self, module: str) -> str | None:
        for local, target in self.ctx.import_items:
            if target == module:
                return local
        return None

    def ensure_import(self, module: str) -> str:
        local = self._local_name_of(module)
        if local is not None:
            return local
        if module not in self.imports:
            self.imports.append(module)
        return module

    def ensure_logger(self) -> str:
        if self.ctx.logger_name:
            return self.ctx.logger_name
        self.ensure_import("logging")
        logging_name = self._local_name_of("logging") or "logging"
        self.logger_line = f"logger = {logging_name}.getLogger(__name__)\n"
        return "logger"

    def move_above(self, node: cst.CSTNode, anchor: cst.CSTNode, anchor_at: BlockHandle | None = None, *, comma: bool = False) -> None:
        self.moves.append((node, anchor, anchor_at, comma))

    def _move_edits(self) -> list[TextEdit]:
        """One edit per move: the region from the anchor to the node, rotated."""
        handle = self.handle
        assert handle.parsed is not None and handle.block is not None
        own = BlockRef(handle.block_start, handle.block, handle.parsed)
        lines = self.snapshot.lines
        edits: list[TextEdit] = []
        for node, anchor, anchor_at, comma in self.moves:
            moved = node_lines(self.python, own, node, lines=lines)
            target = node_lines(self.python, anchor_at if isinstance(anchor_at, BlockRef) else own, anchor, lines=lines)
            if moved is None or target is None or target[0] >= moved[0]:
                return []
            first, last, _, end_col = moved
            gap = first
            while gap > target[0] and not lines[gap - 1].strip():
                gap -= 1
            chunk = list(lines[first : last + 1])
            if not chunk[-1].endswith("\n"):
                chunk[-1] += "\n"
            if comma and not lines[last][end_col:].lstrip().startswith(","):
                chunk[-1] = chunk[-1][:end_col] + "," + chunk[-1][end_col:]
            region = lines[target[0] : last + 1]
            rotated = chunk + list(lines[gap:first]) + list(lines[target[0] : gap])
            if not region[-1].endswith("\n"):
                rotated[-1] = rotated[-1].rstrip("\n")
            edit = _common_edit("".join(region), "".join(rotated), target[0])
            if edit is not None:
                edits.append(edit)
        return edits

    def edits(self) -> list[TextEdit]:
        if self.moves:
            return self._move_edits()
        handle = self.handle
        assert handle.parsed is not None and handle.block is not None
        tree = handle.parsed.tree
        assert tree is not None
        # one pass over the original tree: replacing one node at a time rebuilt its siblings, so the
        # second of several removals from one list (three commented-out lines) no longer matched
        new_tree = tree.visit(_Replacer({id(old): new for old, new in self.replacements}))
        assert isinstance(new_tree, cst.Module)
        block = handle.block
        code = new_tree.code
        if not (code.startswith(block.prefix) and code.endswith(block.suffix)):
            return []  # the fix reached into the frame of a class member: not offered
        new_text = code[len(block.prefix) : len(code) - len(block.suffix)]
        old_text = block.text
        if old_text.endswith("\r") and not new_text.endswith(("\r", "\n")):
            new_text += "\r"  # libcst drops a module's last line break when it is a lone CR
        original = "".join(self.snapshot.lines[handle.block_start : handle.block_start + block.line_count])
        if old_text != original:  # a member at the end of a file without a final newline
            new_text = new_text[: len(new_text) - (len(old_text) - len(original))] if new_text.endswith("\n") else new_text
            old_text = original
        edits: list[TextEdit] = []
        main = _common_edit(old_text, new_text, handle.block_start)
        if main is not None:
            edits.append(main)
        for line, text in self._additions():
            if main is not None and main.start_line - 1 <= line < main.end_line:
                return []  # the addition would land inside the rewritten block
            edits.append(TextEdit(line + 1, 0, line + 1, 0, text))
        return sorted(edits, key=lambda e: (e.start_line, e.start_col))

    def _additions(self) -> list[tuple[int, str]]:
        """The needed imports and logger line, as (0-based line, text) insertions.

        Each import goes where isort and Ruff's `I001` would put it (a fix that breaks the
        import order is one a reviewer redoes); the logger line goes after the last import.
        """
        if not self.imports and not self.logger_line:
            return []
        snapshot = self.snapshot
        lines = snapshot.lines
        header = _header_imports(snapshot)
        at: dict[int, _Insertion] = {}
        for module in sorted(self.imports, key=lambda name: (_section(name), name.lower())):
            line, kind = _import_place(header, module)
            if line is None:
                line = _insertion_line(snapshot)
            at.setdefault(line, _Insertion()).add(kind, f"import {module}\n")
        if self.logger_line:
            at.setdefault(_insertion_line(snapshot), _Insertion()).logger = self.logger_line
        additions: list[tuple[int, str]] = []
        for line, insertion in sorted(at.items()):
            text = insertion.text(lines[line - 1] if line > 0 else "")
            if line > 0 and not lines[line - 1].endswith(("\n", "\r")):
                text = "\n" + text
            if insertion.closes_group and line < len(lines) and lines[line].strip():
                text += "\n\n" if lines[line].startswith(("def ", "async ", "class ", "@")) else "\n"
            additions.append((line, text))
        return additions


# isort's sections, in their order (`from __future__`, standard library, third party, relative)
_FUTURE, _STDLIB, _THIRD_PARTY, _LOCAL = range(4)


def _section(module: str, level: int = 0) -> int:
    """The isort section of an import: `sys.stdlib_module_names` tells the standard library."""
    if level:
        return _LOCAL
    root = module.split(".")[0]
    if root == "__future__":
        return _FUTURE
    return _STDLIB if root in sys.stdlib_module_names else _THIRD_PARTY


@dataclass(frozen=True, slots=True)
class _Import:
    """One top-level import statement of the module's header."""

    lead: int  # 0-based first line, with the comment lines right above it
    end: int  # 0-based line after the statement
    plain: bool  # `import x`: isort puts these before the section's `from x import y`
    key: str  # the first module named, lower-cased: isort's (case-insensitive) sort key
    section: int
    group: int  # its run of imports: a blank line or other code between two imports ends a run


def _header_imports(snapshot: Snapshot) -> list[_Import]:
    """The module's top-level import statements up to its first definition."""
    lines = snapshot.lines
    found: list[_Import] = []
    group = 0
    for unit in snapshot.units:
        text = unit.blocks[0].text
        first = text.lstrip()
        if first.startswith(("def ", "async ", "class ", "@")):
            break
        statement = _import_statement(text)
        if statement is None:
            group += 1
            continue
        start = unit.start + statement.lineno - 1
        lead = start
        # the comments right above an import move with it; above the first one they are the
        # module's header (a licence) and stay on top
        while found and lead > unit.start and lines[lead - 1].lstrip().startswith("#"):
            lead -= 1
        if found and found[-1].end != lead:
            group += 1
        if isinstance(statement, ast.Import):
            plain, module, level = True, statement.names[0].name, 0
        else:
            plain, module, level = False, statement.module or "", statement.level
        end = unit.start + (statement.end_lineno or statement.lineno)
        found.append(_Import(lead, end, plain, module.lower(), _section(module, level), group))
    return found


def _import_statement(text: str) -> ast.Import | ast.ImportFrom | None:
    """The import a top-level unit is (its first, for `import a; import b`), or None."""
    if not _IMPORT_START.match(text):
        return None
    try:
        body = ast.parse(text).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if body and all(isinstance(stmt, (ast.Import, ast.ImportFrom)) for stmt in body):
        statement = body[0]
        assert isinstance(statement, (ast.Import, ast.ImportFrom))
        return statement
    return None


_IMPORT_START = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*(?:import|from)\b")


def _import_place(header: list[_Import], module: str) -> tuple[int | None, str]:
    """Where isort puts `import <module>`: (0-based line, how) with how "in" (into an existing
    group), "before" (a new group before a later section's first import), "after" (a new group
    after the last import of an earlier section) or "top" (the module has no imports; line None).

    In its section's first group, in alphabetical order among the plain `import x` statements
    (which come before the section's `from x import y`).
    """
    section, key = _section(module), module.lower()
    same = [found for found in header if found.section == section]
    if same:
        group = [found for found in same if found.group == same[0].group]
        plain = [found for found in group if found.plain]
        later = next((found for found in plain if found.key > key), None)
        if later is not None:
            return later.lead, "in"
        if plain:
            return plain[-1].end, "in"
        return group[0].lead, "in"
    following = next((found for found in header if found.section > section), None)
    if following is not None:
        return following.lead, "before"
    if header:
        return header[-1].end, "after"
    return None, "top"


class _Insertion:
    """What goes in at one line: imports into a group, new groups, the logger line."""

    def __init__(self) -> None:
        self.inside: list[str] = []  # "in" and "top"
        self.before: list[str] = []
        self.after: list[str] = []
        self.top = False
        self.logger: str | None = None

    def add(self, kind: str, line: str) -> None:
        if kind == "before":
            self.before.append(line)
        elif kind == "after":
            self.after.append(line)
        else:
            self.inside.append(line)
            self.top = self.top or kind == "top"

    @property
    def closes_group(self) -> bool:
        """Does the text end an import group or the logger line (code may follow directly)?"""
        return bool(self.top or self.after or self.logger)

    def text(self, previous: str) -> str:
        text = "".join(self.inside)
        if self.top and previous.strip():
            text = "\n" + text  # after the docstring or the leading comments
        if self.after:
            text += "\n" + "".join(self.after)
        if self.before:
            text += "".join(self.before) + "\n"
        if self.logger:
            text += "\n" + self.logger
        return text


def _insertion_line(snapshot: Snapshot) -> int:
    """0-based line after the module's top imports (or docstring, or leading comments)."""
    lines = snapshot.lines
    after = 0
    while after < len(lines) and (lines[after].startswith("#") or not lines[after].strip()):
        after += 1
    after = min(after, len(lines))
    for index, unit in enumerate(snapshot.units):
        text = unit.blocks[0].text
        first = text.lstrip()
        if first.startswith(("def ", "async ", "class ", "@")):
            break
        if unit_facts(text).imports or _import_statement(text) or (index == 0 and first[:1] in ('"', "'")):
            last = unit.end
            while last > unit.start and not lines[last - 1].strip():
                last -= 1
            after = max(after, last)
    return after

