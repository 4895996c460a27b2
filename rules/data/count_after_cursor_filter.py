"""RV604 count-after-cursor-filter."""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    dotted_name,
    find_all,
)
from rules.api.triggers import BlockSummary, ModuleSummary

# names of pagination cursors; `since`/`until`/`before` alone are date ranges, and a total within a range is right
_CURSOR = re.compile(
    r"cursor|(?:after|before|last|last_seen|from|max|min|since)_(?:id|pk)|offset|start_after|marker|page_token|continuation", re.I
)
_COUNTS = frozenset(("count", "len"))
_RANGE_LOOKUP = re.compile(r".+__(?:lt|lte|gt|gte)$")


def _mentions_cursor(expr: cst.CSTNode) -> bool:
    for node in find_all(expr, (cst.Name, cst.Attribute)):
        text = node.value if isinstance(node, cst.Name) else node.attr.value if isinstance(node, cst.Attribute) else ""
        if _CURSOR.search(text):
            return True
    return False


def cursor_filtered(assign: cst.Assign) -> str | None:
    """`qs = qs.filter(id__lt=cursor)` (or `.where(Model.id < after)`): the name narrowed."""
    if len(assign.targets) != 1 or not isinstance(assign.value, cst.Call):
        return None
    target = dotted_name(assign.targets[0].target)
    if target is None:
        return None
    node: cst.BaseExpression = assign.value
    found = False
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        call = node
        func = node.func
        if func.attr.value in ("filter", "where"):
            ranges = [a.value for a in call.args if a.keyword is not None and _RANGE_LOOKUP.match(a.keyword.value)]
            ranges += [a.value for a in call.args if a.keyword is None and isinstance(a.value, cst.Comparison)]
            found = found or any(_mentions_cursor(value) for value in ranges)
        node = func.value
        while isinstance(node, cst.Subscript):
            node = node.value
    return target if found and dotted_name(node) == target else None


def count_of(call: cst.Call) -> str | None:
    """The name counted by `X.count()` or `len(X)`."""
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "count" and not call.args:
        return dotted_name(call.func.value)
    if isinstance(call.func, cst.Name) and call.func.value == "len" and len(call.args) == 1:
        return dotted_name(call.args[0].value)
    return None


def _index_of(body: Sequence[cst.BaseStatement], node: cst.CSTNode) -> int | None:
    """Index of the statement of `body` that contains `node`."""
    for index, stmt in enumerate(body):
        if any(found is node for found in find_all(stmt, type(node))):
            return index
    return None


class CountAfterCursorFilter(FileRule):
    """
    ## What it does
    Finds a total count taken after the query was narrowed by a cursor or offset filter:
    `qs = qs.filter(id__lt=cursor)` followed by `total = qs.count()`.

    ## Why is this bad?
    The "total" then counts only the rows after the cursor: it shrinks on every page, so
    clients show "page 3 of 2" or stop paginating early. Reviewers find it in every
    hand-written cursor pagination.

    ## Example
    ```python
    qs = Order.objects.filter(user=user)
    if cursor:
        qs = qs.filter(id__lt=cursor)
    total = qs.count()
    ```
    Use instead:
    ```python
    qs = Order.objects.filter(user=user)
    total = qs.count()
    if cursor:
        qs = qs.filter(id__lt=cursor)
    ```

    ## Fix
    Moves the count statement above the cursor filter. Unsafe: if the code between them
    changes what the count depends on, the count changes too; review the move.

    Quiet when the count is taken before the cursor filter, and on date ranges
    (`created__gte=since`): only cursor-like names (`cursor`, `after_id`, `offset`,
    `page_token`...) make a filter a cursor.
    """

    meta = RuleMeta(
        code="RV604",
        name="count-after-cursor-filter",
        family="data",
        severity=Severity.WARNING,
        frameworks=("django", "sqlalchemy"),
        fix=Safety.UNSAFE,
    )

    @classmethod
    def wants(cls, block: BlockSummary, module: ModuleSummary) -> bool:
        """A count (`.count()`, `len()`) and a name that looks like a cursor, in one block."""
        return not _COUNTS.isdisjoint(block.words) and block.matches(_CURSOR)

    VALID = [
        Valid(
            "def page(user, cursor):\n    qs = Order.objects.filter(user=user)\n    total = qs.count()\n    if cursor:\n        qs = qs.filter(id__lt=cursor)\n    return total, list(qs[:20])\n"
        ),
        Valid("def page(qs, status):\n    qs = qs.filter(created__gte=START_OF_YEAR)\n    return qs.count()\n"),
        Valid("def page(qs, cursor):\n    items = list(qs.filter(id__lt=cursor)[:20])\n    return qs.count(), items\n"),
        # a date range, not a cursor: the total within the range is what is wanted
        Valid("def stats(qs, since, until):\n    qs = qs.filter(created__gte=since, created__lt=until)\n    return qs.count()\n"),
    ]
    INVALID = [
        Invalid(
            """
            def list_orders(user, cursor=None):
                qs = Order.objects.filter(user=user).order_by("-id")
                if cursor:
                    qs = qs.filter(id__lt=cursor)
                total = qs.count()  # <- RV604
                return {"total": total, "items": list(qs[:20])}
            """,
            fixed="""
            def list_orders(user, cursor=None):
                qs = Order.objects.filter(user=user).order_by("-id")
                total = qs.count()
                if cursor:
                    qs = qs.filter(id__lt=cursor)
                return {"total": total, "items": list(qs[:20])}
            """,
        ),
        Invalid(
            """
            class Feed:
                def page(self, after_id):
                    items = self.items
                    items = items.filter(created_at__gt=after_id)
                    return {"count": len(items), "items": items[:50]}  # <- RV604
            """
        ),
    ]

    def setup(self) -> None:
        # per enclosing function: its body and the names narrowed by a cursor filter so far
        self._functions: list[tuple[cst.BaseSuite, dict[str, cst.Assign]]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append((node.body, {}))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._functions:
            name = cursor_filtered(node)
            if name is not None:
                self._functions[-1][1].setdefault(name, node)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._functions or not self._functions[-1][1]:
            return
        body, filtered = self._functions[-1]
        name = count_of(node)
        if name is None or name not in filtered:
            return
        narrowing = filtered.pop(name)
        fix = None
        if isinstance(body, cst.IndentedBlock):
            block: cst.IndentedBlock = body

            def build(builder: FixBuilder, count: cst.Call = node, origin: cst.Assign = narrowing) -> None:
                statements = list(block.body)
                at, moved = _index_of(statements, origin), _index_of(statements, count)
                if at is None or moved is None or moved <= at or not isinstance(statements[moved], cst.SimpleStatementLine):
                    return
                statement = statements.pop(moved)
                statements.insert(at, statement.with_changes(leading_lines=()))
                builder.replace(block, block.with_changes(body=statements))

            fix = self.fix("Count before the cursor filter", build)
        self.report(node, "the total is counted after the cursor filter: it counts only the rows after the cursor", fix=fix)
