"""RV404 debug-enabled."""

from __future__ import annotations

import re

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    ModuleContext,
    Role,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    dotted_name,
    get_kwarg,
    string_value,
)
from rules.api.env import env_read, local_class, local_variant
from rules.api.helpers import is_name
from rules.api.triggers import Trigger

_TRUE_STRINGS = frozenset(("true", "1", "yes", "on", "t", "y"))


def _is_true(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value == "True"
    value = string_value(node)
    return value is not None and value.strip().lower() in _TRUE_STRINGS


def _false_like(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, cst.Name):
        return cst.Name("False")
    assert isinstance(node, cst.SimpleString)
    value = string_value(node) or ""
    replacement = "0" if value.strip().isdigit() else "False" if value[:1].isupper() else "false"
    return node.with_changes(value=f"{node.prefix}{node.quote}{replacement}{node.quote}")


class DebugEnabled(FileRule):
    """
    ## What it does
    Finds debug mode on by default where the deployed app is configured: `DEBUG = True` in
    settings that are not local/dev/test settings, in a settings class (pydantic-settings
    `debug: bool = True`, Flask `class ProductionConfig: DEBUG = True`), `DEBUG` read from the
    environment with a default that turns it on (`env.bool("DEBUG", default=True)`,
    `os.getenv("DEBUG", "true") == "true"`), and Flask's `app.run(debug=True)`.

    ## Why is this bad?
    Django's debug pages show settings, SQL, file paths and stack frames with local
    variables to anyone who triggers an error; debug mode also keeps every query in memory.
    A default of true means a deploy that forgets the variable runs in debug mode.

    ## Example
    ```python
    DEBUG = env.bool("DEBUG", default=True)
    ```
    Use instead:
    ```python
    DEBUG = env.bool("DEBUG", default=False)
    ```

    ## Fix
    Makes the value (or the default) false. Safe: production must not run in debug mode;
    local settings files, where debug belongs, are not flagged. `app.run(debug=True)` gets no
    fix (it is the development server's switch).

    Quiet in `settings/local.py`, `dev.py`, `test*.py`, `testutils/settings.py` and other
    local variants, in `if`/`else` branches that set it per environment, in the shared base of split settings (`settings/base.py`, `common.py`:
    each environment's module imports it and sets DEBUG itself), in config classes for one environment (`TestingConfig`,
    `DevelopmentConfig`), inside functions, and when the default is off
    (`os.getenv("DEBUG", "no").lower() in ("1", "true")`).
    """

    meta = RuleMeta(
        code="RV404",
        name="debug-enabled",
        family="security",
        severity=Severity.ERROR,
        fix=Safety.SAFE,
        trigger=Trigger(pattern=re.compile(r"(?i)debug")),
    )

    VALID = [
        Valid("DEBUG = True\n", path="config/settings/local.py"),
        Valid("import os\nDEBUG = os.getenv('DEBUG', 'false').lower() == 'true'\n", path="config/settings.py"),
        Valid("DEBUG = True\n", path="app/views.py"),
        Valid("import environ\nenv = environ.Env()\nDEBUG = env.bool('DEBUG', default=False)\n", path="config/settings/production.py"),
        # config classes for tests and development, the test suite's settings module
        Valid(
            """
            class Config:
                DEBUG = False


            class DevelopmentConfig(Config):
                DEBUG = True


            class TestingConfig(Config):
                DEBUG = True
                TESTING = True
            """,
            path="app/config.py",
        ),
        Valid("DEBUG = True\nDEBUG_PROPAGATE_EXCEPTIONS = True\n", path="shop/testutils/settings.py"),
        # the shared base of split settings: `settings/label_studio.py` imports it and sets DEBUG itself
        Valid("DEBUG = get_bool_env('DEBUG', True)\n", path="label_studio/core/settings/base.py"),
        Valid("import os\nDEBUG = os.getenv('DEBUG', 'no').lower() in ('1', 'true', 'yes')\n", path="config/settings.py"),
        Valid("import os\nif os.environ.get('ON_HEROKU', '0') == '0':\n    DEBUG = True\nelse:\n    DEBUG = False\n", path="site/settings.py"),
    ]
    INVALID = [
        Invalid("DEBUG = True  # <- RV404\n", path="shop/settings.py", fixed="DEBUG = False\n"),
        Invalid(
            """
            import environ
            from decouple import config

            env = environ.Env()
            DEBUG = env.bool("DEBUG", default=True)  # <- RV404
            TEMPLATE_DEBUG = config("TEMPLATE_DEBUG", default="True", cast=bool)  # <- RV404
            """,
            fixed="""
            import environ
            from decouple import config

            env = environ.Env()
            DEBUG = env.bool("DEBUG", default=False)
            TEMPLATE_DEBUG = config("TEMPLATE_DEBUG", default="False", cast=bool)
            """,
            path="config/settings/production.py",
        ),
        # on by default through a string comparison
        Invalid(
            """
            import os

            DEBUG = os.getenv("DEBUG", "true") == "true"  # <- RV404
            TEMPLATE_DEBUG = os.environ.get("TEMPLATE_DEBUG", "1").lower() in ("1", "yes")  # <- RV404
            """,
            fixed="""
            import os

            DEBUG = os.getenv("DEBUG", "false") == "true"
            TEMPLATE_DEBUG = os.environ.get("TEMPLATE_DEBUG", "0").lower() in ("1", "yes")
            """,
            path="shop/settings.py",
        ),
        # settings classes: pydantic-settings and a Flask production config; Flask's debugger
        Invalid(
            """
            from flask import Flask
            from pydantic_settings import BaseSettings


            class Settings(BaseSettings):
                debug: bool = True  # <- RV404


            class ProductionConfig(object):
                DEBUG = True  # <- RV404


            app = Flask(__name__)

            if __name__ == "__main__":
                app.run(host="0.0.0.0", debug=True)  # <- RV404
            """,
            path="app/main.py",
        ),
    ]

    def setup(self) -> None:
        self._classes: list[cst.ClassDef] = []
        self._functions = 0
        self._branches = 0  # `if os.environ.get("ON_HEROKU") == "0": DEBUG = True`: set per environment

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return not local_variant(ctx)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions += 1

    def visit_If(self, node: cst.If) -> None:
        self._branches += 1

    def leave_If(self, original_node: cst.If) -> None:
        self._branches -= 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions -= 1

    def _where(self) -> str | None:
        """Where a debug flag configures the deployed app: production settings, or a settings
        class (pydantic-settings, Flask's `class ProductionConfig`) that is not a test/dev one."""
        if self._functions:
            return None
        if self._classes:
            cls = self._classes[-1]
            if any(local_class(c.name.value) for c in self._classes):
                return None
            bases = [(self.ctx.qualified_name(b.value) or "").rsplit(".", 1)[-1] for b in cls.bases]
            if _CONFIG_CLASS.search(cls.name.value) or any(_CONFIG_CLASS.search(b) for b in bases):
                return "settings class"
            return None
        if not self.ctx.is_production_settings() or _split_settings_base(self.ctx.path):
            return None
        return "settings"

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._check((dotted_name(node.targets[0].target) or "").rsplit(".", 1)[-1], node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        """pydantic-settings: `debug: bool = True`."""
        if node.value is not None:
            self._check((dotted_name(node.target) or "").rsplit(".", 1)[-1], node.value)

    def visit_Call(self, node: cst.Call) -> None:
        """Flask's `app.run(debug=True)`: the Werkzeug debugger runs code typed into the error page."""
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "run" or self.ctx.has_role(Role.TEST):
            return
        owner = dotted_name(func.value) or ""
        if self.ctx.module_calls.get(owner) != "flask.Flask" and self.ctx.qualified_name(func.value) != "flask.Flask":
            return
        debug = get_kwarg(node, "debug")
        if debug is not None and is_name(debug.value, "True"):
            self.report(debug.value, "`app.run(debug=True)` serves the Werkzeug debugger: anyone who triggers an error can run code on the server")

    def _check(self, name: str, value: cst.BaseExpression) -> None:
        if not name.upper().endswith("DEBUG"):
            return
        where = self._where()
        if where is None:
            return
        flagged: cst.BaseExpression | None = None
        if isinstance(value, cst.Name) and value.value == "True":
            if self._branches:
                return  # the other branch sets it for the other environments
            flagged = value
        else:
            flagged = _true_default(value, self.ctx)
        if flagged is None:
            return
        target: cst.BaseExpression = flagged

        def build(builder: FixBuilder, old: cst.BaseExpression = target) -> None:
            builder.replace(old, _false_like(old))

        self.report(flagged, f"`{name}` is on in production {where}: error pages show settings, SQL and local variables", fix=self.fix("Default to False", build))


def _split_settings_base(path: str) -> bool:
    """`settings/base.py`, `settings/common.py`: the shared part of split settings, which each
    environment's module (`production.py`, `local.py`) imports and overrides; DEBUG is the
    textbook value those set."""
    parts = path.replace("\\", "/").split("/")
    return len(parts) >= 2 and parts[-2] == "settings" and parts[-1] in ("base.py", "common.py", "defaults.py", "default.py")


# settings classes by their name or base: `ProductionConfig(Config)`, `Settings(BaseSettings)`
_CONFIG_CLASS = re.compile(r"(?:Config|Settings|Configuration)$")
_CASES = frozenset(("lower", "upper", "strip", "casefold", "title", "capitalize"))


def _true_default(value: cst.BaseExpression, ctx: ModuleContext) -> cst.BaseExpression | None:
    """The default that turns debug on when the variable is unset, if there is one:
    `env.bool("DEBUG", default=True)`, `os.getenv("DEBUG", "true") == "true"`,
    `os.getenv("DEBUG", "1").lower() in ("1", "true")`, `bool(int(os.getenv("DEBUG", "1")))`."""
    node = value
    while isinstance(node, cst.Call) and env_read(node, ctx) is None and len(node.args) == 1 and (ctx.qualified_name(node.func) or "") in ("bool", "int", "str", "strtobool", "distutils.util.strtobool"):
        node = node.args[0].value  # casts keep truthiness of "1"/"true"
    read = env_read(node, ctx)
    if read is not None:
        return read.default if read.default is not None and _is_true(read.default) else None
    if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
        return None
    left, target = node.left, node.comparisons[0]
    operator = target.operator
    cases: list[str] = []
    while isinstance(left, cst.Call) and isinstance(left.func, cst.Attribute) and left.func.attr.value in _CASES and not left.args:
        cases.append(left.func.attr.value)
        left = left.func.value
    read = env_read(left, ctx)
    if read is None or read.default is None:
        return None
    default = string_value(read.default)
    if default is None:
        return None
    for case in reversed(cases):
        default = getattr(default, case)()
    literals = [string_value(e.value) for e in target.comparator.elements] if isinstance(target.comparator, (cst.Tuple, cst.List, cst.Set)) else [string_value(target.comparator)]
    if any(v is None for v in literals):
        return None
    if isinstance(operator, cst.Equal) or isinstance(operator, cst.In):
        on = default in literals
    elif isinstance(operator, (cst.NotEqual, cst.NotIn)):
        on = default not in literals
    else:
        return None
    return read.default if on and isinstance(read.default, cst.SimpleString) else None
