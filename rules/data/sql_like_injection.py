"""RV603 sql-like-injection."""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from rules.api import FileRule, Invalid, RuleMeta, Scope, Severity, Valid, dotted_name, get_kwarg
from rules.api.orm import is_django_manager_call, method_name

_EXECUTORS = re.compile(r"(?:.*_)?(?:cursor|cur|conn|connection|session|db|engine)", re.IGNORECASE)
_TEXT = frozenset(("sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text", "sqlmodel.text"))
_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*")
_LIKE_LOOKUPS = ("__contains", "__icontains", "__startswith", "__istartswith", "__endswith", "__iendswith")


def _is_constant(expr: cst.BaseExpression) -> bool:
    """UPPER_CASE names (table names from settings), literals, `quote_name(...)` calls."""
    if isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString)):
        return True
    name = dotted_name(expr)
    if name is not None:
        return bool(_CONSTANT.fullmatch(name.rsplit(".", 1)[-1]))
    if isinstance(expr, cst.Call):
        callee = dotted_name(expr.func) or ""
        return callee.rsplit(".", 1)[-1] in ("quote_name", "Identifier", "len", "int")
    return False


def built_string(expr: cst.BaseExpression) -> str | None:
    """How a string was built from non-constant values, or None for literals and plain names."""
    if isinstance(expr, cst.FormattedString):
        values = [p.expression for p in expr.parts if isinstance(p, cst.FormattedStringExpression)]
        return "an f-string" if any(not _is_constant(v) for v in values) else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.left, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        if isinstance(expr.operator, cst.Modulo):
            right = expr.right
            values = [e.value for e in right.elements] if isinstance(right, cst.Tuple) else [right]
            return "`%` formatting" if any(not _is_constant(v) for v in values) else None
        if isinstance(expr.operator, cst.Add):
            return "string concatenation" if not _is_constant(expr.right) else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        if isinstance(expr.right, (cst.SimpleString, cst.FormattedString)) and not _is_constant(expr.left):
            return "string concatenation"
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        if isinstance(expr.func.value, (cst.SimpleString, cst.ConcatenatedString)):
            return "`str.format()`" if any(not _is_constant(a.value) for a in expr.args) else None
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

    Quiet on bound parameters, on identifiers from UPPER_CASE constants or `quote_name()`,
    and on `.like(..., escape=...)`.
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
    ]
    INVALID = [
        Invalid(
            """
            from django.db import connection


            def orders_for(email, status):
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT * FROM orders WHERE email = '{email}'")  # <- RV603
                    cursor.execute("SELECT * FROM orders WHERE status = '%s'" % status)  # <- RV603
                return Order.objects.raw("SELECT * FROM orders WHERE id = " + order_id)  # <- RV603
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
    ]

    def _sql_arg(self, node: cst.Call) -> cst.BaseExpression | None:
        method = method_name(node)
        if method == "raw" and is_django_manager_call(node) and node.args:
            return node.args[0].value
        if method in ("execute", "executemany", "exec_driver_sql") and node.args and isinstance(node.func, cst.Attribute):
            owner = node.func.value
            owner_name = dotted_name(owner.func if isinstance(owner, cst.Call) else owner) or ""
            if _EXECUTORS.fullmatch(owner_name.rsplit(".", 1)[-1]):
                return node.args[0].value
        if self.ctx.qualified_name(node.func) in _TEXT and node.args:
            return node.args[0].value
        return None

    def visit_Call(self, node: cst.Call) -> None:
        sql = self._sql_arg(node)
        if sql is not None:
            how = built_string(sql)
            if how is not None:
                label = method_name(node) or dotted_name(node.func) or "query"
                self.report(sql, f"SQL built with {how} goes to `{label}()`: input becomes SQL; pass it as a bound parameter")
            return
        method = method_name(node)
        if method == "extra" and is_django_manager_call(node):
            for arg in node.args:
                for piece in m.findall(arg.value, m.FormattedString() | m.BinaryOperation() | m.Call()):
                    if isinstance(piece, cst.BaseExpression) and built_string(piece):
                        self.report(piece, "SQL built by string formatting goes to `extra()`: input becomes SQL; use `params=`")
                        return
        if method in ("like", "ilike") and node.args and get_kwarg(node, "escape") is None:
            pattern = node.args[0].value
            if built_string(pattern) and "%" in _literal_text(pattern):
                self.report(pattern, f"`%` wildcards around unescaped input in `.{method}()`: `%` and `_` in the input match anything")
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value.endswith(_LIKE_LOOKUPS) and built_string(arg.value):
                if "%" in _literal_text(arg.value):
                    self.report(
                        arg.value,
                        f"`{arg.keyword.value}` gets its own `%`: Django adds and escapes the wildcards, so this matches a literal `%`",
                    )
