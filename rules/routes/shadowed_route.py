"""RV501 shadowed-route."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import (
    BlockHandle,
    FixBuilder,
    Invalid,
    LazyFix,
    Located,
    ModuleRule,
    Related,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    dotted_name,
)
from rules.api.helpers import string_value
from rules.api.routes import (
    ROUTE_MODULE_WORDS,
    ROUTE_WORDS,
    Framework,
    Registration,
    Route,
    added_route,
    decorator_route,
    include_target,
    registration,
    registration_routes,
    urlpattern_route,
)
from rules.api.triggers import Trigger

_FRAMEWORK_NAMES = {
    Framework.STARLETTE: "FastAPI",
    Framework.NINJA: "Django Ninja",
    Framework.DJANGO: "Django",
    Framework.DRF: "Django REST framework",
    Framework.FLASK: "Flask",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One `urlpatterns` entry: a route, or an `include()` of a DRF router of this module."""

    node: cst.Call
    route: Route | None
    router: str | None = None
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class Patterns:
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A route (or DRF registration) with the block it came from, in registration order."""

    routes: tuple[Route, ...]
    node: cst.CSTNode  # where a finding sits
    definition: cst.CSTNode  # what a reorder moves
    block: BlockHandle
    is_list_entry: bool


def _describe(route: Route) -> str:
    methods = "/".join(sorted(route.methods)) if route.methods else ""
    return f"{methods} {route.path}".strip()


class ShadowedRoute(ModuleRule):
    """
    ## What it does
    Finds a route that can never be reached because a parameterised route registered
    before it matches the same requests: `GET /{account_id}` above `GET /summary`,
    `path("<slug:slug>/", ...)` above `path("stats/", ...)`, a DRF router's detail route
    `accounts/<pk>/` above `accounts/stats/`.

    ## Why is this bad?
    The literal route looks finished and its tests may even pass in isolation, but in the
    app every request goes to the parameterised route: FastAPI and Ninja answer 422
    ("summary" is not an int), Django serves the detail page for a slug called "stats".
    Django and Django Ninja resolve the path before the method, so a `GET /{id}` registered
    first also turns `POST /search` into 405. FastAPI/Starlette skip a route whose method
    does not match, so there only the same method shadows.

    ## Example
    ```python
    @router.get("/{account_id}")
    def get_account(request, account_id: int): ...

    @router.get("/summary")  # never reached
    def summary(request): ...
    ```
    Use instead: declare `/summary` first.

    ## Fix
    Moves the literal route's whole definition (its comments, decorators and body, or its
    `path()` entry) above the route that swallows it; every other line stays where it was.
    Safe: order is the only thing that changes, and the fix is not offered when the moved
    route would in turn swallow a route between the two.

    Quiet on routes whose converters cannot match (`{id:int}`, `<int:pk>` against `stats`),
    other methods in FastAPI/Starlette, literal routes declared first, a path parameter
    against more segments (`/{id}` never matches `/stats/summary`), and Flask, whose
    router orders rules by specificity, not registration.
    """

    meta = RuleMeta(
        code="RV501",
        name="shadowed-route",
        family="routes",
        severity=Severity.ERROR,
        fix=Safety.SAFE,
        trigger=Trigger(words=ROUTE_WORDS, module_words=ROUTE_MODULE_WORDS),
    )

    VALID = [
        # stacked decorators register bottom-up: the literal-prefixed route below is registered first
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.api_route('/{server_id}/{path:path}', methods=['GET'])\n"
            "@router.api_route('/{server_id}/chats/{chat_id}/{path:path}', methods=['GET'])\n"
            "async def proxy(server_id: str, path: str):\n    return {}\n"
        ),
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get('/summary')\ndef summary():\n    return {}\n\n\n"
            "@router.get('/{account_id}')\ndef get_account(account_id: int):\n    return {}\n"
        ),
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get('/{account_id}')\ndef one(account_id: int):\n    return {}\n\n\n"
            "@router.get('/stats/summary')\ndef stats():\n    return {}\n\n\n@router.post('/search')\ndef search():\n    return {}\n\n\n"
            "@router.get('/{item_id:int}/a')\ndef conv(item_id: int):\n    return {}\n\n\n@router.get('/lit/a')\ndef lit():\n    return {}\n\n\n"
            "@router.put('/{account_id}')\ndef put(account_id: int):\n    return {}\n"
        ),
        Valid(
            "from django.urls import path\n\nurlpatterns = [\n    path('<int:pk>/', views.detail),\n    path('stats/', views.stats),\n"
            "    path('<slug:slug>/edit/', views.edit),\n    path('stats/summary/', views.summary),\n]\n"
        ),
        Valid(
            "from flask import Blueprint\n\nbp = Blueprint('a', __name__)\n\n\n@bp.get('/<name>')\ndef one(name):\n    return ''\n\n\n"
            "@bp.get('/stats')\ndef stats():\n    return ''\n"
        ),
        Valid(
            "from rest_framework.routers import DefaultRouter\n\nrouter = DefaultRouter()\nrouter.register('accounts/stats', StatsViewSet)\n"
            "router.register('accounts', AccountViewSet)\n"
        ),
    ]
    INVALID = [
        Invalid(
            """
            from ninja import Router

            router = Router()


            @router.get("/{account_id}")
            def get_account(request, account_id: int):
                return {"id": account_id}


            # totals for the dashboard
            @router.get("/summary")  # <- RV501
            def summary(request):
                return {"total": 0}


            @router.get("/stats/summary")
            def stats(request):
                return {}


            @router.post("/{account_id}/sync")
            def sync(request, account_id: int):
                return {}


            @router.post("/batch/sync")  # <- RV501
            def batch_sync(request):
                return {}
            """,
            fixed="""
            from ninja import Router

            router = Router()


            # totals for the dashboard
            @router.get("/summary")
            def summary(request):
                return {"total": 0}


            @router.get("/{account_id}")
            def get_account(request, account_id: int):
                return {"id": account_id}


            @router.get("/stats/summary")
            def stats(request):
                return {}


            @router.post("/batch/sync")
            def batch_sync(request):
                return {}


            @router.post("/{account_id}/sync")
            def sync(request, account_id: int):
                return {}
            """,
        ),
        Invalid(
            """
            from ninja import NinjaAPI

            api = NinjaAPI()


            @api.get("/items/{item_id}")
            def item(request, item_id: int):
                return {}


            @api.post("/items/search")  # <- RV501
            def search(request):
                return {}
            """,
            fixed="""
            from ninja import NinjaAPI

            api = NinjaAPI()


            @api.post("/items/search")
            def search(request):
                return {}


            @api.get("/items/{item_id}")
            def item(request, item_id: int):
                return {}
            """,
        ),
        Invalid(
            """
            from fastapi import APIRouter

            router = APIRouter(prefix="/accounts")


            @router.get("/{account_id}")
            async def get_account(account_id: int):
                return {}


            @router.post("/search")
            async def search():
                return {}


            @router.get("/summary")  # <- RV501
            async def summary():
                return {}
            """,
            fixed="""
            from fastapi import APIRouter

            router = APIRouter(prefix="/accounts")


            @router.get("/summary")
            async def summary():
                return {}


            @router.get("/{account_id}")
            async def get_account(account_id: int):
                return {}


            @router.post("/search")
            async def search():
                return {}
            """,
        ),
        Invalid(
            """
            from django.urls import path, re_path

            from . import views

            urlpatterns = [
                path("", views.index),
                re_path(r"^(?P<year>[0-9]{4})/$", views.year),
                path("<slug:slug>/", views.detail),
                # the dashboard
                path("stats/", views.stats),  # <- RV501
                path("2024/", views.this_year)  # <- RV501
            ]
            """,
            fixed="""
            from django.urls import path, re_path

            from . import views

            urlpatterns = [
                path("", views.index),
                path("2024/", views.this_year),
                re_path(r"^(?P<year>[0-9]{4})/$", views.year),
                # the dashboard
                path("stats/", views.stats),
                path("<slug:slug>/", views.detail),
            ]
            """,
        ),
        Invalid(
            """
            from django.urls import include, path
            from rest_framework.routers import DefaultRouter

            from . import views

            router = DefaultRouter()
            router.register("accounts", views.AccountViewSet)
            router.register("accounts/stats", views.StatsViewSet)  # <- RV501

            urlpatterns = [
                path("api/", include(router.urls)),
                path("api/accounts/export/", views.export),  # <- RV501
            ]
            """,
            fixed="""
            from django.urls import include, path
            from rest_framework.routers import DefaultRouter

            from . import views

            router = DefaultRouter()
            router.register("accounts/stats", views.StatsViewSet)
            router.register("accounts", views.AccountViewSet)

            urlpatterns = [
                path("api/accounts/export/", views.export),
                path("api/", include(router.urls)),
            ]
            """,
        ),
        Invalid(
            """
            from django.urls import include, path

            from . import views

            # included by the project's urls.py: path("reports/", include("reports.urls.report_patterns"))
            report_patterns = [
                path("<int:year>/", views.year),
                path("<str:name>/", views.named),
                path("latest/", views.latest),  # <- RV501
            ]
            """,
            fixed="""
            from django.urls import include, path

            from . import views

            # included by the project's urls.py: path("reports/", include("reports.urls.report_patterns"))
            report_patterns = [
                path("<int:year>/", views.year),
                path("latest/", views.latest),
                path("<str:name>/", views.named),
            ]
            """,
        ),
    ]

    def setup(self) -> None:
        self._depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._depth == 0:
            # decorators apply bottom-up: the one nearest the `def` registers its route first
            for decorator in reversed(node.decorators):
                route = decorator_route(self.ctx, decorator, node)
                if route is not None:
                    self.fact(route)
        self._depth += 1

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth -= 1

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if self._depth:
            return
        found = added_route(self.ctx, node) or registration(self.ctx, node)
        if found is not None:
            self.fact(found)
            return
        statement = node.body[0] if len(node.body) == 1 else None
        target: cst.BaseExpression | None = None
        value: cst.BaseExpression | None = None
        if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0].target, statement.value
        elif isinstance(statement, (cst.AugAssign, cst.AnnAssign)):
            target, value = statement.target, statement.value
        # `urlpatterns`, or a route list under another name that some module `include()`s
        # (`api_patterns = [path(...), ...]`): any module-level list of path()/re_path() entries
        if not (isinstance(target, cst.Name) and isinstance(value, (cst.List, cst.Tuple))):
            return
        if target.value != "urlpatterns" and not any(urlpattern_route(self.ctx, element) is not None for element in value.elements):
            return
        entries: list[Entry] = []
        for element in value.elements:
            call = element.value
            if not isinstance(call, cst.Call):
                continue
            route = urlpattern_route(self.ctx, element)
            included = include_target(call) if len(call.args) > 1 else None
            if route is not None:
                entries.append(Entry(call, route))
            elif isinstance(included, cst.Attribute) and included.attr.value == "urls":
                prefix = string_value(call.args[0].value) or ""
                entries.append(Entry(call, None, dotted_name(included.value), prefix))
        self.fact(Patterns(tuple(entries)))

    def check(self, facts: Sequence[Located[object]]) -> None:
        groups: dict[str, list[_Candidate]] = {}
        registrations: dict[str, list[_Candidate]] = {}
        for located in facts:
            value = located.value
            if isinstance(value, Route):
                candidate = _Candidate((value,), value.node, value.definition, located.block, False)
                groups.setdefault(value.router, []).append(candidate)
            elif isinstance(value, Registration):
                candidate = _Candidate(tuple(registration_routes(value)), value.node, value.statement, located.block, False)
                registrations.setdefault(value.router, []).append(candidate)
        for group in [*groups.values(), *registrations.values()]:
            self._check_order(group)
        for located in facts:
            if isinstance(located.value, Patterns):
                self._check_order(self._pattern_candidates(located.value, located.block, facts))

    def _pattern_candidates(self, patterns: Patterns, block: BlockHandle, facts: Sequence[Located[object]]) -> list[_Candidate]:
        out: list[_Candidate] = []
        for entry in patterns.entries:
            if entry.route is not None:
                out.append(_Candidate((entry.route,), entry.node, entry.node, block, True))
                continue
            routes = [
                route
                for located in facts
                if isinstance(located.value, Registration) and located.value.router == entry.router
                for route in registration_routes(located.value, entry.prefix)
            ]
            if routes:
                out.append(_Candidate(tuple(routes), entry.node, entry.node, block, True))
        return out

    def _check_order(self, candidates: Sequence[_Candidate]) -> None:
        for index, later in enumerate(candidates):
            found = next(
                ((i, route, shadowed) for i, earlier in enumerate(candidates[:index]) for route in earlier.routes for shadowed in later.routes if route.swallows(shadowed)),
                None,
            )
            if found is None:
                continue
            position, route, shadowed = found
            earlier = candidates[position]
            between = [r for c in candidates[position:index] for r in c.routes]
            safe = not any(own.swallows(other) for own in later.routes for other in between)
            self.report(
                later.node,
                self._message(shadowed, route),
                at=later.block,
                related=[Related(earlier.node, f"`{_describe(route)}` is matched first here", earlier.block)],
                fix=self._move(later, earlier, shadowed, route) if safe else None,
            )

    def _message(self, shadowed: Route, route: Route) -> str:
        name = _FRAMEWORK_NAMES[route.framework]
        if route.framework.method_first or route.methods == shadowed.methods or not route.methods:
            return f"`{_describe(shadowed)}` is never reached: `{_describe(route)}`, registered above it, matches the same requests"
        return (
            f"`{_describe(shadowed)}` is never reached: `{_describe(route)}`, registered above it, matches the path first "
            f"and {name} answers 405 for other methods"
        )

    def _move(self, later: _Candidate, earlier: _Candidate, shadowed: Route, route: Route) -> LazyFix:
        def build(builder: FixBuilder) -> None:
            builder.move_above(later.definition, earlier.definition, earlier.block, comma=later.is_list_entry)

        return self.fix(f"Move `{shadowed.path}` above `{route.path}`", build)
