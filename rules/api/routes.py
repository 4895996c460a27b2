"""The routing model: route registrations of FastAPI/Starlette, Django Ninja, Django, DRF and Flask.

Rules ask two things of a route: what URLs its path template matches (each framework's
converters), and how a registration order resolves (Starlette skips a route whose method does
not match and keeps looking; Django and Ninja resolve the URL first and answer 405 after;
Werkzeug sorts rules by specificity, so Flask registration order never matters). The
behaviour each of these encodes is checked against the installed frameworks in
tests/rules/test_routing_frameworks.py.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import libcst as cst

from rules.api.astnames import ast_dotted as _ast_dotted
from rules.api.context import ModuleContext, Role, dotted_name, roles_for_path
from rules.api.helpers import get_kwarg, string_value
from rules.api.project import ROUTES, ProjectView, SourceFile
from rules.api.symbols import Symbols, import_table
from rules.api.types import Span


class Framework(StrEnum):
    STARLETTE = "starlette"  # FastAPI and Starlette
    NINJA = "ninja"
    DJANGO = "django"
    DRF = "drf"
    FLASK = "flask"

    @property
    def method_first(self) -> bool:
        """True when a method mismatch lets resolution go on to later routes."""
        return self is Framework.STARLETTE

    @property
    def ordered(self) -> bool:
        """True when the first matching route in registration order wins."""
        return self is not Framework.FLASK


_ROUTER_CLASSES = {
    "fastapi.FastAPI": Framework.STARLETTE,
    "fastapi.APIRouter": Framework.STARLETTE,
    "fastapi.routing.APIRouter": Framework.STARLETTE,
    "fastapi.applications.FastAPI": Framework.STARLETTE,
    "starlette.applications.Starlette": Framework.STARLETTE,
    "ninja.NinjaAPI": Framework.NINJA,
    "ninja.Router": Framework.NINJA,
    "ninja.router.Router": Framework.NINJA,
    "ninja_extra.Router": Framework.NINJA,
    "ninja_extra.router.Router": Framework.NINJA,
    "ninja_extra.NinjaExtraAPI": Framework.NINJA,
    "flask.Flask": Framework.FLASK,
    "flask.Blueprint": Framework.FLASK,
    "rest_framework.routers.DefaultRouter": Framework.DRF,
    "rest_framework.routers.SimpleRouter": Framework.DRF,
}
VERBS = frozenset(("get", "post", "put", "patch", "delete", "head", "options", "trace"))
_ANY_METHOD: frozenset[str] = frozenset()

# converter -> (regex of one value, a sample value that only the broadest converter accepts)
_DJANGO_CONVERTERS = {
    "str": r"[^/]+",
    "int": r"[0-9]+",
    "slug": r"[-a-zA-Z0-9_]+",
    "uuid": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "path": r".+",
}
_STARLETTE_CONVERTERS = {
    "str": r"[^/]+",
    "int": r"[0-9]+",
    "float": r"[0-9]+(?:\.[0-9]+)?",
    "uuid": r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    "path": r".*",
}
_SAMPLES = {
    "str": "x.y~z",
    "int": "7",
    "float": "7.5",
    "slug": "s-l_ug",
    "uuid": "12345678-1234-5678-1234-567812345678",
    "path": "p/q.r~",
}
_BRACE = re.compile(r"\{([^{}]*)\}")
_ANGLE = re.compile(r"<([^<>]*)>")


@dataclass(frozen=True, slots=True)
class Route:
    """One registration, in the order the framework sees it.

    `node` is what a finding sits on (the route decorator, the `path()` call, the `register`
    call); `definition` is the whole statement or list entry a reorder moves.
    """

    framework: Framework
    router: str
    methods: frozenset[str]  # upper case; empty = every method
    path: str  # as written
    regex: str  # what request paths it matches (full match)
    sample: str | None  # a request path only this route's template is sure to match; None for regexes
    has_params: bool
    node: cst.CSTNode
    definition: cst.CSTNode
    is_list_entry: bool = False

    def swallows(self, later: Route) -> bool:
        """True when every request meant for `later` is answered by this earlier route."""
        return swallows(self, later)


def router_framework(ctx: ModuleContext, name: str) -> Framework | None:
    """The framework of a module-level router/app variable, from the call that made it."""
    callee = ctx.module_calls.get(name)
    return _ROUTER_CLASSES.get(callee) if callee else None


def _converter(spec: str, framework: Framework) -> str:
    """The converter name of a `{...}` or `<...>` parameter spec."""
    if framework in (Framework.DJANGO, Framework.DRF, Framework.FLASK):
        return spec.split(":", 1)[0] if ":" in spec else "str"
    if framework is Framework.NINJA:  # Ninja: `{int:id}` (Django order)
        return spec.split(":", 1)[0] if ":" in spec else "str"
    return spec.split(":", 1)[1] if ":" in spec else "str"  # Starlette: `{id:int}`


def compile_template(path: str, framework: Framework) -> tuple[str, str, bool]:
    """(regex, sample request path, has parameters) of a path template."""
    converters = _STARLETTE_CONVERTERS if framework is Framework.STARLETTE else _DJANGO_CONVERTERS
    pattern = _ANGLE if framework in (Framework.DJANGO, Framework.FLASK) else _BRACE
    regex: list[str] = []
    sample: list[str] = []
    position = 0
    params = False
    for match in pattern.finditer(path):
        literal = path[position : match.start()]
        regex.append(re.escape(literal))
        sample.append(literal)
        name = _converter(match.group(1), framework)
        regex.append(f"(?:{converters.get(name, converters['str'])})")
        sample.append(_SAMPLES.get(name, _SAMPLES["str"]))
        params = True
        position = match.end()
    regex.append(re.escape(path[position:]))
    sample.append(path[position:])
    return "".join(regex), "".join(sample), params


_REGEX_SPECIAL = re.compile(r"[\\.^$*+?{}\[\]|()]")


def compile_regex(pattern: str) -> tuple[str, str | None, bool]:
    """A `re_path` pattern: (regex, the literal path when it has no regex syntax, has parameters)."""
    body = pattern[1:] if pattern.startswith("^") else ".*" + pattern
    body = body[:-1] if body.endswith("$") else body + ".*"
    literal = pattern.strip("^$")
    if _REGEX_SPECIAL.search(literal):
        return body, None, True
    return body, literal, False


def _path_arg(call: cst.Call) -> str | None:
    if call.args and call.args[0].keyword is None:
        return string_value(call.args[0].value)
    arg = get_kwarg(call, "path")
    return string_value(arg.value) if arg is not None else None


def _methods_arg(call: cst.Call) -> frozenset[str] | None:
    arg = get_kwarg(call, "methods")
    if arg is None:
        return None
    value = arg.value
    if not isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        return _ANY_METHOD
    methods = {string_value(e.value) for e in value.elements}
    if None in methods:
        return _ANY_METHOD
    return frozenset(m.upper() for m in methods if m)


def decorator_route(ctx: ModuleContext, decorator: cst.Decorator, function: cst.FunctionDef) -> Route | None:
    """`@router.get("/x")`, `@app.api_route("/x", methods=[...])`, `@bp.route("/x")`."""
    call = decorator.decorator
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return None
    router = dotted_name(call.func.value)
    if router is None or "." in router:
        return None
    framework = router_framework(ctx, router)
    verb = call.func.attr.value
    if framework is None or not (verb in VERBS or verb in ("api_route", "route", "api_operation")):
        return None
    path = _path_arg(call)
    if path is None:
        return None
    if verb in VERBS:
        methods = frozenset((verb.upper(),))
    else:
        explicit = _methods_arg(call)
        # FastAPI's `api_route` and Flask's `route` answer GET alone unless told otherwise
        methods = explicit if explicit is not None else frozenset(("GET",)) if framework is Framework.FLASK or verb == "api_route" else _ANY_METHOD
    regex, sample, params = compile_template(path, framework)
    return Route(framework, router, methods, path, regex, sample, params, call, function)


def added_route(ctx: ModuleContext, statement: cst.SimpleStatementLine) -> Route | None:
    """`router.add_api_route("/x", endpoint, methods=[...])` / Flask `add_url_rule`."""
    if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
        return None
    call = statement.body[0].value
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return None
    router = dotted_name(call.func.value)
    if router is None or call.func.attr.value not in ("add_api_route", "add_route", "add_url_rule"):
        return None
    framework = router_framework(ctx, router)
    path = _path_arg(call)
    if framework is None or path is None:
        return None
    methods = _methods_arg(call) or frozenset(("GET",))
    regex, sample, params = compile_template(path, framework)
    return Route(framework, router, methods, path, regex, sample, params, call, statement)


@dataclass(frozen=True, slots=True)
class Registration:
    """DRF `router.register(prefix, ViewSet)`."""

    router: str
    prefix: str
    node: cst.Call
    statement: cst.SimpleStatementLine


def registration(ctx: ModuleContext, statement: cst.SimpleStatementLine) -> Registration | None:
    if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr):
        return None
    call = statement.body[0].value
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute) or call.func.attr.value != "register":
        return None
    router = dotted_name(call.func.value)
    if router is None or router_framework(ctx, router) is not Framework.DRF or not call.args:
        return None
    prefix = string_value(call.args[0].value)
    return Registration(router, prefix, call, statement) if prefix is not None else None


def registration_routes(reg: Registration, include_prefix: str = "") -> list[Route]:
    """The list and detail routes a DRF router generates for one registration, in order."""
    prefix = include_prefix + reg.prefix.strip("^$").strip("/")
    list_path = f"{prefix}/"
    detail = f"{prefix}/(?P<pk>[^/.]+)/"
    literal = not _REGEX_SPECIAL.search(prefix)
    return [
        Route(Framework.DJANGO, reg.router, _ANY_METHOD, list_path, re.escape(list_path) if literal else list_path, list_path if literal else None, not literal, reg.node, reg.statement),
        Route(Framework.DJANGO, reg.router, _ANY_METHOD, detail, (re.escape(prefix) if literal else prefix) + r"/[^/.]+/", None, True, reg.node, reg.statement),
    ]


def urlpattern_route(ctx: ModuleContext, element: cst.BaseElement) -> Route | None:
    """One `path()`/`re_path()` entry of a `urlpatterns` list (includes are not routes)."""
    call = element.value
    if not isinstance(call, cst.Call) or len(call.args) < 2:
        return None
    callee = ctx.qualified_name(call.func) or ""
    if callee.rsplit(".", 1)[-1] not in ("path", "re_path", "url") or not callee.startswith("django."):
        return None
    route = string_value(call.args[0].value)
    if route is None or include_target(call) is not None:
        return None
    if callee.endswith(".path"):
        regex, sample, params = compile_template(route, Framework.DJANGO)
        return Route(Framework.DJANGO, "urlpatterns", _ANY_METHOD, route, regex, sample, params, call, call, True)
    regex, literal, params = compile_regex(route)
    return Route(Framework.DJANGO, "urlpatterns", _ANY_METHOD, route, regex, literal, params, call, call, True)


def include_target(call: cst.Call) -> cst.BaseExpression | None:
    """The argument of `include(...)` when this `path()` entry includes other patterns."""
    view = call.args[1].value if len(call.args) > 1 else None
    if isinstance(view, cst.Call) and dotted_name(view.func) in ("include", "django.urls.include", "urls.include"):
        return view.args[0].value if view.args else None
    return None


# the names a module that registers routes must mention: a router class it calls, or Django's
# `urls` module its path()/re_path()/url() come from (triggers: `import fastapi as f` still names it)
ROUTE_MODULE_WORDS = frozenset(
    (*(callee.rsplit(".", 1)[-1] for callee in _ROUTER_CLASSES), "urls")
)
# packages a module imports when it registers routes or endpoints the routing model knows (triggers)
WEB_FRAMEWORKS = frozenset(("fastapi", "starlette", "ninja", "ninja_extra", "flask", "rest_framework", "django"))
# the names a route registration in a block must mention: a decorator's verb, an add/register
# method, a Django route list or its entries
ROUTE_WORDS = frozenset(
    (*VERBS, "route", "api_route", "api_operation", "add_api_route", "add_route", "add_url_rule", "register", "urlpatterns", "path", "re_path", "url")
)


# ---------------------------------------------------------------------------------------------
# The project's route tree: which routers each app includes, with which prefixes, in which
# order (RV501 across files, RV503's path parameters from router prefixes). Collected per file
# with `ast` (no libcst nodes: the index caches it, pickled), resolved over the project with
# `Symbols` (names through imports and re-exports).



class Matchable(Protocol):
    """What the matching needs of a route: a `Route` of one module, or a `FullRoute` of an app."""

    @property
    def framework(self) -> Framework: ...
    @property
    def methods(self) -> frozenset[str]: ...
    @property
    def regex(self) -> str: ...
    @property
    def sample(self) -> str | None: ...
    @property
    def has_params(self) -> bool: ...


def swallows(earlier: Matchable, later: Matchable) -> bool:
    """True when every request meant for `later` is answered by `earlier`, registered before it."""
    if not earlier.framework.ordered or earlier.framework is not later.framework or not earlier.has_params:
        return False
    if earlier.regex == later.regex or later.sample is None:  # same template: a different method, or a duplicate
        return False
    if earlier.framework.method_first and earlier.methods and later.methods and not (earlier.methods & later.methods):
        return False
    return re.fullmatch(earlier.regex, later.sample) is not None


def param_names(path: str, framework: Framework | None = None) -> set[str]:
    """Names of the `{...}` parameters of a FastAPI (`{id:int}`) or Ninja (`{int:id}`) template;
    without the framework, both readings."""
    starlette = set(re.findall(r"\{([^{}:]+)(?::[^{}]*)?\}", path))
    ninja = set(re.findall(r"\{(?:[^{}:]*:)?([^{}:]+)\}", path))
    if framework is Framework.STARLETTE:
        return starlette
    if framework is Framework.NINJA:
        return ninja
    return starlette | ninja


@dataclass(frozen=True, slots=True)
class RouteDecl:
    """One route a module registers on a router, app or Django route list."""

    methods: frozenset[str]  # upper case; empty = every method
    path: str  # as written
    regex_path: bool  # a Django `re_path()`/`url()` pattern, not a template
    span: Span  # the decorator's call, the `path()` call, the `add_api_route` call
    handler: str  # the endpoint's name as written ("" when it is not a name)
    seq: int  # position of its statement in the module (FastAPI copies routes when included)
    # the routes the edit rule orders together (one router of the module, one `urlpatterns = [...]`
    # statement): a pair within one group is the edit rule's; None when the edit rule never sees it
    group: str | None


@dataclass(frozen=True, slots=True)
class IncludeDecl:
    """A router or route list included into another one, with a prefix."""

    target: str  # a name as written (`users.router`), an import string, or a list of this module
    how: str  # "name": as written in `scope`; "import": an absolute dotted path; "local": a container here
    prefix: str | None  # as written (templates; a `re_path` prefix without regex syntax); None: not a literal
    span: Span  # the include call
    seq: int
    scope: str  # the function it is in ("" at module level): its local routers come first


@dataclass(frozen=True, slots=True)
class Container:
    """An app, a router or a Django route list of one module, and what it registers in order."""

    name: str  # the variable (`router`; `create_app.app` inside a function; `urlpatterns@12:4` for an inline list)
    framework: Framework
    is_app: bool  # FastAPI(), Starlette(), NinjaAPI(): a root of resolution
    prefix: str | None  # its own prefix (`APIRouter(prefix="/users")`); None: not a literal
    entries: tuple[RouteDecl | IncludeDecl, ...]


@dataclass(frozen=True, slots=True)
class ModuleRoutes:
    """What `collect_routes` finds in one module."""

    containers: tuple[Container, ...]

    def get(self, name: str) -> Container | None:
        return next((c for c in self.containers if c.name == name), None)


# a cheap text test before the tree: a module that makes or fills no router names one of these
_ROUTING_TEXT = re.compile(r"APIRouter|FastAPI|Starlette|NinjaAPI|Router|urlpatterns|include|path\(")
_APPS = frozenset(("fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette", "ninja.NinjaAPI", "ninja_extra.NinjaExtraAPI"))
_TREE_FRAMEWORKS = frozenset((Framework.STARLETTE, Framework.NINJA))
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DJANGO_ROUTE = frozenset(("path", "re_path", "url"))


def _ast_string(expr: ast.expr | None) -> str | None:
    return expr.value if isinstance(expr, ast.Constant) and isinstance(expr.value, str) else None


def _ast_kwarg(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _ast_arg(call: ast.Call, index: int, name: str) -> ast.expr | None:
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    if len(positional) == len(call.args) and index < len(positional):
        return positional[index]
    return _ast_kwarg(call, name)


def _ast_methods(expr: ast.expr | None) -> frozenset[str] | None:
    """`methods=["GET", "POST"]`: the set; any other expression: every method; absent: None."""
    if expr is None:
        return None
    if not isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return _ANY_METHOD
    methods = [_ast_string(e) for e in expr.elts]
    if any(m is None for m in methods):
        return _ANY_METHOD
    return frozenset(m.upper() for m in methods if m)


class _RouteCollector:
    """One pass over a module's top-level statements (and those of its top-level functions:
    app factories), gathering its routers, their routes and includes in order."""

    def __init__(self, file: SourceFile, tree: ast.Module) -> None:
        self.file = file
        self.tree = tree
        # module-level imports (and those under `if`/`try`): what router classes and Django's helpers are called
        statements = [*tree.body, *(s for n in tree.body if isinstance(n, (ast.If, ast.Try)) for s in ast.iter_child_nodes(n) if isinstance(s, ast.stmt))]
        self.imports = import_table(statements, file.module, file.path.endswith("__init__.py"))
        self.containers: dict[str, tuple[Framework, bool, str | None]] = {}
        self.entries: dict[str, list[RouteDecl | IncludeDecl]] = {}
        self.seq = 0
        self._lines: list[str] | None = None

    def run(self) -> ModuleRoutes | None:
        self._scope("", self.tree.body)
        for statement in self.tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(statement)
        containers = tuple(
            Container(name, framework, is_app, prefix, tuple(self.entries.get(name, ())))
            for name, (framework, is_app, prefix) in self.containers.items()
        )
        return ModuleRoutes(containers) if any(c.entries for c in containers) else None

    # -- positions ---------------------------------------------------------------------------

    def span(self, node: ast.expr) -> Span:
        end_line = node.end_lineno or node.lineno
        return Span(node.lineno, self._column(node.lineno, node.col_offset), end_line, self._column(end_line, node.end_col_offset or 0))

    def _column(self, line: int, offset: int) -> int:
        """ast's UTF-8 byte offset as a code point column."""
        if self._lines is None:
            self._lines = _LINE_BREAK.split(self.file.text)
        text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        return offset if text.isascii() else len(text.encode("utf-8")[:offset].decode("utf-8", "replace"))

    # -- scopes ------------------------------------------------------------------------------

    def _qualified(self, expr: ast.expr) -> str:
        name = _ast_dotted(expr) or ""
        head, _, rest = name.partition(".")
        base = self.imports.get(head)
        return (f"{base}.{rest}" if rest else base) if base else name

    def _function(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """An app factory (`def create_app(): app = FastAPI(); app.include_router(...)`) or a function
        given the app (`def add_routers(app: FastAPI)`): its own routers, in its statement order."""
        scope = function.name
        for arg in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]:
            framework = _ROUTER_CLASSES.get(self._qualified(arg.annotation)) if arg.annotation is not None else None
            if framework in _TREE_FRAMEWORKS:
                assert framework is not None
                annotation = self._qualified(arg.annotation) if arg.annotation is not None else ""
                self.containers[f"{scope}.{arg.arg}"] = (framework, annotation in _APPS, "")
        self._scope(scope, function.body)

    def _scope(self, scope: str, body: list[ast.stmt]) -> None:
        for statement in body:
            self.seq += 1
            if isinstance(statement, (ast.If, ast.Try)):
                # `if settings.DEBUG: urlpatterns += [...]`; an `if` with an `else` registers one
                # of two things, never both: left out
                if not getattr(statement, "orelse", None) or isinstance(statement, ast.Try):
                    self._scope(scope, statement.body)
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # decorators apply bottom-up: the one nearest the `def` registers its route first
                for decorator in reversed(statement.decorator_list):
                    self._decorator(scope, decorator, statement.name)
            elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                self._assign(scope, statement.targets[0], statement.value, statement, augmented=False)
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                self._assign(scope, statement.target, statement.value, statement, augmented=False)
            elif isinstance(statement, ast.AugAssign) and isinstance(statement.op, ast.Add):
                self._assign(scope, statement.target, statement.value, statement, augmented=True)
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
                self._call(scope, statement.value)

    def _container(self, scope: str, expr: ast.expr) -> str | None:
        """The router/app a receiver names: a local one of the function first, then the module's
        (a module-level router filled inside a function is left out: when that runs is unknown)."""
        if not isinstance(expr, ast.Name):
            return None
        if scope:
            local = f"{scope}.{expr.id}"
            return local if local in self.containers else None
        return expr.id if expr.id in self.containers else None

    def _add(self, name: str, entry: RouteDecl | IncludeDecl) -> None:
        self.entries.setdefault(name, []).append(entry)

    def _assign(self, scope: str, target: ast.expr, value: ast.expr, statement: ast.stmt, *, augmented: bool) -> None:
        if not isinstance(target, ast.Name):
            return
        name = f"{scope}.{target.id}" if scope else target.id
        if isinstance(value, ast.Call) and not augmented:
            callee = self._qualified(value.func)
            framework = _ROUTER_CLASSES.get(callee)
            if framework in _TREE_FRAMEWORKS:
                assert framework is not None
                prefix_arg = _ast_kwarg(value, "prefix")
                prefix = "" if prefix_arg is None else _ast_string(prefix_arg)
                self.containers[name] = (framework, callee in _APPS, prefix)
                self.entries.pop(name, None)
                return
        # Django: a module-level list of path()/re_path() entries (`urlpatterns`, `api_patterns`)
        operands: list[ast.expr] = []
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                stack.extend((node.right, node.left))
            else:
                operands.append(node)
        spliced = [node for node in operands if isinstance(node, ast.Name) and node.id == target.id]
        augmented = augmented or bool(spliced)  # `urlpatterns = urlpatterns + [...]`
        if not any(self._django_operand(scope, node) for node in operands):
            return
        if not augmented or name not in self.containers:
            self.containers[name] = (Framework.DJANGO, False, "")
            if not augmented:
                self.entries.pop(name, None)
        if self.containers[name][0] is not Framework.DJANGO:
            return
        # the edit rule orders each `urlpatterns = [...]` statement's own list
        group = f"{name}@{statement.lineno}" if not scope and len(operands) == 1 else None
        for node in operands:
            if isinstance(node, (ast.List, ast.Tuple)):
                self._django_list(scope, name, node, group)
            elif node not in spliced and (written := _ast_dotted(node)) is not None:
                # `urlpatterns = base_patterns + shop.urlpatterns`: the other list's routes, in place
                self._add(name, IncludeDecl(written, "name", "", self.span(node), self.seq, scope))

    def _django_operand(self, scope: str, node: ast.expr) -> bool:
        """A list of Django routes, or the name of one (`base_patterns + control_patterns`)."""
        if isinstance(node, (ast.List, ast.Tuple)):
            return any(self._django_entry(e) is not None for e in node.elts)
        known = self._container(scope, node)
        if known is not None:
            return self.containers[known][0] is Framework.DJANGO
        return "patterns" in (_ast_dotted(node) or "")

    def _django_entry(self, element: ast.expr) -> tuple[str, ast.Call] | None:
        """("path" | "re_path", the call) for a Django route entry."""
        if not isinstance(element, ast.Call) or len(element.args) < 2:
            return None
        callee = self._qualified(element.func)
        last = callee.rsplit(".", 1)[-1]
        if last not in _DJANGO_ROUTE or not callee.startswith("django."):
            return None
        return ("path" if last == "path" else "re_path"), element

    def _include_arg(self, expr: ast.expr) -> ast.expr | None:
        """The argument of `include(...)` when `expr` is one."""
        if not isinstance(expr, ast.Call) or not expr.args:
            return None
        callee = self._qualified(expr.func)
        if callee == "include" or (callee.startswith("django.") and callee.endswith(".include")):
            return expr.args[0]
        return None

    def _django_list(self, scope: str, name: str, node: ast.List | ast.Tuple, group: str | None) -> None:
        for element in node.elts:
            found = self._django_entry(element)
            if found is None:
                continue
            kind, call = found
            written = _ast_string(call.args[0])
            included = self._include_arg(call.args[1])
            if included is None:
                if written is not None:
                    handler = _ast_dotted(call.args[1]) or ""
                    self._add(name, RouteDecl(_ANY_METHOD, written, kind == "re_path", self.span(call), handler, self.seq, group))
                continue
            prefix = written
            if prefix is not None and kind == "re_path":
                literal = prefix.removeprefix("^")
                prefix = None if _REGEX_SPECIAL.search(literal) else literal
            if isinstance(included, ast.Tuple) and included.elts:  # include(("shop.urls", "shop"))
                included = included.elts[0]
            if isinstance(included, (ast.List, ast.Tuple)):  # include([path(...), ...])
                inline = f"{name}@{included.lineno}:{included.col_offset}"
                self.containers[inline] = (Framework.DJANGO, False, "")
                self._django_list(scope, inline, included, None)
                self._add(name, IncludeDecl(inline, "local", prefix, self.span(call), self.seq, scope))
                continue
            module = _ast_string(included)
            target = module if module is not None else _ast_dotted(included)
            if target is not None:
                self._add(name, IncludeDecl(target, "import" if module is not None else "name", prefix, self.span(call), self.seq, scope))

    def _decorator(self, scope: str, decorator: ast.expr, handler: str) -> None:
        """`@router.get("/x")`, `@app.api_route("/x", methods=[...])`, `@api.api_operation(["GET"], "/x")`."""
        if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
            return
        name = self._container(scope, decorator.func.value)
        verb = decorator.func.attr
        if name is None:
            return
        if verb in VERBS:
            methods: frozenset[str] | None = frozenset((verb.upper(),))
            path = _ast_string(_ast_arg(decorator, 0, "path"))
        elif verb in ("api_route", "route"):
            explicit = _ast_methods(_ast_kwarg(decorator, "methods"))
            methods = explicit if explicit is not None else frozenset(("GET",)) if verb == "api_route" else _ANY_METHOD
            path = _ast_string(_ast_arg(decorator, 0, "path"))
        elif verb == "api_operation":
            methods = _ast_methods(_ast_arg(decorator, 0, "methods"))
            path = _ast_string(_ast_arg(decorator, 1, "path"))
        else:
            return
        if path is not None and methods is not None:
            self._add(name, RouteDecl(methods, path, False, self.span(decorator), handler, self.seq, None if scope else name))

    def _call(self, scope: str, call: ast.Call) -> None:
        """`app.include_router(users.router, prefix="/users")`, `api.add_router("/orders", router)`,
        `router.add_api_route("/x", endpoint, methods=[...])`."""
        if not isinstance(call.func, ast.Attribute):
            return
        name = self._container(scope, call.func.value)
        method = call.func.attr
        if name is None:
            return
        framework = self.containers[name][0]
        if method == "include_router" and framework is Framework.STARLETTE:
            target, prefix_arg = _ast_arg(call, 0, "router"), _ast_kwarg(call, "prefix")
        elif method == "add_router" and framework is Framework.NINJA:
            prefix_arg, target = _ast_arg(call, 0, "prefix"), _ast_arg(call, 1, "router")
        elif method in ("add_api_route", "add_route") and framework is Framework.STARLETTE:
            path = _ast_string(_ast_arg(call, 0, "path"))
            methods = _ast_methods(_ast_kwarg(call, "methods")) or frozenset(("GET",))
            if path is not None:
                handler = _ast_dotted(_ast_arg(call, 1, "endpoint")) or ""
                self._add(name, RouteDecl(methods, path, False, self.span(call), handler, self.seq, None if scope else name))
            return
        else:
            return
        if target is None:
            return
        prefix = "" if prefix_arg is None else _ast_string(prefix_arg)
        module = _ast_string(target)  # Ninja: api.add_router("/x", "app.api.router")
        written = module if module is not None else _ast_dotted(target)
        if written is not None:
            self._add(name, IncludeDecl(written, "import" if module is not None else "name", prefix, self.span(call), self.seq, scope))


def collect_routes(file: SourceFile) -> ModuleRoutes | None:
    """The routers, apps and Django route lists of one module, their routes and includes in order."""
    if not _ROUTING_TEXT.search(file.text):
        return None
    tree = file.tree()
    if tree is None:
        return None
    return _RouteCollector(file, tree).run()


@dataclass(frozen=True, slots=True)
class FullRoute:
    """A route as an app serves it: its full path with every prefix above it, in resolution order."""

    framework: Framework
    methods: frozenset[str]
    full_path: str  # for messages
    regex: str
    sample: str | None
    has_params: bool
    file: str  # the module that registers it
    route: RouteDecl
    unknown: tuple[object, ...]  # the includes whose prefix is not a literal: only equal ones compare

    def describe(self) -> str:
        methods = "/".join(sorted(self.methods)) if self.methods else ""
        return f"{methods} {self.full_path}".strip()


def _piece(text: str, regex_path: bool, framework: Framework) -> tuple[str, str | None, bool]:
    if regex_path:
        body, literal, params = compile_regex(text)
        return body, literal, params
    return compile_template(text, framework)


_MAX_ROUTES = 50_000  # per app: a guard against include graphs that multiply


class RouteTree:
    """The routes of every app of the project with their full paths, in the order the framework
    resolves them: the order of the includes in the including module, then the routes' order
    inside each router (Ninja: an app's or router's own operations before its routers')."""

    def __init__(self, project: ProjectView, routes: Mapping[str, ModuleRoutes] | None = None) -> None:
        self.project = project
        self.routes: Mapping[str, ModuleRoutes] = routes if routes is not None else project.facts(ROUTES)
        self.symbols = Symbols(project)
        self._resolved: dict[tuple[str, IncludeDecl], tuple[str, Container] | None] = {}

    def target(self, path: str, include: IncludeDecl) -> tuple[str, Container] | None:
        """The container an include names: a router, an app or a route list of a project module."""
        key = (path, include)
        if key not in self._resolved:
            self._resolved[key] = self._target(path, include)
        return self._resolved[key]

    def _target(self, path: str, include: IncludeDecl) -> tuple[str, Container] | None:
        here = self.routes.get(path)
        if include.how == "local" or (include.scope and here is not None and here.get(f"{include.scope}.{include.target}")):
            name = include.target if include.how == "local" else f"{include.scope}.{include.target}"
            found = here.get(name) if here is not None else None
            return (path, found) if found is not None else None
        located = self.symbols.locate_qualified(include.target) if include.how == "import" else self.symbols.locate(path, include.target)
        if located is None:
            return None
        module, name = located
        routes = self.routes.get(module)
        container = routes.get(name or "urlpatterns") if routes is not None else None
        return (module, container) if container is not None else None

    def roots(self) -> list[tuple[str, Container]]:
        """The apps (FastAPI, Starlette, NinjaAPI), and the Django route lists nothing includes
        (ROOT_URLCONF's `urlpatterns`), outside tests. A router nothing includes is no root: its
        prefix is unknown."""
        included: set[tuple[str, str]] = set()
        for path, module in self.routes.items():
            for container in module.containers:
                for entry in container.entries:
                    if isinstance(entry, IncludeDecl) and (found := self.target(path, entry)) is not None:
                        included.add((found[0], found[1].name))
        out: list[tuple[str, Container]] = []
        for path in sorted(self.routes):
            if Role.TEST in roles_for_path(path):
                continue  # an app a test builds includes what it tests, in its own order: not the served one
            for container in self.routes[path].containers:
                django_root = container.framework is Framework.DJANGO and container.name == "urlpatterns" and (path, container.name) not in included
                if container.is_app or django_root:
                    out.append((path, container))
        return out

    def flatten(self, path: str, root: Container) -> list[FullRoute]:
        out: list[FullRoute] = []
        self._walk(path, root, [], (), frozenset({(path, root.name)}), None, out)
        return out

    def _walk(
        self,
        path: str,
        container: Container,
        prefixes: list[tuple[str, bool]],
        unknown: tuple[object, ...],
        stack: frozenset[tuple[str, str]],
        before: int | None,
        out: list[FullRoute],
    ) -> None:
        if container.prefix is None:
            unknown = (*unknown, (path, container.name))
        elif container.prefix:
            prefixes = [*prefixes, (container.prefix, False)]
        entries = [e for e in container.entries if before is None or e.seq < before]
        if container.framework is Framework.NINJA:  # its own operations first, then its routers
            entries = [e for e in entries if isinstance(e, RouteDecl)] + [e for e in entries if isinstance(e, IncludeDecl)]
        for entry in entries:
            if len(out) >= _MAX_ROUTES:
                return
            if isinstance(entry, RouteDecl):
                out.append(self._full(container.framework, path, entry, prefixes, unknown))
                continue
            found = self.target(path, entry)
            if found is None or (found[0], found[1].name) in stack or found[1].framework is not container.framework:
                continue
            module, child = found
            below = [*prefixes, (entry.prefix, False)] if entry.prefix else prefixes
            # FastAPI copies a router's routes when it is included: one filled later in the same module is not
            same_module = module == path and not entry.scope and container.framework is Framework.STARLETTE
            self._walk(
                module, child, below, (*unknown, (path, entry)) if entry.prefix is None else unknown,
                stack | {(module, child.name)}, entry.seq if same_module else None, out,
            )

    def _full(self, framework: Framework, path: str, route: RouteDecl, prefixes: list[tuple[str, bool]], unknown: tuple[object, ...]) -> FullRoute:
        texts = [text for text, _ in prefixes]
        sample: str | None
        if framework is Framework.NINJA:  # Ninja joins with "/" and collapses repeated slashes
            full = "/" + re.sub(r"/+", "/", "/".join(t for t in (*texts, route.path) if t)).lstrip("/")
            regex, sample, params = compile_template(full, framework)
        elif framework is Framework.DJANGO:
            full = "".join(texts) + route.path
            pieces = [_piece(text, False, framework) for text in texts] + [_piece(route.path, route.regex_path, framework)]
            regex = "".join(p[0] for p in pieces)
            sample = None if any(p[1] is None for p in pieces) else "".join(p[1] or "" for p in pieces)
            params = any(p[2] for p in pieces)
        else:
            full = "".join(texts) + route.path
            regex, sample, params = compile_template(full, framework)
        return FullRoute(framework, route.methods, full, regex, sample, params, path, route, unknown)


def path_param_entries(project: ProjectView, routes: Mapping[str, ModuleRoutes] | None = None) -> tuple[str, ...]:
    """`path-param:<module path>:<router>:<name>` for each path parameter a module-level router's
    routes get from a prefix: its own (`APIRouter(prefix="/orgs/{org_id}")`) or one it is included
    with, at any level (`app.include_router(router, prefix="/orgs/{org_id}")` in another module).
    RV503 reads them from `ModuleContext.project_settings`: a handler parameter of that name is a
    path parameter, not a query parameter. A router included in several places gets the names of
    all of them (the rule only stays quiet on them)."""
    tree = RouteTree(project, routes)
    names: dict[tuple[str, str], set[str]] = {}
    included: set[tuple[str, str]] = set()
    for path, module in tree.routes.items():
        for container in module.containers:
            for entry in container.entries:
                if isinstance(entry, IncludeDecl) and (found := tree.target(path, entry)) is not None:
                    included.add((found[0], found[1].name))

    def walk(path: str, container: Container, inherited: frozenset[str], stack: frozenset[tuple[str, str]]) -> None:
        own = inherited | param_names(container.prefix or "", container.framework)
        key = (path, container.name)
        if own <= names.get(key, set()) and key in names:
            return  # nothing new along this way
        names.setdefault(key, set()).update(own)
        for entry in container.entries:
            if isinstance(entry, IncludeDecl) and (found := tree.target(path, entry)) is not None:
                child_key = (found[0], found[1].name)
                if child_key not in stack:
                    walk(found[0], found[1], own | param_names(entry.prefix or "", container.framework), stack | {child_key})

    for path in sorted(tree.routes):
        for container in tree.routes[path].containers:
            if container.framework in _TREE_FRAMEWORKS and (path, container.name) not in included:
                walk(path, container, frozenset(), frozenset({(path, container.name)}))
    return tuple(
        sorted(f"{PATH_PARAM_PREFIX}{path}:{name}:{param}" for (path, name), params in names.items() if "." not in name for param in params)
    )


PATH_PARAM_PREFIX = "path-param:"  # `path-param:app/api/users.py:router:org_id` (ModuleContext.project_settings)
