"""The routing model: route registrations of FastAPI/Starlette, Django Ninja, Django, DRF and Flask.

Rules ask two things of a route: what URLs its path template matches (each framework's
converters), and how a registration order resolves (Starlette skips a route whose method does
not match and keeps looking; Django and Ninja resolve the URL first and answer 405 after;
Werkzeug sorts rules by specificity, so Flask registration order never matters). The
behaviour each of these encodes is checked against the installed frameworks in
tests/rules/test_routing_frameworks.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import libcst as cst

from rules.api.context import ModuleContext, dotted_name
from rules.api.helpers import get_kwarg, string_value


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
        if not self.framework.ordered or self.framework is not later.framework or not self.has_params:
            return False
        if self.regex == later.regex or later.sample is None:  # same template: a different method, or a duplicate
            return False
        if self.framework.method_first and self.methods and later.methods and not (self.methods & later.methods):
            return False
        return re.fullmatch(self.regex, later.sample) is not None


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
        methods = _methods_arg(call) or (frozenset(("GET",)) if framework is Framework.FLASK else _ANY_METHOD)
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
