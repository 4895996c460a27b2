"""RV503 unbounded-query-param."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import (
    FixBuilder,
    Invalid,
    LazyFix,
    Located,
    ModuleContext,
    ModuleRule,
    Role,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    append_arg,
    dotted_name,
    find_all,
    get_kwarg,
    kwarg,
)
from rules.api.helpers import string_value
from rules.api.project import ROUTES, SYMBOLS, ProjectView
from rules.api.routes import (
    PATH_PARAM_PREFIX,
    Framework,
    decorator_route,
    param_names,
    path_param_entries,
    router_framework,
)

# names of page-size parameters: a client choosing limit=10**9 dumps the table
_SIZE_NAMES = re.compile(r"^(limit|page_size|per_page|size|count|max_results|top|take|batch_size)$")
# str parameters that name a choice or an identifier, not free text: they are compared with
# constants or looked up exactly (the fix there is a `Literal`/enum, not `max_length`)
_CHOICE_NAMES = re.compile(r"^(id|.*_id|.*_ids|direction|.*_dir|order|order_by|sort|sort_by|.*_option|view|mode|type|kind|status|format|lang|locale)$")
# search text: what the client types goes into a `LIKE`, a full-text query or a filter grammar.
# Other `str` parameters (`tag`, `filename`, `page_token`, `before`) are looked up or compared
# exactly: a long one matches nothing, so a length cap adds nothing there
_SEARCH_NAMES = re.compile(r"^(q|query|.*_query|search|.*_search|search_.*|term|.*_term|keywords?|text|filter|.*_filter|filter_.*|pattern)$")
_NOT_QUERY = frozenset(("Path", "Body", "Header", "Cookie", "Depends", "Security", "File", "Form"))
_STR_TYPES = frozenset(("str", "Optional[str]", "str | None", "None | str", "Union[str, None]"))
_INT_TYPES = frozenset(("int", "Optional[int]", "int | None", "None | int", "Union[int, None]"))


class _Uses:
    """How an endpoint's body uses its parameters: clamped (`min(100, limit)` caps, `max(1, page)`
    raises), or only inspected (`"eq" in filter`, `filter.split('"')`), never passed on as a value
    (an argument, a stored value)."""

    def __init__(self, body: cst.CSTNode) -> None:
        self.capped: set[str] = set()
        self.raised: set[str] = set()
        inspected: set[int] = set()
        names: list[cst.Name] = []
        for node in find_all(body, (cst.Call, cst.Comparison, cst.Attribute, cst.Name, cst.BooleanOperation, cst.UnaryOperation, cst.If)):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("min", "max"):
                clamped = self.capped if node.func.value == "min" else self.raised
                clamped.update(n.value for a in node.args for n in find_all(a.value, cst.Name) if isinstance(n, cst.Name))
            elif isinstance(node, cst.Comparison):
                inspected.update(id(e) for e in (node.left, *(c.comparator for c in node.comparisons)) if isinstance(e, cst.Name))
            elif isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
                inspected.add(id(node.value))
            elif isinstance(node, cst.BooleanOperation):  # `if filter and ...`: a truth test
                inspected.update(id(e) for e in (node.left, node.right) if isinstance(e, cst.Name))
            elif isinstance(node, (cst.UnaryOperation, cst.If)):
                operand = node.expression if isinstance(node, cst.UnaryOperation) else node.test
                if isinstance(operand, cst.Name):
                    inspected.add(id(operand))
            elif isinstance(node, cst.Name):
                names.append(node)
        passed_on = {n.value for n in names if id(n) not in inspected}
        self.only_inspected = {n.value for n in names} - passed_on


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A finding, unless a prefix of the endpoint's router names the parameter."""

    param: cst.Param
    router: str
    query: cst.Call | None
    key: str
    value: str
    message: str
    severity: Severity | None


@dataclass(frozen=True, slots=True)
class _Prefix:
    """Path parameters a prefix written in this module gives a router's routes: its own
    (`APIRouter(prefix="/orgs/{org_id}")`, `parent` None) or the one it is included with
    (`app.include_router(router, prefix="/orgs/{org_id}")`: `parent` is `app`)."""

    router: str
    names: frozenset[str]
    parent: str | None
    node: cst.CSTNode


class UnboundedQueryParam(ModuleRule):
    """
    ## What it does
    Finds query parameters of FastAPI and Django Ninja endpoints that the client can make
    as large as it likes: a `Query(le=N)` without a lower bound, a page-size parameter
    (`limit`, `page_size`, `per_page`...) typed `int` with no bounds, and search-text `str`
    query parameters (`q`, `query`, `search`, `filter`...) without `max_length`. The last is
    reported as information: the server already bounds the request line, so the cap is
    hardening of the query it feeds, not a hole.

    ## Why is this bad?
    `?limit=1000000` loads a million rows into memory; `?limit=-1` slips through `le=100`
    and, with slicing or SQL `LIMIT -1`, returns everything. A 10 MB search string goes
    straight into a `LIKE` query. Validation is declared in one keyword, so it is cheap to
    add and easy to forget.

    ## Example
    ```python
    @router.get("/orders")
    def list_orders(limit: int = 50, q: str = ""): ...
    ```
    Use instead:
    ```python
    def list_orders(limit: int = Query(50, ge=1, le=100), q: str = Query("", max_length=100)): ...
    ```

    ## Fix
    When the parameter already uses `Query(...)`, adds the missing `ge=1` (page sizes) or
    `ge=0`, `le=100`, or `max_length=100` (unsafe: the bound is a product decision).

    Quiet on bounded parameters (`ge`/`gt` and `le`/`lt`, `max_length`, a `pattern`/`regex`),
    path parameters, bodies, dependencies, `Literal`/enum types and non-endpoint functions. A
    `str` parameter that names a choice or an identifier (`direction`, `sort_by`, `user_id`)
    is compared with constants or looked up exactly: its fix is a `Literal`, not a length; so
    are the other non-search `str` values (`tag`, `page_token`, `before`, `filename`): a long
    one matches nothing. Quiet too when the body clamps the parameter (`count = max(0, min(100,
    count))`) or only inspects the text (`"eq" in filter`, `filter.split()`) without passing it
    on to a query. A
    required `str` parameter with neither a default nor `Query(...)` is left alone: it may be a
    path parameter named by a router prefix (`APIRouter(prefix="/{org}")`,
    `include_router(router, prefix="/{org}/events")`, possibly in another module). A
    parameter named like a path parameter of a prefix of the endpoint's router is a path
    parameter: `APIRouter(prefix="/orgs/{org_id}")` or an include with such a prefix in the
    module, and, once the project is indexed, the prefixes other modules include the router
    with.
    """

    meta = RuleMeta(
        code="RV503", name="unbounded-query-param", family="routes", severity=Severity.WARNING, fix=Safety.UNSAFE
    )
    # the path parameters a router gets from a prefix written in another module (`include_router(
    # router, prefix="/orgs/{org_id}")`): computed by the project tier, read from `project_settings`
    project_needs = frozenset({SYMBOLS, ROUTES})

    @classmethod
    def project_settings(cls, project: ProjectView) -> tuple[str, ...]:
        return path_param_entries(project)

    VALID = [
        Valid(
            "from fastapi import APIRouter, Query\n\nrouter = APIRouter()\n\n\n@router.get('/orders/{order_id}')\n"
            "def orders(order_id: str, limit: int = Query(20, ge=1, le=100), q: str = Query('', max_length=50), status: Status = Status.OPEN):\n"
            "    return []\n"
        ),
        Valid("def helper(limit: int = 10, q: str = ''):\n    return []\n"),
        Valid(
            "from typing import Annotated\n\nfrom fastapi import FastAPI, Path, Query\n\napp = FastAPI()\n\n\n@app.get('/items/{item_id}')\n"
            "def items(item_id: Annotated[int, Path()], q: Annotated[str | None, Query(max_length=50)] = None, "
            "limit: Annotated[int, Query(ge=1, le=100)] = 10, name: Annotated[str, Body()] = ''):\n    return []\n"
        ),
        Valid(
            "from ninja import Router, Query\n\nrouter = Router()\n\n\n@router.get('/search')\n"
            "def search(request, q: str = Query(..., pattern='^[a-z]+$'), page: int = 1):\n    return []\n"
        ),
        # `organization` comes from the router's prefix (`include_router(router, prefix="/{organization}/events")`)
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.post('/slack/event')\n"
            "async def slack_events(organization: str):\n    return {'org': organization}\n"
        ),
        Valid(
            "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/{tenant}/reports')\n\n\n@router.get('/')\n"
            "def reports(tenant: str, kind: Literal['daily', 'weekly'] = 'daily'):\n    return []\n"
        ),
        Valid(
            "from fastapi import APIRouter, Query\n\nrouter = APIRouter()\n\n\n@router.get('/models')\n"
            "def models(direction: str | None = None, user_id: str | None = Query(None), sort_by: str = 'name'):\n    return []\n"
        ),
        # values looked up or compared exactly (a tag, an opaque page token, a message id): a long one matches nothing
        Valid(
            "from fastapi import APIRouter, Query\n\nrouter = APIRouter()\n\n\n@router.get('/models')\n"
            "def models(tag: str | None = None, page_token: str | None = Query(None), before: str | None = None, limit: int = Query(50, ge=1, le=100)):\n"
            "    return []\n"
        ),
        # clamped in the body (SCIM: "count < 0 SHALL be treated as 0"); a filter only inspected, never queried with
        Valid(
            "from fastapi import APIRouter, Query\n\nrouter = APIRouter()\n\n\n@router.get('/Groups')\n"
            "def groups(count: int = Query(20), filter: str | None = None):\n    count = max(0, min(100, count))\n"
            "    if filter and 'displayName eq' in filter:\n        return [find_group(filter.split('\"')[1])]\n    return all_groups()[:count]\n"
        ),
        # path parameters of the router's prefix, written in this module: not the query string's
        Valid(
            "from fastapi import APIRouter, FastAPI\n\napp = FastAPI()\nrouter = APIRouter(prefix='/thumbnails/{size}')\n"
            "crops = APIRouter()\n\n\n@router.get('/{image_id}')\ndef thumbnail(image_id: str, size: int):\n    return {}\n\n\n"
            "@crops.get('/')\ndef crop(top: int, count: int):\n    return {}\n\n\n"
            "api = APIRouter()\napi.include_router(crops, prefix='/crops/{top}')\napp.include_router(api, prefix='/{count}')\n"
        ),
        Valid(
            "from ninja import NinjaAPI, Router\n\napi = NinjaAPI()\nrouter = Router()\n\n\n@router.get('/')\n"
            "def thumbnail(request, size: int):\n    return {}\n\n\napi.add_router('/thumbnails/{int:size}/', router)\n"
        ),
    ]
    INVALID = [
        Invalid(
            """
            from fastapi import APIRouter, Query

            router = APIRouter()


            @router.get("/orders")
            def list_orders(
                limit: int = Query(50, le=100),  # <- RV503
                q: str = Query(""),  # <- RV503
                per_page: int = 20,  # <- RV503
            ):
                return []
            """,
            fixed="""
            from fastapi import APIRouter, Query

            router = APIRouter()


            @router.get("/orders")
            def list_orders(
                limit: int = Query(50, le=100, ge=1),
                q: str = Query("", max_length=100),
                per_page: int = 20,
            ):
                return []
            """,
        ),
        Invalid(
            """
            from typing import Annotated

            from ninja import Query, Router

            router = Router()


            @router.get("/customers")
            def customers(request, search: str | None = None, page_size: int = 50):  # <- RV503
                return []


            @router.get("/invoices")
            def invoices(
                request,
                q: Annotated[str, Query()] = "",  # <- RV503
            ):
                return []
            """
        ),
        # an explicit `Query()` is a query parameter, default or not
        Invalid(
            """
            from fastapi import FastAPI, Query

            app = FastAPI()


            @app.get("/search")
            def search(term: str = Query()):  # <- RV503
                return []
            """
        ),
    ]

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return not ctx.has_role(Role.TEST) and bool(ctx.frameworks & {"fastapi", "ninja"})

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = next((r for d in node.decorators if (r := decorator_route(self.ctx, d, node)) is not None), None)
        if route is None or route.framework not in (Framework.STARLETTE, Framework.NINJA):
            return
        path_params = param_names(route.path)
        use = _Uses(node.body)
        for param in node.params.params:
            name = param.name.value
            if name in path_params or name in ("request", "self", "response") or param.annotation is None:
                continue
            annotation_node = param.annotation.annotation
            not_query, query = self._query_call(param.default)
            if isinstance(annotation_node, cst.Subscript) and (dotted_name(annotation_node.value) or "").endswith("Annotated"):
                # `q: Annotated[str | None, Query(max_length=50)] = None`
                items = [e.slice.value for e in annotation_node.slice if isinstance(e.slice, cst.Index)]
                if not items:
                    continue
                annotation_node = items[0]
                marks = [self._query_call(item) for item in items[1:] if isinstance(item, cst.Call)]
                not_query = not_query or any(other for other, _ in marks)
                query = next((call for _, call in marks if call is not None), query)
            if not_query:
                continue
            annotation = cst.Module([]).code_for_node(annotation_node)
            if annotation in _STR_TYPES:
                # a required bare `str` may be a path parameter: the path this function sees is only
                # the end of it, the router's prefix (`include_router(r, prefix="/{org}")`, in any
                # module) may name it. A default or an explicit `Query(...)` makes it a query parameter.
                if (query is None and param.default is None) or _CHOICE_NAMES.match(name) or not _SEARCH_NAMES.match(name):
                    continue
                if name in use.only_inspected:
                    continue  # only inspected (`"eq" in filter`, `filter.split()`): its length reaches no query
                if query is None or not any(get_kwarg(query, k) for k in ("max_length", "pattern", "regex")):
                    # the server already bounds the request line (uvicorn/h11, nginx): an unbounded
                    # search string is costly hardening to miss, not a hole: information
                    self._flag(
                        route.router, param, query, "max_length", "100", f"`{name}` is search text with no `max_length`: its length reaches the query unchecked",
                        severity=Severity.INFORMATION,
                    )
            elif annotation in _INT_TYPES:
                # `count = max(0, min(100, count))` in the body bounds it as well as `Query(ge=0, le=100)`
                lower = query is not None and any(get_kwarg(query, k) for k in ("ge", "gt"))
                upper = query is not None and any(get_kwarg(query, k) for k in ("le", "lt"))
                if name in use.raised:
                    lower = True
                if name in use.capped and not upper:
                    upper = lower = True  # clamped into a range in the body: `min(max(limit, 1), 100)`
                if upper and not lower:
                    bound = "1" if _SIZE_NAMES.match(name) else "0"
                    self._flag(route.router, param, query, "ge", bound, f"`{name}` has an upper bound but no lower one: negative values pass")
                elif _SIZE_NAMES.match(name) and not upper:
                    self._flag(route.router, param, query, "le", "100", f"`{name}` sets a page size with no upper bound")

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        """`router = APIRouter(prefix="/orgs/{org_id}")`, `app.include_router(router, prefix="/{org_id}")`,
        Ninja `api.add_router("/orgs/{org_id}/", router)`."""
        if len(node.body) != 1:
            return
        statement = node.body[0]
        if isinstance(statement, cst.Assign) and len(statement.targets) == 1 and isinstance(statement.value, cst.Call):
            target = statement.targets[0].target
            prefix = get_kwarg(statement.value, "prefix")
            written = string_value(prefix.value) if prefix is not None else None
            if isinstance(target, cst.Name) and written and router_framework(self.ctx, target.value) is Framework.STARLETTE:
                self.fact(_Prefix(target.value, frozenset(param_names(written, Framework.STARLETTE)), None, statement.value))
        elif isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call):
            call = statement.value
            if not isinstance(call.func, cst.Attribute):
                return
            parent = dotted_name(call.func.value)
            method = call.func.attr.value
            positional = [a for a in call.args if a.keyword is None]
            framework = Framework.STARLETTE if method == "include_router" else Framework.NINJA
            if method == "include_router":
                chosen = positional[0] if positional else get_kwarg(call, "router")
                prefix_arg = get_kwarg(call, "prefix")
            elif method == "add_router":
                prefix_arg = positional[0] if positional else get_kwarg(call, "prefix")
                chosen = positional[1] if len(positional) > 1 else get_kwarg(call, "router")
            else:
                return
            router = chosen.value if chosen is not None else None
            written = string_value(prefix_arg.value) if prefix_arg is not None else None
            if isinstance(router, cst.Name) and parent and written:
                self.fact(_Prefix(router.value, frozenset(param_names(written, framework)), parent, call))

    def check(self, facts: Sequence[Located[object]]) -> None:
        own: dict[str, set[str]] = {}
        edges: list[_Prefix] = []
        for located in facts:
            value = located.value
            if isinstance(value, _Prefix):
                if value.parent is None:
                    own.setdefault(value.router, set()).update(value.names)
                else:
                    edges.append(value)
        names = {router: set(found) for router, found in own.items()}
        changed = True
        while changed:  # a router gets what its includers get: `api` included with `/{tenant}` into `app`
            changed = False
            for edge in edges:
                inherited = edge.names | names.get(edge.parent or "", set())
                if not inherited <= names.setdefault(edge.router, set()):
                    names[edge.router] |= inherited
                    changed = True
        for located in facts:
            value = located.value
            if isinstance(value, _Candidate) and not self._from_prefix(value, names.get(value.router, set())):
                self._report(value, located)

    def _from_prefix(self, candidate: _Candidate, names: set[str]) -> bool:
        """The parameter is a path parameter of a prefix: one of this module, or one that another
        module includes the router with (`path-param:` entries of the project's settings)."""
        name = candidate.param.name.value
        if name in names:
            return True
        settings = self.ctx.project_settings
        if not settings:
            return False
        parts = self.ctx.path.replace("\\", "/").split("/")
        # the entries name the module by its path in the project; the context's may be absolute
        return any(f"{PATH_PARAM_PREFIX}{'/'.join(parts[i:])}:{candidate.router}:{name}" in settings for i in range(len(parts)))

    def _query_call(self, default: cst.BaseExpression | None) -> tuple[bool, cst.Call | None]:
        """(not a query parameter: Path/Body/Depends..., the `Query(...)` call if any)."""
        if not isinstance(default, cst.Call):
            return False, None
        qualified = self.ctx.qualified_name(default.func) or ""
        last = qualified.rsplit(".", 1)[-1]
        if last == "Query":
            return False, default
        return last in _NOT_QUERY, None

    def _flag(self, router: str, param: cst.Param, query: cst.Call | None, key: str, value: str, message: str, *, severity: Severity | None = None) -> None:
        self.fact(_Candidate(param, router, query, key, value, message, severity))

    def _report(self, candidate: _Candidate, located: Located[object]) -> None:
        fix: LazyFix | None = None
        if isinstance(candidate.query, cst.Call):
            call: cst.Call = candidate.query
            key, value = candidate.key, candidate.value

            def build(builder: FixBuilder) -> None:
                builder.replace(call, append_arg(call, kwarg(key, value)))

            fix = self.fix(f"Add `{key}={value}`", build)
        self.report(candidate.param, candidate.message, fix=fix, severity=candidate.severity, at=located.block)
