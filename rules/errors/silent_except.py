"""RV203 silent-except."""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from rules.api import FileRule, FixBuilder, Invalid, RuleMeta, Safety, Scope, Severity, Valid, dotted_name

# exceptions used for control flow or optional imports: swallowing them is the point
_CONTROL_FLOW = frozenset(
    ("StopIteration", "StopAsyncIteration", "GeneratorExit", "ImportError", "ModuleNotFoundError", "CancelledError")
)
_NOT_AN_EXPLANATION = re.compile(r"#\s*(?:noqa|pragma|type:|reviewls:|pylint:|nosec)", re.I)


def _type_names(node: cst.BaseExpression | None) -> list[str | None]:
    if node is None:
        return [None]
    if isinstance(node, cst.Tuple):
        return [dotted_name(el.value) for el in node.elements]
    return [dotted_name(node)]


def _is_silent(stmt: cst.BaseSmallStatement | cst.BaseStatement) -> bool:
    return m.matches(stmt, m.Pass() | m.Continue() | m.Expr(m.Ellipsis()))


class SilentExcept(FileRule):
    """
    ## What it does
    Finds `except` handlers whose body is only `pass`, `...` or `continue`, with no logging
    and no comment saying why.

    ## Why is this bad?
    The error vanishes: no log line, no metric, no traceback. The request "succeeds" with
    missing data, and the on-call engineer has nothing to search for when a customer reports
    it.

    ## Example
    ```python
    try:
        send_receipt(order)
    except Exception:
        pass
    ```
    Use instead:
    ```python
    try:
        send_receipt(order)
    except Exception:
        logger.exception("receipt for order %s failed", order.id)
    ```

    ## Fix
    Replaces `pass`/`...` with `logger.exception(...)` (keeping `continue`), adding the
    module logger when absent. Unsafe: it adds log output, which may be noisy or carry data
    the team does not want logged.

    Quiet on handlers with an explanatory comment, `contextlib.suppress`, and control-flow or
    optional-import exceptions (`StopIteration`, `ImportError`, ...).
    """

    meta = RuleMeta(
        code="RV203", name="silent-except", family="errors", severity=Severity.WARNING, scope=Scope.FILE, fix=Safety.UNSAFE
    )

    VALID = [
        Valid("try:\n    import ujson as json\nexcept ImportError:\n    json = None\n"),
        Valid("def first(it):\n    try:\n        return next(it)\n    except StopIteration:\n        pass\n"),
        Valid(
            "def close(conn):\n    try:\n        conn.close()\n    except OSError:\n        # already closed by the peer; nothing to release\n        pass\n"
        ),
        Valid("import contextlib\n\nwith contextlib.suppress(KeyError):\n    del cache['x']\n"),
        Valid(
            "import logging\nlogger = logging.getLogger(__name__)\n\ndef f():\n    try:\n        g()\n    except Exception:\n        logger.exception('g failed')\n"
        ),
    ]
    INVALID = [
        Invalid(
            """
            import logging

            logger = logging.getLogger(__name__)


            def notify(order):
                try:
                    send_receipt(order)
                except Exception:  # <- RV203
                    pass
            """,
            fixed="""
            import logging

            logger = logging.getLogger(__name__)


            def notify(order):
                try:
                    send_receipt(order)
                except Exception:
                    logger.exception("Ignored error in notify")
            """,
        ),
        Invalid(
            """
            def sync_all(rows):
                for row in rows:
                    try:
                        push(row)
                    except (ValueError, KeyError):  # <- RV203
                        continue
            """,
            fixed="""
            import logging

            logger = logging.getLogger(__name__)


            def sync_all(rows):
                for row in rows:
                    try:
                        push(row)
                    except (ValueError, KeyError):
                        logger.exception("Ignored error in sync_all")
                        continue
            """,
        ),
        Invalid(
            """
            class Cache:
                def drop(self, key):
                    try:
                        del self.data[key]
                    except:  # <- RV203
                        ...
            """
        ),
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._functions: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        names = _type_names(node.type)
        if all(name is not None and name.rsplit(".", 1)[-1] in _CONTROL_FLOW for name in names):
            return
        body = node.body
        statements: list[cst.BaseSmallStatement | cst.BaseStatement] = []
        if isinstance(body, cst.SimpleStatementSuite):
            statements.extend(body.body)
        else:
            for stmt in body.body:
                statements.extend(stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt])
        if not statements or not all(_is_silent(stmt) for stmt in statements):
            return
        comments = [c for c in m.findall(body, m.Comment()) if isinstance(c, cst.Comment)]
        if any(not _NOT_AN_EXPLANATION.match(c.value) for c in comments):
            return
        where = self._functions[-1] if self._functions else "module"
        fix = None
        if isinstance(body, cst.IndentedBlock):
            block: cst.IndentedBlock = body

            def build(builder: FixBuilder) -> None:
                name = builder.ensure_logger()
                log = cst.parse_statement(f'{name}.exception("Ignored error in {where}")\n')
                kept = [
                    stmt
                    for stmt in block.body
                    if not (isinstance(stmt, cst.SimpleStatementLine) and all(m.matches(s, m.Pass() | m.Expr(m.Ellipsis())) for s in stmt.body))
                ]
                builder.replace(block, block.with_changes(body=[log, *kept]))

            fix = self.fix("Log the exception with `logger.exception`", build)
        label = "except" if node.type is None else "except " + cst.Module([]).code_for_node(node.type)
        target: cst.CSTNode = node.type if node.type is not None else node
        self.report(target, f"`{label}` swallows the error: nothing is logged or re-raised", fix=fix)
