"""RV402 insecure-default-secret."""

from __future__ import annotations

import dataclasses

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    dotted_name,
    string_value,
)
from rules.api.env import (
    ENV_READING,
    SECRET_WORDING,
    EnvRead,
    env_read,
    local_variant,
    mask,
    not_a_credential,
    secret_kind,
)
from rules.api.triggers import Trigger


def without_default(read: EnvRead, os_name: str) -> cst.BaseExpression:
    """The same read with no default: a missing variable fails at start-up."""
    node = read.node
    if read.reader in ("getenv", "environ.get") and read.key_node is not None:
        return cst.Subscript(
            value=cst.Attribute(cst.Name(os_name), cst.Name("environ")),
            slice=[cst.SubscriptElement(cst.Index(read.key_node))],
        )
    assert isinstance(node, cst.Call)
    args = [a for a in node.args if not (a.keyword is not None and a.keyword.value == "default")]
    if read.reader == "django-environ" and len(args) > 1 and args[1].keyword is None:
        args.pop(1)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(args=args)


class InsecureDefaultSecret(FileRule):
    """
    ## What it does
    Finds secrets read from the environment with a usable default:
    `config("SECRET_KEY", default="django-insecure-...")`,
    `os.getenv("JWT_SECRET", "changeme")`, `env.str("API_KEY", default="abc123")`, through
    the project's own wrapper (`envsecret("SECRET_KEY", "---")`), and default credentials in
    settings dicts (`"PASSWORD": os.getenv("DB_PASS", "postgres")`).

    ## Why is this bad?
    When the variable is missing in production (a typo in the deploy, a new environment),
    the app starts anyway with a secret that is in the repository: sessions and tokens can
    be forged by anyone who has read the code. A missing secret should stop the start-up.

    ## Example
    ```python
    SECRET_KEY = config("SECRET_KEY", default="django-insecure-7x!k")
    ```
    Use instead:
    ```python
    SECRET_KEY = config("SECRET_KEY")
    ```

    ## Fix
    Drops the default (`os.getenv("X", d)` becomes `os.environ["X"]`). Unsafe: environments
    that relied on the default must now set the variable.

    Also `os.environ.get("SECRET_KEY") or "hard to guess string"`, Flask's idiom. Quiet in
    test and local settings, for non-secret settings (the last word of the name
    decides: `SECRET_KEY_FILE` is a path), and for defaults nothing can log in with: empty,
    `None`, a path or URL, or (for keys of other services) a sentence. A wrapper's finding
    has no fix (it may require its default argument).
    """

    meta = RuleMeta(
        code="RV402",
        name="insecure-default-secret",
        family="security",
        severity=Severity.ERROR,
        fix=Safety.UNSAFE,
        trigger=Trigger(pattern=SECRET_WORDING, module_pattern=ENV_READING),
    )

    VALID = [
        Valid("import os\nDEBUG_LEVEL = os.getenv('LOG_LEVEL', 'info')\nSECRET_KEY = os.environ['SECRET_KEY']\n"),
        Valid("import os\nSECRET_KEY = os.getenv('SECRET_KEY', 'dev-only-key')\n", path="config/settings/local.py"),
        Valid("import os\nAPI_TOKEN = os.getenv('API_TOKEN', '')\nJWT_SECRET = os.environ.get('JWT_SECRET')\n"),
        Valid("from decouple import config\nSECRET_KEY = config('SECRET_KEY', default='x')\n", path="tests/settings.py"),
        # not a usable secret: a path to the secret, a sentence, a non-secret setting through a wrapper
        Valid(
            """
            import os

            SECRET_KEY_FILE = os.getenv("SECRET_KEY_FILE", "/run/secrets/django")
            API_TOKEN = os.getenv("API_TOKEN", "set API_TOKEN in your .env")
            SITE_NAME = get_env("SITE_NAME", "shop")
            """,
            path="config/settings.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            import os

            from decouple import config

            SECRET_KEY = config("SECRET_KEY", default="django-insecure-7x!k2p")  # <- RV402
            JWT_SECRET = os.getenv("JWT_SECRET", "changeme")  # <- RV402
            """,
            fixed="""
            import os

            from decouple import config

            SECRET_KEY = config("SECRET_KEY")
            JWT_SECRET = os.environ["JWT_SECRET"]
            """,
            path="shop/settings.py",
        ),
        Invalid(
            """
            import environ

            env = environ.Env()
            STRIPE_KEY = env.str("STRIPE_API_KEY", default="sk_test_123456")  # <- RV402
            """,
            fixed="""
            import environ

            env = environ.Env()
            STRIPE_KEY = env.str("STRIPE_API_KEY")
            """,
            path="config/settings/production.py",
        ),
        # Flask's `or` idiom: the sentence signs every session when the variable is missing
        Invalid(
            """
            import os


            class Config:
                SECRET_KEY = os.environ.get("SECRET_KEY") or "hard to guess string"  # <- RV402
            """,
            fixed="""
            import os


            class Config:
                SECRET_KEY = os.environ["SECRET_KEY"]
            """,
            path="app/config.py",
        ),
        # the project's own env wrapper, and a default database password in a settings dict
        Invalid(
            """
            import os


            def envsecret(name, default):
                return os.environ.get(name, default)


            SECRET_KEY = envsecret("SECRET_KEY", "---")  # <- RV402
            DATABASES = {
                "default": {
                    "NAME": os.getenv("DB_NAME", "shop"),
                    "PASSWORD": os.getenv("DB_PASS", "postgres"),  # <- RV402
                }
            }
            """,
            path="shop/settings.py",
        ),
    ]

    def _check(self, node: cst.CSTNode, target: str | None) -> None:
        if local_variant(self.ctx):
            return
        whole: cst.CSTNode = node
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or) and isinstance(node.right, cst.SimpleString):
            left = env_read(node.left, self.ctx)  # `os.environ.get("SECRET_KEY") or "hard to guess string"`
            read = dataclasses.replace(left, default=node.right) if left is not None and left.default is None else None
        else:
            read = env_read(node, self.ctx)
        if read is None or read.default is None:
            return
        kinds = [secret_kind(name) for name in (read.key, target) if name is not None]
        if not any(kinds):
            return
        default = string_value(read.default)
        if not default or not usable_default(default, "password" if "password" in kinds else "token"):
            return  # None, "", not a literal, or a value no login accepts: nothing usable
        label = read.key or target or "secret"
        found_read: EnvRead = dataclasses.replace(read, default=None) if whole is not read.node else read

        def build(builder: FixBuilder, found: EnvRead = found_read, old: cst.CSTNode = whole) -> None:
            os_name = builder.ensure_import("os") if found.reader in ("getenv", "environ.get") else "os"
            builder.replace(old, without_default(found, os_name))

        self.report(
            read.default,
            f"`{label}` falls back to a default in the code ({mask(default)}): a missing variable starts the app with a known secret",
            fix=None if read.reader == "wrapper" else self.fix("Drop the default", build),  # a wrapper may require its default
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            target = dotted_name(node.targets[0].target)
            self._check(node.value, target.rsplit(".", 1)[-1] if target else None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            target = dotted_name(node.target)
            self._check(node.value, target.rsplit(".", 1)[-1] if target else None)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = string_value(node.key)
        if key is not None:
            self._check(node.value, key)  # DATABASES = {"default": {"PASSWORD": os.getenv("DB_PASS", "postgres")}}


def usable_default(value: str, kind: str) -> bool:
    """A default that works: any text signs sessions or logs in (`"postgres"`, `"---"`,
    `"hard to guess string"`); a key for another service is only one when it looks like one
    (`"set API_TOKEN in your .env"`, `"/run/secrets/key"` are not)."""
    reason = not_a_credential(value)
    if kind == "password":
        return reason != "a URL or path"
    return reason in (None, "too short", "a placeholder", "an identifier")
