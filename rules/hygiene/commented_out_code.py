"""RV103 commented-out-code."""

from __future__ import annotations

import ast
import itertools
import re
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    Role,
    RuleMeta,
    Safety,
    Severity,
    Valid,
)
from rules.api.triggers import BlockSummary, ModuleSummary

_PRAGMA = re.compile(
    r"#\s*(?:type:|noqa|pragma|pylint:|fmt:|isort:|reviewls:|nosec|mypy:|pyright:|ruff:|-\*-|!|(?:vim?:.*)?(?:en)?coding[:=])", re.I
)
# `# import charts` above `chart_ids = {}`, `# return rowid` above `if self._rowid: return ...`:
# a one-word step heading naming what the code right below handles
_HEADING = re.compile(r"\s*(?:import|return)\s+(\w+)\s*$")
_WORD = re.compile(r"[a-z0-9]+", re.I)
# literals of other languages (SQL, JavaScript, JSON): `# Public = NULL` is prose, not Python
_FOREIGN_LITERALS = frozenset(("NULL", "null", "true", "false", "nil", "undefined", "TRUE", "FALSE"))
_LICENCE = re.compile(r"copyright|licen[cs]e|spdx|all rights reserved", re.I)
_CODE_STATEMENTS = (
    ast.Assign,
    ast.AugAssign,
    ast.Import,
    ast.ImportFrom,
    ast.Return,
    ast.Raise,
    ast.Delete,
    ast.Assert,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
)


def looks_like_code(lines: Sequence[str]) -> bool:
    """Do these comment bodies parse as Python statements that do something?"""
    text = textwrap.dedent("\n".join(lines))
    try:
        with warnings.catch_warnings():
            # a comment is not the module's code: CPython's SyntaxWarnings about it (`# x = 1if a`:
            # "invalid decimal literal") would land on the user's stderr
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if not tree.body:
        return False
    if any(isinstance(node, ast.Name) and node.id in _FOREIGN_LITERALS for node in ast.walk(tree)):
        return False
    rows = text.splitlines()
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            row = rows[func.end_lineno - 1] if func.end_lineno is not None else ""
            if func.end_col_offset is not None and row[func.end_col_offset : func.end_col_offset + 1].isspace():
                return False  # `Pooling (MariaDB-Vector)`: a heading with a parenthesis, not a call
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Await):
            continue
        if isinstance(stmt, ast.Return) and stmt.value is None:
            return False
        if not isinstance(stmt, _CODE_STATEMENTS):
            return False
    return True


# a line that can open a statement: prose before it (`# old approach:`) is split off
_STATEMENT_START = re.compile(
    r"\s*(?:@|(?:import|from|return|raise|del|assert|if|for|while|with|try|def|class|async|await|print)\b"
    r"|[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*(?:[-+*/%|&^]|//|\*\*|<<|>>)?=[^=]|[A-Za-z_][\w.]*\()"
)
_MAX_SPLIT = 40  # longer runs are judged whole: splitting is quadratic in parse attempts


# prose that introduces an example or a documented option, not switched-off code
_DOCUMENTS = re.compile(
    r"example|e\.g\.|for instance|such as|uncomment|default|equivalent|usage|sample|template|"
    r"as follows|following|like (?:this|so)|you (?:can|may|could|might)|to (?:enable|use|set|configure)|option|"
    r"alternativ|would|could|might|should|\bcan\b|syntax|looks? like|e\.x\.|i\.e\.",
    re.I,
)


# prose right after the code that says why it is off: a documented switch, not forgotten code
_EXPLAINS = re.compile(
    r"\bdisabled\b|\bbecause\b|\bsince\b|\bas it\b|not (?:needed|necessary)|unnecessary|on purpose|"
    r"deliberately|intentionally|would (?:cause|break)|could cause|problems?\b",
    re.I,
)


def code_segments(bodies: Sequence[str], split: bool = True) -> list[tuple[int, int]]:
    """The [start, end) ranges of comment lines that are code.

    The whole run when it parses. Else the longest parsing stretches that start at a
    statement-like line and that no prose introduces as documentation: code after prose
    counts only when the prose ends with `:` (`# old approach:`) and does not present an
    example or an option (`# example:`, `# Uncomment to enable`); a wrapped sentence
    (`# made by` / `# ensure_totals()`) stays prose, and so does code that the prose right
    after it explains as switched off on purpose (`# paginate_by = 30` / `# Pagination is
    disabled as ...`). Code that follows a documented example
    with no new prose belongs to the same example. `split=False` judges the run whole only.
    """
    if looks_like_code(bodies):
        return [(0, len(bodies))]
    if not split or len(bodies) > _MAX_SPLIT:
        return []
    found: list[tuple[int, int]] = []
    start = 0
    prose: list[str] = []  # non-empty prose lines since the last code stretch
    documented = False  # the last code stretch was an example the prose presented
    while start < len(bodies):
        if _STATEMENT_START.match(bodies[start]):
            end = next((e for e in range(len(bodies), start, -1) if looks_like_code(bodies[start:e])), None)
            if end is not None:
                if prose:
                    documented = not prose[-1].endswith(":") or any(_DOCUMENTS.search(line) for line in prose)
                after = itertools.takewhile(lambda line: not _STATEMENT_START.match(line), bodies[end:])
                if not documented and not any(_EXPLAINS.search(line) for line in after):
                    found.append((start, end))
                prose = []
                start = end
                continue
        if bodies[start].strip():
            prose.append(bodies[start].strip())
        start += 1
    return found


def _is_heading(body: str, following: cst.CSTNode | None) -> bool:
    """Is a one-line `import x` / `return x` a heading of the statement below (it handles `x`)?"""
    found = _HEADING.match(body)
    if found is None or following is None:
        return False
    word = found.group(1)
    code = cst.Module([]).code_for_node(following)
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("#"))  # not the comments above
    if re.search(rf"\b{re.escape(word)}\s*\.", code):
        return False  # `# import json` above `json.loads(...)`: the module really is used
    stems = {word.lower(), word.lower().removesuffix("s")}
    return any(token.lower() in stems for token in _WORD.findall(code.replace("_", " ")))


def _sequences(stmt: cst.CSTNode) -> Iterator[Sequence[cst.EmptyLine]]:
    """The runs of own-line comments attached to a statement and its clauses."""
    leading = getattr(stmt, "leading_lines", None)
    if leading:
        yield leading
    if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        for decorator in stmt.decorators:
            yield decorator.leading_lines
        yield stmt.lines_after_decorators
    if isinstance(stmt, cst.If) and stmt.orelse is not None:
        yield from _sequences(stmt.orelse)
    if isinstance(stmt, cst.Else):
        yield stmt.leading_lines
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        for handler in stmt.handlers:
            yield handler.leading_lines
        if stmt.orelse is not None:
            yield stmt.orelse.leading_lines
        if stmt.finalbody is not None:
            yield stmt.finalbody.leading_lines
    if isinstance(stmt, (cst.For, cst.While)) and stmt.orelse is not None:
        yield stmt.orelse.leading_lines


def _runs(lines: Sequence[cst.EmptyLine]) -> Iterator[list[cst.EmptyLine]]:
    run: list[cst.EmptyLine] = []
    for line in lines:
        if line.comment is not None and not _PRAGMA.match(line.comment.value):
            run.append(line)
            continue
        if run:
            yield run
        run = []
    if run:
        yield run



# a comment line with what a statement `looks_like_code` accepts needs: an assignment or a call
# (`=`, `(`), a decorator, a simple-statement keyword, or a compound header's keyword and colon
_CODE_IN_COMMENT = re.compile(
    r"#[^\n]*(?:[=(@]|\b(?:import|return|raise|del|assert|await)\b"
    r"|\b(?:if|for|while|with|try|def|class|async)\b[^\n]*:)"
)
_COMMENT_RUN = re.compile(r"(?:^[ \t]*#[^\n]*(?:\n|\Z))+", re.M)


def _may_hold_code(text: str) -> bool:
    """Can some run of own-line comments in `text` be code? The rule's own test on the text's
    comment runs, over-approximated: libcst may split a run where its indentation changes, so
    every stretch between such changes is judged too, and headings are not ruled out."""
    if _CODE_IN_COMMENT.search(text) is None:
        return False
    for match in _COMMENT_RUN.finditer(text):
        lines = [line for line in match.group().splitlines() if line.strip()]
        runs: list[list[str]] = [[]]
        for line in lines:
            if _PRAGMA.match(line.lstrip()):
                runs.append([])
            else:
                runs[-1].append(line)
        for run in runs:
            if not run or not any(_CODE_IN_COMMENT.search(line) for line in run):
                continue
            cuts = [0] + [i for i in range(1, len(run)) if _indent(run[i]) != _indent(run[i - 1])] + [len(run)]
            for first in range(len(cuts) - 1):
                for last in range(first + 1, len(cuts)):
                    bodies = [line.lstrip()[1:] for line in run[cuts[first] : cuts[last]]]
                    if code_segments(bodies):
                        return True
    return False


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


@dataclass(frozen=True, slots=True)
class _CodeComments:
    """`_may_hold_code` in the shape `BlockSummary.matches` caches."""

    def search(self, text: str) -> bool | None:
        return True if _may_hold_code(text) else None


_CODE_COMMENTS = _CodeComments()


class CommentedOutCode(FileRule):
    """
    ## What it does
    Finds blocks of comments that are Python code: statements that were switched off by
    commenting them out.

    ## Why is this bad?
    Commented-out code rots: it stops matching the code around it, readers cannot tell
    whether it is meant to come back, and version control already keeps the old version.

    ## Example
    ```python
    def total(order):
        # discount = order.discount()
        # return order.amount - discount
        return order.amount
    ```
    Use instead: delete the comment block; `git log -p` finds it when it is needed.

    ## Fix
    Deletes the comment block. Unsafe: the comment may be a deliberate note of an
    alternative, which only a person can judge.

    Code right under an explanatory line (`# old approach:` then `# result = compute(x)`)
    is found too: the prose line stays, the code lines are reported. Code that prose
    presents as documentation stays quiet: an example or a documented option (`# example:`,
    `# Uncomment to enable X`, `# Default values are equivalent to`), and a wrapped
    sentence whose last line happens to parse (`# made by` / `# ensure_totals()`), and code
    the prose right below explains as off on purpose (`# Pagination is disabled as ...`).
    In settings modules, whose commented examples document the options, only runs that are
    code throughout are reported.

    Quiet on prose (also a heading that happens to parse: `# Pooling (MariaDB-Vector)`,
    `# import charts` or `# return rowid` right above the code that handles charts or the
    rowid, text with another language's literals such as `# Public = NULL`), encoding
    declarations, type comments, pragma comments (`# noqa`, `# pragma: no cover`, ...) and
    licence headers.
    """

    meta = RuleMeta(
        code="RV103", name="commented-out-code", family="hygiene", severity=Severity.HINT, fix=Safety.UNSAFE
    )

    @classmethod
    def wants(cls, block: BlockSummary, module: ModuleSummary) -> bool:
        return block.matches(_CODE_COMMENTS)

    VALID = [
        Valid("# Copyright 2024 Shop Inc.\n# import os\n# Licensed under the MIT license\nx = 1\n"),
        Valid("def f(x):\n    # return early when the cart is empty\n    return x\n"),
        Valid("x = []  # type: list[int]\n# noqa: E501\ny = 1\n"),
        Valid("# Note: the default\n# Returns the total price\nTOTAL = 1\n"),
        Valid("def g():\n    # see https://example.com/docs\n    # the TODO below is tracked\n    return 2\n"),
        Valid(
            """
            # Uncomment to setup Full admin role name
            # AUTH_ROLE_ADMIN = 'Admin'

            # example:
            # def lookup_password(url):
            #     return 'secret'
            # SQLALCHEMY_CUSTOM_PASSWORD_STORE = lookup_password
            SQLALCHEMY_CUSTOM_PASSWORD_STORE = None


            class ItemList:
                model = Item
                # paginate_by = 30
                # Pagination is disabled as it is very unlikely to be necessary
                # here and could cause problems with reordering
                template_name = "items/index.html"


            def process(query):
                # Update cache_values to reflect modifications made by
                # ensure_totals_available()
                # This keeps cache keys in step with the query
                return query
            """,
            path="superset/config.py",
        ),
        Valid(
            """
            # coding=utf-8
            import os

            # Pooling (MariaDB-Vector)
            POOL_SIZE = os.getenv("POOL_SIZE")


            def import_assets(configs):
                # import charts
                charts = []
                for name in configs:
                    charts.append(name)
                # import dashboards
                dashboard_ids: dict[str, int] = {}
                for name in configs:
                    dashboard_ids[name] = 1
                # return rowid
                if self._rowid:
                    return result.inserted_primary_key[0]
                if grants["is_public"]:
                    # Public = NULL
                    return None
                return charts
            """,
            path="app/assets.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            def total(order, x):
                # old approach:
                # result = compute(x)  # <- RV103
                # return result
                return order.amount
            """,
            fixed="""
            def total(order, x):
                # old approach:
                return order.amount
            """,
        ),
        Invalid(
            """
            def load(text):
                # import json  # <- RV103
                return json.loads(text)
            """
        ),
        Invalid(
            """
            # AUTH_TYPE = AUTH_DB  # <- RV103
            # keep the old backend until the migration ends
            AUTH_TYPE = AUTH_OID
            """
        ),
        Invalid(
            """
            def total(order):
                # discount = order.discount()  # <- RV103
                # return order.amount - discount
                return order.amount
            """,
            fixed="""
            def total(order):
                return order.amount
            """,
        ),
        Invalid(
            """
            import logging

            # print("debug")  # <- RV103


            class Cart:
                # def legacy_total(self):  # <- RV103
                #     return sum(self.items)

                def total(self):
                    return 0
            """
        ),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        header = list(node.header)
        if header and any(line.comment and _LICENCE.search(line.comment.value) for line in header):
            header = []
        self._check(header)
        self._check_body(node.body)
        self._check(node.footer)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._check_body(node.body)
        self._check(node.footer)

    def _check_body(self, body: Sequence[cst.CSTNode]) -> None:
        for stmt in body:
            for lines in _sequences(stmt):
                self._check(lines, stmt)

    def _check(self, lines: Sequence[cst.EmptyLine], following: cst.CSTNode | None = None) -> None:
        for whole in _runs(lines):
            bodies = [line.comment.value[1:] for line in whole if line.comment is not None]
            # a settings module documents its options with commented examples: judge runs whole
            for start, end in code_segments(bodies, split=not self.ctx.has_role(Role.SETTINGS)):
                if end - start == 1 and _is_heading(bodies[start], following):
                    continue
                self._report(whole[start:end])

    def _report(self, run: list[cst.EmptyLine]) -> None:
        first, last = run[0].comment, run[-1].comment
        assert first is not None and last is not None

        def build(builder: FixBuilder, remove: list[cst.EmptyLine] = run) -> None:
            for line in remove:
                builder.replace(line, cst.RemovalSentinel.REMOVE)

        count = len(run)
        self.report(
            first,
            f"commented-out code ({count} line{'s' if count > 1 else ''}): delete it, version control keeps it",
            end=last,
            fix=self.fix("Delete the commented-out code", build),
        )
