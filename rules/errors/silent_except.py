"""RV203 silent-except."""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from rules.api import FileRule, FixBuilder, Invalid, Role, RuleMeta, Safety, Scope, Severity, Valid, dotted_name

# what catches every error: programming mistakes, outages and interrupts alike
_BROAD = frozenset(("Exception", "BaseException"))
# tool directives, and notes that the work is still to do, do not explain an empty body
_NOT_AN_EXPLANATION = re.compile(r"#\s*(?:noqa|pragma|type:|reviewls:|pylint:|nosec|fmt:|todo|fixme|xxx)", re.I)


def _type_names(node: cst.BaseExpression | None) -> list[str | None]:
    if node is None:
        return [None]
    if isinstance(node, cst.Tuple):
        return [dotted_name(el.value) for el in node.elements]
    return [dotted_name(node)]


def _is_silent(stmt: cst.BaseSmallStatement | cst.BaseStatement) -> bool:
    return m.matches(stmt, m.Pass() | m.Continue() | m.Expr(m.Ellipsis()))


def _is_broad(names: list[str | None]) -> bool:
    """A bare `except:` or a clause naming `Exception`/`BaseException` (alone or in a tuple)."""
    return any(name is None or name.removeprefix("builtins.") in _BROAD for name in names)


def _explained(comments: list[cst.Comment]) -> bool:
    return any(not _NOT_AN_EXPLANATION.match(c.value) for c in comments)


def _only_imports(body: cst.BaseSuite) -> bool:
    """`try: import x` (an optional dependency probed with a broad clause)."""
    statements = body.body
    return bool(statements) and all(
        isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
        for stmt in statements
    )


class SilentExcept(FileRule):
    """
    ## What it does
    Finds `except Exception`, `except BaseException` and bare `except:` handlers whose body
    is only `pass`, `...` or `continue`, with no logging and no comment saying why.

    ## Why is this bad?
    Every error vanishes, not only the one the author had in mind: the `TypeError` of a
    typo, the database outage, the timeout. No log line, no metric, no traceback: the
    request "succeeds" with missing data, and the on-call engineer has nothing to search
    for when a customer reports it.

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

    Quiet on narrow clauses: naming the exception (`Model.DoesNotExist` then a fallback,
    `KeyError` around `del`, `(TypeError, ValueError)` with `else:`, `ImportError`,
    `StopIteration`) is the EAFP idiom, the author expected exactly that error. Also quiet
    on handlers with an explanatory comment (in the handler or on its `except` line),
    `contextlib.suppress`, `try: import ...` probes, and in tests and migrations.
    """

    meta = RuleMeta(
        code="RV203", name="silent-except", family="errors", severity=Severity.WARNING, scope=Scope.FILE, fix=Safety.UNSAFE
    )

    VALID = [
        Valid("try:\n    import ujson as json\nexcept ImportError:\n    json = None\n"),
        Valid("def first(it):\n    try:\n        return next(it)\n    except StopIteration:\n        pass\n"),
        Valid(
            "def close(conn):\n    try:\n        conn.close()\n    except Exception:\n        # already closed by the peer; nothing to release\n        pass\n"
        ),
        Valid("import contextlib\n\nwith contextlib.suppress(KeyError):\n    del cache['x']\n"),
        Valid(
            "import logging\nlogger = logging.getLogger(__name__)\n\ndef f():\n    try:\n        g()\n    except Exception:\n        logger.exception('g failed')\n"
        ),
        # the reproduction of real false alarms: EAFP with narrow, expected exceptions
        Valid(
            """
            from myapp.models import Project


            def lookup(api_key):
                try:
                    return Project.objects.get(api_key=api_key)
                except Project.DoesNotExist:
                    pass
                return None


            def drop_ref(schema, ref):
                try:
                    del schema["definitions"][ref]
                except KeyError:
                    pass


            def as_int(value):
                try:
                    n = int(value)
                except (TypeError, ValueError):
                    pass
                else:
                    return n


            def remove_theme(themes, current):
                # Remove current theme but ignore failure
                try:
                    themes.remove(current)
                except ValueError:
                    pass
            """
        ),
        Valid(
            """
            def sync_all(rows):
                for row in rows:
                    try:
                        push(row)
                    except (ValueError, KeyError):
                        continue
            """
        ),
        Valid(
            """
            def versions():
                try:
                    import label_studio_ml
                except Exception:
                    pass
            """
        ),
        Valid(
            """
            def send_job(payload):
                try:
                    post(payload)
                except Exception:  # telemetry is best effort, never fail the request for it
                    pass
            """
        ),
        Valid("def test_cleanup():\n    try:\n        remove()\n    except Exception:\n        pass\n", path="tests/test_files.py"),
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
                    except (ValueError, Exception):  # <- RV203
                        continue
            """,
            fixed="""
            import logging

            logger = logging.getLogger(__name__)


            def sync_all(rows):
                for row in rows:
                    try:
                        push(row)
                    except (ValueError, Exception):
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
        Invalid(
            """
            def attach_all(email, files):
                for f in files:
                    try:
                        email.attach(*f)
                    except:  # noqa: E722  # <- RV203
                        pass
            """
        ),
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._functions: list[str] = []
        self._tries: list[cst.Try] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Try(self, node: cst.Try) -> None:
        self._tries.append(node)

    def leave_Try(self, node: cst.Try) -> None:
        self._tries.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if self.ctx.has_role(Role.TEST, Role.MIGRATION):
            return
        if not _is_broad(_type_names(node.type)):
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
        # the handler's own comments, and the one on its `except ...:` line
        comments = [c for c in m.findall(body, m.Comment()) if isinstance(c, cst.Comment)]
        if _explained(comments):
            return
        if self._tries and node in self._tries[-1].handlers and _only_imports(self._tries[-1].body):
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
        self.report(target, f"`{label}` swallows every error: nothing is logged or re-raised", fix=fix)
