"""The EFFECTS fact kind (direct effects per function), the transitive summary over the project,
and the `ast` twins of the loop notions RV601/RV602 share with their project parts."""

from __future__ import annotations

import ast
import pickle
import textwrap
from collections.abc import Mapping

import libcst as cst
import pytest

from rules.api.effects import COMMIT, HTTP, QUERY, WRITE, ModuleEffects, Summaries, collect_effects, loop_calls_of
from rules.api.facts import KINDS
from rules.api.orm import AST_LOOPS, AstLoopScope, LoopScope, ast_assignments
from rules.api.project import EFFECTS, SYMBOLS, ProjectView, SourceFile
from rules.api.symbols import collect_symbols
from rules.data.query_in_loop import QueryInLoop
from rules.data.save_in_loop import SaveInLoop


def effects_of(code: str, path: str = "shop/services.py") -> ModuleEffects:
    found = collect_effects(SourceFile(path, textwrap.dedent(code)))
    assert found is not None
    return found


def kinds(code: str, name: str) -> set[tuple[str, bool]]:
    return {(e.kind, e.batched) for e in effects_of(code).functions[name].effects}


def project(files: dict[str, str]) -> ProjectView:
    sources = {path: SourceFile(path, textwrap.dedent(code)) for path, code in files.items()}
    symbols = {p: s for p, f in sources.items() if (s := collect_symbols(f)) is not None}
    effects = {p: e for p, f in sources.items() if (e := collect_effects(f)) is not None}
    facts: dict[str, Mapping[str, object]] = {SYMBOLS: symbols, EFFECTS: effects}
    return ProjectView("/p", (), (), tuple(sources), (), kinds=facts)


def test_kind_is_registered_and_picklable() -> None:
    assert KINDS[EFFECTS].gather is not None
    found = effects_of("from .models import Stock\n\ndef f(pk):\n    Stock.objects.get(pk=pk).save()\n")
    assert pickle.loads(pickle.dumps(found)) == found


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("return Order.objects.get(pk=pk)", {(QUERY, False)}),
        ("return Order.objects.filter(pk=pk).count()", {(QUERY, False)}),
        ("return list(Order.objects.filter(pk=pk))", {(QUERY, False)}),
        ("return Order.objects.filter(pk=pk)", set()),  # a lazy queryset, evaluated by the caller or not at all
        ("return Order.objects.select_for_update().get(pk=pk)", set()),  # RV601 leaves locked re-reads alone
        ("return pk.lines.filter(x=1).first()", {(QUERY, False)}),
        ("return pk.lines.all()", set()),  # a prefetch may answer it
        ("return session.execute(select(Order)).scalars().all()", {(QUERY, False)}),
        ("return session.get(Order, pk)", {(QUERY, False)}),
        ("return request.session.get('cart', {})", set()),
        ("session.execute(update(Order).values(x=1))", {(WRITE, False)}),
        ("session.add(pk)\n    session.commit()", {(WRITE, True), (COMMIT, False)}),
        ("Order.objects.create(pk=pk)", {(WRITE, False)}),
        ("Order.objects.filter(pk=pk).update(x=1)", {(WRITE, False)}),
        ("Order.objects.bulk_create(pk)", {(WRITE, True)}),
        ("pk.save(update_fields=['x'])", {(WRITE, False)}),
        ("pk.delete()", {(WRITE, False)}),
        ("pk.file.delete()", set()),  # a FieldFile
        ("pk.save('out.pdf')", set()),  # not a model's save
        ("form.save()", set()),
        ("transaction.commit()", {(COMMIT, False)}),
        ("requests.post(URL, json={})", {(HTTP, False)}),
        ("httpx.get(URL)", {(HTTP, False)}),
    ],
)
def test_direct_effects(body: str, expected: set[tuple[str, bool]]) -> None:
    code = f"import requests, httpx\nfrom django.db import transaction\nfrom .models import Order\n\ndef f(pk, session, request, form):\n    {body}\n"
    module = collect_effects(SourceFile("shop/services.py", code))
    found = module.functions.get("f") if module is not None else None
    got = {(e.kind, e.batched) for e in found.effects} if found is not None else set()
    assert got == expected


def test_saves_on_a_non_model_are_not_writes() -> None:
    code = """
    import pikepdf
    from .models import Order


    def split(page, path):
        dst = pikepdf.new()
        dst.save()
    """
    assert kinds(code, "split") == set()


def test_calls_and_names_follow_symbols() -> None:
    module = effects_of(
        """
        from functools import lru_cache, cached_property


        class Cart:
            def total(self):
                return sum(self.price(l) for l in self.lines)

            @cached_property
            def rates(self):
                return Rate.objects.all()[0]

            def later(self):
                def inner():
                    return Rate.objects.get(pk=1)
                return inner
        """
    )
    assert [c.callee for c in module.functions["Cart.total"].calls] == ["self.price"]
    assert module.functions["Cart.rates"].cached
    assert "Cart.later" not in module.functions  # a nested function's query runs when it is called


def test_columns_are_code_points() -> None:
    module = effects_of('def f(pk):\n    x = "été"; Order.objects.get(pk=pk)\n')
    span = module.functions["f"].effects[0].span
    assert (span.line, span.col, span.end_col) == (2, 15, 32)


SHOP = {
    "shop/views.py": """
        from shop import inventory


        def checkout(cart):
            for item in cart.items.all():
                inventory.reserve(item)
        """,
    "shop/inventory.py": """
        from shop.models import Stock
        from shop.audit import record


        def _lock_stock(item):
            stock = Stock.objects.get(pk=item.stock_id)
            stock.save(update_fields=["quantity"])


        def reserve(item):
            record(item)
            _lock_stock(item)


        def ping(n):
            return pong(n)


        def pong(n):
            return ping(n)
        """,
    "shop/audit.py": """
        from shop.inventory import _lock_stock


        def record(item):
            _deeper(item)


        def _deeper(item):
            _lock_stock(item)
        """,
}


def test_summary_keeps_the_shortest_chain() -> None:
    summaries = Summaries(project(SHOP))
    trace = summaries.trace("shop/inventory.py", "reserve", frozenset({WRITE}))
    assert trace is not None
    assert trace.chain() == "reserve -> _lock_stock -> stock.save() (shop/inventory.py:8)"
    query = summaries.trace("shop/inventory.py", "reserve", frozenset({QUERY}))
    assert query is not None and query.functions == ("reserve", "_lock_stock")


def test_summary_is_cycle_safe_and_depth_bounded() -> None:
    view = project(SHOP)
    assert Summaries(view).trace("shop/inventory.py", "ping", frozenset({QUERY, WRITE})) is None
    assert Summaries(view, depth=1).trace("shop/audit.py", "record", frozenset({WRITE})) is None
    assert Summaries(view, depth=2).trace("shop/audit.py", "record", frozenset({WRITE})) is not None


def test_resolves_self_attribute_classes_and_module_instances() -> None:
    view = project(
        {
            "app/repos.py": """
                class Repo:
                    def store(self, row):
                        row.save(update_fields=["x"])
                """,
            "app/service.py": """
                from app.repos import Repo

                repo = Repo()


                class Service:
                    repo: Repo

                    def run(self, row):
                        self.repo.store(row)
                        repo.store(row)
                        self.helper(row)

                    def helper(self, row):
                        return row
                """,
        }
    )
    summaries = Summaries(view)
    assert summaries.resolve_call("app/service.py", "Service.run", "self.repo.store") == ("app/repos.py", "Repo.store")
    assert summaries.resolve_call("app/service.py", "Service.run", "repo.store") == ("app/repos.py", "Repo.store")
    assert summaries.resolve_call("app/service.py", "Service.run", "self.helper") == ("app/service.py", "Service.helper")
    assert summaries.resolve_call("app/service.py", None, "Repo") is None  # a class: its constructor


def test_loop_calls_skip_one_off_code_and_item_free_calls() -> None:
    code = """
    def sync(rows):
        for row in rows:
            push(row)
            refresh(rows)
            Order.objects.get(pk=row.pk)
            if row.last:
                finish(row)
                return
    """
    calls = loop_calls_of(SourceFile("app/jobs.py", textwrap.dedent(code)))
    assert [c.callee for c in calls] == ["push"]
    assert loop_calls_of(SourceFile("tests/test_jobs.py", textwrap.dedent(code))) == ()
    assert loop_calls_of(SourceFile("app/migrations/0002_x.py", textwrap.dedent(code))) == ()


def _scopes_cst(source: str) -> list[tuple[int, bool, bool, bool, int]]:
    module = cst.parse_module(source)
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(cst.metadata.PositionProvider)
    out: list[tuple[int, bool, bool, bool, int]] = []
    functions = [n for n in positions if isinstance(n, cst.FunctionDef)]
    for node, pos in positions.items():
        if isinstance(node, (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            owner = [f for f in functions if positions[f].start.line <= pos.start.line <= positions[f].end.line]
            from rules.api.orm import _own_assignments

            assigned = _own_assignments(owner[-1]) if owner else {}
            scope = LoopScope(node, assigned)
            out.append((pos.start.line, scope.fixed, scope.rows, scope.chunked, len(scope.calls)))
    return sorted(out)


def _scopes_ast(source: str) -> list[tuple[int, bool, bool, bool, int]]:
    tree = ast.parse(source)
    out: list[tuple[int, bool, bool, bool, int]] = []
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for node in ast.walk(tree):
        if isinstance(node, AST_LOOPS):
            line = node.lineno
            if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                line = node.lineno
            owner = [f for f in functions if f.lineno <= line <= (f.end_lineno or line)]
            scope = AstLoopScope(node, ast_assignments(owner[-1]) if owner else {})
            out.append((line, scope.fixed, scope.rows, scope.chunked, len(scope.calls)))
    return sorted(out)


@pytest.mark.parametrize(
    "example",
    [*QueryInLoop.VALID, *QueryInLoop.INVALID, *SaveInLoop.VALID, *SaveInLoop.INVALID],
    ids=lambda e: e.source.strip().splitlines()[0][:40],
)
def test_ast_twins_agree_with_the_edit_rules(example: object) -> None:
    """The project parts judge loops as the edit rules do: the same loops are over fixed
    collections, rows or chunks, and run the same number of calls per iteration."""
    from tests.harness import strip_markers

    source = strip_markers(example.source).source  # type: ignore[attr-defined]
    assert _scopes_ast(source) == _scopes_cst(source)


def test_a_functions_own_imports_count_and_effects_come_in_source_order() -> None:
    code = """
    def notify(order):
        import requests

        order.sent = True
        order.save(update_fields=["sent"])
        requests.post(URL, json={})
        order.delete()
    """
    effects = effects_of(code).functions["notify"].effects
    assert [(e.kind, e.span.line) for e in effects] == [(WRITE, 6), (HTTP, 7)]


def test_memoised_and_deferred_queries_are_not_per_call() -> None:
    code = """
    class Rates:
        def rate(self, currency):
            if currency not in self._rates:
                self._rates[currency] = Rate.objects.get(currency=currency).value
            return self._rates[currency]

        def default(self):
            if self._default is None:
                self._default = Rate.objects.get(default=True)
            return self._default

        def later(self, key):
            return cache.get_or_set(key, lambda: Rate.objects.get(currency=key))

        def now(self, currency):
            rate = Rate.objects.get(currency=currency)
            return rate
    """
    functions = effects_of(code).functions
    assert all(not functions[name].effects for name in ("Rates.rate", "Rates.default", "Rates.later") if name in functions)
    assert [e.kind for e in functions["Rates.now"].effects] == [QUERY]
