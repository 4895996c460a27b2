"""RV403 env-name-mismatch."""

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
    RuleMeta,
    Safety,
    Severity,
    Valid,
    dotted_name,
    get_kwarg,
    string_literal,
    string_value,
)
from rules.api.env import ENV_READING, env_read, local_class, local_variant
from rules.api.triggers import BlockSummary, ModuleSummary

# names an env read is made through, whatever they are imported as
_READERS = frozenset(("environ", "getenv", "config", "Config", "AutoConfig", "Env", "Field"))
_QUOTED = re.compile(r"[\x27\"](\w+)[\x27\"]")

# words that name the same thing in setting and variable names
_SYNONYMS = {
    "DB": "DATABASE", "DATABASE": "DATABASE", "DATABASES": "DATABASE", "POSTGRES": "DATABASE", "POSTGRESQL": "DATABASE", "PG": "DATABASE",
    "MYSQL": "DATABASE", "PASS": "PASSWORD", "PASSWD": "PASSWORD", "PWD": "PASSWORD", "PASSWORD": "PASSWORD",
    "URI": "URL", "URL": "URL", "DSN": "URL", "LOCATION": "URL", "ADDR": "HOST", "HOST": "HOST", "HOSTNAME": "HOST", "SERVER": "HOST",
    "USER": "USER", "USERNAME": "USER", "LOGIN": "USER", "CACHES": "CACHE", "STORAGES": "STORAGE", "S3": "AWS",
    "EMAIL": "MAIL", "SMTP": "MAIL",
    "DIR": "DIR", "DIRECTORY": "DIR", "HOME": "DIR", "ROOT": "DIR", "PATH": "DIR", "FOLDER": "DIR",
}
# prefixes frameworks and deployments put before a setting's own name
_PREFIXES = frozenset(("DJANGO", "FLASK", "APP", "APPLICATION", "ENV", "SERVICE"))
# words that say nothing about which service a value belongs to
_GENERIC = frozenset(("SOCIAL", "AUTH", "CLIENT", "API", "ACCESS", "SECRET", "PRIVATE", "PUBLIC", "DEFAULT", "MAIN", "PRIMARY", "OAUTH", "OAUTH2", "APP", "KEY", "ID", "WEBHOOK", "OPTIONS"))
# heads of values several settings rightly share: one Redis serves the cache and the broker
_SHARED = frozenset(("URL", "HOST", "PORT", "DIR"))
# builtins and methods that keep the value what the variable holds (a cast, a split)
_KEEPS_VALUE = frozenset(("int", "float", "bool", "str", "list", "tuple", "Path", "pathlib.Path", "json.loads", "strtobool"))


def _words(name: str) -> list[str]:
    return [_SYNONYMS.get(w, w) for w in name.upper().replace("-", "_").split("_") if w]


def same_thing(setting: str, variable: str, project: frozenset[str] = frozenset()) -> bool:
    """Identical names, prefixed ones (`DJANGO_SECRET_KEY` for `SECRET_KEY`, `SUPERSET_HOME` for
    `DATA_DIR` in superset), the same stem (`DATABASE_URL` from `DB_URL`), the same service
    spelled otherwise (`EMAIL_HOST_PASSWORD` from `SMTP_PASSWORD`), shared infrastructure
    (`CELERY_BROKER_URL` from `REDIS_URL`). Not: `OPENROUTER_API_KEY` from `OPENAI_API_KEY`,
    `POSTGRES_SERVER` from `POSTGRES_USER`.
    """
    a, b = _words(setting), _words(variable)
    while len(b) > 1 and (b[0] in _PREFIXES or b[0] in project):
        b = b[1:]
    if not a or not b or set(a) <= set(b) or set(b) <= set(a):
        return True
    if a[-1] != b[-1]:
        return False
    if a[-1] in _SHARED:
        return True  # infrastructure several settings share (one Redis for cache and broker)
    mine, theirs = set(a[:-1]) - _GENERIC, set(b[:-1]) - _GENERIC
    return not mine or not theirs or bool(mine & theirs)  # the same service on both sides


def _project_words(path: str) -> frozenset[str]:
    """The package names on the module's path: a project prefixes its variables with its name."""
    parts = path.replace("\\", "/").split("/")[:-1]
    return frozenset(w for part in parts for w in part.upper().replace("-", "_").split("_") if w)


class EnvNameMismatch(ModuleRule):
    """
    ## What it does
    Finds settings that read the environment variable named after another setting of the
    same module: `OPENROUTER_API_KEY = env("OPENAI_API_KEY")` beside
    `OPENAI_API_KEY = env("OPENAI_API_KEY")`, or names rotated by one line
    (`POSTGRES_SERVER: str = os.getenv("POSTGRES_USER")`); also pydantic-settings
    `Field(alias=...)`.

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

    A lone differing name is a deliberate choice more often than a slip (MinIO's keys for
    the S3 storage settings), so only a variable named after another setting is reported.
    Quiet on identical names, framework and project
    prefixes (`DJANGO_SECRET_KEY` for `SECRET_KEY`, `SUPERSET_HOME` for `DATA_DIR` in the
    `superset` package), the same stem (`DATABASE_URL` from `DB_URL`), the same service
    spelled otherwise (`EMAIL_HOST_PASSWORD` from `SMTP_PASSWORD`), shared infrastructure
    (`CELERY_BROKER_URL` from `REDIS_URL`), values derived from a variable rather than read
    (`os.getenv("APP_ENV") == "production"`), `Field(alias=...)` of models that are not
    pydantic-settings classes (a JSON key), test/local settings and config classes
    (`class TestingConfig`), and names that are not settings.
    """

    meta = RuleMeta(code="RV403", name="env-name-mismatch", family="security", severity=Severity.ERROR, fix=Safety.UNSAFE)

    VALID = [
        Valid("import environ\nenv = environ.Env()\nSECRET_KEY = env('DJANGO_SECRET_KEY')\nDEBUG = env.bool('DEBUG', default=False)\n"),
        Valid("import os\nDATABASE_URL = os.environ['DB_URL']\nDB_PASSWORD = os.getenv('POSTGRES_PASSWORD')\n"),
        Valid("import os\n\ndef token():\n    value = os.environ['API_TOKEN']\n    return value\n"),
        Valid("import os\nREDIS_URL = os.getenv('REDIS_URL', 'redis://localhost')\n"),
        Valid("import os\nDATABASES = {'default': {'HOST': os.environ.get('DB_HOST'), 'PASSWORD': os.getenv('DB_PASSWORD')}}\n"),
        # a plain pydantic model's alias is a JSON key, not an environment variable
        Valid(
            """
            from pydantic import BaseModel, Field


            class Recipe(BaseModel):
                org_url: str | None = Field(None, alias="orgURL")
            """,
            path="app/schemas.py",
        ),
        # shared infrastructure, the same service under another spelling, a derived value, the project's own prefix
        Valid(
            """
            import os

            CELERY_BROKER_URL = os.environ["REDIS_URL"]
            CACHES = {"default": {"LOCATION": os.environ["REDIS_URL"]}}
            EMAIL_HOST_PASSWORD = os.environ["SMTP_PASSWORD"]
            SOCIAL_AUTH_GITHUB_SECRET = os.environ["GITHUB_CLIENT_SECRET"]
            RATELIMIT_ENABLED = os.environ.get("SUPERSET_ENV") == "production"
            DATA_DIR = os.environ["SUPERSET_HOME"]
            LOCATION = "redis://{}:{}/0".format(os.environ["CI_REDIS_HOST"], os.environ.get("CI_REDIS_PORT", "6379"))
            """,
            path="superset/config.py",
        ),
        # a lone differing name is a choice: MinIO's keys for the S3 storage settings
        Valid(
            """
            AWS_ACCESS_KEY_ID = get_env("MINIO_STORAGE_ACCESS_KEY")
            AWS_SECRET_ACCESS_KEY = get_env("MINIO_STORAGE_SECRET_KEY")
            GS_CUSTOM_ENDPOINT = get_env("STORAGE_GCS_ENDPOINT")
            """,
            path="label_studio/core/settings/base.py",
        ),
        # a Flask config class for tests sets what the tests need
        Valid(
            """
            import os


            class TestingConfig(Config):
                SQLALCHEMY_DATABASE_URI = os.environ["TEST_DATABASE_URL"]
                OPENAI_API_KEY = os.environ["FAKE_LLM_API_KEY"]
            """,
            path="app/config.py",
        ),
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
                GITHUB_WEBHOOK_SECRET = os.getenv("GITHUB_WEBHOOK_SECRET")
                STRIPE_WEBHOOK_SECRET = int(os.getenv("GITHUB_WEBHOOK_SECRET", "0"))  # <- RV403
                BACKUP_BUCKET = os.environ["BACKUP_BUCKET"]
                S3_BUCKET = os.environ["BACKUP_BUCKET"]  # <- RV403
                SENTRY_PASSWORD = os.environ["SENTRY_PASSWORD"]
                CACHES = {"default": {"OPTIONS": {"PASSWORD": os.environ["SENTRY_PASSWORD"]}}}  # <- RV403
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
        # names rotated by one line: each setting reads its neighbour's variable
        Invalid(
            """
            import os


            class Settings(BaseSettings):
                POSTGRES_SERVER: str = os.getenv("POSTGRES_USER")  # <- RV403
                POSTGRES_USER: str = os.getenv("POSTGRES_PASSWORD")  # <- RV403
                POSTGRES_PASSWORD: str = os.getenv("POSTGRES_SERVER")  # <- RV403
                POSTGRES_DB: str = os.getenv("POSTGRES_DB")
            """,
            path="app/core/config.py",
        ),
    ]

    @classmethod
    def _reads_env(cls, block: BlockSummary, module: ModuleSummary) -> bool:
        # the pattern sees the readers by name; an alias (`from os import environ as E`) only by import
        aliased = module.memo((cls, "aliased"), lambda: module.local_names(_READERS) - _READERS)
        return block.matches(ENV_READING) or (bool(aliased) and not aliased.isdisjoint(block.words))

    @classmethod
    def _keys(cls, module: ModuleSummary) -> frozenset[str]:
        """Upper-cased quoted words of the blocks that read the environment: every key a read can have."""

        def compute() -> frozenset[str]:
            return frozenset(
                word.upper() for block in module.blocks if cls._reads_env(block, module) for word in _QUOTED.findall(block.text)
            )

        return module.memo(cls, compute)

    @classmethod
    def module_key(cls, module: ModuleSummary) -> object:
        return cls._keys(module)

    @classmethod
    def wants(cls, block: BlockSummary, module: ModuleSummary) -> bool:
        """Blocks that read the environment, and blocks that define a setting named like a key read."""
        if cls._reads_env(block, module):
            return True
        keys = cls._keys(module)
        return bool(keys) and any(word.upper() in keys for word in block.words)

    def setup(self) -> None:
        self._classes: list[cst.ClassDef] = []
        self._project = _project_words(self.ctx.path)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def _quiet(self) -> bool:
        """Test and local config classes (Flask's `class TestingConfig`) set what they like."""
        return local_variant(self.ctx) or any(local_class(c.name.value) for c in self._classes)

    def _settings_class(self) -> bool:
        """pydantic-settings fields read the environment; a plain `BaseModel`'s alias is a JSON key."""
        if not self._classes:
            return False
        bases = [self.ctx.qualified_name(b.value) or "" for b in self._classes[-1].bases]
        return any(b.rsplit(".", 1)[-1] in ("BaseSettings", "Settings") or b.endswith("Settings") for b in bases)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and not self._quiet():
            target = dotted_name(node.targets[0].target)
            if target is not None:
                self._name(target.rsplit(".", 1)[-1])
                self._check([target.rsplit(".", 1)[-1]], node.value)

    def _name(self, name: str) -> None:
        if name.isupper() or (self._classes and self._settings_class()):
            self.fact(Setting(name.upper()))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        """pydantic-settings: `openrouter_api_key: str = Field(alias="OPENAI_API_KEY")`."""
        if not isinstance(node.target, cst.Name) or node.value is None or self._quiet():
            return
        self._name(node.target.value)
        field = isinstance(node.value, cst.Call) and (self.ctx.qualified_name(node.value.func) or "").rsplit(".", 1)[-1] == "Field"
        if not field:
            self._check([node.target.value], node.value)  # `POSTGRES_USER: str = os.getenv("POSTGRES_PASSWORD")`
            return
        if not isinstance(node.value, cst.Call) or not self._settings_class():
            return
        for keyword in ("alias", "validation_alias", "env"):
            arg = get_kwarg(node.value, keyword)
            key = string_value(arg.value) if arg is not None else None
            if arg is None or key is None:
                continue
            setting, old_node = node.target.value, arg.value

            def build(builder: FixBuilder, old: cst.BaseExpression = old_node, name: str = setting.upper()) -> None:
                builder.replace(old, cst.SimpleString(string_literal(name)))

            self.fact(Read(setting, setting.upper(), key.upper(), arg.value, self.fix(f"Read `{setting.upper()}`", build), self._project))

    def _check(self, path: list[str], value: cst.BaseExpression) -> None:
        """`path` is the setting's name, with the dict keys above it (`["CACHES", "LOCATION"]`)."""
        if not path[0].isupper() or not path[0].replace("_", "").isalnum():
            return  # local variables and attributes are not settings
        setting = path[-1]
        if isinstance(value, cst.Dict):
            for element in value.elements:
                key = string_value(element.key) if isinstance(element, cst.DictElement) else None
                if key is not None:
                    self._check([*path, key], element.value)
            return
        if not setting.isupper():
            return  # `"default"`, `"url"`: a key of a value, not a setting
        read_node = _read_of(value, self.ctx)
        if read_node is None:
            return
        read = env_read(read_node, self.ctx)
        if read is None or read.key is None or read.key_node is None:
            return
        full = "_".join(p for p in path if p.isupper())
        key_node = read.key_node

        def build(builder: FixBuilder, old: cst.BaseExpression = key_node, name: str = setting) -> None:
            quote = '"'
            if isinstance(old, cst.SimpleString) and old.quote in ("'", '"'):
                quote = old.quote
            builder.replace(old, cst.SimpleString(string_literal(name, quote)))

        self.fact(Read(setting, full, read.key, key_node, self.fix(f"Read `{setting}`", build), self._project))

    def check(self, facts: Sequence[Located[object]]) -> None:
        """A read is a slip when its variable belongs to another setting of the module: that
        setting reads it under its own name (`OPENAI_API_KEY = env("OPENAI_API_KEY")` beside
        `OPENROUTER_API_KEY = env("OPENAI_API_KEY")`). A lone differing name is a choice
        (MinIO's keys for the S3 storage settings), not evidence of a slip."""
        reads = [(located, located.value) for located in facts if isinstance(located.value, Read)]
        owned = {located.value.name for located in facts if isinstance(located.value, Setting)}
        for located, read in reads:
            if read.matches or read.key.upper() not in owned or read.key.upper() == read.setting.upper():
                continue
            self.report(
                read.node,
                f"`{read.setting}` reads the variable `{read.key}`, named after another setting here: a copy-paste slip gives it that setting's value",
                fix=read.fix,
                at=located.block,
            )


@dataclass(frozen=True, slots=True)
class Setting:
    """A setting the module defines (by assignment or as a settings-class field)."""

    name: str


@dataclass(frozen=True, slots=True)
class Read:
    """A setting (or pydantic-settings field) read from an environment variable."""

    setting: str
    full: str  # with the dict keys above it: `CACHES_LOCATION`
    key: str
    node: cst.BaseExpression
    fix: LazyFix
    project: frozenset[str]

    @property
    def matches(self) -> bool:
        return same_thing(self.full, self.key, self.project)


def _read_of(value: cst.BaseExpression, ctx: ModuleContext) -> cst.BaseExpression | None:
    """The env read that *is* the value, through casts (`int(...)`), method calls
    (`.split(",")`) and `or` fallbacks; None when the value is derived from it
    (`os.environ.get("APP_ENV") == "production"`, `"redis://{}".format(...)`)."""
    node: cst.BaseExpression = value
    while True:
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            node = node.left
        elif isinstance(node, cst.Call) and env_read(node, ctx) is None:
            func = node.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, (cst.Call, cst.Subscript)):
                node = func.value  # os.environ["HOSTS"].split(",")
            elif (ctx.qualified_name(func) or "") in _KEEPS_VALUE and len(node.args) >= 1:
                node = node.args[0].value
            else:
                return None
        elif isinstance(node, (cst.Call, cst.Subscript)):
            return node if env_read(node, ctx) is not None else None
        else:
            return None
