"""RV602 save-in-loop."""

from __future__ import annotations

import libcst as cst

from rules.api import (
    Invalid,
    RuleMeta,
    Severity,
    Valid,
    caught_names,
    dotted_name,
    find_all,
    get_kwarg,
    is_logger,
)
from rules.api.orm import (
    FILE_FIELD,
    HARMLESS,
    MANAGER_WRITES,
    WRITES,
    LoopScope,
    PerIterationRule,
    call_text,
    chain_calls,
    is_django_manager_call,
    method_name,
    receiver_chain,
    session_receiver,
)
from rules.api.effects import COMMIT, WRITE, LoopCall, Summaries, loop_calls_of
from rules.api.project import EFFECTS, SYMBOLS, ProjectRule, ProjectView, RelatedPlace, SourceFile
from rules.api.triggers import Trigger, words



# what a failed lookup raises: the handler creates what was missing
_MISSING = frozenset(("KeyError", "DoesNotExist", "ObjectDoesNotExist", "IndexError", "LookupError", "NoResultFound"))


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

    Reports only loops that do nothing per item but prepare and write rows, so that one bulk
    statement could replace them. Quiet on `bulk_create`/`bulk_update`, on `session.add(...)`
    (flushed together), and on writes made once after the loop; on loops that also do other
    work per item (send mail, log an action, schedule a task, call a service), since they
    process items one by one on purpose; on rows whose key the loop uses right after the
    write; on rows created only in an `except KeyError`/`DoesNotExist` handler (the ones a
    lookup did not find, as `get_or_create` would); on receivers that are not model instances
    as far as the module shows (`pdf.save(path)`, `form.save()`, a FieldFile's
    `obj.file.delete()`, a client's `indices.delete(index=...)`); on loops over chunks or
    batches (a commit per batch is how a long purge stays safe); on loops over fixed
    collections (literals, constants, `settings.LANGUAGES`, enums) and `while True:`; and in
    tests, migrations, management commands and functions that
    migrate data (`_migrate_tabs(...)`, a `migration_name` parameter): one-off scripts.

    Across files (on save and in `--check`), it also follows calls into the project's own
    functions: `for item in cart: inventory.reserve(item)` is reported when `reserve`, or a
    function it calls (up to five calls deep, in any module), saves, deletes, updates or
    commits; the message names the call chain (`reserve -> _lock_stock -> stock.save()
    (shop/inventory.py:8)`) and points at the write. The same loops count as above (only
    prepare-and-write loops), only calls that use the loop's item, and writes that go out
    together (`bulk_create`, `session.add`) do not.
    """

    meta = RuleMeta(
        code="RV602", name="save-in-loop", family="data", severity=Severity.WARNING, frameworks=("django", "sqlalchemy"),
        trigger=Trigger(words=words("for", "while")),
    )

    VALID = [
        Valid("def reprice(items, rate):\n    for item in items:\n        item.price *= rate\n    Item.objects.bulk_update(items, ['price'])\n"),
        Valid("def load(session, rows):\n    for row in rows:\n        session.add(User(**row))\n    session.commit()\n"),
        Valid("def merge(target, parts):\n    for part in parts:\n        target.update(part)\n    return target\n"),
        Valid("def clear(cache, keys):\n    for key in keys:\n        cache.delete(key)\n"),
        # pikepdf's `save(path)` writes a file, not a row
        Valid(
            """
            import pikepdf


            def split(pages, out_dir):
                for i, page in enumerate(pages):
                    dst = pikepdf.new()
                    dst.pages.append(page)
                    dst.save(out_dir / f"{i}.pdf")
            """
        ),
        # a data migration is a one-off script
        Valid(
            "def fwd(apps, schema_editor):\n    Event = apps.get_model('base', 'Event')\n    for e in Event.objects.all():\n"
            "        e.slug = e.slug.lower()\n        e.save()\n",
            path="shop/migrations/0042_lower_slugs.py",
        ),
        # per-item processing: the write records what the loop did for that item
        Valid(
            """
            from django.db import models


            def send_reminders(orders):
                for order in Order.objects.filter(reminded=False):
                    send_mail(order.email, "Reminder")
                    order.reminded = True
                    order.save(update_fields=["reminded"])
            """
        ),
        # a small fixed collection, Django forms, and a copy whose key the loop needs
        Valid(
            """
            from django.conf import settings


            def defaults(event):
                for code, _name in settings.LANGUAGES:
                    Translation.objects.create(event=event, language=code)


            def regroup(groups, pairs):
                for variant, ids in groups.items():
                    Unit.objects.filter(pk__in=ids).update(variant=variant)
                for addon, event in pairs:
                    Event.objects.get_or_create(addon=addon, event=event)


            def save_all(formset):
                for form in formset.forms:
                    form.save()


            def clone(lists, subevents, items):
                through = []
                for se in subevents:
                    cl = copy.copy(lists[0])
                    cl.pk = None
                    cl.subevent = se
                    cl.save()
                    through.extend(Through(list_id=cl.pk, item_id=i.pk) for i in items)
            """
        ),
        # a one-off data migration outside `migrations/`
        Valid(
            "def _migrate_tabs(project, tabs):\n    for tab in tabs:\n        View.objects.create(project=project, data=tab)\n"
        ),
        # a stored file, a search index, rows created only when missing, a commit per batch
        Valid(
            """
            def cleanup(exports, client, indexes, permissions, existing, session, ids, size):
                for export in exports:
                    export.file.delete()
                for index in indexes:
                    client.indices.delete(index=index)
                for code, name in permissions:
                    try:
                        instance = existing[code]
                    except KeyError:
                        instance = Permission.objects.create(codename=code, name=name)
                for i in range(0, len(ids), size):
                    session.execute(sa.delete(Log).where(Log.id.in_(ids[i : i + size])))
                    session.commit()
            """
        ),
        # through project functions: writes that go out together, a loop that also mails each
        # customer (per-item processing), a helper given the whole collection, a fixed collection
        Valid(
            """
            from shop import inventory


            def restock(items, orders):
                for item in items:
                    inventory.stage(item)
                for order in orders:
                    inventory.release(order)
                    send_mail(order.email, "Released")
                for item in items:
                    inventory.flush_all(items)
                for code in ("main", "backup"):
                    inventory.reset(code)
            """,
            path="shop/views.py",
            files={
                "shop/inventory.py": '''
                    from shop.models import Stock


                    def stage(item):
                        Stock.objects.bulk_create([Stock(item=item)])


                    def release(order):
                        order.released = True
                        order.save(update_fields=["released"])


                    def flush_all(items):
                        for item in items:
                            item.stock.quantity = item.count
                            item.stock.save(update_fields=["quantity"])  # <- RV602


                    def reset(code):
                        Stock.objects.filter(warehouse=code).update(quantity=0)
                    ''',
            },
        ),
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


            def purge(before):
                for order in Order.objects.filter(created__lt=before):
                    order.delete()  # <- RV602
            """
        ),
        Invalid(
            """
            from django.db import models


            def close_all(event):
                for quota in event.quotas.all():
                    quota.closed = True
                    quota.save()  # <- RV602
                for pk in event.voucher_ids:
                    Voucher.objects.filter(pk=pk).update(redeemed=0)  # <- RV602
            """
        ),
        # a write or commit one or more calls away: in another module, or through `self.repo`
        Invalid(
            """
            from shop import inventory
            from shop.repos import OrderRepo


            def checkout(cart):
                for item in cart.items.all():
                    inventory.reserve(item)  # <- RV602


            class Service:
                repo: OrderRepo

                def close(self, orders):
                    for order in orders:
                        order.status = "closed"
                        self.repo.store(order)  # <- RV602
            """,
            path="shop/views.py",
            files={
                "shop/inventory.py": '''
                    from shop.models import Stock


                    def _lock_stock(item):
                        stock = Stock.objects.get(pk=item.stock_id)
                        stock.quantity -= 1
                        stock.save(update_fields=["quantity"])


                    def reserve(item):
                        _lock_stock(item)
                    ''',
                "shop/repos.py": '''
                    class OrderRepo:
                        def __init__(self, session):
                            self.session = session

                        def store(self, order):
                            self.session.add(order)
                            self.session.commit()
                    ''',
            },
        ),
    ]

    def classify(self, call: cst.Call, loop: LoopScope, loops: list[LoopScope]) -> str | None:
        method = method_name(call)
        if method not in WRITES or _creates_missing(loop.node, call):
            return None
        label = call_text(call)
        manager = is_django_manager_call(call)
        if method == "commit":
            if session_receiver(call) is None or not self._batchable(loop, call, None):
                return None
            return f"`{label}` commits once per row: commit once after the loop, or use `session.execute(update(...))`"
        if manager:
            if method not in MANAGER_WRITES or not self._batchable(loop, call, None):
                return None
            if loop.targets & {receiver_chain(call)[-1]}:
                return None  # `for model in models: model.objects.create()`: another table each time
            if any(a.keyword is not None and a.keyword.value.endswith("__in") for c in chain_calls(call) for a in c.args):
                return None  # already one statement per group of rows
            remedy = "`bulk_create`" if method == "create" else "one `update()`/`delete()` over `filter(pk__in=...)`"
            return f"`{label}` writes once per iteration: use {remedy} after the loop"
        if method not in ("save", "delete") or any(arg.keyword is None for arg in call.args):
            return None  # `Model.save()`/`.delete()` take keywords only: `pdf.save(path)`, `cache.delete(key)` are not rows
        if method == "delete" and any(arg.keyword is not None and arg.keyword.value not in ("using", "keep_parents") for arg in call.args):
            return None  # `client.indices.delete(index=...)`, `index.delete(ids=...)`: not `Model.delete()`
        if not isinstance(call.func, cst.Attribute) or session_receiver(call) is not None:
            return None
        receiver = call.func.value
        if isinstance(receiver, cst.Attribute) and FILE_FIELD.fullmatch(receiver.attr.value):
            return None  # `obj.file.delete()`: a FieldFile removes a stored file, not a row
        if not self._is_model(receiver, call, loops) or not self._batchable(loop, call, receiver):
            return None
        if method == "save":
            return f"`{label}` writes one row per iteration: collect the objects and call `bulk_update`/`bulk_create` once"
        return f"`{label}` deletes one row per iteration: delete them together with `filter(pk__in=...).delete()`"

    def _is_model(self, receiver: cst.BaseExpression, call: cst.Call, loops: list[LoopScope]) -> bool:
        """Whether the receiver is a model instance as far as the function shows."""
        name = dotted_name(receiver)
        if name is None:
            return get_kwarg(call, "update_fields") is not None
        if "form" in name.rsplit(".", 1)[-1].lower():
            return False  # a Django form: `form.save()` per form is what a formset does
        head = name.split(".")[0]
        for scope in reversed(loops):
            if head in scope.targets:
                if scope.rows:
                    return True
                source = dotted_name(scope.iterable) if scope.iterable is not None else None
                if source is not None and "form" in source.rsplit(".", 1)[-1].lower():
                    return False
                break
        for value in self.assigned.get(name, ()):
            if isinstance(value, cst.Call) and not _model_factory(value, self.ctx.qualified_name(value.func) or ""):
                return False
        return get_kwarg(call, "update_fields") is not None or "django" in self.ctx.frameworks or "." in name or bool(loops[-1].rows)

    def _batchable(self, loop: LoopScope, write: cst.Call, receiver: cst.BaseExpression | None) -> bool:
        """The loop only prepares rows and writes them: nothing else happens per item.

        A loop that also sends mail, logs an action, schedules a task or calls a service per
        item processes items one by one on purpose; the write is the smallest part of it.
        """
        node = loop.node
        if not isinstance(node, (cst.For, cst.While)):
            return True  # a comprehension only collects
        for stmt in find_all(node.body, (cst.Expr, cst.Return, cst.Yield, cst.With, cst.Raise)):
            if not isinstance(stmt, cst.Expr):
                return False
            value = stmt.value.expression if isinstance(stmt.value, cst.Await) else stmt.value
            if not isinstance(value, cst.Call) or value is write:
                continue
            method = method_name(value)
            callee = dotted_name(value.func) or ""
            if method in WRITES or method in HARMLESS or callee in ("setattr", "print") or is_logger(value.func.value if isinstance(value.func, cst.Attribute) else value.func, self.ctx):
                continue
            return False
        if receiver is not None:
            own = dotted_name(receiver)
            targets = {id(t.target) for t in find_all(node.body, cst.AssignTarget) if isinstance(t, cst.AssignTarget)}
            for attr in find_all(node.body, cst.Attribute):
                assert isinstance(attr, cst.Attribute)
                if attr.attr.value in ("pk", "id") and id(attr) not in targets and dotted_name(attr.value) == own:
                    return False  # the saved row's key is used: the loop needs each row written now
        return True


def _creates_missing(loop: cst.CSTNode, write: cst.Call) -> bool:
    """The write runs in an `except KeyError`/`DoesNotExist` handler: it creates only the rows a
    lookup did not find, as `get_or_create` would, and usually none at all."""
    for handler in find_all(loop, cst.ExceptHandler):
        assert isinstance(handler, cst.ExceptHandler)
        caught = caught_names(handler) or []
        if any(name.rsplit(".", 1)[-1] in _MISSING for name in caught) and any(c is write for c in find_all(handler.body, cst.Call)):
            return True
    return False


def _model_factory(value: cst.Call, qualified: str) -> bool:
    """A call that may return a model instance: `Model(...)`, `X.objects.get(...)`, `copy(obj)`,
    a related manager; not a third-party factory such as `pikepdf.new()` or `Image.open()`."""
    if is_django_manager_call(value):
        return True
    head = qualified.split(".")[0]
    last = qualified.rsplit(".", 1)[-1]
    if head in ("copy", "django") or qualified.startswith("<module>"):
        return True
    if "." in qualified and head not in ("self", "cls") and qualified != dotted_name(value.func):
        return False  # resolved through an import of another package
    return bool(last[:1].isupper()) or method_name(value) in ("get", "first", "last", "create", "get_or_create", "latest", "earliest")


class SaveInLoopAcrossFiles(ProjectRule):
    """RV602 through project functions: a call made on every iteration of a loop over rows to a
    function of the project that saves, deletes or commits, however many calls deep (`for item
    in cart: inventory.reserve(item)` where `reserve` saves a `Stock`). The finding names the
    call chain and points at the write. Writes that go out together (`bulk_create`,
    `session.add`) do not count, as in the edit rule."""

    part_of = SaveInLoop
    meta = SaveInLoop.meta
    needs = frozenset({SYMBOLS, EFFECTS})

    def collect(self, file: SourceFile) -> tuple[LoopCall, ...] | None:
        return tuple(call for call in loop_calls_of(file) if call.batchable) or None

    def check(self, facts: ProjectView) -> None:
        summaries = Summaries(facts)
        for path, calls in facts.collected(self).items():
            for call in calls:
                target = summaries.resolve_call(path, call.caller, call.callee)
                trace = summaries.trace(*target, frozenset({WRITE, COMMIT})) if target is not None else None
                if trace is None:
                    continue
                what = "commits" if trace.effect.kind == COMMIT else "writes to the database"
                self.report_file(
                    path,
                    call.span,
                    f"`{call.label}` {what} on every iteration: {trace.chain()}",
                    related=(RelatedPlace(trace.path, trace.effect.span, f"the write, {len(trace.functions)} call(s) away"),),
                )
