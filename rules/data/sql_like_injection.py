"""RV603 sql-like-injection."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from rules.api import (
    FileRule,
    Invalid,
    Role,
    RuleMeta,
    Severity,
    Valid,
    dotted_name,
    find_all,
    get_kwarg,
)
from rules.api.helpers import string_value
from rules.api.orm import method_name, receiver_chain
from rules.api.triggers import Trigger

_EXECUTORS = re.compile(r"(?:.*_)?(?:cursor|cur|conn|connection|session|db|engine)", re.IGNORECASE)
_TEXT = frozenset(("sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text", "sqlmodel.text"))
_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*")
_SQL_CALLS = frozenset(("raw", "execute", "executemany", "exec_driver_sql", "executescript", "text", "RawSQL", "extra", "like", "ilike"))
_LIKE_LOOKUPS = ("__contains", "__icontains", "__startswith", "__istartswith", "__endswith", "__iendswith")


_INPUT_ATTRS = frozenset(("request", "kwargs", "args", "data", "query_params", "params", "GET", "POST", "cleaned_data"))
# calls whose result carries their input through unchanged (or as text)
_PASS_THROUGH = frozenset(("str", "format", "join", "lower", "upper", "strip", "lstrip", "rstrip", "replace", "get", "getlist", "pop", "title", "encode", "decode"))
# calls whose result is an identifier or a number the code controls
_SAFE_CALLS = frozenset(("quote_name", "Identifier", "len", "int", "float", "bool", "range", "escape_like", "quote_ident"))
_KEY = re.compile(r"(?:\w+_)?(?:id|pk|uuid)", re.IGNORECASE)
_SAFE_ATTRS = frozenset(("db_table", "__tablename__", "table_name", "tablename", "pk", "id", "model_name", "app_label"))


# `# noqa: S608` (ruff/flake8-bandit) or `# nosec` (bandit): the project's SQL-injection check was told about this line
_REVIEWED = re.compile(r"#\s*(?:noqa\s*:[^#]*\bS608\b|nosec\b)", re.IGNORECASE)
_NOT_TEXT = re.compile(r"(?:Optional\[)?(?:int|float|bool|UUID|uuid\.UUID|Decimal|datetime|date)(?:\]|\s*\|\s*None)?")
# SQL text right before a value where the value is data: a comparison, LIKE, IN (...), VALUES (...), LIMIT
_VALUE_CONTEXT = re.compile(r"(?:[=<>]|\bLIKE|\bIN\s*\(|\bVALUES\s*\(|\bLIMIT|\bOFFSET|\bAGAINST\s*\()\s*$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifr%])|\{(\w*)[^{}]*\}")


def is_reviewed(statement: cst.CSTNode) -> bool:
    """A statement whose comments tell the project's SQL-injection check it was reviewed."""
    return any(_REVIEWED.search(c.value) for c in find_all(statement, cst.Comment) if isinstance(c, cst.Comment))


def _annotation(annotation: cst.Annotation) -> str:
    return " ".join(cst.Module([]).code_for_node(annotation.annotation).split())


@dataclass
class Names:
    """What a function knows about its names: parameters (input) and local assignments."""

    params: set[str] = field(default_factory=set)
    assigned: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    # values assigned on a line the project's own SQL-injection check was told about (`# noqa: S608`)
    reviewed: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, fn: cst.FunctionDef) -> Names:
        every = (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params)
        # a parameter typed as a number, a flag or a UUID carries no SQL text
        params = {p.name.value for p in every if not (p.annotation is not None and _NOT_TEXT.fullmatch(_annotation(p.annotation)))}
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
        reviewed = {id(v) for line in find_all(fn.body, cst.SimpleStatementLine) if is_reviewed(line) for v in find_all(line, cst.BaseExpression)}
        return cls(params, assigned, reviewed)

    def from_request(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Whether the value comes straight from the request (`request.GET[...]`, `self.kwargs`),
        not merely through a parameter: what decides for identifiers, which cannot be bound."""
        if depth > 4:
            return False
        name = dotted_name(expr.value if isinstance(expr, cst.Subscript) else expr)
        if isinstance(expr, cst.Call):
            func = expr.func
            return isinstance(func, cst.Attribute) and func.attr.value in _PASS_THROUGH and self.from_request(func.value, depth + 1)
        if name is None:
            return False
        parts = name.split(".")
        if parts[0] == "request" or (parts[0] == "self" and len(parts) > 1 and parts[1] in _INPUT_ATTRS):
            return True
        return any(self.from_request(v, depth + 1) for v in self.assigned.get(name, ()) if id(v) not in self.reviewed)

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


Segment = str | cst.BaseExpression  # literal SQL text, or a value put into it


def _text(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.SimpleString):
        return string_value(expr)
    if isinstance(expr, cst.ConcatenatedString):
        left, right = _text(expr.left), _text(expr.right)
        return left + right if left is not None and right is not None else None
    return None


def segments(expr: cst.BaseExpression) -> list[Segment] | None:
    """The SQL a string build makes, as literal text and the values placed between it:
    f-strings, `+`, `"..." % values` and `"...".format(...)`; None for anything else."""
    if isinstance(expr, cst.FormattedString):
        return [p.value if isinstance(p, cst.FormattedStringText) else p.expression for p in expr.parts if isinstance(p, (cst.FormattedStringText, cst.FormattedStringExpression))]
    if isinstance(expr, cst.ConcatenatedString):
        head, tail = segments(expr.left), segments(expr.right)
        return (head or [_text(expr.left) or ""]) + (tail or [_text(expr.right) or ""])
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        out: list[Segment] = []
        for side in (expr.left, expr.right):
            literal = _text(side)
            inner = None if literal is not None else segments(side)
            out.extend([literal] if literal is not None else inner if inner is not None else [side])
        return out
    template: str | None = None
    positional: list[cst.BaseExpression] = []
    named: dict[str, cst.BaseExpression] = {}
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        template = _text(expr.left)
        right = expr.right
        if isinstance(right, cst.Tuple):
            positional = [e.value for e in right.elements]
        elif isinstance(right, cst.Dict):
            named = {k: e.value for e in right.elements if isinstance(e, cst.DictElement) and (k := _text(e.key)) is not None}
        else:
            positional = [right]
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        template = _text(expr.func.value)
        positional = [a.value for a in expr.args if a.keyword is None and not a.star]
        named = {a.keyword.value: a.value for a in expr.args if a.keyword is not None}
    if template is None:
        return None
    out = []
    last, index = 0, 0
    for match in _PLACEHOLDER.finditer(template):
        key, conversion, field_name = match.group(1), match.group(2), match.group(3)
        if conversion == "%":
            continue
        out.append(template[last : match.start()])
        last = match.end()
        if key or (field_name and not field_name.isdigit()):
            value = named.get(key or field_name or "")
        elif field_name:
            value = positional[int(field_name)] if int(field_name) < len(positional) else None
        else:
            value = positional[index] if index < len(positional) else None
            index += 1
        if value is not None and conversion not in ("d", "i", "f"):  # `%d` can only hold a number
            out.append(value)
    out.append(template[last:])
    return out


def _in_value_position(before: str) -> bool:
    """Whether SQL text ending in `before` expects a value next: inside a quoted literal, or
    after a comparison, LIKE, IN (, VALUES (; otherwise it is an identifier or a clause."""
    return before.count("'") % 2 == 1 or bool(_VALUE_CONTEXT.search(before))


def injected(expr: cst.BaseExpression, scope: Names, depth: int = 0) -> cst.BaseExpression | None:
    """The value that makes a string build an injection, or None.

    A value in data position (a quoted literal, after `=`/`LIKE`/`IN (`) should be a bound
    parameter: any input there counts. An identifier or clause (`FROM {table}`, `EXPLAIN
    {statement}`, `ORDER BY {column}`) cannot be bound; it counts only when it comes from the
    request itself or is SQL built with input (`where = f"name = '{name}'"`).
    """
    parts = segments(expr)
    if parts is None or depth > 3 or id(expr) in scope.reviewed:
        return None
    before = ""
    for part in parts:
        if isinstance(part, str):
            before += part
            continue
        if _in_value_position(before):
            if scope.tainted(part):
                return part
        elif scope.from_request(part):
            return part
        elif isinstance(part, cst.Name) and any(
            id(v) not in scope.reviewed and injected(v, scope, depth + 1) is not None for v in scope.assigned.get(part.value, ())
        ):
            return part
    return None


_HOW = {cst.FormattedString: "an f-string", cst.BinaryOperation: "string concatenation", cst.Call: "`str.format()`"}


def built_string(expr: cst.BaseExpression, scope: Names) -> str | None:
    """How a string was built from input, or None for literals, constants and identifiers the code controls."""
    if injected(expr, scope) is None:
        return None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        return "`%` formatting"
    return _HOW.get(type(expr), "string formatting")


def like_input(pattern: cst.BaseExpression, scope: Names) -> cst.BaseExpression | None:
    """The input a LIKE pattern wraps in wildcards (`f"%{q}%"`, `prefix + "%"`): the whole pattern is data."""
    parts = segments(pattern)
    if parts is None or not any(isinstance(p, str) and "%" in p for p in parts):
        return None
    return next((p for p in parts if not isinstance(p, str) and scope.tainted(p)), None)


class SqlLikeInjection(FileRule):
    """
    ## What it does
    Finds SQL built from input by string formatting: f-strings, `%`, `.format()` or `+`
    passed to `Model.objects.raw()`, `.extra()`, `cursor.execute()`, `session.execute()`,
    `sqlalchemy.text()`, `RawSQL()`. At a lower severity, `.like()`/`.ilike()` patterns that
    wrap unescaped input in `%` (information: the search over-matches) and Django
    `__contains`-style lookups given their own `%` (warning: they match a literal `%`).

    ## Why is this bad?
    A value formatted into SQL is SQL: a quote in a search box ends the string and the rest
    runs as the attacker wrote it (read other users' rows, drop tables). In LIKE patterns
    nothing is injected, but `%` and `_` in the input match anything, so a search for `a_b`
    also finds `aXb` and a prefix pattern reaches other namespaces' rows; Django already wraps
    `__contains` values in escaped wildcards, so an added `%` searches for a literal percent sign.

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

    Follows SQL built into a local (`sql = "..." % x`) to the execute call a line later.
    Where the value lands decides: in data position (inside quotes, after `=`, `LIKE`, `IN (`,
    `VALUES (`, `LIMIT`) any input counts, since a bound parameter is the fix; an identifier or
    clause (`FROM {table}`, `EXPLAIN {statement}`, `ORDER BY {column}`) cannot be bound, so it
    counts only when it comes from the request itself or is SQL built with input. Input means
    the function's parameters (not those typed `int`/`bool`/`UUID`), request data (`request.*`,
    `self.request`, `self.kwargs`) and locals built from them. Quiet on bound parameters, on
    values the code controls (UPPER_CASE constants, `quote_name()`, `model._meta.db_table`,
    `int(...)`, `%d`, keys named `*_id`/`pk`/`uuid`, `%s` placeholders joined for `IN (...)`),
    on `.like(..., escape=...)`/`autoescape=True`, on lines the project's own SQL-injection check
    was told about (`# noqa: S608`, `# nosec`), and in migrations, management commands and tests.
    A LIKE search over several columns with the same input is reported once.
    """

    meta = RuleMeta(
        code="RV603",
        name="sql-like-injection",
        family="data",
        severity=Severity.ERROR,
        frameworks=("django", "sqlalchemy"),
        # a call that takes SQL or a LIKE pattern, or a `__contains`-style lookup, in the block
        trigger=Trigger(words=_SQL_CALLS, pattern=re.compile(r"__i?(?:contains|startswith|endswith)\b")),
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
        # reviewed with the project's own SQL-injection check (`noqa: S608`, `nosec`)
        Valid(
            """
            def views(cursor, schema, table_name, columns):
                query = f"SELECT table_name FROM {schema}.TABLES WHERE owner = '{schema}'"  # noqa: S608
                cursor.execute(query)
                cursor.execute(f"SELECT id FROM t WHERE name = '{table_name}'")  # nosec
                return conn.execute(
                    text(f"UPDATE {table_name} SET x = :x WHERE name = '{columns}'"),  # noqa: S608
                )
            """
        ),
        # identifiers and clauses cannot be bound: a parameter there is the code's own SQL
        Valid(
            """
            def estimate(cursor, statement, table, schema, limit: int):
                cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}")
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                sql = "SHOW VIEWS"
                if schema:
                    sql += f" IN `{schema}`"
                cursor.execute(sql)
                cursor.execute(f"SELECT * FROM logs LIMIT {limit}")
            """
        ),
        Valid("def search(q):\n    return select(User).where(User.name.ilike(f'%{q}%', autoescape=True))\n"),
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
        # an identifier straight from the request; one LIKE finding per searched input
        Invalid(
            """
            from django.db import connection


            def listing(request):
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT * FROM orders ORDER BY {request.GET['sort']}")  # <- RV603


            def search(query_key):
                return select(Model).where(
                    or_(
                        Model.name.ilike(f"%{query_key}%"),  # <- RV603
                        Model.description.ilike(f"%{query_key}%"),
                    )
                )
            """
        ),
    ]

    def setup(self) -> None:
        self._names: list[Names] = [Names()]
        self._searched: list[set[str]] = [set()]  # per function: inputs already reported in a LIKE pattern
        self._statements: list[cst.SimpleStatementLine] = []
        self._quiet = self.ctx.has_role(Role.TEST, Role.MIGRATION, Role.MANAGEMENT_COMMAND)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._names.append(Names.of(node))
        self._searched.append(set())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._names.pop()
        self._searched.pop()

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

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.append(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._statements.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if self._quiet or (self._statements and is_reviewed(self._statements[-1])):
            return
        names = self._names[-1]
        sql = self._sql_arg(node)
        label = method_name(node) or dotted_name(node.func) or "query"
        if sql is not None:
            how = built_string(sql, names)
            if how is not None:
                self.report(sql, f"SQL built with {how} goes to `{label}()`: input becomes SQL; pass it as a bound parameter")
            elif isinstance(sql, cst.Name):
                values = [v for v in names.assigned.get(sql.value, ()) if id(v) not in names.reviewed]
                built = next((h for h in (built_string(v, names) for v in values) if h), None)
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
                for piece in find_all(arg.value, (cst.FormattedString, cst.BinaryOperation, cst.Call)):
                    if isinstance(piece, cst.BaseExpression) and built_string(piece, names):
                        self.report(piece, "SQL built by string formatting goes to `extra()`: input becomes SQL; use `params=`")
                        return
        if method in ("like", "ilike") and node.args and get_kwarg(node, "escape") is None and get_kwarg(node, "autoescape") is None:
            pattern = node.args[0].value
            value = like_input(pattern, names)
            if value is not None:
                key = " ".join(cst.Module([]).code_for_node(value).split())
                if key not in self._searched[-1]:  # one finding per search, not one per column it looks in
                    self._searched[-1].add(key)
                    self.report(
                        pattern,
                        f"`%` and `_` in `{key}` act as wildcards in this `.{method}()` pattern, so it matches more than the text: "
                        "escape them (`escape=`) or use `.contains(..., autoescape=True)`",
                        severity=Severity.INFORMATION,
                    )
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value.endswith(_LIKE_LOOKUPS) and like_input(arg.value, names) is not None:
                self.report(
                    arg.value,
                    f"`{arg.keyword.value}` gets its own `%`: Django adds and escapes the wildcards, so this matches a literal `%`",
                    severity=Severity.WARNING,
                )
