"""RV601 query-in-loop."""

from __future__ import annotations

import re

import libcst as cst

from rules.api import Invalid, RuleMeta, Severity, Valid, dotted_name
from rules.api.orm import (
    ANY_RELATION,
    CACHED_READS,
    DJANGO_READS,
    LAZY,
    SQLALCHEMY_CONSTRUCTS,
    SQLALCHEMY_LAZY,
    SQLALCHEMY_READS,
    SQLALCHEMY_WRITES,
    WRITE_NAME,
    LoopScope,
    PerIterationRule,
    call_text,
    chain_calls,
    is_django_manager_call,
    method_name,
    receiver_chain,
    related_manager,
    row_prefetches,
    session_receiver,
)
from rules.api.effects import QUERY, LoopFacts, RelationRead, Summaries, loop_facts_of
from rules.api.models import Models
from rules.api.project import EFFECTS, MODELS, SYMBOLS, ProjectRule, ProjectView, RelatedPlace, SourceFile
from rules.api.triggers import Trigger, words


# the models of the examples that follow relations (RV601 across files)
_BLOG_MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField()


class Post(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="posts")
    published = models.BooleanField(default=False)


class Comment(models.Model):
    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)


class Tag(models.Model):
    owner = models.CharField(max_length=100)
"""


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
    not when it is built as a subquery (Django, or SQLAlchemy `.subquery()`/`.cte()`/`.exists()`).
    Quiet on queries before the loop, on a single bulk `__in` / `in_()` lookup, on related
    `.all()`/`.count()`/`.exists()` that the loop's queryset prefetches (nested paths too:
    `prefetch_related("variations__limit_sales_channels")` covers `v.limit_sales_channels` in a
    loop over `item.variations.all()`, and `Prefetch(..., queryset=...)` likewise), on rows of a
    property that says it holds them loaded (`self.cached_groups`), on writes (RV602 reports
    those: `query(...).update()`, `execute(insert_stmt, rows)`), on loops over chunks, batches,
    pages or segments (`range(0, n, size)`, `chunked(ids, 500)`, `for batch in batches`: one
    query per chunk is the batching), on loops over fixed collections (literals, constants,
    `settings.LANGUAGES`, enums, a class's attributes such as `self.file_format_cls.autoaddon`,
    and `chain(...)` of those) and `while True:` retry loops, on loops over model classes
    (`model.objects.count()`: another table each time), on calls in a branch that leaves the
    loop (`if found: ...; return x` or `break`: once, not per iteration; a `try:` body still
    counts, the call may raise and the loop go on), on HTTP clients' `session.get(url)`,
    and in tests, migrations, management commands and functions that
    migrate data (`_migrate_tabs(...)`, a `migration_name` parameter): one-off scripts.

    Across files (on save and in `--check`), it also follows calls into the project's own
    functions: `for line in cart.lines.all(): pricing.total(line)` is reported when `total`,
    or a function it calls (up to five calls deep, in any module), runs a query; the message
    names the call chain (`total -> _rate -> Rate.objects.get() (shop/pricing.py:9)`) and
    points at the query. Only calls that use the loop's item count (a helper given the whole
    collection is not per row), in the same loops as above; a cached function
    (`@lru_cache`, `@cached_property`) and a function that returns a queryset without
    evaluating it do not count, nor does a re-read under `select_for_update()`.

    With the project's models it also finds the most common Django N+1: a foreign key or
    one-to-one field read on the rows of a loop over a queryset (`for post in
    Post.objects.all(): post.author.name`), reported at the first read. Quiet when the
    queryset (or what the name it is assigned to was built from) `select_related`s or
    `prefetch_related`s that relation, or calls `select_related()` with no arguments; on
    `.values()`/`.values_list()`/`.only()` and on querysets through a custom method; on the
    foreign key's column (`post.author_id`); on models whose `objects` is a custom manager (its
    `get_queryset` may join); and when the loop's rows do not come from a queryset of that model.
    """

    meta = RuleMeta(
        code="RV601",
        name="query-in-loop",
        family="data",
        severity=Severity.WARNING,
        frameworks=("django", "sqlalchemy"),
        trigger=Trigger(words=words("for", "while")),
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
        # one query per chunk/batch/page is the batching; nested prefetches; a prefetched property
        Valid(
            """
            def scorer_ids(session, experiment_ids, size):
                out = []
                for start in range(0, len(experiment_ids), size):
                    chunk = experiment_ids[start : start + size]
                    out.extend(session.query(Scorer.id).filter(Scorer.experiment_id.in_(chunk)).all())
                for batch in chunked(experiment_ids, 500):
                    out.append(Run.objects.filter(experiment__in=batch).count())
                return out


            def channels(event):
                rows = []
                for item in event.items.prefetch_related("variations__limit_sales_channels"):
                    for v in item.variations.all():
                        rows.append(list(v.limit_sales_channels.all()))
                for order in event.orders.prefetch_related(Prefetch("positions", queryset=Position.objects.prefetch_related("answers"))):
                    rows.extend([a.pk for a in p.answers.all()] for p in order.positions.all())
                return rows


            class User:
                def languages(self):
                    return [set(group.languages.all()) for group in self.cached_groups]
            """
        ),
        # statements built for later, bulk writes, an HTTP client's session, one table per model class
        Valid(
            """
            def filters(session, comparisons, rows, urls):
                subqueries = [session.query(Tag).filter(Tag.key == c.key).subquery() for c in comparisons]
                for trace_id in {r.trace_id for r in rows}:
                    session.query(Trace).filter(Trace.id == trace_id).update({Trace.seen: True})
                for group in rows:
                    session.execute(upsert_statement, group.values)
                for url in urls:
                    session.get(url, **options)
                return subqueries


            def metrics(registry):
                return {model: model.objects.count() for model in registry.get_models()}
            """
        ),
        # configured collections: a format class's attributes, settings, chained together
        Valid(
            """
            class Component:
                def install_autoaddon(self):
                    for name, configuration in chain(self.file_format_cls.autoaddon.items(), settings.DEFAULT_ADDONS.items()):
                        if Addon.objects.filter(component__project=self.project, name=name).exists():
                            continue
                    for field in itertools.chain(self.form_class.base_fields, FileFormat.extensions):
                        Field.objects.get(name=field)
            """
        ),
        # a branch that leaves the loop runs once, not per iteration
        Valid(
            """
            def generate_order(order, provider, responses):
                for receiver, response in responses:
                    prov = response(order.event)
                    if prov.identifier == provider:
                        for ct in CachedCombinedTicket.objects.filter(order=order, provider=provider):
                            ct.delete()
                        return CachedCombinedTicket.objects.create(order=order, provider=provider).pk
                    elif prov.identifier is None:
                        Log.objects.create(order=order)
                        break
            """
        ),
        # through project functions: cached lookups, a queryset returned unevaluated, a helper
        # given the whole collection, a lookup under a lock, and an API outside the project
        Valid(
            """
            from shop import pricing
            from shop.models import Order


            def totals(orders, codes):
                out = []
                for order in orders:
                    rate = pricing.rate(order.currency)
                    sign = pricing.symbol(order.currency)
                    recent = pricing.recent(order.customer)
                    pricing.warm(orders)
                    pricing.lock(order)
                    stripe.Charge.retrieve(order.charge_id)
                    out.append((rate, sign, recent))
                for code in ["EUR", "USD"]:
                    pricing.refresh(code)
                return out
            """,
            path="shop/views.py",
            files={
                "shop/pricing.py": '''
                    from functools import lru_cache

                    from shop.models import Order, Rate


                    @lru_cache(maxsize=64)
                    def rate(currency):
                        return Rate.objects.get(currency=currency).value


                    _SYMBOLS = {}


                    def symbol(currency):
                        if currency not in _SYMBOLS:
                            _SYMBOLS[currency] = Currency.objects.get(code=currency).symbol
                        return _SYMBOLS[currency]


                    def recent(customer):
                        return Order.objects.filter(customer=customer).order_by("-created")


                    def warm(orders):
                        return Rate.objects.filter(currency__in={o.currency for o in orders}).count()


                    def lock(order):
                        return Order.objects.select_for_update().get(pk=order.pk)


                    def refresh(code):
                        return Rate.objects.get(currency=code)
                    ''',
            },
        ),
        # tests make rows one by one on purpose
        Valid(
            "from shop.pricing import refresh\n\ndef test_refresh(rates):\n    for r in rates:\n        refresh(r.code)\n",
            path="tests/test_pricing.py",
            files={"shop/pricing.py": "def refresh(code):\n    return Rate.objects.get(currency=code)\n"},
        ),
        # a relation read on rows that the queryset joins or prefetches, dicts/tuples from
        # `.values()`, deferred rows from `.only()`, the foreign key's own column, rows that are
        # not from a queryset, and attributes that are not relations
        Valid(
            """
            from blog.models import Post, Tag


            def feed(drafts):
                rows = []
                for post in Post.objects.select_related("author"):
                    rows.append(post.author.name)
                for post in Post.objects.filter(published=True).prefetch_related("author__profile"):
                    rows.append(post.author.name)
                posts = Post.objects.filter(published=True)
                posts = posts.select_related("author")
                for post in posts:
                    rows.append(post.author.name)
                for post in Post.objects.values("title", "author__name"):
                    rows.append(post["author__name"])
                for post in Post.objects.only("title", "author"):
                    rows.append(post.author)
                for post in Post.objects.all():
                    rows.append((post.author_id, post.title))
                for post in drafts:
                    rows.append(post.author.name)
                for tag in Tag.objects.all():
                    rows.append(tag.owner.upper())
                return rows
            """,
            path="blog/views.py",
            files={"blog/models.py": _BLOG_MODELS},
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
        # rows of a model named like a slice are still rows; a prefetch that stops one level short
        Invalid(
            """
            def menu(event):
                out = []
                for page in Page.objects.filter(event=event):
                    out.append(page.children.count())  # <- RV601
                for item in event.items.prefetch_related("variations"):
                    for v in item.variations.all():
                        out.append(list(v.limit_sales_channels.all()))  # <- RV601
                return out
            """
        ),
        # a chain is only as fixed as its parts; an instance's attribute is not configuration
        Invalid(
            """
            def lines(order):
                for line in chain(order.lines.all(), DEFAULT_LINES):
                    Product.objects.get(pk=line.product_id)  # <- RV601
                for item in chain(order.event.items, settings.EXTRA_ITEMS):
                    Quota.objects.filter(item=item).count()  # <- RV601
            """
        ),
        # a search that stops at the first match still queries until it finds it
        Invalid(
            """
            def find(addresses, orders):
                for addr in addresses:
                    try:
                        return EmailAddress.objects.get(email=addr.email)  # <- RV601
                    except EmailAddress.DoesNotExist:
                        pass
                for order in orders:
                    if order.open:
                        if Payment.objects.filter(order=order).exists():  # <- RV601
                            continue
                        return order
                    for line in order.lines:
                        if line.x:
                            Product.objects.get(pk=line.product_id)  # <- RV601
                            break
            """
        ),
        # a query one or more calls away in another module, or in a method of the same class
        Invalid(
            """
            from shop.pricing import total


            def invoice(cart):
                return [total(line) for line in cart.lines.all()]  # <- RV601


            class Checkout:
                def lines(self, cart):
                    for line in cart.lines.all():
                        Stock.objects.get(pk=line.stock_id)  # <- RV601
                        yield self.price_of(line)  # <- RV601

                def price_of(self, line):
                    return line.amount * self._rate(line.currency)

                def _rate(self, currency):
                    return Rate.objects.filter(currency=currency).first().value
            """,
            path="shop/views.py",
            files={
                "shop/pricing.py": '''
                    from shop.models import Rate


                    def total(line):
                        return line.amount * _rate(line)


                    def _rate(line):
                        return Rate.objects.get(currency=line.currency).value
                    ''',
            },
        ),
        # the most common Django N+1: a foreign key followed on the rows of a queryset that does not join it
        Invalid(
            """
            from blog.models import Comment, Post


            def feed():
                out = []
                for post in Post.objects.filter(published=True).order_by("-created"):
                    out.append((post.title, post.author.name))  # <- RV601
                    out.append(post.author.email)
                comments = Comment.objects.select_related("author")
                return out + [(c.author.name, c.post.title) for c in comments]  # <- RV601
            """,
            path="blog/views.py",
            files={"blog/models.py": _BLOG_MODELS},
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
            if loop.targets & {receiver_chain(call)[-1]}:
                return None  # `for model in models: model.objects.count()`: another table each time, nothing to combine
            return f"`{call_text(call)}` runs a query on every iteration (N+1): load the rows once before the loop (`pk__in=`, `select_related`)"
        targets = set().union(*(scope.targets for scope in loops))
        chain = [call, *chain_calls(call)]
        related = related_manager(chain[-1], targets)
        if related is not None:
            if lazy_unused or (method not in LAZY and method not in DJANGO_READS):  # a write: RV602's
                return None
            owner = receiver_chain(call)[-1]
            cached = all(method_name(c) in CACHED_READS for c in chain)
            if cached:
                paths = row_prefetches(owner, loops, self.assigned)
                if related in paths or ANY_RELATION in paths:
                    return None  # answered from the prefetch cache
            return f"`{call_text(call)}` queries on every iteration (N+1): add `prefetch_related(\"{related}\")` to the loop's queryset"
        base = chain[-1]
        if method_name(base) in SQLALCHEMY_READS and session_receiver(base) is not None and _is_sql_call(base):
            if _is_write(base, self.assigned) or method in SQLALCHEMY_WRITES:
                return None  # a write: RV602's
            if method in (SQLALCHEMY_LAZY | SQLALCHEMY_CONSTRUCTS) and id(call) not in loop.evaluated:
                return None  # a statement built for later (a subquery, a filter list): nothing runs here
            return f"`{call_text(call)}` runs a query on every iteration (N+1): load the rows in one query (`in_()`, `selectinload`)"
        return None


# parameters of an executemany: a list of rows
_ROWS_NAME = re.compile(r"(?:.*_)?(?:rows|records|to_insert|to_update|batch)", re.IGNORECASE)


def _is_write(call: cst.Call, assigned: dict[str, list[cst.BaseExpression]]) -> bool:
    """`session.execute(update(...))`/`insert`/`delete`, a statement named or built as one
    (`session.execute(upsert_stmt)`), or rows handed over for an executemany
    (`session.execute(insert_stmt, rows)`): a write, not an N+1 read."""
    if not call.args:
        return False
    first = call.args[0].value
    if method_name(call) in ("execute", "exec") and len(call.args) > 1 and call.args[1].keyword is None:
        params = call.args[1].value
        if isinstance(params, cst.Name):
            rows = assigned.get(params.value, ())
            if _ROWS_NAME.fullmatch(params.value) or any(isinstance(v, (cst.List, cst.ListComp)) for v in rows):
                return True  # `execute(stmt, rows)`: one executemany over many rows
        elif isinstance(params, (cst.List, cst.ListComp)):
            return True
    if isinstance(first, cst.Name):
        if WRITE_NAME.fullmatch(first.value):
            return True
        return any(_builds_write(v) for v in assigned.get(first.value, ()))
    return _builds_write(first)


def _builds_write(first: cst.BaseExpression) -> bool:
    while isinstance(first, cst.Call):
        name = first.func.attr.value if isinstance(first.func, cst.Attribute) else dotted_name(first.func) or ""
        if name.rsplit(".", 1)[-1] in ("update", "insert", "delete", "upsert"):
            return True
        if not isinstance(first.func, cst.Attribute):
            break
        first = first.func.value
    return False


def _is_sql_call(call: cst.Call) -> bool:
    """`session.get(User, pk)`, not `request.session.get("key", default)` (a dict-like store) nor
    an HTTP client's `session.get(url, **options)`: the first argument of a lookup is a model class."""
    method = method_name(call)
    if not call.args:
        return False
    first = call.args[0].value
    if method in ("get", "get_one"):
        name = dotted_name(first)
        return (
            len(call.args) >= 2
            and call.args[1].keyword is None
            and not call.args[1].star
            and name is not None
            and name.rsplit(".", 1)[-1][:1].isupper()
        )
    return not isinstance(first, (cst.Integer, cst.Dict)) and not (method == "query" and isinstance(first, cst.SimpleString))


class QueryInLoopAcrossFiles(ProjectRule):
    """RV601 across files: a call made on every iteration of a loop over rows to a function of
    the project that runs a query, however many calls deep (`for o in orders: pricing.total(o)`
    where `total` calls `_rate()`, which runs `Rate.objects.get(...)`): the finding names the
    call chain and points at the query. And the most common Django N+1, which needs the
    project's models: a foreign key (or one-to-one) read on the rows of a loop over a queryset
    that does not `select_related`/`prefetch_related` it (`for post in Post.objects.all():
    post.author.name`)."""

    part_of = QueryInLoop
    meta = QueryInLoop.meta
    needs = frozenset({SYMBOLS, EFFECTS, MODELS})
    collect_version = 2

    def collect(self, file: SourceFile) -> LoopFacts | None:
        found = loop_facts_of(file)
        return found if found.calls or found.reads else None

    def check(self, facts: ProjectView) -> None:
        summaries = Summaries(facts)
        models = Models(facts)
        for path, found in facts.collected(self).items():
            for call in found.calls:
                target = summaries.resolve_call(path, call.caller, call.callee)
                trace = summaries.trace(*target, frozenset({QUERY})) if target is not None else None
                if trace is None:
                    continue
                self.report_file(
                    path,
                    call.span,
                    f"`{call.label}` runs a query on every iteration (N+1): {trace.chain()}",
                    related=(RelatedPlace(trace.path, trace.effect.span, f"the query, {len(trace.functions)} call(s) away"),),
                )
            for read in found.reads:
                self._relation(path, read, models)

    def _relation(self, path: str, read: RelationRead, models: Models) -> None:
        if "*" in read.selected or read.field in read.selected:
            return
        info = models.model(path, read.model)
        if info is None or info.framework != "django" or "objects" in info.managers:
            return  # not a model of the project, or a custom manager (its queryset may join)
        place = info.fields.get(read.field)
        if place is None or place[1].relation not in ("fk", "o2o"):
            return
        where, fld = place
        self.report_file(
            path,
            read.span,
            f"`{read.label}` runs a query on every iteration (N+1): add `select_related(\"{read.field}\")` to the loop's queryset",
            related=(RelatedPlace(where, fld.span, f"`{info.label}.{read.field}` is a relation"),),
        )
