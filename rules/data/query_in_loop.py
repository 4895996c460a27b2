"""RV601 query-in-loop."""

from __future__ import annotations

import libcst as cst

from rules.api import Invalid, RuleMeta, Scope, Severity, Valid
from rules.api import dotted_name
from rules.api.orm import (
    CACHED_READS,
    DJANGO_READS,
    LAZY,
    SQLALCHEMY_LAZY,
    SQLALCHEMY_READS,
    LoopScope,
    PerIterationRule,
    call_text,
    chain_calls,
    is_django_manager_call,
    method_name,
    prefetched,
    receiver_chain,
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

    A queryset is lazy: `Model.objects.filter(...)` counts only where it runs in the loop
    (iterated, `list()`/`len()`, `[0]`, a test, or a terminal call such as `get`/`exists`),
    not when it is built as a subquery. Quiet on queries before the loop, on a single bulk
    `__in` / `in_()` lookup, on related `.all()`/`.count()`/`.exists()` that the loop's
    queryset prefetches, on writes (RV602 reports those), on loops over fixed collections
    (literals, constants, `settings.LANGUAGES`, enums) and `while True:` retry loops, and in
    tests, migrations and management commands (one-off scripts).
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
        # prefetched relations, a lazy subquery, a unique-code retry loop, a fixed collection
        Valid(
            """
            from django.conf import settings
            from django.db.models import Exists, OuterRef


            def choices(event):
                out = []
                for item in event.items.prefetch_related("variations"):
                    for v in item.variations.all():
                        out.append((item.pk, v.pk))
                return out


            def with_meta(qs, attrs):
                for name, value in attrs.items():
                    sub = Meta.objects.filter(event=OuterRef("pk"), name=name, value=value)
                    qs = qs.filter(Exists(sub))
                return qs


            def new_code(event):
                while True:
                    code = random_code()
                    if not Order.objects.filter(event=event, code=code).exists():
                        return code


            def per_language():
                return {code: Page.objects.filter(language=code).count() for code, _ in settings.LANGUAGES}
            """
        ),
        # a write through a queryset is RV602's, and a Django session is a dict
        Valid(
            "def release(positions, request):\n    for p in positions:\n        Voucher.objects.filter(pk=p.voucher_id).update(redeemed=0)\n"
            "        request.session.get('cart', {})\n        p.addons.filter(active=False).delete()\n"
            "        session.execute(sa.update(Voucher).where(Voucher.id == p.voucher_id).values(redeemed=0))\n"
        ),
        Valid(
            "def upgrade():\n    conn = op.get_bind()\n    for row in conn.execute(sa.text('SELECT id FROM t')):\n"
            "        conn.execute(sa.select(T.c.x).where(T.c.id == row.id)).first()\n",
            path="app/_migrations/versions/2024_01_01_add_x.py",
        ),
        Valid(
            "def fwd(apps, schema_editor):\n    Event = apps.get_model('base', 'Event')\n    for e in Event.objects.all():\n"
            "        e.invoices.all().update(prefix=e.slug)\n        print(Order.objects.filter(event=e).count())\n",
            path="shop/migrations/0042_prefix.py",
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
        Invalid(
            """
            def report(event):
                rows = []
                for item in event.items.prefetch_related("variations"):
                    rows.append(list(item.quotas.all()))  # <- RV601
                    for v in Variation.objects.filter(item=item):  # <- RV601
                        rows.append(v)
                    if item.variations.filter(active=True).exists():  # <- RV601
                        rows.append(item)
                return rows


            def names(session, ids):
                return [session.query(User).filter(User.id == pk).first() for pk in ids]  # <- RV601
            """
        ),
    ]

    def classify(self, call: cst.Call, loop: LoopScope, loops: list[LoopScope]) -> str | None:
        method = method_name(call)
        if method is None:
            return None
        if "select_for_update" in receiver_chain(call):
            return None  # re-reading a row under a lock, one at a time on purpose
        lazy_unused = method in LAZY and id(call) not in loop.evaluated  # a subquery, or built for later
        if is_django_manager_call(call):
            if lazy_unused or (method not in LAZY and method not in DJANGO_READS):
                return None
            return f"`{call_text(call)}` runs a query on every iteration (N+1): load the rows once before the loop (`pk__in=`, `select_related`)"
        targets = set().union(*(scope.targets for scope in loops))
        chain = [call, *chain_calls(call)]
        related = related_manager(chain[-1], targets)
        if related is not None:
            if lazy_unused or (method not in LAZY and method not in DJANGO_READS):  # a write: RV602's
                return None
            owner = receiver_chain(call)[-1]
            source = next((scope for scope in reversed(loops) if owner in scope.targets), None)
            cached = all(method_name(c) in CACHED_READS for c in chain)
            if source is not None and cached and related in prefetched(source.iterable, self.assigned):
                return None  # answered from the prefetch cache
            return f"`{call_text(call)}` queries on every iteration (N+1): add `prefetch_related(\"{related}\")` to the loop's queryset"
        base = chain[-1]
        if method_name(base) in SQLALCHEMY_READS and session_receiver(base) is not None and _is_sql_call(base) and not _is_write(base):
            if method in SQLALCHEMY_LAZY and id(call) not in loop.evaluated:
                return None
            return f"`{call_text(call)}` runs a query on every iteration (N+1): load the rows in one query (`in_()`, `selectinload`)"
        return None


def _is_write(call: cst.Call) -> bool:
    """`session.execute(update(...))`/`insert`/`delete`: a write, not an N+1 read."""
    first = call.args[0].value if call.args else None
    while isinstance(first, cst.Call):
        name = first.func.attr.value if isinstance(first.func, cst.Attribute) else dotted_name(first.func) or ""
        if name.rsplit(".", 1)[-1] in ("update", "insert", "delete", "upsert"):
            return True
        if not isinstance(first.func, cst.Attribute):
            break
        first = first.func.value if isinstance(first.func.value, cst.Call) else None
    return False


def _is_sql_call(call: cst.Call) -> bool:
    """`session.get(User, pk)`, not `request.session.get("key", default)` (a dict-like store)."""
    method = method_name(call)
    if not call.args:
        return False
    first = call.args[0].value
    if method in ("get", "get_one"):
        return len(call.args) >= 2 and dotted_name(first) is not None and not isinstance(first, cst.SimpleString)
    return not isinstance(first, (cst.Integer, cst.Dict)) and not (method == "query" and isinstance(first, cst.SimpleString))
