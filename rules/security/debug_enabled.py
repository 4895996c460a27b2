"""RV404 debug-enabled."""

from __future__ import annotations

import libcst as cst

from rules.api import FileRule, FixBuilder, Invalid, ModuleContext, RuleMeta, Safety, Scope, Severity, Valid, dotted_name, string_value
from rules.api.env import env_read

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
    Finds `DEBUG = True` in settings that are not local/dev/test settings, and `DEBUG` read
    from the environment with a default of true.

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
    local settings files, where debug belongs, are not flagged.

    Quiet in `settings/local.py`, `dev.py`, `test*.py` and other local variants.
    """

    meta = RuleMeta(code="RV404", name="debug-enabled", family="security", severity=Severity.ERROR, scope=Scope.FILE, fix=Safety.SAFE)

    VALID = [
        Valid("DEBUG = True\n", path="config/settings/local.py"),
        Valid("import os\nDEBUG = os.getenv('DEBUG', 'false').lower() == 'true'\n", path="config/settings.py"),
        Valid("DEBUG = True\n", path="app/views.py"),
        Valid("import environ\nenv = environ.Env()\nDEBUG = env.bool('DEBUG', default=False)\n", path="config/settings/production.py"),
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
            path="config/settings/base.py",
        ),
    ]

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return ctx.is_production_settings()

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        name = (dotted_name(node.targets[0].target) or "").rsplit(".", 1)[-1]
        if not name.endswith("DEBUG"):
            return
        value = node.value
        flagged: cst.BaseExpression | None = None
        if isinstance(value, cst.Name) and value.value == "True":
            flagged = value
        else:
            read = env_read(value, self.ctx)
            if read is not None and read.default is not None and _is_true(read.default):
                flagged = read.default
        if flagged is None:
            return
        target: cst.BaseExpression = flagged

        def build(builder: FixBuilder, old: cst.BaseExpression = target) -> None:
            builder.replace(old, _false_like(old))

        self.report(flagged, f"`{name}` is on in production settings: error pages show settings, SQL and local variables", fix=self.fix("Default to False", build))
