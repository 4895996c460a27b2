"""RV105 duplicate-definition."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import (
    BlockSummary,
    Invalid,
    Located,
    ModuleRule,
    ModuleSummary,
    RuleMeta,
    Severity,
    Valid,
    decorator_names,
    dotted_name,
)

# a redefinition with one of these decorators is intended
_EXEMPT_LAST = frozenset(("overload", "setter", "deleter", "getter", "register", "dispatch", "expression", "comparator"))
# `@router.get(...)`, `@app.task()`, `@receiver(...)`: the decorator hands the function to a
# registry at import time, so an earlier same-named definition still runs (outside classes)
_REGISTERING = frozenset(
    (
        "get", "post", "put", "patch", "delete", "head", "options", "route", "api_route", "websocket",
        "task", "shared_task", "receiver", "connect", "listens_for", "on_event", "middleware",
        "exception_handler", "errorhandler", "before_request", "after_request", "command", "tool",
    )
)
_REDEFINITION_NOQA = re.compile(r"#\s*noqa:[^#]*\bF811\b|#\s*pylint:\s*disable=[^#]*function-redefined", re.I)
_COMPOUND = (cst.If, cst.Try, cst.TryStar, cst.For, cst.While, cst.With, cst.Match)


@dataclass(frozen=True, slots=True)
class Definition:
    scope: tuple[object, ...]
    name: str
    kind: str
    node: cst.Name
    exempt: bool


@dataclass(frozen=True, slots=True)
class Use:
    """A name read in a scope: a definition used before it is redefined is not dead."""

    scope: tuple[object, ...]
    name: str


def _label(scope: tuple[object, ...]) -> str:
    return ".".join(part if isinstance(part, str) else str(part[0]) for part in scope if isinstance(part, (str, tuple)))


class DuplicateDefinition(ModuleRule):
    """
    ## What it does
    Finds a function, method or class defined twice in the same scope.

    ## Why is this bad?
    The second definition silently replaces the first: the first is dead code that still
    looks alive, reviewers read and fix the wrong one, and tests may cover only one of them.
    It usually comes from a merge or a copy-paste.

    ## Example
    ```python
    class OrderService:
        def total(self, order): ...

        def total(self, order): ...  # replaces the one above
    ```
    Use instead: delete the dead definition or give the two different names.

    ## Fix
    None: which of the two should stay is a decision for a person.

    Quiet on `@overload` (also `typing.overload`), `@property` setter/deleter pairs,
    `@hybrid_property` with `@x.expression`/`@x.update_expression`, `@singledispatch`
    `.register` functions, any redefinition decorated with the previous one (`@name.attr`),
    definitions read before they are redefined, functions outside classes that a decorator
    registers at import time (`@router.get(...)`, `@app.task()`, `@receiver(...)`: both
    still run), redefinitions the project's linter was told about (`# noqa: F811`,
    `# pylint: disable=function-redefined`), and alternatives under `if`/`else` or
    `try`/`except` (also the methods of a class defined once per branch).
    """

    reports_fact_nodes = True
    meta = RuleMeta(code="RV105", name="duplicate-definition", family="hygiene", severity=Severity.ERROR)

    VALID = [
        Valid(
            """
            class Item:
                @property
                def price(self):
                    return self._price

                @price.setter
                def price(self, value):
                    self._price = value
            """
        ),
        Valid(
            """
            from typing import overload

            @overload
            def parse(x: int) -> int: ...
            @overload
            def parse(x: str) -> str: ...
            def parse(x):
                return x
            """
        ),
        Valid(
            """
            try:
                from ujson import loads
            except ImportError:
                def loads(s):
                    return s

            if FAST:
                def render(x):
                    return x
            else:
                def render(x):
                    return str(x)
            """
        ),
        Valid(
            """
            from functools import singledispatch

            @singledispatch
            def show(x):
                return x

            @show.register
            def _(x: int):
                return x

            @show.register
            def _(x: str):
                return x
            """
        ),
        Valid("class A:\n    def save(self): ...\n\nclass B:\n    def save(self): ...\n"),
        Valid(
            """
            def test_names():
                @action(detail=True)
                def view(request): ...
                assert view.kwargs["name"] == "View"

                @action(detail=True, name="other")
                def view(request): ...
                assert view.kwargs["name"] == "other"
            """
        ),
        Valid(
            """
            def serializer_for(method):
                if method == "POST":
                    class Dynamic:
                        class Meta:
                            fields = ("a",)
                else:
                    class Dynamic:
                        class Meta:
                            fields = ("b",)
                return Dynamic
            """
        ),
        Valid(
            """
            import os

            if os.environ.get("SECRET_PROVIDER") == "kms":
                class Secret:
                    def __init__(self, value):
                        self._value = value
            else:
                class Secret:
                    def __init__(self, value):
                        self._value = value.upper()

            try:
                from ujson import dumps
            except ImportError:
                class Encoder:
                    def encode(self, x):
                        return str(x)
            else:
                class Encoder:
                    def encode(self, x):
                        return dumps(x)
            """,
            path="app/config.py",
        ),
        Valid(
            """
            from sqlalchemy.ext.hybrid import hybrid_property


            class Mixin:
                @hybrid_property
                def overdue(self):
                    return self.due < 1

                @overdue.expression
                def overdue(cls):
                    return cls.due < 1

                @hybrid_property
                def total(self):
                    return self._total

                @total.inplace.setter
                def _total_setter(self, value):
                    self._total = value

                @total.update_expression
                def total(cls, value):
                    return [(cls._total, value)]
            """,
            path="app/models.py",
        ),
        Valid(
            """
            import typing


            class Parser:
                @typing.overload
                def parse(self, x: int) -> int: ...
                @typing.overload
                def parse(self, x: str) -> str: ...
                def parse(self, x):
                    return x
            """
        ),
        Valid(
            """
            from fastapi import APIRouter

            router = APIRouter()


            @router.get("/")
            async def get_functions():
                return []


            @router.get("/list")
            async def get_functions():
                return []
            """,
            path="app/routers/functions.py",
        ),
        Valid(
            """
            class UserWorks:
                @task(5)
                def expert_page(self):
                    return 1

                @task(5)
                def expert_page(self):  # noqa: F811
                    return 1
            """,
            path="tests/loadtests/locustfile.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            import pytest


            @pytest.mark.parametrize("x", [1, 2])
            def test_total(x):  # <- RV105
                assert x


            @pytest.mark.parametrize("x", [3])
            def test_total(x):
                assert x


            class UserWorks:
                @task(5)
                def expert_page(self):  # <- RV105
                    return 1

                @task(5)
                def expert_page(self):
                    return 2
            """,
            path="tests/test_totals.py",
        ),
        Invalid(
            """
            if FAST:
                class Renderer:
                    def render(self, x):  # <- RV105
                        return x

                    def render(self, x):
                        return str(x)
            """
        ),
        Invalid(
            """
            class OrderService:
                def total(self, order):  # <- RV105
                    return order.amount

                def refund(self, order):
                    return order

                def total(self, order):
                    return order.amount - order.discount
            """
        ),
        Invalid(
            """
            def get_user(pk):  # <- RV105
                return pk


            def get_user(pk):
                return {"id": pk}
            """
        ),
        Invalid(
            """
            class Serializer:  # <- RV105
                pass


            class Serializer:
                x = 1
            """
        ),
        Invalid(
            """
            def outer():
                def helper():  # <- RV105
                    return 1
                def helper():
                    return 2
                return helper()
            """
        ),
    ]

    @classmethod
    def module_key(cls, module: ModuleSummary) -> object:
        return module.redefined()

    @classmethod
    def wants(cls, block: BlockSummary, module: ModuleSummary) -> bool:
        """Only names defined twice can be reported; their definitions and uses are all it reads."""
        redefined = module.redefined()
        return bool(redefined) and not redefined.isdisjoint(block.words)

    def setup(self) -> None:
        # top-level definitions are named (a class's members live in several blocks);
        # nested ones also carry their identity, so two same-named classes in if/else differ
        self._scopes: list[object] = []
        self._kinds: list[str] = []  # "class" or "function", one per open scope
        self._defined: set[tuple[tuple[object, ...], str]] = set()
        # one entry per open node: is it a scope (True) or a compound statement (False)?
        self._containers: list[bool] = [True]

    def _record(self, node: cst.FunctionDef | cst.ClassDef, kind: str) -> None:
        if not self._containers[-1]:
            return
        # `@price.setter`, `@overdue.expression`, `@handler.register`: the decorator takes the
        # definition above and extends it, so the two are one definition
        exempt = any(
            name.rsplit(".", 1)[-1] in _EXEMPT_LAST or name.split(".", 1)[0] == node.name.value
            for name in decorator_names(node)
        )
        # `def x():  # noqa: F811`: the project's linter was told this redefinition is meant
        header = node.body.header.comment if isinstance(node.body, cst.IndentedBlock) else None
        if header is not None and _REDEFINITION_NOQA.search(header.value):
            exempt = True
        in_class = bool(self._kinds) and self._kinds[-1] == "class"
        if not in_class and any(
            isinstance(d.decorator, cst.Call) and (dotted_name(d.decorator.func) or "").rsplit(".", 1)[-1] in _REGISTERING
            for d in node.decorators
        ):
            exempt = True
        scope = tuple(self._scopes)
        self.fact(Definition(scope, node.name.value, kind, node.name, exempt))
        self._defined.add((scope, node.name.value))

    def _enter(self, node: cst.FunctionDef | cst.ClassDef, label: str) -> None:
        # a top-level class is split into blocks, so it is known by name; one under `if`/`try`
        # is one block, known by identity: two branch alternatives are two scopes
        plain = not self._scopes and self._containers[-1]
        self._scopes.append(label if plain else (label, id(node)))
        self._kinds.append("class" if isinstance(node, cst.ClassDef) else "function")
        self._containers.append(True)

    def _leave(self) -> None:
        self._scopes.pop()
        self._kinds.pop()
        self._containers.pop()

    def visit_Name(self, node: cst.Name) -> None:
        scope = tuple(self._scopes)
        if (scope, node.value) in self._defined or (not scope and node.value in self.ctx.local_names):
            self.fact(Use(scope, node.value))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._record(node, "class")
        self._enter(node, node.name.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._leave()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._record(node, "function")
        self._enter(node, node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._leave()

    def on_compound(self, entering: bool) -> None:
        if entering:
            self._containers.append(False)
        else:
            self._containers.pop()

    def visit_If(self, node: cst.If) -> None:
        self.on_compound(True)

    def leave_If(self, node: cst.If) -> None:
        self.on_compound(False)

    def visit_Try(self, node: cst.Try) -> None:
        self.on_compound(True)

    def leave_Try(self, node: cst.Try) -> None:
        self.on_compound(False)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self.on_compound(True)

    def leave_TryStar(self, node: cst.TryStar) -> None:
        self.on_compound(False)

    def visit_For(self, node: cst.For) -> None:
        self.on_compound(True)

    def leave_For(self, node: cst.For) -> None:
        self.on_compound(False)

    def visit_While(self, node: cst.While) -> None:
        self.on_compound(True)

    def leave_While(self, node: cst.While) -> None:
        self.on_compound(False)

    def visit_With(self, node: cst.With) -> None:
        self.on_compound(True)

    def leave_With(self, node: cst.With) -> None:
        self.on_compound(False)

    def visit_Match(self, node: cst.Match) -> None:
        self.on_compound(True)

    def leave_Match(self, node: cst.Match) -> None:
        self.on_compound(False)

    def check(self, facts: Sequence[Located[object]]) -> None:
        seen: dict[tuple[tuple[object, ...], str], Located[Definition]] = {}
        for located in facts:
            definition = located.value
            if isinstance(definition, Use):
                seen.pop((definition.scope, definition.name), None)  # used before any redefinition
                continue
            if not isinstance(definition, Definition):
                continue
            key = (definition.scope, definition.name)
            previous = seen.get(key)
            if previous is not None and not definition.exempt and not previous.value.exempt:
                where = f"`{_label(definition.scope)}`" if definition.scope else "this module"
                self.report(
                    previous.value.node,
                    f"`{definition.name}` is defined again later in {where}: this {previous.value.kind} is dead code",
                    at=previous.block,
                )
            seen[key] = located  # type: ignore[assignment]
