"""RV401 hardcoded-secret."""

from __future__ import annotations

import re

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    Role,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    dotted_name,
    string_value,
)
from rules.api.env import (
    SECRET_WORDING,
    TEST_FIXTURE_SHAPES,
    credential_value,
    entropy,
    mask,
    name_words,
    scanner_allowed,
    secret_kind,
    secret_shape,
)
from rules.api.triggers import Trigger

# one-word keys and keyword arguments that name a record's own field in web apps (an order's
# `secret`, a reset `token`), unlike the app's credentials (`SECRET_KEY`, `api_key=`, `password=`)
_RECORD_FIELDS = frozenset(("secret", "token", "hash", "key"))
# a Sentry DSN without its secret part: a public client key, reported only when a setting hard-codes it
_SENTRY_DSN = re.compile(r"^https://[0-9a-f]{32}@[\w.-]*sentry\.io/\d+$")


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
    Finds secrets written into the code, decided by the value: literals shaped like
    credentials whatever they are called (URLs with a password, AWS access key ids, GitHub,
    GitLab, Slack, Stripe, Google, SendGrid, npm and PyPI tokens, Slack webhook URLs,
    private-key blocks, JSON web tokens), and literals that look like a password or a key
    under a name whose last word says it holds one (`SMTP_PASSWORD`, `api_key=`,
    `"client_secret":`), including a password compared with a literal
    (`if password == "hunter2"`) or given as a parameter's default. A hard-coded Sentry DSN
    in a setting is reported too, as information (it is a public client key, but it sends
    every environment's errors to one project). Messages show only the first characters of
    the value.

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

    Names alone decide nothing: quiet on values that cannot be credentials (sentences such as
    e-mail subjects and help texts, URLs and paths, dotted import paths, identifiers and
    variable names like `"DJANGO_SECRET_KEY"`, `"users.token.any"`, words like `"bearer"`
    under a token's name), on names whose last word is not a secret's (`TOKEN_URL`,
    `token_type`, `PASSWORD_RESET_TIMEOUT`), on placeholders (`changeme`,
    `AKIAIOSFODNN7EXAMPLE`, `user:password@host`, `{password}`), on fixtures in tests, on
    lines the project's own secret scanner was told about (`# nosec`, `# noqa: S105`,
    `# pragma: allowlist secret`), and on values read from the environment.
    """

    meta = RuleMeta(
        code="RV401",
        name="hardcoded-secret",
        family="security",
        severity=Severity.ERROR,
        fix=Safety.UNSAFE,
        trigger=Trigger(pattern=SECRET_WORDING),
    )

    VALID = [
        Valid("import os\nSECRET_KEY = os.environ['SECRET_KEY']\nAPI_TOKEN = ''\n", path="config/settings.py"),
        Valid("SECRET_KEY = 'test-secret'\nPASSWORD_RESET_TIMEOUT = 3600\nAUTH_PASSWORD_VALIDATORS = []\n", path="tests/settings.py"),
        Valid("def login(client):\n    return client.login(username='u', password='changeme')\n", path="tests/test_login.py"),
        Valid("DATABASE_URL = 'postgres://localhost:5432/shop'\nTOKEN_HEADER = 'X-Token'\n"),
        Valid("from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n    api_key: str\n    db_password: str = ''\n"),
        # the value decides, not the name: a subject line, an import path, a URL path, a token *type*
        Valid(
            """
            from pydantic import BaseModel

            DEFAULT_PASSWORD_CHANGE_ALERT_SUBJECT = "Password Change Confirmation for {site_name}"
            HEADLESS_TOKEN_STRATEGY = "shop.auth.adapter.DrfTokenStrategy"
            ACTIONS = {"remove_password": "/api/documents/remove_password/"}


            class Token(BaseModel):
                access_token: str
                token_type: str = "bearer"
            """,
            path="shop/models.py",
        ),
        # setting and variable names, permission codes, event codes, URLs of token endpoints
        Valid(
            """
            SECRET_KEY_ENV = "DJANGO_SECRET_KEY"
            TOKEN_URL = "https://oauth2.googleapis.com/token"
            PASSWORD_CHANGED_EVENT_CODE = "PASSWORD_CHANGED"
            RESOURCE_TYPE_GATEWAY_SECRET = "gateway_secret"
            users_token_any = "users.token.any"
            password_hash = "REDACTED"
            SECRET_KEY = "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET"
            JWT_SECRET = "test-secret-change-me"
            """,
            path="app/constants.py",
        ),
        # sample records for previews: an order's own secret is a field, not the app's credential
        Valid(
            """
            SAMPLE_ORDERS = [
                {"code": "F8VVL", "secret": "6zzjnumtsx136ddy", "hash": "abcdefghi"},
                {"code": "HIDHK", "secret": "98kusd8ofsj8dnkd", "hash": "jklmnopqr"},
            ]
            url = build_absolute_uri("presale:event.order", kwargs={"order": "F8VVL", "secret": "6zzjnumtsx136ddy"})
            """,
            path="app/services/placeholders.py",
        ),
        # documentation of a connection string and of form fields, not credentials
        Valid(
            """
            class PostgresSpec:
                sqlalchemy_uri_placeholder = "postgresql://user:password@host:port/dbname[?key=value]"
                parameters = {"password": "AccessKey secret of your cloud account", "dsn": "DSN name configured in odbc.ini"}
                connection_string = "es+https://{user}:{password}@{host}:443/"
                examples = ["firebird+fdb://SYSDBA:masterkey@192.168.86.38:3050//employee.fdb", "taosws://root:taosdata@127.0.0.1:6041"]
                sensitive_fields = {"$.credentials": "Credentials"}
            """,
            path="app/engine_specs.py",
        ),
        # placeholders in tests: AWS's documented example keys, user:pass@example.org
        Valid(
            """
            CREDENTIALS = {
                "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
                "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            }
            PROXY = "http://user:pass@example.org:3128"
            """,
            path="tests/test_storage.py",
        ),
        # the project's secret scanner was told this line is fine (bandit S105/S106, detect-secrets)
        Valid("SMTP_PASSWORD = 'superset'  # noqa: S105\ncreate_user('admin', password='general',  # nosec\n)\n", path="app/config.py"),
        # a public Sentry DSN as the default of an env read: the deployment overrides it
        Valid("SENTRY_DSN = get_env('SENTRY_DSN', 'https://68b045ab408a4d32a910d339be8591a4@o227124.ingest.sentry.io/5820521')\n", path="app/settings.py"),
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
            from sqlalchemy import create_engine

            engine = create_engine("postgresql://shop:hunter2pw@db.internal/shop")  # <- RV401
            SENTRY_DSN = "https://0123456789abcdef0123456789abcdef@o12345.ingest.sentry.io/67890"  # <- RV401
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
        # recognised by the value whatever the name
        Invalid(
            """
            ALERTS = "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/a1b2c3d4e5f6g7h8i9j0k1l2"  # <- RV401
            boto3.client("s3", "eu-west-1", "AKIAZ3MSJV4WWNKWW3PQ")  # <- RV401
            GH = "ghp_R4nd0mTok3nValueAbCdEfGhIjKlMnOpQrSt12"  # <- RV401
            FINE_GRAINED = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"  # <- RV401
            DEPLOY = "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\n-----END OPENSSH PRIVATE KEY-----"  # <- RV401
            """,
            path="app/notify.py",
        ),
        # a back door and a default password
        Invalid(
            """
            def check(user, password):
                if password == "hunter2":  # <- RV401
                    return True
                return user.check_password(password)


            def connect(host, user="admin", password="admin123"):  # <- RV401
                return Client(host, user, password)
            """,
            path="app/auth.py",
        ),
        Invalid("SMTP_PASSWORD = 'superset'  # <- RV401\n", path="app/config.py"),
    ]

    def setup(self) -> None:
        self._line_comments: list[str | None] = []

    def _check(
        self,
        name: str | None,
        value_node: cst.BaseExpression,
        *,
        comment: str | None = None,
        assigned: bool = False,
        assigned_name: bool = False,
        fixable: bool = True,
    ) -> None:
        value = string_value(value_node)
        if not value or scanner_allowed(comment) or scanner_allowed(self._line_comment()):
            return
        test = self.ctx.has_role(Role.TEST)
        shape = secret_shape(value)
        if shape is not None and test and shape in TEST_FIXTURE_SHAPES:
            return
        kind = secret_kind(name) if name is not None else None
        if kind is not None and not assigned_name and name is not None and name.lower() in _RECORD_FIELDS:
            kind = None  # `{"code": "F8VVL", "secret": "6zzj…"}`: a record's own secret (an order's, a ticket's), not the app's
        if shape is None and assigned and not test and _SENTRY_DSN.match(value) and name is not None and "DSN" in name_words(name):
            shape = "a Sentry DSN"  # public by design, but it routes every environment's errors into one project
        if shape is None:
            if kind is None or not credential_value(value, kind) or value.lower() in {w.lower() for w in name_words(name or "")}:
                return  # `"$.credentials": "Credentials"` is a label
            if test and (entropy(value) < 4.0 or len(value) < 20):
                return  # a fixture's password
        what = f"`{name}`" if name and (kind is not None or shape == "a Sentry DSN") else "this value"
        label = shape or "a hard-coded secret"
        fix = None
        if fixable and name is not None and name.isidentifier():
            helper = env_helper(dict(self.ctx.module_calls), dict(self.ctx.imports))
            env_name = name.upper()

            def build(builder: FixBuilder, old: cst.BaseExpression = value_node) -> None:
                builder.replace(old, env_expression(builder, env_name, helper))

            fix = self.fix(f"Read `{env_name}` from the environment", build)
        # a Sentry DSN is a public client key: worth moving to the environment, not a leak
        severity = Severity.INFORMATION if shape == "a Sentry DSN" else None
        self.report(value_node, f"{what} holds {label} ({mask(value)}): everyone with the code has it; read it from the environment", fix=fix, severity=severity)

    def _line_comment(self) -> str | None:
        return self._line_comments[-1] if self._line_comments else None

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        comment = node.trailing_whitespace.comment
        self._line_comments.append(comment.value if comment is not None else None)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._line_comments.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.value, cst.SimpleString):
            target = dotted_name(node.targets[0].target)
            self._check(target.rsplit(".", 1)[-1] if target else None, node.value, assigned=True, assigned_name=True)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and isinstance(node.value, cst.SimpleString):
            target = dotted_name(node.target)
            self._check(target.rsplit(".", 1)[-1] if target else None, node.value, assigned=True, assigned_name=True)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = string_value(node.key)
        if key is not None and isinstance(node.value, cst.SimpleString):
            self._check(key, node.value, comment=_comma_comment(node.comma), assigned=True)

    def visit_Arg(self, node: cst.Arg) -> None:
        if not isinstance(node.value, cst.SimpleString):
            return
        if node.keyword is not None:
            self._check(node.keyword.value, node.value, comment=_comma_comment(node.comma))
        else:
            value = string_value(node.value)
            if value and secret_shape(value):
                self._check(None, node.value, comment=_comma_comment(node.comma))

    def visit_Param(self, node: cst.Param) -> None:
        """`def connect(password="admin123")`: every caller that omits it logs in with that password."""
        if node.default is not None and isinstance(node.default, cst.SimpleString):
            self._check(node.name.value, node.default, comment=_comma_comment(node.comma), fixable=False)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """`if password == "hunter2"`: a back door that works for everyone who read the code."""
        if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
            return
        left, right = node.left, node.comparisons[0].comparator
        for named, literal in ((left, right), (right, left)):
            name = dotted_name(named)
            if name is not None and isinstance(literal, cst.SimpleString) and secret_kind(name.rsplit(".", 1)[-1]) == "password":
                self._check(name.rsplit(".", 1)[-1], literal, fixable=False)
                return


def _comma_comment(comma: cst.Comma | cst.MaybeSentinel) -> str | None:
    """The comment after an argument's or entry's comma, on its own line's end."""
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        comment = comma.whitespace_after.first_line.comment
        return comment.value if comment is not None else None
    return None
