"""Small libcst helpers shared by rules."""

from __future__ import annotations

import dataclasses
import re

import libcst as cst

from rules.api.context import ModuleContext, dotted_name


def kwarg(name: str, value: str) -> cst.Arg:
    """A keyword argument `name=value` (value is Python source)."""
    return cst.Arg(
        keyword=cst.Name(name),
        value=cst.parse_expression(value),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )


def append_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """Append an argument, keeping a trailing comma layout intact."""
    args = list(call.args)
    if not args:
        return call.with_changes(args=(arg,))
    last = args[-1]
    if last.comma is cst.MaybeSentinel.DEFAULT:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(arg)
    else:
        # `f(a,\n)`: the trailing comma keeps its whitespace; the new arg takes the comma's place
        comma = last.comma
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(arg.with_changes(comma=comma))
    return call.with_changes(args=tuple(args))


def get_kwarg(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def has_star_kwargs(call: cst.Call) -> bool:
    return any(arg.star == "**" for arg in call.args)


def is_main_guard(node: cst.If) -> bool:
    """`if __name__ == "__main__":` in either order and quote style."""
    test = node.test
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    sides = (test.left, target.comparator)
    has_name = any(is_name(side, "__name__") for side in sides)
    has_main = any(
        isinstance(side, cst.SimpleString) and evaluated(side) == "__main__" for side in sides
    )
    return has_name and has_main


def decorator_names(node: cst.FunctionDef | cst.ClassDef) -> list[str]:
    """Dotted names of decorators (`@a.b(...)` -> `a.b`), as written."""
    names: list[str] = []
    for dec in node.decorators:
        expr = dec.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        name = dotted_name(expr)
        if name is not None:
            names.append(name)
    return names


def caught_names(handler: cst.ExceptHandler) -> list[str] | None:
    """Dotted names an `except` clause catches (`except (A, b.C):` -> [A, b.C]); None for a bare `except:`."""
    if handler.type is None:
        return None
    types = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
    return [name for name in (dotted_name(t) for t in types) if name]


def body_statements(node: cst.FunctionDef | cst.ClassDef) -> list[cst.BaseStatement | cst.BaseSmallStatement]:
    """The statements of a def/class body, flattening `def f(): pass` one-liners."""
    body = node.body
    if isinstance(body, cst.SimpleStatementSuite):
        return list(body.body)
    out: list[cst.BaseStatement | cst.BaseSmallStatement] = []
    for stmt in body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            out.extend(stmt.body)
        else:
            out.append(stmt)
    return out


def is_docstring(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.Expr) and isinstance(stmt.value, (cst.SimpleString, cst.ConcatenatedString))


def evaluated(node: cst.SimpleString) -> str | bytes | None:
    """A string literal's value; None when Python would not evaluate it (a NUL byte in the
    source: libcst parses it, `literal_eval` refuses it, and a rule must not crash on it)."""
    try:
        return node.evaluated_value
    except (SyntaxError, ValueError, MemoryError):
        return None


def string_value(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = evaluated(node)
        return value if isinstance(value, str) else None
    return None


_ROUTE_VERBS = frozenset(
    ("get", "post", "put", "patch", "delete", "head", "options", "route", "api_route", "websocket", "trace")
)
_VIEW_DECORATORS = frozenset(
    ("api_view", "action", "require_http_methods", "require_POST", "require_GET", "require_safe", "csrf_exempt", "login_required")
)


def is_view_function(node: cst.FunctionDef) -> bool:
    """A function that answers HTTP requests: route-decorated, or taking `request`."""
    for name in decorator_names(node):
        last = name.rsplit(".", 1)[-1]
        if ("." in name and last in _ROUTE_VERBS) or last in _VIEW_DECORATORS:
            return True
    params = [p.name.value for p in node.params.params]
    return bool(params) and (params[0] == "request" or (params[0] in ("self", "cls") and params[1:2] == ["request"]))


def string_literal(text: str, quote: str = '"') -> str:
    """Python source for a one-line string literal holding `text`."""
    escaped = (
        text.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return f"{quote}{escaped}{quote}"


# %-style conversions that match an f-string `!r`/`!s`/`!a` with no format spec
_CONVERSIONS = {None: "s", "s": "s", "r": "r", "a": "a"}


def fstring_to_percent(node: cst.FormattedString) -> tuple[str, list[cst.BaseExpression]] | None:
    """`f"a {x!r}"` -> ("a %r", [x]); None when a part has a format spec or nested quotes."""
    text: list[str] = []
    args: list[cst.BaseExpression] = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            try:
                literal = cst.parse_expression(f"{node.quote}{part.value}{node.quote}")
            except cst.ParserSyntaxError:
                return None
            if not isinstance(literal, cst.SimpleString) or not isinstance(evaluated(literal), str):
                return None
            text.append(str(evaluated(literal)).replace("{{", "{").replace("}}", "}").replace("%", "%%"))
        else:
            if not isinstance(part, cst.FormattedStringExpression):
                return None
            if part.format_spec or part.equal is not None or part.conversion not in _CONVERSIONS:
                return None
            text.append("%" + _CONVERSIONS[part.conversion])
            args.append(part.expression)
    return "".join(text), args


_LOGGER_NAMES = re.compile(r"_*(?:log|logger|[a-z_]*_logger)", re.IGNORECASE)
_LOGGER_FACTORIES = frozenset(("logging.getLogger", "structlog.get_logger", "structlog.getLogger"))


def is_logger(expr: cst.BaseExpression, ctx: ModuleContext) -> bool:
    """Is `expr` a logger: the `logging` module, a `getLogger(...)` result, or named like one?"""
    if isinstance(expr, cst.Call):
        return ctx.qualified_name(expr.func) in _LOGGER_FACTORIES
    name = dotted_name(expr)
    if name is None:
        return False
    if ctx.qualified_name(expr) == "logging" or ctx.module_calls.get(name) in _LOGGER_FACTORIES:
        return True
    return bool(_LOGGER_NAMES.fullmatch(name.rsplit(".", 1)[-1]))


_FIELDS: dict[type, tuple[str, ...]] = {}
_NODE_TYPES: dict[type, bool] = {}


def _is_node_type(cls: type) -> bool:
    known = _NODE_TYPES.get(cls)
    if known is None:
        known = _NODE_TYPES[cls] = issubclass(cls, cst.CSTNode)  # an ABC check, once per type
    return known


def find_all(node: cst.CSTNode, kinds: type[cst.CSTNode] | tuple[type[cst.CSTNode], ...]) -> list[cst.CSTNode]:
    """Nodes of the given types under `node` (itself included), in source order.

    A read-only walk over the dataclass fields: `libcst.matchers.findall` goes through
    libcst's `visit`, which rebuilds every node, and costs several times more on the
    per-keystroke path.
    """
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, kinds):
            found.append(current)
        cls = type(current)
        names = _FIELDS.get(cls)
        if names is None:
            names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
        children: list[cst.CSTNode] = []
        for name in names:
            value = getattr(current, name)
            kind = type(value)
            if kind is tuple or kind is list:
                children.extend(item for item in value if _is_node_type(type(item)))
            elif _is_node_type(kind):
                children.append(value)
        stack.extend(reversed(children))
    return found


# text of a broad `except` clause: bare, or naming Exception/BaseException (alone, dotted, in a tuple),
# for triggers (rules/api/triggers.py); the clause ends at its colon
BROAD_EXCEPT = re.compile(r"\bexcept\b(?:\s*:|[^:]*\b(?:Exception|BaseException)\b)")


def is_name(node: cst.CSTNode | None, *names: str) -> bool:
    """A bare name, one of `names` (`is_name(func, "print")`)."""
    return isinstance(node, cst.Name) and node.value in names


def is_placeholder(statement: cst.CSTNode) -> bool:
    """`pass` or `...` as a statement."""
    return isinstance(statement, cst.Pass) or (isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Ellipsis))
