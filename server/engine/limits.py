"""What the engine refuses to hand to libcst: guards that run before it, on `ast` or the tokenizer.

libcst's native parser holds the GIL for the whole parse, grows quadratically with the nesting of
an expression (a 4,000-term `1+1+...` takes 4 s, `f(f(...))` 150 deep 0.2 s and 100 MB) and
overflows its stack beyond ~1,200 nested brackets (SIGSEGV: the process dies). CPython's own
parser refuses such code cheaply (200 nested brackets, ~3,000 levels of expression), so every
block is measured with what the engine already has: its length, then `ast` (whose refusals are
themselves a measure), then a depth walk that skips any node too short to hide a deep nesting.
A block beyond a limit is *not reviewed*: no parse, no rule, one information diagnostic.

The limits are generous: on the ecosystem corpus (1.2M lines: ten apps, Django, SQLAlchemy) the
largest block has 25 levels of expressions, 11.4k syntax nodes and 153k characters, the largest
file 11.4k lines and 0.5 MB; none is near a limit. CPython refuses 200 nested brackets, Pyright
256 levels of parse tree (`maxChildNodeDepth`); Ruff and Pylint have no limit.

A block that CPython rejects (a syntax error) is only parsed by libcst because libcst knows newer
grammar than the running interpreter; libcst's error recovery is slower still (an unclosed
bracket before 100k list items costs 13 s), so such a block goes to libcst only while it is small
(measured with the tokenizer), and otherwise reports CPython's own error.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from collections.abc import Sequence
from itertools import accumulate
from dataclasses import dataclass

MAX_DEPTH = 100  # nested expressions in one block (ast nodes; brackets for a broken block)
MAX_BLOCK_NODES = 50_000  # ast expression and statement nodes in one block
MAX_BLOCK_CHARS = 1_000_000  # characters in one block: beyond it, not even `ast` reads it
MAX_FILE_LINES = 50_000  # lines of one Python file
MAX_FILE_CHARS = 2_000_000  # characters of one Python file (4x the largest in the corpus; a file
# this large is generated: cutting a 10 MB one into blocks held the event loop for 0.2-0.4 s per edit)
# a block CPython rejects goes to libcst only up to these (its error recovery is quadratic in a chain)
MAX_BROKEN_STATEMENT_TOKENS = 1_000
MAX_BROKEN_TOKENS = 20_000

# libcst's parser takes ~6.5 KB of C stack per nested bracket and CPython accepts 199 of them
# (grouping parentheses leave no trace in `ast`, so no limit here sees them): 1.3 MB at least.
# macOS gives a secondary thread 512 KB (SIGSEGV at ~75 brackets), musl 128 KB, Windows 1 MB;
# a thread that runs the engine is created with this much (`threading.stack_size`)
THREAD_STACK_BYTES = 16 << 20

NOT_REVIEWED = "not-reviewed"  # the pseudo-code of the information diagnostic (as "syntax-error")

_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")
# CPython's own refusals of nesting (tokenizer MAXLEVEL = 200, MAXINDENT = 100)
_NESTING_MESSAGES = ("too many nested parentheses", "too many levels of indentation")


@dataclass(frozen=True, slots=True)
class Excess:
    """Why a block or a file is not reviewed: what was measured, how much, and the limit."""

    what: str  # "depth", "nodes", "characters", "lines"
    value: int | None  # None: CPython refused it before it could be counted
    limit: int
    scope: str = "block"  # "block" or "file"

    def message(self) -> str:
        if self.what == "depth":
            found = f"{self.value:,} levels deep (the limit is {self.limit})" if self.value is not None else f"deeper than the limit of {self.limit} levels"
            return f"not reviewed: expressions nested {found}; split this statement into smaller ones"
        noun = {"nodes": "syntax nodes", "characters": "characters", "lines": "lines"}[self.what]
        return f"not reviewed: this {self.scope} is too large ({self.value:,} {noun}; the limit is {self.limit:,})"


def file_excess(lines: Sequence[str]) -> Excess | None:
    """A file too large to review at all (checked before anything reads its blocks)."""
    if len(lines) > MAX_FILE_LINES:
        return Excess("lines", len(lines), MAX_FILE_LINES, "file")
    chars = sum(map(len, lines))
    if chars > MAX_FILE_CHARS:
        return Excess("characters", chars, MAX_FILE_CHARS, "file")
    return None


def text_excess(text: str) -> Excess | None:
    """A block too long to read at all (checked before `ast`)."""
    if len(text) > MAX_BLOCK_CHARS:
        return Excess("characters", len(text), MAX_BLOCK_CHARS)
    return None


def refusal_excess(exc: BaseException) -> Excess | None:
    """CPython's parser refusing a nesting (a limit of its own), not a syntax error: too deep."""
    if isinstance(exc, (RecursionError, MemoryError)):
        return Excess("depth", None, MAX_DEPTH)
    if isinstance(exc, SyntaxError) and any(text in (exc.msg or "") for text in _NESTING_MESSAGES):
        return Excess("depth", None, MAX_DEPTH)
    return None


def tree_excess(tree: ast.Module, text: str) -> Excess | None:
    """A tree CPython accepted that libcst would take too long over: too deep or too many nodes.

    Each level of an expression takes at least a character of its logical line, so a line
    narrower than MAX_DEPTH cannot hold a nesting past the limit: the walk visits statements
    (one logical line each, headers apart from bodies) and looks into the expressions of the
    rare one wide enough. Nodes are counted only in a block long enough to have
    MAX_BLOCK_NODES of them (each takes a character).
    """
    if len(text) > _ROOM:
        # offsets[n]: where line n + 1 starts (1-based lines, newlines not counted), so a span's
        # width is a subtraction (plus its newlines, which a bound can ignore)
        offsets = list(accumulate(map(len, text.split("\n")), initial=0))
        depth = _deep_statements(tree.body, offsets)
        if depth is not None:
            return Excess("depth", depth, MAX_DEPTH)
    if len(text) > MAX_BLOCK_NODES:
        nodes = sum(1 for node in ast.walk(tree) if isinstance(node, (ast.expr, ast.stmt)))
        if nodes > MAX_BLOCK_NODES:
            return Excess("nodes", nodes, MAX_BLOCK_NODES)
    return None


# characters a logical line needs to hold MAX_DEPTH levels (an f-string's parts share its span:
# `f"{a:{b}}"` holds 5 levels in 10 characters, a few levels of slack cover them)
_ROOM = MAX_DEPTH - 4
_BODIES = ("body", "orelse", "finalbody")
_HEADER_SKIP = frozenset((*_BODIES, "handlers", "cases"))
_COMPOUND: dict[type, tuple[str, ...]] = {
    ast.FunctionDef: ("body",),
    ast.AsyncFunctionDef: ("body",),
    ast.ClassDef: ("body",),
    ast.If: ("body", "orelse"),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
    ast.Try: ("body", "orelse", "finalbody"),
    ast.Match: (),
}
if sys.version_info >= (3, 11):
    _COMPOUND[ast.TryStar] = ("body", "orelse", "finalbody")


def _deep_statements(body: list[ast.stmt], offsets: list[int]) -> int | None:
    """The first expression depth past MAX_DEPTH in these statements and their bodies, or None."""
    stack = [body]
    compound = _COMPOUND
    while stack:
        for stmt in stack.pop():
            last = stmt.end_lineno or stmt.lineno
            decorators: list[ast.expr] | None = getattr(stmt, "decorator_list", None)
            first = decorators[0].lineno if decorators else stmt.lineno  # a decorator is above its `def`
            if offsets[last] - offsets[first - 1] <= _ROOM:
                continue  # the whole statement is too short to hold the limit: the common case
            fields = compound.get(type(stmt))
            if fields is None:  # a simple statement: one logical line
                depth = _deep(stmt, offsets)
                if depth is not None:
                    return depth
                continue
            headers: list[ast.AST] = []
            if isinstance(stmt, ast.Match):
                headers.append(stmt.subject)
                for case in stmt.cases:
                    stack.append(case.body)
                    headers += [case.pattern, *([case.guard] if case.guard else [])]
            else:
                for name in fields:
                    part = getattr(stmt, name)
                    if part:
                        stack.append(part)
                for handler in getattr(stmt, "handlers", ()):
                    stack.append(handler.body)
                    if handler.type is not None:
                        headers.append(handler.type)
                # the header: from the first decorator to the line before the first body statement
                stop = max(first, stmt.body[0].lineno - 1)  # type: ignore[attr-defined]
                if offsets[stop] - offsets[first - 1] > _ROOM:
                    depth = _deep(stmt, offsets, _HEADER_SKIP)
                    if depth is not None:
                        return depth
            for part in headers:
                depth = _deep(part, offsets)
                if depth is not None:
                    return depth
    return None


def _deep(tree: ast.AST, offsets: list[int], skip: frozenset[str] = frozenset()) -> int | None:
    """The expression depth of `tree` if it passes MAX_DEPTH (at least that far), else None;
    `skip`: fields of `tree` not to look into (a compound statement's bodies)."""
    stack: list[tuple[ast.AST, int]] = [(tree, 1 if isinstance(tree, ast.expr) else 0)]
    expr, stmt, node_type = ast.expr, ast.stmt, ast.AST
    while stack:
        node, depth = stack.pop()
        for name in node._fields:
            if name in skip and node is tree:
                continue
            value = getattr(node, name, None)
            for child in value if isinstance(value, list) else (value,):
                if not isinstance(child, node_type) or isinstance(child, stmt):
                    continue  # a statement is its own logical line (and a lambda holds none)
                level = depth + 1 if isinstance(child, expr) else depth
                if level > MAX_DEPTH:
                    return _depth_below(tree, 1 if isinstance(tree, ast.expr) else 0)
                first = getattr(child, "lineno", None)
                if first is not None:
                    last = child.end_lineno or first  # type: ignore[attr-defined]
                    if first == last:
                        room = (child.end_col_offset or 0) - child.col_offset  # type: ignore[attr-defined]
                    else:
                        room = offsets[last] - offsets[first - 1]
                    if level + room <= _ROOM:
                        continue  # too short to hold the limit's depth
                stack.append((child, level))
    return None


def _depth_below(node: ast.AST, level: int) -> int:
    """The full depth of a subtree known to pass the limit (for the message; iterative)."""
    best = level
    stack = [(node, level)]
    while stack:
        current, depth = stack.pop()
        best = max(best, depth)
        for child in ast.iter_child_nodes(current):
            stack.append((child, depth + 1 if isinstance(child, ast.expr) else depth))
    return best


@dataclass(frozen=True, slots=True)
class BrokenShape:
    """What the tokenizer sees of a block CPython rejects: enough to decide whether libcst may try."""

    excess: Excess | None  # too deep: not reviewed
    parse: bool  # small enough for libcst (else CPython's error is reported as is)


def broken_shape(text: str) -> BrokenShape:
    """Bracket depth and token counts of a block CPython rejects, read with the tokenizer and
    stopped as soon as a limit is passed (the block may be huge: only the first tokens are read)."""
    depth = 0
    statement = 0
    total = 0
    parse = True
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            total += 1
            statement += 1
            if token.type == tokenize.OP:
                if token.string in _OPENING:
                    depth += 1
                    if depth > MAX_DEPTH:
                        return BrokenShape(Excess("depth", None, MAX_DEPTH), False)
                elif token.string in _CLOSING:
                    depth = max(depth - 1, 0)
            elif token.type == tokenize.NEWLINE:
                statement = 0
            if statement > MAX_BROKEN_STATEMENT_TOKENS or total > MAX_BROKEN_TOKENS:
                parse = False
                if total > MAX_BROKEN_TOKENS:
                    break
    except (tokenize.TokenError, SyntaxError):
        pass  # the rest of a broken block: what was read decides
    return BrokenShape(None, parse)
