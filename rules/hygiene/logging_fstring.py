"""RV106 logging-fstring."""

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
    fstring_to_percent,
    is_logger,
    string_literal,
)
from rules.api.helpers import evaluated, string_value
from rules.api.triggers import Trigger

_METHODS = frozenset(("debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"))
# levels that are usually off in production: an eager message there is built for nothing
_QUIET_LEVELS = frozenset(("debug", "info", "log"))


@dataclass(frozen=True, slots=True)
class LazyCall:
    """A logging call with lazy `%s` arguments: the module's own convention is lazy."""


@dataclass(frozen=True, slots=True)
class EagerStyle:
    """A logging call at any level whose message is already formatted (evidence of the style)."""


@dataclass(frozen=True, slots=True)
class EagerCall:
    """A debug/info logging call whose message is already formatted."""

    message: cst.BaseExpression
    how: str
    fix: LazyFix | None
_AUTO_FIELD = re.compile(r"\{\}")
_ANY_FIELD = re.compile(r"\{[^{}]*\}")


def _lazy(message: cst.BaseExpression) -> tuple[str, list[cst.BaseExpression]] | None:
    """The lazy (format, args) equivalent of an eagerly formatted message, or None."""
    if isinstance(message, cst.FormattedString) and "r" not in message.prefix.lower() and len(message.quote) == 1:
        return fstring_to_percent(message)
    if (
        isinstance(message, cst.Call)
        and isinstance(message.func, cst.Attribute)
        and message.func.attr.value == "format"
        and isinstance(message.func.value, cst.SimpleString)
        and all(arg.keyword is None and not arg.star for arg in message.args)
    ):
        template = evaluated(message.func.value)
        if not isinstance(template, str):
            return None
        fields = _ANY_FIELD.findall(template.replace("{{", "").replace("}}", ""))
        if len(fields) != len(message.args) or any(f != "{}" for f in fields):
            return None
        text = template.replace("%", "%%")
        text = _AUTO_FIELD.sub("%s", text.replace("{{", "\0").replace("}}", "\1")).replace("\0", "{").replace("\1", "}")
        return text, [arg.value for arg in message.args]
    if (
        isinstance(message, cst.BinaryOperation)
        and isinstance(message.operator, cst.Modulo)
        and isinstance(message.left, cst.SimpleString)
        and (template := string_value(message.left)) is not None
        and isinstance(message.right, (cst.Tuple, cst.Dict))
    ):
        right = message.right
        values: list[cst.BaseExpression] = (
            [el.value for el in right.elements] if isinstance(right, cst.Tuple) else [right]
        )
        if isinstance(right, cst.Tuple) and any(isinstance(el, cst.StarredElement) for el in right.elements):
            return None
        return template, values
    return None


def _eager(message: cst.BaseExpression) -> str | None:
    """How the message was formatted eagerly, if it was."""
    if isinstance(message, cst.FormattedString) and any(isinstance(p, cst.FormattedStringExpression) for p in message.parts):
        return "an f-string"
    if isinstance(message, cst.Call) and isinstance(message.func, cst.Attribute) and message.func.attr.value == "format":
        if isinstance(message.func.value, (cst.SimpleString, cst.ConcatenatedString)):
            return "`str.format()`"
    if isinstance(message, cst.BinaryOperation) and isinstance(message.operator, cst.Modulo):
        if isinstance(message.left, (cst.SimpleString, cst.ConcatenatedString)):
            return "`%` formatting"
    return None


class LoggingFstring(ModuleRule):
    """
    ## What it does
    Finds logging calls whose message is already formatted: an f-string, `str.format()` or
    `%` applied before the call.

    ## Why is this bad?
    The message is built even when the level is disabled, an exception in a `__str__` is
    raised at the call site instead of being reported by logging, and log aggregators
    (Sentry, Datadog, ELK) can no longer group messages by their template. It matters at
    `debug`/`info`, the levels production switches off, in a module that has not chosen
    eager formatting throughout: there the eager call breaks or sets the module's convention.

    ## Example
    ```python
    logger.info(f"order {order.id} paid by {user}")
    ```
    Use instead:
    ```python
    logger.info("order %s paid by %s", order.id, user)
    ```

    ## Fix
    Turns the message into a `%s` template with the values as arguments. Safe: logging
    renders the same text, only later. Offered when the conversion is exact (no format
    specs, `{}` fields only, a literal tuple or dict after `%`). A call laid out over several
    lines keeps its layout: the closing parenthesis stays on its own line.

    Quiet on lazy `%s` arguments; on `warning` and above (always emitted, so nothing is built
    for nothing; many projects format those eagerly on purpose); in modules whose logging
    calls are all eager, two or more of them (the project chose f-string logging); and in tests and their
    helpers, whose log lines are never aggregated or filtered by level in production.
    """

    meta = RuleMeta(
        code="RV106", name="logging-fstring", family="hygiene", severity=Severity.INFORMATION, fix=Safety.SAFE,
        trigger=Trigger(words=_METHODS),
    )

    VALID = [
        Valid("import logging\nlogger = logging.getLogger(__name__)\nlogger.info('order %s paid', order_id)\n"),
        Valid("import logging\nlogging.warning('static message')\n"),
        Valid("import math\nx = math.log(f'{1}')\n"),
        Valid("def report(out):\n    out.info(f'not a logger: {out}')\n"),
        Valid("import logging\nlog = logging.getLogger(__name__)\nlog.info('%(user)s logged in', {'user': name})\n"),
        Valid(
            """
            import logging

            log = logging.getLogger(__name__)


            def delete(name):
                log.info("deleting %s", name)
                try:
                    drop(name)
                except Exception as e:
                    log.exception(f"Reset failed: {e}")
                    log.warning(f"Collection {name} left behind")
            """,
            path="open_webui/retrieval/vector/dbs/pgvector.py",
        ),
        Valid(
            """
            import logging

            logger = logging.getLogger(__name__)


            def read_tasks(path):
                logger.debug("Read tasks list from JSON file {}".format(path))
                logger.info(f"Start async job on queue {path}")
            """,
            path="label_studio/data_import/models.py",
        ),
        Valid(
            "import logging\nlogger = logging.getLogger(__name__)\n\n\nclass DummyBlob:\n    def download(self):\n"
            "        logger.info(f'DummyBlob.download key={self.key}')\n",
            path="app/tests/utils.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            import logging

            logger = logging.getLogger(__name__)


            def pay(order, user, n, total):
                logger.info("charging %s", order.id)
                logger.info(f"order {order.id} paid by {user!r}")  # <- RV106
                logger.debug("retry {} of {}".format(n, total))  # <- RV106
                logger.debug("failed: %s (%d%%)" % (order.id, n))  # <- RV106
            """,
            fixed="""
            import logging

            logger = logging.getLogger(__name__)


            def pay(order, user, n, total):
                logger.info("charging %s", order.id)
                logger.info("order %s paid by %r", order.id, user)
                logger.debug("retry %s of %s", n, total)
                logger.debug("failed: %s (%d%%)", order.id, n)
            """,
        ),
        Invalid(
            """
            import logging


            class Worker:
                log = logging.getLogger("worker")

                def start(self, job):
                    self.log.debug("starting %s", job)

                def run(self, job):
                    self.log.log(logging.INFO, f"job {job:>5}")  # <- RV106
                    self.log.info("{0} failed".format(job))  # <- RV106
            """,
        ),
        # a call laid out over several lines keeps its closing parenthesis on its own line
        Invalid(
            """
            import logging

            log = logging.getLogger(__name__)


            def load(model, tries):
                log.debug("loading %s", model)
                log.info(
                    f"Loaded model {model}."  # <- RV106
                )
                log.debug(
                    "retry {} of {}".format(tries, 3),  # <- RV106
                )
            """,
            fixed="""
            import logging

            log = logging.getLogger(__name__)


            def load(model, tries):
                log.debug("loading %s", model)
                log.info(
                    "Loaded model %s.", model
                )
                log.debug(
                    "retry %s of %s", tries, 3,
                )
            """,
        ),
    ]

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return not ctx.has_role(Role.TEST)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _METHODS or not is_logger(func.value, self.ctx):
            return
        index = 1 if func.attr.value == "log" else 0
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        if len(positional) <= index or node.args.index(positional[index]) != index:
            return
        message = positional[index].value
        how = _eager(message)
        if how is None:
            if len(positional) > index + 1:
                self.fact(LazyCall())
            return
        self.fact(EagerStyle())
        if len(positional) > index + 1 or func.attr.value not in _QUIET_LEVELS:
            return  # extra args already (unusual), or a level that is always on
        lazy = _lazy(message)
        fix = None
        if lazy is not None:
            text, values = lazy

            def build(builder: FixBuilder, call: cst.Call = node, at: int = index) -> None:
                args = list(call.args)
                first = cst.Arg(cst.parse_expression(string_literal(text)), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                extra = [cst.Arg(v, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for v in values]
                rest = args[at + 1 :]
                new = [*args[:at], first, *extra, *rest]
                if not rest and new:
                    # the message was the last argument: its comma and the line break before `)` stay
                    new[-1] = new[-1].with_changes(comma=args[at].comma, whitespace_after_arg=args[at].whitespace_after_arg)
                builder.replace(call, call.with_changes(args=new))

            fix = self.fix("Pass the values as lazy logging arguments", build)
        self.fact(EagerCall(message, how, fix))

    def check(self, facts: Sequence[Located[object]]) -> None:
        # a module that formats all its messages eagerly (two or more, none lazy) chose that
        # style; elsewhere an eager call breaks the module's convention or sets none
        lazy = any(isinstance(f.value, LazyCall) for f in facts)
        if not lazy and sum(isinstance(f.value, EagerStyle) for f in facts) >= 2:
            return
        for located in facts:
            call = located.value
            if isinstance(call, EagerCall):
                message = f"logging message built with {call.how}: it is formatted even when the level is off"
                self.report(call.message, message, fix=call.fix, at=located.block)
