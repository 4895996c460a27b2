"""RV604 count-after-cursor-filter."""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m

from rules.api import FileRule, FixBuilder, Invalid, RuleMeta, Safety, Scope, Severity, Valid, dotted_name

_CURSOR = re.compile(r"cursor|after|before|since|until|last_id|last_seen|offset|start_after|marker|from_id|max_id|min_id|page_token", re.I)
_RANGE_LOOKUP = re.compile(r".+__(?:lt|lte|gt|gte)$")


def _mentions_cursor(expr: cst.CSTNode) -> bool:
    return any(
        isinstance(n, cst.Name) and _CURSOR.search(n.value) for n in m.findall(expr, m.Name())
    ) or any(isinstance(a, cst.Attribute) and _CURSOR.search(a.attr.value) for a in m.findall(expr, m.Attribute()))


def _cursor_filtered(stmt: cst.CSTNode) -> set[str]:
    """Names reassigned through a cursor filter in `stmt`: `qs = qs.filter(id__lt=cursor)`."""
    names: set[str] = set()
    for assign in m.findall(stmt, m.Assign(value=m.Call())):
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            continue
        target = dotted_name(assign.targets[0].target)
        if target is None:
            continue
        for call in m.findall(assign.value, m.Call(func=m.Attribute(attr=m.Name("filter") | m.Name("where")))):
            if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
                continue
            receiver_names = {n.value for n in m.findall(call.func.value, m.Name()) if isinstance(n, cst.Name)}
            if dotted_name(call.func.value) != target and target not in receiver_names:
                continue
            kwargs = [a for a in call.args if a.keyword is not None and _RANGE_LOOKUP.match(a.keyword.value)]
            comparisons = [a for a in call.args if a.keyword is None and isinstance(a.value, cst.Comparison)]
            if any(_mentions_cursor(a.value) for a in (*kwargs, *comparisons)):
                names.add(target)
    return names


def _count_of(stmt: cst.CSTNode, names: set[str]) -> cst.Call | None:
    """`X.count()` or `len(X)` of a cursor-filtered name in `stmt`."""
    for call in m.findall(stmt, m.Call()):
        if not isinstance(call, cst.Call):
            continue
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "count" and not call.args:
            if dotted_name(call.func.value) in names:
                return call
        if m.matches(call.func, m.Name("len")) and call.args and dotted_name(call.args[0].value) in names:
            return call
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

    Quiet when the count is taken before the cursor filter.
    """

    meta = RuleMeta(
        code="RV604",
        name="count-after-cursor-filter",
        family="data",
        severity=Severity.WARNING,
        scope=Scope.FILE,
        frameworks=("django", "sqlalchemy"),
        fix=Safety.UNSAFE,
    )

    VALID = [
        Valid(
            "def page(user, cursor):\n    qs = Order.objects.filter(user=user)\n    total = qs.count()\n    if cursor:\n        qs = qs.filter(id__lt=cursor)\n    return total, list(qs[:20])\n"
        ),
        Valid("def page(qs, status):\n    qs = qs.filter(created__gte=START_OF_YEAR)\n    return qs.count()\n"),
        Valid("def page(qs, cursor):\n    items = list(qs.filter(id__lt=cursor)[:20])\n    return qs.count(), items\n"),
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

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._check(node, node.body)

    def _check(self, block: cst.IndentedBlock, body: Sequence[cst.BaseStatement]) -> None:
        filtered: dict[str, int] = {}
        for index, stmt in enumerate(body):
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                continue
            count = _count_of(stmt, set(filtered))
            if count is not None:
                name = dotted_name(count.func.value) if isinstance(count.func, cst.Attribute) else dotted_name(count.args[0].value)
                origin = filtered[name or ""]
                fix = None
                if isinstance(stmt, cst.SimpleStatementLine) and len(_cursor_filtered(stmt)) == 0:

                    def build(builder: FixBuilder, at: int = origin, moved: int = index) -> None:
                        statements = list(block.body)
                        statement = statements.pop(moved)
                        statements.insert(at, statement.with_changes(leading_lines=()))
                        builder.replace(block, block.with_changes(body=statements))

                    fix = self.fix("Count before the cursor filter", build)
                self.report(count, "the total is counted after the cursor filter: it counts only the rows after the cursor", fix=fix)
                for key in list(filtered):
                    del filtered[key]
            for name in _cursor_filtered(stmt):
                filtered.setdefault(name, index)
