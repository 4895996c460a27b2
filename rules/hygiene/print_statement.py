"""RV101 print-statement."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    ModuleContext,
    Role,
    RuleMeta,
    Safety,
    Scope,
    Severity,
    Valid,
    dotted_name,
    fstring_to_percent,
    get_kwarg,
    is_main_guard,
    string_literal,
)

_STDOUT = frozenset(("sys.stdout", "None"))


def _logging_args(call: cst.Call) -> list[cst.Arg] | None:
    """The arguments of the equivalent lazy logging call, or None when not exact."""
    positional = [arg for arg in call.args if arg.keyword is None]
    if any(arg.star for arg in call.args):
        return None
    if get_kwarg(call, "sep") is not None:
        return None
    if not positional:
        return None
    pieces: list[str] = []
    values: list[cst.BaseExpression] = []
    for arg in positional:
        value = arg.value
        if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
            pieces.append(value.evaluated_value.replace("%", "%%"))
        elif isinstance(value, cst.FormattedString) and "r" not in value.prefix.lower() and len(value.quote) == 1:
            converted = fstring_to_percent(value)
            if converted is None:
                pieces.append("%s")
                values.append(value)
            else:
                text, expressions = converted
                pieces.append(text)
                values.extend(expressions)
        else:
            pieces.append("%s")
            values.append(value)
    fmt = " ".join(pieces)
    args = [cst.Arg(cst.parse_expression(string_literal(fmt)))]
    args.extend(cst.Arg(value) for value in values)
    return [
        arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if i < len(args) - 1 else arg
        for i, arg in enumerate(args)
    ]


class PrintStatement(FileRule):
    """
    ## What it does
    Finds `print()` calls left in application code: services, views, models, settings.

    ## Why is this bad?
    `print` writes to stdout with no level, no logger name and no timestamp: in production it
    is lost or interleaved with the server's own output, it cannot be switched off, and
    debug prints often dump personal data. A module logger goes where the deployment's
    logging config sends it.

    ## Example
    ```python
    def charge(order):
        print(f"charging {order.id}")
    ```
    Use instead:
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def charge(order):
        logger.info("charging %s", order.id)
    ```

    ## Fix
    Replaces the call with `logger.info(...)` (the level is the `level` option), adding
    `import logging` and `logger = logging.getLogger(__name__)` when the module has no logger.
    f-string pieces become lazy `%s` arguments. Safe: the output moves from stdout to the
    logging system, which is the intent; no other behaviour changes. Calls with `sep=` or
    `*args` get no fix.

    Quiet in tests, scripts (`if __name__ == "__main__":` or a `main()` entry), management
    commands, and for `print(..., file=stream)` to a stream other than stdout.
    """

    @dataclass(frozen=True, slots=True)
    class Options:
        level: str = "info"

    meta = RuleMeta(
        code="RV101",
        name="print-statement",
        family="hygiene",
        severity=Severity.WARNING,
        scope=Scope.FILE,
        fix=Safety.SAFE,
    )

    VALID = [
        Valid("import sys\n\ndef warn(msg):\n    print(msg, file=sys.stderr)\n"),
        Valid("def main():\n    print('hello')\n\nif __name__ == '__main__':\n    main()\n", path="scripts/seed.py"),
        Valid("if __name__ == '__main__':\n    print('run')\n"),
        Valid("def test_total():\n    print('debug')\n    assert 1\n", path="tests/test_orders.py"),
        Valid(
            "from django.core.management.base import BaseCommand\n\nclass Command(BaseCommand):\n    def handle(self, *a, **kw):\n        print('done')\n",
            path="shop/management/commands/seed.py",
        ),
        Valid("from rich import print\n\ndef show(x):\n    print(x)\n"),
        Valid("def report(logger):\n    logger.info('no print here: print(x)')\n"),
    ]
    INVALID = [
        Invalid(
            """
            import requests


            def charge(order):
                print(f"charging {order.id} for {order.total!r}")  # <- RV101
                return requests
            """,
            fixed="""
            import requests
            import logging

            logger = logging.getLogger(__name__)


            def charge(order):
                logger.info("charging %s for %r", order.id, order.total)
                return requests
            """,
        ),
        Invalid(
            """
            import logging

            log = logging.getLogger(__name__)


            class OrderService:
                def total(self, items):
                    print("Total:", sum(items), "items")  # <- RV101
                    print("100% done")  # <- RV101
                    return sum(items)
            """,
            fixed="""
            import logging

            log = logging.getLogger(__name__)


            class OrderService:
                def total(self, items):
                    log.info("Total: %s items", sum(items))
                    log.info("100%% done")
                    return sum(items)
            """,
        ),
        Invalid(
            """
            import sys

            def dump(rows):
                print(*rows, sep=", ", file=sys.stdout)  # <- RV101
            """,
            fixed="""
            import sys

            def dump(rows):
                print(*rows, sep=", ", file=sys.stdout)
            """,
        ),
        Invalid('"""Settings."""\nDEBUG = False\nprint("loaded settings")  # <- RV101\n', path="config/settings.py"),
    ]

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return not ctx.has_role(Role.TEST, Role.SCRIPT, Role.MANAGEMENT_COMMAND)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._guards = 0
        self._statements: set[int] = set()

    def visit_If(self, node: cst.If) -> None:
        if is_main_guard(node):
            self._guards += 1

    def leave_If(self, node: cst.If) -> None:
        if is_main_guard(node):
            self._guards -= 1

    def visit_Expr(self, node: cst.Expr) -> None:
        self._statements.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if self._guards or self.ctx.has_role(Role.TEST, Role.SCRIPT, Role.MANAGEMENT_COMMAND):
            return
        if not m.matches(node.func, m.Name("print")) or self.ctx.qualified_name(node.func) != "print":
            return
        stream = get_kwarg(node, "file")
        if stream is not None and dotted_name(stream.value) not in _STDOUT:
            return
        args = _logging_args(node) if id(node) in self._statements else None
        fix = None
        if args is not None:
            level = self.options.level  # type: ignore[attr-defined]
            new_args: list[cst.Arg] = args

            def build(builder: FixBuilder, call: cst.Call = node) -> None:
                name = builder.ensure_logger()
                func = cst.Attribute(cst.Name(name), cst.Name(level))
                builder.replace(call, call.with_changes(func=func, args=new_args))

            fix = self.fix(f"Replace `print` with `logger.{level}`", build)
        self.report(node.func, "`print()` in application code: output bypasses logging and its levels", fix=fix)
