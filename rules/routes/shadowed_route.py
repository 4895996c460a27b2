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
from rules.api.project import ROUTES, SYMBOLS, ProjectRule, ProjectView, RelatedPlace
from rules.api.routes import (
    ROUTE_MODULE_WORDS,
    ROUTE_WORDS,
    Framework,
    FullRoute,
    Registration,
    Route,
    RouteTree,
    added_route,
    decorator_route,
    include_target,
    registration,
    registration_routes,
    swallows,
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


# the app of the examples across files: `users.router` (prefix `/users`) first, then `search.router`
_MAIN = """from fastapi import FastAPI

from app.api import search, users

app = FastAPI()
app.include_router(users.router)
app.include_router(search.router, prefix="/users")
"""
_USERS = """from fastapi import APIRouter

router = APIRouter(prefix="/users")


@router.get("/{user_id}")
async def get_user(user_id: int):
    return {}
"""


def _describe(route: Route) -> str:
    methods = "/".join(sorted(route.methods)) if route.methods else ""
    return f"{methods} {route.path}".strip()


def _never_reached(shadowed: Route | FullRoute, route: Route | FullRoute, shadowed_text: str, route_text: str, where: str) -> str:
    name = _FRAMEWORK_NAMES[route.framework]
    if route.framework.method_first or route.methods == shadowed.methods or not route.methods:
        return f"`{shadowed_text}` is never reached: `{route_text}`, {where}, matches the same requests"
    return f"`{shadowed_text}` is never reached: `{route_text}`, {where}, matches the path first and {name} answers 405 for other methods"


class ShadowedRoute(ModuleRule):
    """
    ## What it does
    Finds a route that can never be reached because a parameterised route registered
    before it matches the same requests: `GET /{account_id}` above `GET /summary`,
    `path("<slug:slug>/", ...)` above `path("stats/", ...)`, a DRF router's detail route
    `accounts/<pk>/` above `accounts/stats/`.

    Across files (on save and in `--check`), it follows how the app includes its routers
    and with which prefixes (FastAPI `include_router(router, prefix=...)` and
    `APIRouter(prefix=...)`, Ninja `add_router("/orders", router)` or its dotted string
    form, Django `path("shop/", include("shop.urls"))`, `include(module.urlpatterns)` or an
    included list), and compares the full paths: `GET /users/{user_id}` in `users.py`
    swallows `GET /users/search` of a router in `search.py` included after it with the
    same prefix. Registration order is the order of the includes in the including module,
    then each router's own order; the finding points at the swallowing route in the
    other file.

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
    route would in turn swallow a route between the two. Across files there is no fix:
    the order to change is that of the includes, and every other route of both routers
    moves with it.

    Quiet on routes whose converters cannot match (`{id:int}`, `<int:pk>` against `stats`),
    other methods in FastAPI/Starlette, literal routes declared first, a path parameter
    against more segments (`/{id}` never matches `/stats/summary`), and Flask, whose
    router orders rules by specificity, not registration. Across files, quiet too on routers
    no app includes (their prefix is unknown: nothing is guessed) and on routes below
    different prefixes that are not literals (`prefix=settings.API_PREFIX`); two routes
    below the same such include are still compared.
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
        # FastAPI's `api_route` without `methods=` answers GET only: POST `/search` goes on to its own route
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.api_route('/{item_id}')\ndef item(item_id: str):\n    return {}\n\n\n"
            "@router.post('/search')\ndef search():\n    return []\n"
        ),
        # across files: another method (FastAPI goes on to later routes after a method mismatch)
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.post('/search')\nasync def search_users():\n    return []\n",
            path="app/api/search.py",
            files={"app/main.py": _MAIN, "app/api/users.py": _USERS},
        ),
        # across files: a converter that cannot match `search`
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get('/search')\nasync def search_users():\n    return []\n",
            path="app/api/search.py",
            files={"app/main.py": _MAIN, "app/api/users.py": _USERS.replace("{user_id}", "{user_id:int}")},
        ),
        # across files: the literal's router is included first
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get('/search')\nasync def search_users():\n    return []\n",
            path="app/api/search.py",
            files={
                "app/main.py": "from fastapi import FastAPI\n\nfrom app.api import search, users\n\napp = FastAPI()\n"
                "app.include_router(search.router, prefix='/users')\napp.include_router(users.router)\n",
                "app/api/users.py": _USERS,
            },
        ),
        # across files: `api` is included by no app we can see, so its prefixes are unknown
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get('/search')\nasync def search_users():\n    return []\n",
            path="app/api/search.py",
            files={
                "app/api/routes.py": "from fastapi import APIRouter\n\nfrom app.api import search, users\n\napi = APIRouter()\n"
                "api.include_router(users.router)\napi.include_router(search.router, prefix='/users')\n",
                "app/api/users.py": _USERS,
            },
        ),
        # across files: prefixes that are not literals (they may differ)
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get('/search')\nasync def search_users():\n    return []\n",
            path="app/api/search.py",
            files={
                "app/main.py": "from fastapi import FastAPI\n\nfrom app import settings\nfrom app.api import search, users\n\napp = FastAPI()\n"
                "app.include_router(users.router, prefix=settings.V1)\napp.include_router(search.router, prefix=f'{settings.V1}/users')\n",
                "app/api/users.py": _USERS.replace('APIRouter(prefix="/users")', 'APIRouter(prefix="/users")'),
            },
        ),
        # across files: a Django include below a literal route; more segments than the parameter matches
        Valid(
            "from django.urls import path\n\nfrom . import views\n\nurlpatterns = [\n    path('', views.index),\n    path('stats/summary/', views.summary),\n]\n",
            path="shop/urls.py",
            files={
                "config/urls.py": "from django.urls import include, path\n\nfrom shop import views\n\nurlpatterns = [\n"
                "    path('shop/stats/', views.stats),\n    path('shop/<slug:slug>/', views.detail),\n    path('shop/', include('shop.urls')),\n]\n",
            },
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
        # across files: FastAPI routers included with prefixes
        Invalid(
            """
            from fastapi import APIRouter

            router = APIRouter()


            @router.get("/search")  # <- RV501
            async def search_users(q: str = ""):
                return []


            @router.get("/{user_id}/avatar")
            async def avatar(user_id: int):
                return {}
            """,
            path="app/api/search.py",
            files={"app/main.py": _MAIN, "app/api/users.py": _USERS},
        ),
        # across files: Ninja `add_router`, also by a dotted string; Ninja answers 405 for other methods
        Invalid(
            """
            from ninja import Router

            router = Router()


            @router.post("/export")  # <- RV501
            def export_orders(request):
                return {}
            """,
            path="shop/api/exports.py",
            files={
                "shop/api/main.py": """
                from ninja import NinjaAPI

                from shop.api.exports import router as exports_router

                api = NinjaAPI()
                api.add_router("/orders/", "shop.api.orders.router")
                api.add_router("/orders/", exports_router)
                """,
                "shop/api/orders.py": """
                from ninja import Router

                router = Router()


                @router.get("/{order_id}")
                def get_order(request, order_id: str):
                    return {}
                """,
            },
        ),
        # across files: Django `include()` of another urls module, of its list, and of an inline list
        Invalid(
            """
            from django.urls import path

            from . import views

            urlpatterns = [
                path("", views.index),
                path("stats/", views.stats),  # <- RV501
            ]

            report_patterns = [
                path("<int:year>/", views.year),
            ]
            """,
            path="shop/urls.py",
            files={
                "config/urls.py": """
                from django.urls import include, path

                from shop import urls as shop_urls
                from shop import views

                urlpatterns = [
                    path("shop/<slug:slug>/", views.detail),
                    path("shop/", include("shop.urls")),
                    path("reports/", include(shop_urls.report_patterns)),
                    path("reports/", include([
                        path("2024/", views.this_year),  # <- RV501
                    ])),
                ]
                """,
            },
        ),
        # across files: an app factory; two routers below the same setting-made prefix still compare
        Invalid(
            """
            from fastapi import APIRouter

            router = APIRouter(prefix="/items")


            @router.delete("/{item_id}")
            async def delete_item(item_id: str):
                return {}


            @router.delete("/trash")  # <- RV501
            async def empty_trash():
                return {}
            """,
            path="app/api/trash.py",
            files={
                "app/main.py": """
                from fastapi import APIRouter, FastAPI

                from app.api import items, trash
                from app.config import settings


                def create_app() -> FastAPI:
                    app = FastAPI()
                    api = APIRouter()
                    api.include_router(items.router)
                    api.include_router(trash.router)
                    app.include_router(api, prefix=settings.API_PREFIX)
                    return app
                """,
                "app/api/items.py": """
                from fastapi import APIRouter

                router = APIRouter(prefix="/items")


                @router.delete("/{item_id}")
                async def delete_item(item_id: str):
                    return {}
                """,
            },
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
        return _never_reached(shadowed, route, _describe(shadowed), _describe(route), "registered above it")

    def _move(self, later: _Candidate, earlier: _Candidate, shadowed: Route, route: Route) -> LazyFix:
        def build(builder: FixBuilder) -> None:
            builder.move_above(later.definition, earlier.definition, earlier.block, comma=later.is_list_entry)

        return self.fix(f"Move `{shadowed.path}` above `{route.path}`", build)


class ShadowedRouteAcrossFiles(ProjectRule):
    """RV501 across files: a literal route that a parameterised route of another module swallows
    once both routers are included into the app, with the full paths their prefixes give them.

    Resolution order across modules is the order of the `include_router`/`add_router`/`include()`
    calls in the including module, then the routes' order inside each router. A pair of routes
    the edit rule orders together (one router, or one `urlpatterns` list, of one module) is
    left to it. Quiet on routers no app includes (their prefix is unknown) and on routes below
    different prefixes that are not literals (a setting, an f-string); routes below the same one
    are compared. No fix: moving a definition within its module does not change the order of
    two routers.
    """

    meta = ShadowedRoute.meta
    part_of = ShadowedRoute
    needs = frozenset({SYMBOLS, ROUTES})  # the routing facts, gathered once for RV501 and RV503

    def check(self, facts: ProjectView) -> None:
        tree = RouteTree(facts)
        reported: set[tuple[str, int, int]] = set()
        for path, app in tree.roots():
            for shadowed, route in _shadowed(tree.flatten(path, app)):
                key = (shadowed.file, shadowed.route.span.line, shadowed.route.span.col)
                if key in reported:
                    continue
                reported.add(key)
                where = "registered before it in this module" if route.file == shadowed.file else f"in `{route.file}`, registered before it"
                handler = f" (`{route.route.handler}`)" if route.route.handler else ""
                self.report_file(
                    shadowed.file,
                    shadowed.route.span,
                    _never_reached(shadowed, route, shadowed.describe(), route.describe(), where),
                    related=(RelatedPlace(route.file, route.route.span, f"registered first here, as {route.describe()}{handler}"),),
                )



def _bucket(route: FullRoute) -> tuple[int, str | None] | None:
    """Where a parameterised route can match: (number of slashes, its first segment when literal);
    None when a `path` converter or a regex lets it match any number of segments."""
    if route.route.regex_path or ".*" in route.regex or ".+" in route.regex:
        return None
    first = route.full_path.lstrip("/").split("/", 1)[0]
    return route.full_path.count("/"), None if ("{" in first or "<" in first) else first


def _shadowed(routes: Sequence[FullRoute]) -> list[tuple[FullRoute, FullRoute]]:
    """(shadowed route, the first route registered before it that swallows it), for pairs the edit
    rule does not order; near linear: a route is compared with the parameterised routes before it
    that can match as many segments, starting the same way."""
    buckets: dict[tuple[int, str | None], list[int]] = {}
    anywhere: list[int] = []
    out: list[tuple[FullRoute, FullRoute]] = []
    for index, later in enumerate(routes):
        if later.sample is not None:
            slashes = later.sample.count("/")
            first = later.sample.lstrip("/").split("/", 1)[0]
            candidates = [*buckets.get((slashes, first), ()), *buckets.get((slashes, None), ()), *anywhere]
            found = [routes[i] for i in sorted(candidates) if routes[i].unknown == later.unknown and swallows(routes[i], later)]
            # the edit rule orders one router (one route list) of one module: its finding, not ours
            if found and not any(_same_group(route, later) for route in found):
                out.append((later, found[0]))
        if later.has_params:
            key = _bucket(later)
            (anywhere if key is None else buckets.setdefault(key, [])).append(index)
    return out


def _same_group(a: FullRoute, b: FullRoute) -> bool:
    return a.file == b.file and a.route.group is not None and a.route.group == b.route.group
