"""RV401 hardcoded-secret."""

from __future__ import annotations

import libcst as cst

from rules.api import FileRule, FixBuilder, Invalid, Role, RuleMeta, Safety, Scope, Severity, Valid, dotted_name, string_value
from rules.api.env import entropy, is_placeholder, is_secret_name, mask, secret_shape


def env_expression(builder: FixBuilder, name: str, helper: str | None) -> cst.BaseExpression:
    """The project's way to read `name` from the environment."""
    if helper == "django-environ":
        return cst.parse_expression(f'env("{name}")')
    if helper == "decouple":
        return cst.parse_expression(f'config("{name}")')
    os_name = builder.ensure_import("os")
    return cst.parse_expression(f'{os_name}.environ["{name}"]')


def env_helper(ctx_calls: dict[str, str], imports: dict[str, str]) -> str | None:
    if ctx_calls.get("env") in ("environ.Env", "environs.Env"):
        return "django-environ"
    if imports.get("config") == "decouple.config":
        return "decouple"
    return None


class HardcodedSecret(FileRule):
    """
    ## What it does
    Finds secrets written into the code: settings, keyword arguments and dict entries named
    like secrets (`SECRET_KEY`, `*_PASSWORD`, `*_TOKEN`, `*_API_KEY`, ...) holding a literal,
    and literals shaped like secrets whatever they are called: URLs with a password
    (`postgres://user:pass@host`), Sentry DSNs, AWS, GitHub, Slack, Stripe and OpenAI-style
    keys, private keys. Messages show only the first characters of the value.

    ## Why is this bad?
    Everyone with read access to the repository, its forks, CI logs and backups has the
    secret, and rotating it means a code change and a deploy. Leaked keys are found by
    scanners within minutes of a push to a public repository.

    ## Example
    ```python
    SECRET_KEY = "dj4ngo-s3cr3t-k3y-that-is-very-long-and-random"
    ```
    Use instead:
    ```python
    SECRET_KEY = os.environ["SECRET_KEY"]
    ```

    ## Fix
    Replaces the literal with a read of the environment variable named after the setting,
    with the module's own helper (django-environ `env(...)`, decouple `config(...)`) or
    `os.environ[...]`. Unsafe: the variable must then be set wherever the code runs.

    Quiet on values read from the environment, empty strings, and placeholders
    (`changeme`, `test`, `<your-key>`) in tests.
    """

    meta = RuleMeta(code="RV401", name="hardcoded-secret", family="security", severity=Severity.ERROR, scope=Scope.FILE, fix=Safety.UNSAFE)

    VALID = [
        Valid("import os\nSECRET_KEY = os.environ['SECRET_KEY']\nAPI_TOKEN = ''\n", path="config/settings.py"),
        Valid("SECRET_KEY = 'test-secret'\nPASSWORD_RESET_TIMEOUT = 3600\nAUTH_PASSWORD_VALIDATORS = []\n", path="tests/settings.py"),
        Valid("def login(client):\n    return client.login(username='u', password='changeme')\n", path="tests/test_login.py"),
        Valid("DATABASE_URL = 'postgres://localhost:5432/shop'\nTOKEN_HEADER = 'X-Token'\n"),
        Valid("from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n    api_key: str\n    db_password: str = ''\n"),
    ]
    INVALID = [
        Invalid(
            """
            import os

            SECRET_KEY = "dj4ngo-s3cr3t-k3y-that-is-very-long-and-r4nd0m"  # <- RV401
            DATABASES = {
                "default": {
                    "NAME": "shop",
                    "PASSWORD": "Sup3rS3cret!",  # <- RV401
                }
            }
            """,
            fixed="""
            import os

            SECRET_KEY = os.environ["SECRET_KEY"]
            DATABASES = {
                "default": {
                    "NAME": "shop",
                    "PASSWORD": os.environ["PASSWORD"],
                }
            }
            """,
            path="shop/settings.py",
        ),
        Invalid(
            """
            import sentry_sdk
            from sqlalchemy import create_engine

            engine = create_engine("postgresql://shop:hunter2pw@db.internal/shop")  # <- RV401
            sentry_sdk.init(dsn="https://0123456789abcdef0123456789abcdef@o12345.ingest.sentry.io/67890")  # <- RV401
            client = Stripe(api_key="sk_live_51Habcdefghijklmnop")  # <- RV401
            """
        ),
        Invalid(
            """
            from pydantic_settings import BaseSettings


            class Settings(BaseSettings):
                jwt_secret: str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # <- RV401
            """,
            path="app/config.py",
        ),
    ]

    def _check(self, name: str | None, value_node: cst.BaseExpression) -> None:
        value = string_value(value_node)
        if not value:
            return
        shape = secret_shape(value)
        named = name is not None and is_secret_name(name)
        if shape is None and not named:
            return
        if shape is None:
            if is_placeholder(value) or (self.ctx.has_role(Role.TEST) and (entropy(value) < 4.0 or len(value) < 20)):
                return
            if len(value) < 6 or (" " in value.strip() and entropy(value) < 3.5):
                return  # a short word or a sentence, not a key
        what = f"`{name}`" if named and name else "this value"
        kind = shape or "a hard-coded secret"
        fix = None
        if name is not None and name.isidentifier():
            helper = env_helper(dict(self.ctx.module_calls), dict(self.ctx.imports))
            env_name = name.upper()

            def build(builder: FixBuilder, old: cst.BaseExpression = value_node) -> None:
                builder.replace(old, env_expression(builder, env_name, helper))

            fix = self.fix(f"Read `{env_name}` from the environment", build)
        self.report(value_node, f"{what} holds {kind} ({mask(value)}): everyone with the code has it; read it from the environment", fix=fix)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.value, cst.SimpleString):
            target = dotted_name(node.targets[0].target)
            self._check(target.rsplit(".", 1)[-1] if target else None, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and isinstance(node.value, cst.SimpleString):
            target = dotted_name(node.target)
            self._check(target.rsplit(".", 1)[-1] if target else None, node.value)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = string_value(node.key)
        if key is not None and isinstance(node.value, cst.SimpleString):
            self._check(key, node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        if not isinstance(node.value, cst.SimpleString):
            return
        if node.keyword is not None:
            self._check(node.keyword.value, node.value)
        else:
            value = string_value(node.value)
            if value and secret_shape(value):
                self._check(None, node.value)
