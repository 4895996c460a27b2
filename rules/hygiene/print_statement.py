"""RV101 print-statement."""

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
    caught_names,
    dotted_name,
    find_all,
    fstring_to_percent,
    get_kwarg,
    is_main_guard,
    string_literal,
)
from rules.api.helpers import is_name, string_value
from rules.api.orm import is_schema_migration
from rules.api.triggers import Trigger, words

_STDOUT = frozenset(("sys.stdout", "None"))
# decorators from these packages, or named `.command`/`.group` (Flask `@app.cli.command`), make a terminal command
_CLI_PACKAGES = frozenset(("click", "typer", "flask_script"))
# a condition on one of these says the output is wanted: `if verbose: print(...)`
_OUTPUT_FLAG = re.compile(r"verbos|print|quiet|silent|echo|interactive|stdout|progress", re.I)
# the project's print linter (flake8-print/ruff T201, T20) is switched off: the print is meant
_PRINT_NOQA = re.compile(r"#\s*noqa(?::[^#]*\b(?:T20\d?|T001)\b|\s*$)", re.I)
_FILE_PRINT_NOQA = re.compile(r"#\s*(?:ruff|flake8)\s*:\s*noqa(?::[^#]*\b(?:T20\d?|T001)\b|\s*$)", re.I)
# a definition named for its output prints by design: `StdOutEventLogger`, `print_summary`
_OUTPUT_NAME = re.compile(r"stdout|console|print|echo|terminal|tty", re.I)
# terminal colours (colorama, ANSI escapes): the text is meant for a terminal
_COLOURS = frozenset(("colorama.Fore", "colorama.Style", "colorama.Back", "termcolor.colored", "click.style", "click.secho"))
_ANSI = re.compile(r"\\(?:x1b|033|u001b|e)\[|\x1b\[", re.I)
# a printed value named like this is a startup banner or usage text, shown on purpose
_BANNER = re.compile(r"banner|logo|usage", re.I)
# handling these around a print means the code knows it writes to a terminal's stdout
_STDOUT_ERRORS = frozenset(("UnicodeEncodeError", "BrokenPipeError"))
_EXITS = frozenset(("sys.exit", "exit", "quit", "os._exit", "SystemExit"))
# reading an answer from the terminal: the prints around it are the question's context
_PROMPTS = frozenset(
    ("input", "getpass.getpass", "click.prompt", "click.confirm", "typer.prompt", "typer.confirm", "rich.prompt.Prompt.ask")
)
_PARSE_ARGS = frozenset(("parse_args", "parse_known_args", "parse_intermixed_args"))


@dataclass(frozen=True, slots=True)
class Shebang:
    """The module starts with `#!`: it is run as a program, its prints talk to a terminal."""


@dataclass(frozen=True, slots=True)
class PrintsAllowed:
    """A file-level `# ruff: noqa: T201`: the maintainers allow print in this module."""


@dataclass(frozen=True, slots=True)
class Reference:
    """A top-level name used by `user` (a top-level definition, or None for module code)."""

    user: str | None
    name: str
    script: bool  # from script code: the `__main__` block, a CLI command, `main()`


@dataclass(frozen=True, slots=True)
class Entry:
    """A top-level definition that is script code by itself (a CLI command, `main()`)."""

    name: str


@dataclass(frozen=True, slots=True)
class ModulePrompt:
    """Module-level code reads an answer from the terminal: the module is a script."""


@dataclass(frozen=True, slots=True)
class ClassName:
    """A top-level class: application structure, never script code through its users."""

    name: str
    node: cst.Name


@dataclass(frozen=True, slots=True)
class PrintCall:
    """A `print()` to stdout; `owner` is its top-level definition (None: module code)."""

    node: cst.Name
    owner: str | None
    script: bool
    fix: LazyFix | None


def _mentions_flag(test: cst.BaseExpression) -> bool:
    """Does a condition read an output switch (`verbose`, `options["verbosity"]`, `print_message`)?"""
    for node in find_all(test, (cst.Name, cst.SimpleString)):
        text = node.value if isinstance(node, (cst.Name, cst.SimpleString)) else ""
        if _OUTPUT_FLAG.search(text):
            return True
    return False


def _coloured(call: cst.Call, ctx: ModuleContext) -> bool:
    """Does the printed text carry terminal colours (`Fore.RED`, `"\\033[1m"`)?"""
    for node in find_all(call, (cst.Name, cst.Attribute, cst.SimpleString, cst.FormattedStringText)):
        if isinstance(node, (cst.SimpleString, cst.FormattedStringText)):
            if _ANSI.search(node.value):
                return True
        elif isinstance(node, (cst.Name, cst.Attribute)) and ctx.qualified_name(node) in _COLOURS:
            return True
    return False


def _exits(statements: Sequence[cst.BaseStatement]) -> bool:
    """Does a statement list itself end the program (`sys.exit(1)`, `raise SystemExit`)?"""
    for stmt in statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            target: cst.BaseExpression | None = None
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                target = small.value.func
            elif isinstance(small, cst.Raise) and small.exc is not None:
                target = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
            if target is not None and dotted_name(target) in _EXITS:
                return True
    return False


def _prompts(node: cst.CSTNode, ctx: ModuleContext) -> bool:
    """Does the code read an answer from the terminal (`input()`, `getpass()`, `click.confirm`)?"""
    return any(isinstance(call, cst.Call) and ctx.qualified_name(call.func) in _PROMPTS for call in find_all(node, cst.Call))


def _reads_argv(node: cst.FunctionDef, ctx: ModuleContext) -> bool:
    """Does the function parse the process's arguments with argparse (`parser.parse_args()`,
    `parse_args(sys.argv[1:])`, `parse_args(argv)`)? Then it is a command-line program's entry.
    Arguments parsed from other text (a chat command's words) are not the command line."""
    if not any(target.split(".")[0] == "argparse" for _, target in ctx.import_items):
        return False
    for call in find_all(node.body, cst.Call):
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value in _PARSE_ARGS):
            continue
        given = [arg.value for arg in call.args if arg.keyword is None or arg.keyword.value == "args"]
        if not given or all(
            any(
                (isinstance(found, cst.Name) and found.value in ("argv", "None"))
                or (isinstance(found, cst.Attribute) and dotted_name(found) == "sys.argv")
                for found in find_all(value, (cst.Name, cst.Attribute))
            )
            for value in given
        ):
            return True
    return False


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
        if isinstance(value, cst.SimpleString) and (text := string_value(value)) is not None:
            pieces.append(text.replace("%", "%%"))
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
    last = call.args[-1]  # its comma and the line break before `)` stay: the call keeps its layout
    return [
        arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        if i < len(args) - 1
        else arg.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg)
        for i, arg in enumerate(args)
    ]


class PrintStatement(ModuleRule):
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
    `import logging` (in the standard-library imports, in order) and
    `logger = logging.getLogger(__name__)` when the module has no logger. f-string pieces
    become lazy `%s` arguments; a call over several lines keeps its layout. Unsafe, so
    `--fix` leaves it to a person (as Ruff's T201 fix): with no logging configuration the
    root level is WARNING, so an `info` message that used to reach the terminal is silently
    dropped. Calls with `sep=` or `*args` get no fix.

    Prints that talk to a person at a terminal are not findings: code under
    `if __name__ == "__main__":` and the module's functions only that block (or `main()`)
    uses; command-line entry points and what only they use: click/typer/Flask CLI commands
    (`@app.cli.command`, `@click.command`, Typer's `@app.command()`) and functions that
    parse the process's arguments with argparse (`parser.parse_args()`, `parse_args(argv)`;
    not arguments parsed from other text); functions that ask the user something (`input()`,
    `getpass()`, `click.confirm`...) and what only they use, and module-level code of a
    module that asks at module level; Django management commands (also a
    `Command(BaseCommand)` class elsewhere), migrations (Django's `migrations/`, Alembic
    revisions: a module importing alembic, or under `alembic/versions/`), tests, scripts
    started with a `#!` line, output behind a switch (`if verbose:`, `if print_message:`), a
    message right before the program exits (`print(...)` then `sys.exit(1)`), text coloured
    for a terminal (colorama `Fore.RED`, ANSI escapes) and definitions named for their output
    (`StdOutEventLogger`, `print_summary`, `console_report`), a startup banner or usage text
    (`print(banner)`), prints guarded against the terminal's
    `UnicodeEncodeError`/`BrokenPipeError`. Prints the project's own print linter was told to
    allow (`# noqa: T201` on the line, `# ruff: noqa: T201` for the file) are meant too. A
    module with a `__main__` block is still application code outside that block.
    `print(..., file=stream)` to a stream other than stdout is quiet too.
    """

    @dataclass(frozen=True, slots=True)
    class Options:
        level: str = "info"

    options: Options  # typed: the engine builds it from `[tool.reviewls.rules.<name>]`

    meta = RuleMeta(
        code="RV101",
        name="print-statement",
        family="hygiene",
        severity=Severity.WARNING,
        fix=Safety.UNSAFE,
        trigger=Trigger(module_words=words("print")),
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
        Valid(
            """
            import click
            from flask import Flask

            app = Flask(__name__)


            @app.cli.command("get_config")
            @click.argument("key")
            def get_config(key):
                print(key)
                show_value(key)


            def show_value(key):
                print(app.config[key])
            """,
            path="app/__init__.py",
        ),
        Valid(
            """
            #!/usr/bin/env python
            from urllib.request import urlopen

            with urlopen("http://localhost:8000/status/", timeout=5) as response:
                assert response.status == 200

            print("Status OK")
            """,
            path="deploy/fetchstatus.py",
        ),
        Valid(
            """
            import sys


            def parse_args(argv):
                print("usage: seed.py COUNT")
                return argv


            def seed(count):
                answer = input("Really seed? ")
                print(f"seeding {count}")


            def check_version(print_message=True):
                if outdated() and print_message:
                    print("a newer version is available")


            def load_plugins(plugins):
                for plugin in plugins:
                    if not plugin.compatible:
                        print("Incompatible plugins found!")
                        sys.exit(1)


            if __name__ == "__main__":
                seed(parse_args(sys.argv))
            """,
            path="app/seed.py",
        ),
        Valid(
            """
            # ruff: noqa: T201
            from pathlib import Path


            def _log(progress, msg):
                if progress:
                    print(msg)


            def migrate(source: Path):
                print(summary(source))
            """,
            path="mlflow/store/fs2db/__init__.py",
        ),
        Valid(
            """
            def show(rows):
                print(rows)  # noqa: T201
                print(  # the report is the command's output
                    len(rows),
                )  # noqa: T201
            """,
            path="app/report.py",
        ),
        Valid(
            """
            BANNER = "Open WebUI"


            def startup(version):
                print(BANNER)
                try:
                    print(render_logo(version))
                except UnicodeEncodeError:
                    print(f"Open WebUI v{version}")
            """,
            path="app/main.py",
        ),
        Valid(
            """
            from colorama import Fore, Style


            class StdOutEventLogger:
                def log(self, data):
                    print("StdOutEventLogger: ", data)


            def check_database(uri):
                try:
                    connect(uri)
                except Exception:
                    print(f"{Fore.RED}ERROR: Cannot connect to database {uri}{Style.RESET_ALL}")


            def banner():
                print("\\033[1mWelcome\\033[0m")
            """,
            path="app/log.py",
        ),
        Valid(
            """
            from django.db import migrations


            def forwards(apps, schema_editor):
                print("renamed duplicates")


            class Migration(migrations.Migration):
                operations = [migrations.RunPython(forwards)]
            """,
            path="shop/migrations/0003_fixup.py",
        ),
        Valid(
            """
            import sqlalchemy as sa
            from alembic import op

            revision = "9e83011d1f2a"
            down_revision = "a1b2c3d4e5f6"


            def upgrade():
                try:
                    op.execute(sa.text("UPDATE limits SET v2 = true"))
                except Exception as e:
                    print(f"Warning: Could not migrate limits: {e}")
            """,
            path="prefect/server/database/_migrations/versions/sqlite/2025_09_17_migrate.py",
        ),
        Valid(
            """
            from django.core.management.base import BaseCommand


            class Command(BaseCommand):
                def handle(self, *args, **options):
                    print("done")
            """,
            path="shop/commands.py",
        ),
        # prompts: the prints around `input()`/`getpass()` tell the person at the terminal what
        # they answer, and the helpers only a prompting function uses do too
        Valid(
            """
            import getpass


            def warn_pending(pending):
                print(f"{len(pending)} migrations are pending")


            def confirm_migrations(pending):
                warn_pending(pending)
                return input("Run database migrations (Y/N) ") == "Y"


            def create_admin(username):
                print(f"Creating admin {username}")
                return username, getpass.getpass("Password: ")
            """,
            path="app/setup.py",
        ),
        # module-level script code that prompts
        Valid(
            """
            from app.db import migrate

            print("WARNING: this migrates the production database.")
            print("Make a backup first.")
            if input("Run database migrations (Y/N) ").lower() == "y":
                migrate()
            """,
            path="app/upgrade.py",
        ),
        # a command-line program: a function that parses the process's arguments with argparse,
        # and what only it uses
        Valid(
            """
            import argparse
            import sys


            def run(argv=None):
                parser = argparse.ArgumentParser(description="Import orders")
                parser.add_argument("path")
                args = parser.parse_args(argv or sys.argv[1:])
                print(f"importing {args.path}")
                report(load(args.path))


            def report(rows):
                print(f"{len(rows)} rows imported")
            """,
            path="app/importer.py",
        ),
        # a Typer command
        Valid(
            """
            import typer

            app = typer.Typer()


            @app.command()
            def sync(force: bool = False):
                print("synced")
            """,
            path="app/cli.py",
        ),
        # an Alembic revision, by its folder
        Valid(
            """
            import sqlalchemy as sa

            revision = "1a2b3c4d5e6f"
            down_revision = None


            def upgrade(op):
                op.add_column("orders", sa.Column("note", sa.Text()))
                print("added orders.note")
            """,
            path="db/alembic/versions/1a2b3c4d5e6f_note.py",
        ),
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
            import logging

            import requests

            logger = logging.getLogger(__name__)


            def charge(order):
                logger.info("charging %s for %r", order.id, order.total)
                return requests
            """,
        ),
        # `import logging` goes where isort puts it: the standard-library group, in order
        Invalid(
            """
            \"""Order export.\"""
            from __future__ import annotations

            import json
            import sys
            from datetime import date

            import requests


            def export(order):
                print(f"exported {order.id}")  # <- RV101
                return json.dumps(order), sys, date, requests
            """,
            fixed="""
            \"""Order export.\"""
            from __future__ import annotations

            import json
            import logging
            import sys
            from datetime import date

            import requests

            logger = logging.getLogger(__name__)


            def export(order):
                logger.info("exported %s", order.id)
                return json.dumps(order), sys, date, requests
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
        # arguments parsed from a chat message, not the command line: application code; a
        # call over several lines keeps its closing parenthesis on its own line
        Invalid(
            """
            import argparse
            import logging

            log = logging.getLogger(__name__)


            def handle_command(text):
                parser = argparse.ArgumentParser(prog="/deploy")
                args = parser.parse_args(text.split())
                print(  # <- RV101
                    f"deploying {args.target}"
                )
            """,
            fixed="""
            import argparse
            import logging

            log = logging.getLogger(__name__)


            def handle_command(text):
                parser = argparse.ArgumentParser(prog="/deploy")
                args = parser.parse_args(text.split())
                log.info(
                    "deploying %s", args.target
                )
            """,
        ),
        Invalid(
            """
            class OrderService:
                def total(self, order):
                    print(order)  # <- RV101
                    return order.amount


            def main():
                print(OrderService().total(load()))


            def shared(order):
                print(order)  # <- RV101


            def checkout(order):
                return shared(order)


            if __name__ == "__main__":
                main()
                shared(None)
            """,
            path="shop/services.py",
        ),
    ]

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        # an Alembic revision (or env.py) is a migration wherever its folder is
        alembic = "alembic" in ctx.frameworks or is_schema_migration(ctx.path)
        return not alembic and not ctx.has_role(Role.TEST, Role.MIGRATION, Role.MANAGEMENT_COMMAND)

    def setup(self) -> None:
        self._depth = 0  # def/class nesting
        self._owner: str | None = None  # the top-level def/class being visited
        self._guard = 0  # inside `if __name__ == "__main__":`
        self._quiet: list[cst.CSTNode] = []  # open nodes whose prints talk to a terminal
        self._names: list[str] = []  # enclosing def/class names
        self._statements: set[int] = set()

    def visit_Module(self, node: cst.Module) -> None:
        first = node.header[0] if node.header else None
        if first is None and node.body:
            leading = getattr(node.body[0], "leading_lines", ())
            first = leading[0] if leading else None
        if first is not None and first.comment is not None and first.comment.value.startswith("#!"):
            self.fact(Shebang())
        leading = getattr(node.body[0], "leading_lines", ()) if node.body else ()
        if any(line.comment and _FILE_PRINT_NOQA.match(line.comment.value) for line in (*node.header, *leading)):
            self.fact(PrintsAllowed())

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        comment = node.trailing_whitespace.comment
        if comment is not None and _PRINT_NOQA.search(comment.value):
            self._quiet.append(node)

    def leave_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if self._quiet and self._quiet[-1] is node:
            self._quiet.pop()

    def visit_If(self, node: cst.If) -> None:
        if is_main_guard(node):
            self._guard += 1
        elif _mentions_flag(node.test):
            self._quiet.append(node)

    def leave_If(self, node: cst.If) -> None:
        if is_main_guard(node):
            self._guard -= 1
        elif self._quiet and self._quiet[-1] is node:
            self._quiet.pop()

    def visit_Try(self, node: cst.Try) -> None:
        if any(set(caught_names(handler) or ()) & _STDOUT_ERRORS for handler in node.handlers):
            self._quiet.append(node)

    def leave_Try(self, node: cst.Try) -> None:
        if self._quiet and self._quiet[-1] is node:
            self._quiet.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if _exits(node.body):
            self._quiet.append(node)

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if self._quiet and self._quiet[-1] is node:
            self._quiet.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._names.append(node.name.value)
        if self._depth == 0:
            self._owner = node.name.value
            self.fact(ClassName(node.name.value, node.name))
        self._depth += 1
        bases = (dotted_name(arg.value) or "" for arg in node.bases)
        if any(base.rsplit(".", 1)[-1] in ("BaseCommand", "LabelCommand", "AppCommand") for base in bases):
            self._quiet.append(node)  # a Django management command, wherever it lives
            if self._depth == 1:
                self.fact(Entry(node.name.value))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._leave(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._names.append(node.name.value)
        if self._depth == 0:
            self._owner = node.name.value
        self._depth += 1
        decorators = [d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator for d in node.decorators]
        cli = any(self._is_cli(expr) for expr in decorators) or _reads_argv(node, self.ctx)
        prompts = _prompts(node.body, self.ctx)
        entry = cli or prompts or (self._depth == 1 and node.name.value == "main")
        if cli or prompts:
            self._quiet.append(node)
        if entry and self._depth == 1:
            self.fact(Entry(node.name.value))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._leave(node)

    def _leave(self, node: cst.CSTNode) -> None:
        self._names.pop()
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
        if self._quiet and self._quiet[-1] is node:
            self._quiet.pop()

    def _is_cli(self, expr: cst.BaseExpression) -> bool:
        name = self.ctx.qualified_name(expr) or ""
        return name.split(".")[0] in _CLI_PACKAGES or name.rsplit(".", 1)[-1] in ("command", "group")

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.ctx.local_names and node.value != self._owner:
            self.fact(Reference(self._owner, node.value, self._guard > 0))

    def visit_Expr(self, node: cst.Expr) -> None:
        self._statements.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if self._depth == 0 and self._guard == 0 and self.ctx.qualified_name(node.func) in _PROMPTS:
            self.fact(ModulePrompt())
        if not is_name(node.func, "print") or self.ctx.qualified_name(node.func) != "print":
            return
        stream = get_kwarg(node, "file")
        if stream is not None and dotted_name(stream.value) not in _STDOUT:
            return
        script = (
            self._guard > 0
            or bool(self._quiet)
            or any(_OUTPUT_NAME.search(name) for name in self._names)
            or _coloured(node, self.ctx)
            or any(_BANNER.search((dotted_name(arg.value) or "").rsplit(".", 1)[-1]) for arg in node.args)
        )
        args = _logging_args(node) if id(node) in self._statements and not script else None
        fix = None
        if args is not None:
            level = self.options.level
            new_args: list[cst.Arg] = args

            def build(builder: FixBuilder, call: cst.Call = node) -> None:
                name = builder.ensure_logger()
                func = cst.Attribute(cst.Name(name), cst.Name(level))
                builder.replace(call, call.with_changes(func=func, args=new_args))

            fix = self.fix(f"Replace `print` with `logger.{level}`", build)
        assert isinstance(node.func, cst.Name)
        self.fact(PrintCall(node.func, self._owner, script, fix))

    def check(self, facts: Sequence[Located[object]]) -> None:
        if any(isinstance(f.value, (Shebang, PrintsAllowed)) for f in facts):
            return
        script = {f.value.name for f in facts if isinstance(f.value, Entry)}
        prompting = any(isinstance(f.value, ModulePrompt) for f in facts)  # module code talks to a terminal
        classes = {f.value.name for f in facts if isinstance(f.value, ClassName)}
        users: dict[str, list[Reference]] = {}
        for located in facts:
            if isinstance(located.value, Reference):
                users.setdefault(located.value.name, []).append(located.value)
        changed = True
        while changed:  # a function only script code uses is script code (a class may be imported elsewhere)
            changed = False
            for name, refs in users.items():
                if name not in script and name not in classes and all(r.script or r.user in script for r in refs):
                    script.add(name)
                    changed = True
        for located in facts:
            call = located.value
            if not isinstance(call, PrintCall) or call.script or call.owner in script:
                continue
            if call.owner is None and prompting:
                continue
            message = "`print()` in application code: output bypasses logging and its levels"
            self.report(call.node, message, fix=call.fix, at=located.block)
