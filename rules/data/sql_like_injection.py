"""RV603 sql-like-injection."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

from rules.api import FileRule, Invalid, Role, RuleMeta, Scope, Severity, Valid, dotted_name, find_all, get_kwarg
from rules.api.orm import method_name, receiver_chain

_EXECUTORS = re.compile(r"(?:.*_)?(?:cursor|cur|conn|connection|session|db|engine)", re.IGNORECASE)
_TEXT = frozenset(("sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text", "sqlmodel.text"))
_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*")
_LIKE_LOOKUPS = ("__contains", "__icontains", "__startswith", "__istartswith", "__endswith", "__iendswith")


_INPUT_ATTRS = frozenset(("request", "kwargs", "args", "data", "query_params", "params", "GET", "POST", "cleaned_data"))
# calls whose result carries their input through unchanged (or as text)
_PASS_THROUGH = frozenset(("str", "format", "join", "lower", "upper", "strip", "lstrip", "rstrip", "replace", "get", "getlist", "pop", "title", "encode", "decode"))
# calls whose result is an identifier or a number the code controls
_SAFE_CALLS = frozenset(("quote_name", "Identifier", "len", "int", "float", "bool", "range", "escape_like", "quote_ident"))
_KEY = re.compile(r"(?:\w+_)?(?:id|pk|uuid)", re.IGNORECASE)
_SAFE_ATTRS = frozenset(("db_table", "__tablename__", "table_name", "tablename", "pk", "id", "model_name", "app_label"))


@dataclass
class Names:
    """What a function knows about its names: parameters (input) and local assignments."""

    params: set[str] = field(default_factory=set)
    assigned: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)

    @classmethod
    def of(cls, fn: cst.FunctionDef) -> Names:
        params = {p.name.value for p in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params)}
        for star in (fn.params.star_arg, fn.params.star_kwarg):
            if isinstance(star, cst.Param):
                params.add(star.name.value)
        params -= {"self", "cls"}
        assigned: dict[str, list[cst.BaseExpression]] = {}
        for node in find_all(fn.body, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For)):
            if isinstance(node, cst.Assign):
                pairs = [(t.target, node.value) for t in node.targets]
            elif isinstance(node, cst.AugAssign):
                grown = cst.BinaryOperation(left=node.target, operator=cst.Add(), right=node.value)
                pairs = [(node.target, grown if isinstance(node.operator, cst.AddAssign) else node.value)]
            elif isinstance(node, cst.AnnAssign):
                pairs = [(node.target, node.value)] if node.value is not None else []
            elif isinstance(node, cst.For):
                pairs = [(n, node.iter) for n in find_all(node.target, cst.Name) if isinstance(n, cst.Name)]
            else:
                continue
            for target, value in pairs:
                name = dotted_name(target) if isinstance(target, cst.BaseExpression) else None
                if name is not None and value is not None:
                    assigned.setdefault(name, []).append(value)
        return cls(params, assigned)

    def tainted(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Whether the value may carry input: a parameter, request data, or a local built from them.

        Module constants, `self` attributes (other than the request), model metadata and the
        results of calls that do not pass text through are values the code controls.
        """
        if depth > 4:
            return False
        if isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString, cst.FormattedStringText)):
            return False
        if isinstance(expr, cst.Name):
            if _KEY.fullmatch(expr.value):
                return False  # a key the code generated (an integer or a uuid), not text
            if expr.value in self.params:
                return True
            if _CONSTANT.fullmatch(expr.value):
                return False
            return any(v is not expr and self.tainted(v, depth + 1) for v in self.assigned.get(expr.value, ()))
        if isinstance(expr, cst.Attribute):
            name = dotted_name(expr) or ""
            parts = name.split(".")
            if parts[0] == "request" or (parts[0] == "self" and len(parts) > 1 and parts[1] in _INPUT_ATTRS):
                return True
            if parts[-1] in _SAFE_ATTRS or _CONSTANT.fullmatch(parts[-1]) or _KEY.fullmatch(parts[-1]) or "_meta" in parts:
                return False
            if name in self.assigned:
                return any(self.tainted(v, depth + 1) for v in self.assigned[name])
            return self.tainted(expr.value, depth + 1) if parts[0] != "self" else False
        if isinstance(expr, cst.Subscript):
            return self.tainted(expr.value, depth + 1)
        if isinstance(expr, cst.Call):
            callee = dotted_name(expr.func) if not isinstance(expr.func, cst.Attribute) else expr.func.attr.value
            if callee is None or callee.rsplit(".", 1)[-1] in _SAFE_CALLS:
                return False
            if callee.rsplit(".", 1)[-1] not in _PASS_THROUGH:
                return False
            receiver = [expr.func.value] if isinstance(expr.func, cst.Attribute) else []
            return any(self.tainted(e, depth + 1) for e in (*receiver, *(a.value for a in expr.args)))
        if isinstance(expr, cst.FormattedString):
            return any(self.tainted(p.expression, depth + 1) for p in expr.parts if isinstance(p, cst.FormattedStringExpression))
        if isinstance(expr, (cst.BinaryOperation, cst.ConcatenatedString)):
            sides = (expr.left, expr.right)
            return any(self.tainted(side, depth + 1) for side in sides)
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
            return any(self.tainted(e.value, depth + 1) for e in expr.elements)
        if isinstance(expr, cst.Dict):
            return any(isinstance(e, cst.DictElement) and self.tainted(e.value, depth + 1) for e in expr.elements)
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            return self.tainted(expr.elt, depth + 1)
        if isinstance(expr, cst.IfExp):
            return self.tainted(expr.body, depth + 1) or self.tainted(expr.orelse, depth + 1)
        return False


def _is_sql_text(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))


def built_string(expr: cst.BaseExpression, scope: Names) -> str | None:
    """How a string was built from input, or None for literals, constants and identifiers the code controls."""
    if isinstance(expr, cst.FormattedString):
        values = [p.expression for p in expr.parts if isinstance(p, cst.FormattedStringExpression)]
        return "an f-string" if any(scope.tainted(v) for v in values) else None
    if isinstance(expr, cst.BinaryOperation):
        if isinstance(expr.operator, cst.Modulo) and _is_sql_text(expr.left):
            right = expr.right
            values = [e.value for e in right.elements] if isinstance(right, cst.Tuple) else [right]
            return "`%` formatting" if any(scope.tainted(v) for v in values) else None
        if isinstance(expr.operator, cst.Add):
            return "string concatenation" if scope.tainted(expr) else None
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        if _is_sql_text(expr.func.value):
            return "`str.format()`" if any(scope.tainted(a.value) for a in expr.args) else None
    return None


def _literal_text(expr: cst.BaseExpression) -> str:
    """The literal pieces of a built string, to look for wildcards."""
    return "".join(
        s.value for s in m.findall(expr, m.SimpleString() | m.FormattedStringText()) if isinstance(s, (cst.SimpleString, cst.FormattedStringText))
    )


class SqlLikeInjection(FileRule):
    """
    ## What it does
    Finds SQL and LIKE patterns built from values by string formatting: f-strings, `%`,
    `.format()` or `+` passed to `Model.objects.raw()`, `.extra()`, `cursor.execute()`,
    `session.execute()`, `sqlalchemy.text()`; `.like()`/`.ilike()` patterns that wrap
    unescaped input in `%`; and Django `__contains`-style lookups given their own `%`.

    ## Why is this bad?
    A value formatted into SQL is SQL: a quote in a search box ends the string and the rest
    runs as the attacker wrote it (read other users' rows, drop tables). In LIKE patterns,
    `%` and `_` in the input match anything, so a search for `_` returns every row; Django
    already wraps `__contains` values in escaped wildcards, so an added `%` searches for a
    literal percent sign.

    ## Example
    ```python
    cursor.execute(f"SELECT * FROM orders WHERE email = '{email}'")
    stmt = select(User).where(User.name.like(f"%{q}%"))
    ```
    Use instead:
    ```python
    cursor.execute("SELECT * FROM orders WHERE email = %s", [email])
    pattern = "%" + q.replace("\\\\", "\\\\\\\\").replace("%", "\\\\%").replace("_", "\\\\_") + "%"
    stmt = select(User).where(User.name.like(pattern, escape="\\\\"))
    ```

    ## Fix
    None: the parameter style depends on the driver, and escaping needs the pattern's intent.

    Follows SQL built into a local (`sql = "..." % x`) to the execute call a line later,
    and covers Django `RawSQL(...)`, `.raw(...)` and `.extra(where=/select=)`. Reports only
    values that may carry input: the function's parameters, request data (`request.*`,
    `self.request`, `self.kwargs`) and locals built from them. Quiet on bound parameters,
    on identifiers and numbers the code controls (UPPER_CASE constants, `quote_name()`,
    `model._meta.db_table`, `int(...)`, keys named `*_id`/`pk`/`uuid`, `%s` placeholders joined for `IN (...)`), on
    `.like(..., escape=...)`, and in migrations, management commands and tests.
    """

    meta = RuleMeta(
        code="RV603", name="sql-like-injection", family="data", severity=Severity.ERROR, scope=Scope.FILE, frameworks=("django", "sqlalchemy")
    )

    VALID = [
        Valid("def find(cursor, email):\n    cursor.execute('SELECT * FROM orders WHERE email = %s', [email])\n"),
        Valid("from sqlalchemy import text\n\ndef find(session, uid):\n    return session.execute(text('SELECT * FROM users WHERE id = :id'), {'id': uid})\n"),
        Valid("def count(cursor):\n    cursor.execute(f'SELECT count(*) FROM {TABLE_NAME}')\n"),
        Valid("def search(q):\n    return select(User).where(User.name.like(f'%{escape_like(q)}%', escape='\\\\'))\n"),
        Valid("def search(q):\n    return Product.objects.filter(name__icontains=q)\n"),
        # SQL concatenated from UPPER_CASE constants carries no input
        Valid(
            """
            import sqlite3

            DEFAULT_TABLE_NAME = "chunks"


            def drop(conn: sqlite3.Connection, ids):
                conn.executemany("DELETE FROM " + DEFAULT_TABLE_NAME + " WHERE id = ?", [(i,) for i in ids])
            """
        ),
        # identifiers the code controls, placeholders with separate params
        Valid(
            """
            from django.db import connection


            def estimate(model, ids):
                with connection.cursor() as cursor:
                    cursor.execute("SELECT reltuples FROM pg_class WHERE relname = '%s'" % model._meta.db_table)
                    table = connection.ops.quote_name(model._meta.db_table)
                    placeholders = ", ".join(["%s"] * len(ids))
                    sql = f"DELETE FROM {table} WHERE id IN ({placeholders})"
                    cursor.execute(sql, ids)
            """
        ),
        Valid("def cancel(cursor, cancel_query_id):\n    cursor.execute(f'KILL CONNECTION {cancel_query_id}')\n"),
        Valid(
            "from django.db import migrations\n\n\ndef fwd(apps, schema_editor):\n    for table in apps.get_tables():\n"
            "        schema_editor.execute(f'ANALYZE {table}')\n",
            path="shop/migrations/0042_analyze.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            from django.db import connection


            def orders_for(email, status, title):
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT * FROM orders WHERE email = '{email}'")  # <- RV603
                    cursor.execute("SELECT * FROM orders WHERE status = '%s'" % status)  # <- RV603
                return Order.objects.raw("SELECT * FROM orders WHERE title = '" + title + "'")  # <- RV603
            """
        ),
        Invalid(
            """
            import sqlalchemy as sa


            async def search(session, q, day):
                stmt = sa.select(User).where(User.name.ilike(f"%{q}%"))  # <- RV603
                await session.execute(sa.text("SELECT * FROM logs WHERE day = '{}'".format(day)))  # <- RV603
                return Product.objects.filter(title__contains=f"%{q}%")  # <- RV603
            """
        ),
        Invalid(
            """
            from django.db import connection
            from django.db.models.expressions import RawSQL
            from sqlalchemy import text


            def report(session, request, day, name):
                sql = "SELECT * FROM logs WHERE day = '%s'" % day
                where = f"name = '{name}'"
                with connection.cursor() as cursor:
                    cursor.execute(sql)  # <- RV603
                stmt = text(f"SELECT * FROM users WHERE name = '{name}'")  # <- RV603
                session.execute(stmt)
                q = request.GET["q"]
                Order.objects.annotate(hit=RawSQL("title = '%s'" % q, ()))  # <- RV603
                Order.objects.using("replica").raw("SELECT * FROM orders WHERE {}".format(where))  # <- RV603
                return Order.objects.filter(user=request.user).extra(where=["title = '" + q + "'"])  # <- RV603
            """
        ),
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._names: list[Names] = [Names()]
        self._quiet = self.ctx.has_role(Role.TEST, Role.MIGRATION, Role.MANAGEMENT_COMMAND)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._names.append(Names.of(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._names.pop()

    def _sql_arg(self, node: cst.Call) -> cst.BaseExpression | None:
        method = method_name(node)
        if not node.args or node.args[0].keyword is not None:
            return None
        first = node.args[0].value
        if method == "raw" and "objects" in receiver_chain(node)[1:]:
            return first
        if method in ("execute", "executemany", "exec_driver_sql", "executescript") and isinstance(node.func, cst.Attribute):
            owner = node.func.value
            owner_name = dotted_name(owner.func if isinstance(owner, cst.Call) else owner) or ""
            if _EXECUTORS.fullmatch(owner_name.rsplit(".", 1)[-1]):
                return first
        qualified = self.ctx.qualified_name(node.func) or ""
        if qualified in _TEXT or qualified.rsplit(".", 1)[-1] == "RawSQL":
            return first
        return None

    def visit_Call(self, node: cst.Call) -> None:
        if self._quiet:
            return
        names = self._names[-1]
        sql = self._sql_arg(node)
        label = method_name(node) or dotted_name(node.func) or "query"
        if sql is not None:
            how = built_string(sql, names)
            if how is not None:
                self.report(sql, f"SQL built with {how} goes to `{label}()`: input becomes SQL; pass it as a bound parameter")
            elif isinstance(sql, cst.Name):
                built = next((h for h in (built_string(v, names) for v in names.assigned.get(sql.value, ())) if h), None)
                if built is not None:
                    self.report(
                        sql, f"`{sql.value}` is SQL built with {built} and goes to `{label}()`: input becomes SQL; pass it as a bound parameter"
                    )
            return
        method = method_name(node)
        if method == "extra":
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "params":
                    continue
                for piece in m.findall(arg.value, m.FormattedString() | m.BinaryOperation() | m.Call()):
                    if isinstance(piece, cst.BaseExpression) and built_string(piece, names):
                        self.report(piece, "SQL built by string formatting goes to `extra()`: input becomes SQL; use `params=`")
                        return
        if method in ("like", "ilike") and node.args and get_kwarg(node, "escape") is None:
            pattern = node.args[0].value
            if built_string(pattern, names) and "%" in _literal_text(pattern):
                self.report(pattern, f"`%` wildcards around unescaped input in `.{method}()`: `%` and `_` in the input match anything")
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value.endswith(_LIKE_LOOKUPS) and built_string(arg.value, names):
                if "%" in _literal_text(arg.value):
                    self.report(
                        arg.value,
                        f"`{arg.keyword.value}` gets its own `%`: Django adds and escapes the wildcards, so this matches a literal `%`",
                    )
