"""RV601 query-in-loop."""

from __future__ import annotations

import libcst as cst

from rules.api import Invalid, RuleMeta, Scope, Severity, Valid
from rules.api.orm import (
    DJANGO_READS,
    SQLALCHEMY_READS,
    PerIterationRule,
    call_text,
    is_django_manager_call,
    method_name,
    related_manager,
    session_receiver,
)


class QueryInLoop(PerIterationRule):
    """
    ## What it does
    Finds database queries run once per iteration of a loop or comprehension: Django
    `Model.objects.get/filter/...`, related-manager access on the loop variable
    (`order.items.all()`), and SQLAlchemy `session.execute/get/scalar(s)/query`.

    ## Why is this bad?
    This is the N+1 query: one query for the list, then one more per row. It passes tests
    with ten rows and takes seconds (and a connection per request) with ten thousand.

    ## Example
    ```python
    for order in Order.objects.filter(status="paid"):
        customer = Customer.objects.get(pk=order.customer_id)
        lines = order.lines.all()
    ```
    Use instead:
    ```python
    orders = Order.objects.filter(status="paid").select_related("customer").prefetch_related("lines")
    for order in orders:
        customer, lines = order.customer, order.lines.all()
    ```

    ## Fix
    None: the right prefetch or `in` lookup depends on how the data is used.

    Quiet on queries before the loop and on a single bulk `__in` / `in_()` lookup. Quiet in tests (fixtures built in a loop).
    """

    meta = RuleMeta(
        code="RV601",
        name="query-in-loop",
        family="data",
        severity=Severity.WARNING,
        scope=Scope.FILE,
        frameworks=("django", "sqlalchemy"),
    )

    VALID = [
        Valid(
            "def report(ids):\n    customers = Customer.objects.filter(pk__in=ids)\n    by_id = {c.pk: c for c in customers}\n    for pk in ids:\n        print(by_id[pk])\n"
        ),
        Valid("def names(orders):\n    return [o.customer.name for o in orders.select_related('customer')]\n"),
        Valid("def total(rows):\n    cache = {}\n    for row in rows:\n        cache.get(row.id)\n    return cache\n"),
        Valid("def tags(posts):\n    return [p.meta.get('tag') for p in posts]\n"),
        Valid("def make(n):\n    for i in range(n):\n        User.objects.create(username=str(i))\n", path="tests/test_users.py"),
        Valid(
            "from sqlalchemy import select\n\ndef load(session, ids):\n    rows = session.execute(select(User).where(User.id.in_(ids))).scalars()\n    return [r.name for r in rows]\n"
        ),
    ]
    INVALID = [
        Invalid(
            """
            def invoice_lines(status):
                out = []
                for order in Order.objects.filter(status=status):
                    customer = Customer.objects.get(pk=order.customer_id)  # <- RV601
                    for line in order.lines.all():  # <- RV601
                        out.append((customer, line))
                return out
            """
        ),
        Invalid(
            """
            async def names(session, ids):
                return [(await session.get(User, pk)).name for pk in ids]  # <- RV601


            class Repo:
                def totals(self, ids):
                    while ids:
                        pk = ids.pop()
                        self.db.execute(select(Order).where(Order.id == pk))  # <- RV601
            """
        ),
        Invalid(
            """
            def counts(orders):
                return {o.pk: Item.objects.filter(order=o).count() for o in orders}  # <- RV601
            """
        ),
    ]

    def classify(self, call: cst.Call, loop_vars: set[str]) -> str | None:
        method = method_name(call)
        if is_django_manager_call(call) and method in DJANGO_READS:
            return f"`{call_text(call)}` runs a query on every iteration (N+1): load the rows once before the loop (`pk__in=`, `select_related`)"
        related = related_manager(call, loop_vars)
        if related is not None:
            return f"`{call_text(call)}` queries on every iteration (N+1): add `prefetch_related(\"{related}\")` to the loop's queryset"
        if method in SQLALCHEMY_READS and session_receiver(call) is not None:
            return f"`{call_text(call)}` runs a query on every iteration (N+1): load the rows in one query (`in_()`, `selectinload`)"
        return None
