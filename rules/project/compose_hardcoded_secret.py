"""RV903 compose-hardcoded-secret."""

from __future__ import annotations

from rules.api import Fix, Invalid, RuleMeta, Safety, Scope, Severity, TextEdit, Valid
from rules.api.configdata import ComposeFile, ConfigData, ConfigRule, FileKind
from rules.api.env import is_placeholder, is_secret_name, mask, secret_shape


class ComposeHardcodedSecret(ConfigRule):
    """
    ## What it does
    Finds literal passwords, secret keys and tokens in the `environment:` of a
    docker-compose service (`POSTGRES_PASSWORD: hunter2`, `- SECRET_KEY=abc`), and values
    shaped like secrets (URLs with passwords, API keys) whatever the variable is called.

    ## Why is this bad?
    The compose file is committed and shared: everyone with the repository has the
    database password, and the same value tends to end up in production. Compose reads
    `${NAME}` from the shell or an `.env` file that stays out of version control.

    ## Example
    ```yaml
    services:
      db:
        environment:
          POSTGRES_PASSWORD: hunter2
    ```
    Use instead:
    ```yaml
    services:
      db:
        environment:
          POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
    ```

    ## Fix
    Replaces the value with `${NAME}`. Unsafe: the variable must then be provided (shell
    or `.env`), or compose starts the service with an empty value.

    Quiet on `${VAR}` substitution, `env_file:`, empty values and placeholders.
    """

    kinds = frozenset((FileKind.COMPOSE,))
    meta = RuleMeta(code="RV903", name="compose-hardcoded-secret", family="project", severity=Severity.ERROR, scope=Scope.FILE, fix=Safety.UNSAFE)

    VALID = [
        Valid("services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n      POSTGRES_DB: shop\n", path="docker-compose.yml"),
        Valid("services:\n  web:\n    env_file: .env\n    environment:\n      - DEBUG=0\n      - SECRET_KEY\n", path="docker-compose.yml"),
        Valid("services:\n  web:\n    environment:\n      API_TOKEN: changeme\n      DB_PASSWORD: ''\n", path="docker-compose.override.yml"),
    ]
    INVALID = [
        Invalid(
            """
            services:
              db:
                image: postgres:16
                environment:
                  POSTGRES_USER: shop
                  POSTGRES_PASSWORD: hunter2pw  # <- RV903
            """,
            fixed="""
            services:
              db:
                image: postgres:16
                environment:
                  POSTGRES_USER: shop
                  POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
            """,
            path="docker-compose.yml",
        ),
        Invalid(
            """
            version: "3.8"
            services:
              web:
                build: .
                environment:
                  - "SECRET_KEY=dj4ngo-s3cr3t-value"  # <- RV903
                  - DATABASE_URL=postgres://shop:pw1234@db/shop  # <- RV903
            """,
            fixed="""
            version: "3.8"
            services:
              web:
                build: .
                environment:
                  - "SECRET_KEY=${SECRET_KEY}"
                  - DATABASE_URL=${DATABASE_URL}
            """,
            path="deploy/docker-compose.prod.yml",
        ),
    ]

    def check(self, data: ConfigData) -> None:
        if not isinstance(data, ComposeFile):
            return
        for service in data.services:
            for entry in service.environment:
                value, span = entry.value, entry.value_span
                if not value or span is None or "${" in value or value.startswith("$"):
                    continue
                shape = secret_shape(value)
                if shape is None and (not is_secret_name(entry.key) or is_placeholder(value)):
                    continue
                edit = TextEdit(span.line, span.col, span.end_line, span.end_col, f"${{{entry.key}}}")
                self.report_span(
                    span,
                    f"`{entry.key}` of service `{service.name}` is {shape or 'a hard-coded secret'} ({mask(value)}): use `${{{entry.key}}}`",
                    fix=Fix(f"Use `${{{entry.key}}}`", Safety.UNSAFE, (edit,)),
                )
