"""RV403 env-name-mismatch."""

from __future__ import annotations

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    RuleMeta,
    Safety,
    Scope,
    Severity,
    Valid,
    dotted_name,
    get_kwarg,
    string_literal,
    string_value,
)
from rules.api.env import env_read

# words that name the same thing in setting and variable names
_SYNONYMS = {
    "DB": "DATABASE", "DATABASE": "DATABASE", "POSTGRES": "DATABASE", "POSTGRESQL": "DATABASE", "PG": "DATABASE", "MYSQL": "DATABASE",
    "PASS": "PASSWORD", "PASSWD": "PASSWORD", "PWD": "PASSWORD", "PASSWORD": "PASSWORD",
    "URI": "URL", "URL": "URL", "DSN": "URL", "ADDR": "HOST", "HOST": "HOST", "HOSTNAME": "HOST",
    "USER": "USER", "USERNAME": "USER", "LOGIN": "USER",
}


def _words(name: str) -> set[str]:
    return {_SYNONYMS.get(w, w) for w in name.upper().split("_") if w}


def same_thing(setting: str, variable: str) -> bool:
    """Identical names, prefixed ones (`DJANGO_SECRET_KEY` for `SECRET_KEY`), or the same stem."""
    a, b = _words(setting), _words(variable)
    return a <= b or b <= a


class EnvNameMismatch(FileRule):
    """
    ## What it does
    Finds settings that read an environment variable of another name:
    `OPENROUTER_API_KEY = env("OPENAI_API_KEY")`.

    ## Why is this bad?
    It is almost always a copy-paste slip: the setting silently gets another service's
    value (the wrong key, database or bucket). It works locally, where both are set, and
    fails or leaks data in production.

    ## Example
    ```python
    OPENROUTER_API_KEY = env("OPENAI_API_KEY")
    ```
    Use instead:
    ```python
    OPENROUTER_API_KEY = env("OPENROUTER_API_KEY")
    ```

    ## Fix
    Reads the variable named like the setting. Unsafe: deployments must provide that
    variable.

    Quiet on identical names, documented prefixes (`DJANGO_SECRET_KEY` for `SECRET_KEY`),
    the same stem (`DATABASE_URL` from `DB_URL`), and names that are not settings.
    """

    meta = RuleMeta(code="RV403", name="env-name-mismatch", family="security", severity=Severity.ERROR, scope=Scope.FILE, fix=Safety.UNSAFE)

    VALID = [
        Valid("import environ\nenv = environ.Env()\nSECRET_KEY = env('DJANGO_SECRET_KEY')\nDEBUG = env.bool('DEBUG', default=False)\n"),
        Valid("import os\nDATABASE_URL = os.environ['DB_URL']\nDB_PASSWORD = os.getenv('POSTGRES_PASSWORD')\n"),
        Valid("import os\n\ndef token():\n    value = os.environ['API_TOKEN']\n    return value\n"),
        Valid("import os\nREDIS_URL = os.getenv('REDIS_URL', 'redis://localhost')\n"),
        Valid("import os\nDATABASES = {'default': {'HOST': os.environ.get('DB_HOST'), 'PASSWORD': os.getenv('DB_PASSWORD')}}\n"),
    ]
    INVALID = [
        Invalid(
            """
            import environ

            env = environ.Env()
            OPENAI_API_KEY = env("OPENAI_API_KEY")
            OPENROUTER_API_KEY = env("OPENAI_API_KEY")  # <- RV403
            """,
            fixed="""
            import environ

            env = environ.Env()
            OPENAI_API_KEY = env("OPENAI_API_KEY")
            OPENROUTER_API_KEY = env("OPENROUTER_API_KEY")
            """,
            path="config/settings.py",
        ),
        Invalid(
            """
            import os


            class Settings:
                STRIPE_WEBHOOK_SECRET = int(os.getenv("GITHUB_WEBHOOK_SECRET", "0"))  # <- RV403
                S3_BUCKET = os.environ["BACKUP_BUCKET"]  # <- RV403
                CACHES = {"default": {"LOCATION": os.environ["DATABASE_URL"]}}  # <- RV403
            """
        ),
        Invalid(
            """
            from pydantic import Field
            from pydantic_settings import BaseSettings


            class Settings(BaseSettings):
                openai_api_key: str = Field(alias="OPENAI_API_KEY")
                openrouter_api_key: str = Field(alias="OPENAI_API_KEY")  # <- RV403
            """,
            fixed="""
            from pydantic import Field
            from pydantic_settings import BaseSettings


            class Settings(BaseSettings):
                openai_api_key: str = Field(alias="OPENAI_API_KEY")
                openrouter_api_key: str = Field(alias="OPENROUTER_API_KEY")
            """
        ),
    ]

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            target = dotted_name(node.targets[0].target)
            if target is not None:
                self._check(target.rsplit(".", 1)[-1], node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        """pydantic-settings: `openrouter_api_key: str = Field(alias="OPENAI_API_KEY")`."""
        if not isinstance(node.value, cst.Call) or not isinstance(node.target, cst.Name):
            return
        if (self.ctx.qualified_name(node.value.func) or "").rsplit(".", 1)[-1] != "Field":
            return
        for keyword in ("alias", "validation_alias", "env"):
            arg = get_kwarg(node.value, keyword)
            key = string_value(arg.value) if arg is not None else None
            if arg is None or key is None or same_thing(node.target.value, key):
                continue
            setting, old_node = node.target.value, arg.value

            def build(builder: FixBuilder, old: cst.BaseExpression = old_node, name: str = setting.upper()) -> None:
                builder.replace(old, cst.SimpleString(string_literal(name)))

            self.report(
                arg.value,
                f"`{setting}` reads the variable `{key}`: a copy-paste slip gives it another setting's value",
                fix=self.fix(f"Read `{setting.upper()}`", build),
            )

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = string_value(node.key)
        if key is not None:
            self._check(key, node.value)  # DATABASES = {"default": {"PASSWORD": env("DB_PASSWORD")}}

    def _check(self, setting: str, value: cst.BaseExpression) -> None:
        if not setting.isupper() or not setting.replace("_", "").isalnum():
            return  # local variables and attributes are not settings
        for candidate in _reads(value):
            read = env_read(candidate, self.ctx)
            if read is None or read.key is None or read.key_node is None:
                continue
            if same_thing(setting, read.key):
                return
            key_node = read.key_node

            def build(builder: FixBuilder, old: cst.BaseExpression = key_node, name: str = setting) -> None:
                quote = '"'
                if isinstance(old, cst.SimpleString) and old.quote in ("'", '"'):
                    quote = old.quote
                builder.replace(old, cst.SimpleString(string_literal(name, quote)))

            self.report(
                key_node,
                f"`{setting}` reads the variable `{read.key}`: a copy-paste slip gives it another setting's value",
                fix=self.fix(f"Read `{setting}`", build),
            )
            return


def _reads(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Calls and subscripts that make up the value, not those inside nested literals or lambdas."""
    out: list[cst.BaseExpression] = []
    stack: list[cst.CSTNode] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Dict, cst.List, cst.Tuple, cst.Set, cst.Lambda, cst.ListComp, cst.DictComp)):
            continue
        if isinstance(node, (cst.Call, cst.Subscript)):
            out.append(node)
        stack.extend(reversed(node.children))
    return out
