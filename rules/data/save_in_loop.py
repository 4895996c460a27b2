"""RV602 save-in-loop."""

from __future__ import annotations

import libcst as cst

from rules.api import Invalid, RuleMeta, Scope, Severity, Valid
from rules.api.orm import PerIterationRule, call_text, is_django_manager_call, method_name, session_receiver


class SaveInLoop(PerIterationRule):
    """
    ## What it does
    Finds writes made once per loop iteration: Django `obj.save()`, `obj.delete()`,
    `Model.objects.create(...)`, `queryset.update(...)`/`.delete()`, and SQLAlchemy
    `session.commit()` inside a loop.

    ## Why is this bad?
    One round trip (and, with `commit`, one transaction) per row: a 10,000-row import makes
    10,000 writes, holds locks far longer than needed, and leaves half the rows written when
    row 5,001 fails.

    ## Example
    ```python
    for item in items:
        item.price = item.price * rate
        item.save()
    ```
    Use instead:
    ```python
    for item in items:
        item.price = item.price * rate
    Item.objects.bulk_update(items, ["price"])
    ```

    ## Fix
    None: the bulk form depends on the fields and on what the loop does between writes.

    Quiet on `bulk_create`/`bulk_update`, on `session.add(...)` (flushed together), and on
    writes made once after the loop. Quiet in tests (fixtures built in a loop).
    """

    meta = RuleMeta(
        code="RV602", name="save-in-loop", family="data", severity=Severity.WARNING, scope=Scope.FILE, frameworks=("django", "sqlalchemy")
    )

    VALID = [
        Valid("def reprice(items, rate):\n    for item in items:\n        item.price *= rate\n    Item.objects.bulk_update(items, ['price'])\n"),
        Valid("def load(session, rows):\n    for row in rows:\n        session.add(User(**row))\n    session.commit()\n"),
        Valid("def merge(target, parts):\n    for part in parts:\n        target.update(part)\n    return target\n"),
        Valid("def clear(cache, keys):\n    for key in keys:\n        cache.delete(key)\n"),
    ]
    INVALID = [
        Invalid(
            """
            def reprice(items, rate):
                for item in items:
                    item.price = item.price * rate
                    item.save(update_fields=["price"])  # <- RV602


            def import_rows(rows):
                created = [Customer.objects.create(**row) for row in rows]  # <- RV602
                for row in rows:
                    Order.objects.filter(pk=row["id"]).update(status=row["status"])  # <- RV602
                return created
            """
        ),
        Invalid(
            """
            async def load(session, rows):
                for row in rows:
                    session.add(User(**row))
                    await session.commit()  # <- RV602


            def purge(orders):
                for order in orders:
                    order.delete()  # <- RV602
            """
        ),
    ]

    def classify(self, call: cst.Call, loop_vars: set[str]) -> str | None:
        method = method_name(call)
        if method not in ("save", "create", "update", "delete", "get_or_create", "update_or_create", "commit"):
            return None
        label = call_text(call)
        if method == "save" and not is_django_manager_call(call):
            return f"`{label}` writes one row per iteration: collect the objects and call `bulk_update`/`bulk_create` once"
        if is_django_manager_call(call) and method in ("create", "update", "delete", "get_or_create", "update_or_create"):
            remedy = "`bulk_create`" if method == "create" else "one `update()`/`delete()` over `filter(pk__in=...)`"
            return f"`{label}` writes once per iteration: use {remedy} after the loop"
        if method == "delete" and not call.args and session_receiver(call) is None:
            return f"`{label}` deletes one row per iteration: delete them together with `filter(pk__in=...).delete()`"
        if method == "commit" and session_receiver(call) is not None:
            return f"`{label}` commits once per row: commit once after the loop, or use `session.execute(update(...))`"
        return None
