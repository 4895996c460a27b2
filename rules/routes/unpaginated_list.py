"""RV504 unpaginated-list."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import (
    Invalid,
    Located,
    ModuleContext,
    ModuleRule,
    Role,
    RuleMeta,
    Severity,
    Valid,
    decorator_names,
    dotted_name,
    find_all,
    get_kwarg,
)
from rules.api.orm import receiver_chain
from rules.api.routes import VERBS, Framework, decorator_route
from rules.api.triggers import Trigger

PAGINATION_SETTING = "DEFAULT_PAGINATION_CLASS"
_LIST_VIEWS = re.compile(r"(ListAPIView|ListCreateAPIView|ModelViewSet|ReadOnlyModelViewSet)$")
_LIST_VIEW_TEXT = re.compile(r"(?:ListAPIView|ListCreateAPIView|ModelViewSet|ReadOnlyModelViewSet)\b")
_QUERYSET_METHODS = frozenset(("all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "annotate", "distinct", "values", "only", "defer"))
_PAGINATES = re.compile(r"(?i)paginat|Paginator")
_LIMITS = frozenset(("limit", "offset", "[]", "first", "get", "one", "one_or_none", "scalar", "count", "exists", "aggregate"))


def whole_query(expr: cst.BaseExpression) -> bool:
    """A Django queryset or SQLAlchemy query read in full: no slice, limit or single-row call."""
    chain = receiver_chain(expr, slices=True)[::-1]  # innermost first: [M, objects, filter, all]
    if any(name in _LIMITS for name in chain):
        return False
    if "objects" in chain:
        after = chain[chain.index("objects") + 1 :]
        return bool(after) and all(name in _QUERYSET_METHODS for name in after)
    # session.query(M)....all(), session.scalars(select(M)).all(), session.execute(...).scalars().all()
    return bool(chain) and chain[-1] == "all" and any(name in ("query", "scalars", "execute") for name in chain)


@dataclass(frozen=True, slots=True)
class ListClass:
    name: str
    node: cst.Name


@dataclass(frozen=True, slots=True)
class Paginated:
    owner: str


@dataclass(frozen=True, slots=True)
class OwnList:
    """The view overrides `list()` and never reads its queryset there (it aggregates other views,
    returns a static list): no queryset is serialised by the list view."""

    owner: str


# what a `list()` override uses when it still lists the view's queryset
_READS_QUERYSET = re.compile(r"\b(get_queryset|filter_queryset|queryset|super)\b")


@dataclass(frozen=True, slots=True)
class WholeList:
    node: cst.CSTNode
    message: str
    drf: bool


class UnpaginatedList(ModuleRule):
    """
    ## What it does
    Finds list endpoints that return a whole table: a serializer given a full queryset with
    `many=True`, a DRF list view or viewset with no `pagination_class` (when the settings
    set no `DEFAULT_PAGINATION_CLASS`), and FastAPI/Ninja GET routes returning
    `Model.objects.all()`/`filter()` or a SQLAlchemy `.all()` with no limit or paginator.

    ## Why is this bad?
    It works with the 20 rows of the test database. In production the table has a million
    rows: the endpoint loads and serialises all of them on every call, memory and latency
    grow with the data, and a client cannot ask for less.

    ## Example
    ```python
    @api_view(["GET"])
    def list_orders(request):
        return Response(OrderSerializer(Order.objects.all(), many=True).data)
    ```
    Use instead: a paginator (`self.paginate_queryset(...)`, `pagination_class`, Ninja's
    `@paginate`, `limit`/`offset` parameters).

    ## Fix
    None: the page size, the paginator class and the response shape are API decisions
    that clients depend on.

    Quiet on views that paginate (`paginate_queryset`, `Paginator`, `@paginate`), sliced or
    limited queries, DRF views with a `pagination_class`, list views whose `list()` never reads
    their queryset (it aggregates other views or returns a static list), and projects whose
    settings set `DEFAULT_PAGINATION_CLASS` (for DRF views; also through a function of the
    project that builds `REST_FRAMEWORK`, as in `REST_FRAMEWORK = get_drf_settings(...)`).
    """

    meta = RuleMeta(
        code="RV504",
        name="unpaginated-list",
        family="routes",
        severity=Severity.INFORMATION,
        # a serializer with `many=`, a DRF list view, or a FastAPI/Ninja router in the module; in the
        # block, what a finding or a quieting fact is made of
        trigger=Trigger(
            words=frozenset(("many", *VERBS, "route", "api_route", "api_operation", "paginate_queryset", "get_paginated_response", "paginate", "pagination_class", "list")),
            pattern=_LIST_VIEW_TEXT,
            module_pattern=re.compile(r"\bmany\b|(?:ListAPIView|ListCreateAPIView|ModelViewSet|ReadOnlyModelViewSet)\b|\b(?:FastAPI|APIRouter|Starlette|NinjaAPI|Router|NinjaExtraAPI)\b"),
        ),
    )

    VALID = [
        Valid(
            "from rest_framework.decorators import api_view\nfrom rest_framework.response import Response\n\n\n@api_view(['GET'])\n"
            "def list_orders(request):\n    page = paginator.paginate_queryset(Order.objects.all(), request)\n"
            "    return Response(OrderSerializer(page, many=True).data)\n"
        ),
        Valid(
            "from rest_framework import generics\nfrom rest_framework.pagination import PageNumberPagination\n\n\n"
            "class OrderList(generics.ListAPIView):\n    queryset = Order.objects.all()\n    pagination_class = PageNumberPagination\n"
        ),
        Valid(
            "from ninja import Router\nfrom ninja.pagination import paginate\n\nrouter = Router()\n\n\n@router.get('/orders')\n@paginate\n"
            "def orders(request):\n    return Order.objects.all()\n\n\n@router.get('/latest')\ndef latest(request):\n    return Order.objects.all()[:10]\n"
        ),
        # `list()` overridden to aggregate other views or return a static list: no queryset is listed
        Valid(
            "from rest_framework import generics\nfrom rest_framework.response import Response\n\n\n"
            "class TemplateListAPI(generics.ListAPIView):\n    def list(self, request, *args, **kwargs):\n"
            "        return Response({'templates': load_templates()})\n"
        ),
    ]
    INVALID = [
        Invalid(
            """
            from rest_framework import generics, viewsets
            from rest_framework.decorators import api_view
            from rest_framework.response import Response


            @api_view(["GET"])
            def list_orders(request):
                orders = Order.objects.filter(owner=request.user)
                return Response(OrderSerializer(orders, many=True).data)  # <- RV504


            class CustomerList(generics.ListAPIView):  # <- RV504
                queryset = Customer.objects.all()
                serializer_class = CustomerSerializer


            class ProductViewSet(viewsets.ModelViewSet):  # <- RV504
                queryset = Product.objects.all()
            """
        ),
        Invalid(
            """
            from fastapi import APIRouter, Depends

            router = APIRouter()


            @router.get("/orders")
            def orders(session=Depends(get_session)):
                return session.scalars(select(Order)).all()  # <- RV504
            """
        ),
    ]

    def setup(self) -> None:
        self._classes: list[cst.ClassDef] = []
        self._functions: list[cst.FunctionDef] = []

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return not ctx.has_role(Role.TEST) and bool(ctx.frameworks & {"rest_framework", "fastapi", "ninja", "django"})

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)
        if len(self._classes) == 1:
            bases = [self.ctx.qualified_name(b.value) or "" for b in node.bases]
            if any(_LIST_VIEWS.search(b) for b in bases):
                self.fact(ListClass(node.name.value, node.name))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(self._classes) == 1 and not self._functions:
            for target in node.targets:
                if isinstance(target.target, cst.Name) and target.target.value == "pagination_class":
                    self.fact(Paginated(self._classes[0].name.value))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        if len(self._functions) != 1:
            return
        if self._classes and len(self._classes) == 1:
            if node.name.value in ("paginate_queryset", "get_paginated_response") or "paginate" in decorator_names(node):
                self.fact(Paginated(self._classes[0].name.value))
            if node.name.value == "list" and not _READS_QUERYSET.search(cst.Module([]).code_for_node(node.body)):
                self.fact(OwnList(self._classes[0].name.value))
        # the body's source is generated only when the block's text could mention pagination
        # at all (the block holds the function): most functions never pay the code generation
        if _PAGINATES.search(self.block.text) is not None or not self.block.text:
            code = cst.Module([]).code_for_node(node.body)
            if _PAGINATES.search(code):
                return
        if any(_PAGINATES.search(name) for name in decorator_names(node)):
            return
        self._serializers(node)
        if not self._classes:
            self._returned_queries(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def _serializers(self, function: cst.FunctionDef) -> None:
        assigned: dict[str, cst.BaseExpression] = {}
        nodes = find_all(function.body, (cst.Assign, cst.Call))  # one walk; every assignment is known before any call is judged
        for assign in nodes:
            if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name):
                assigned[assign.targets[0].target.value] = assign.value
        for call in nodes:
            if not isinstance(call, cst.Call):
                continue
            many = get_kwarg(call, "many")
            name = dotted_name(call.func) or ""
            if many is None or not (isinstance(many.value, cst.Name) and many.value.value == "True") or not name.endswith("Serializer") or not call.args:
                continue
            source = call.args[0].value
            if isinstance(source, cst.Name):
                source = assigned.get(source.value, source)
            if whole_query(source):
                self.fact(WholeList(call, "the whole queryset is serialised with `many=True`: nothing limits how many rows come back", True))

    def _returned_queries(self, function: cst.FunctionDef) -> None:
        route = next((r for d in function.decorators if (r := decorator_route(self.ctx, d, function)) is not None), None)
        if route is None or route.framework not in (Framework.STARLETTE, Framework.NINJA) or (route.methods and "GET" not in route.methods):
            return
        for ret in find_all(function.body, cst.Return):
            assert isinstance(ret, cst.Return)
            if ret.value is not None and whole_query(ret.value):
                self.fact(WholeList(ret.value, f"`{route.path}` returns every row of the query: no pagination or limit", False))

    def check(self, facts: Sequence[Located[object]]) -> None:
        global_pagination = PAGINATION_SETTING in self.ctx.project_settings
        paginated = {f.value.owner for f in facts if isinstance(f.value, (Paginated, OwnList))}
        for located in facts:
            value = located.value
            if isinstance(value, WholeList):
                self.report(value.node, value.message, at=located.block)
            elif isinstance(value, ListClass) and value.name not in paginated and not global_pagination:
                self.report(value.node, f"`{value.name}` lists its queryset with no `pagination_class`", at=located.block)
