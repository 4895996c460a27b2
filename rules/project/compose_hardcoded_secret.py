"""RV903 compose-hardcoded-secret."""

from __future__ import annotations

import re

from rules.api import Fix, Invalid, RuleMeta, Safety, Severity, TextEdit, Valid
from rules.api.configdata import ComposeFile, ConfigData, ConfigRule, FileKind
from rules.api.env import credential_value, is_secret_name, mask, secret_shape

_DEV_WORDS = frozenset(("dev", "development", "local", "test", "tests", "testing", "ci", "example", "examples", "sample", "samples", "demo", "override"))


def _dev_compose(path: str) -> bool:
    """`docker-compose.dev.yml`, `docker-compose.override.yml`, `examples/docker-compose.yml`:
    a file for a developer's machine, CI or documentation, not a deployment."""
    parts = path.replace("\\", "/").split("/")
    name_words = set(re.split(r"[._-]", parts[-1].lower()))
    folder = parts[-2].lower() if len(parts) > 1 else ""
    return bool(_DEV_WORDS & name_words) or folder in _DEV_WORDS


class ComposeHardcodedSecret(ConfigRule):
    """
    ## What it does
    Finds passwords, secret keys and tokens that look generated or chosen (letters mixed
    with digits, or long and random) in the `environment:` of a docker-compose service
    (`POSTGRES_PASSWORD: hunter2pw`, `- SECRET_KEY=dj4ngo-s3cr3t`), and values shaped like
    secrets (URLs with passwords, API keys) whatever the variable is called.

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

    Quiet on `${VAR}` and `${VAR:-default}` substitution, `env_file:`, empty values,
    placeholders and sentences (`password for the admin user`), an image's well-known dev
    defaults (`POSTGRES_PASSWORD: postgres`), and compose files for development, CI or the
    docs (`docker-compose.dev.yml`, `docker-compose.override.yml`, `examples/docker-compose.yml`).
    """

    kinds = frozenset((FileKind.COMPOSE,))
    meta = RuleMeta(code="RV903", name="compose-hardcoded-secret", family="project", severity=Severity.ERROR, fix=Safety.UNSAFE)

    VALID = [
        Valid("services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n      POSTGRES_DB: shop\n", path="docker-compose.yml"),
        Valid("services:\n  web:\n    env_file: .env\n    environment:\n      - DEBUG=0\n      - SECRET_KEY\n", path="docker-compose.yml"),
        Valid("services:\n  web:\n    environment:\n      API_TOKEN: changeme\n      DB_PASSWORD: ''\n", path="docker-compose.override.yml"),
        # an example file for the docs: placeholders and sentences telling what to put there
        Valid(
            """
            services:
              weblate:
                environment:
                  WEBLATE_EMAIL_HOST_PASSWORD: pass
                  WEBLATE_ADMIN_PASSWORD: password for the admin user
                  WEBLATE_SECRET_KEY: Zk93jd8sKq01mXr7
            """,
            path="weblate/examples/docker-compose.yml",
        ),
        # the image's well-known dev default, an overridable default, a dev compose file
        Valid(
            """
            services:
              db:
                environment:
                  POSTGRES_PASSWORD: postgres
                  MYSQL_ROOT_PASSWORD: ${MYSQL_ROOT_PASSWORD:-root}
            """,
            path="docker-compose.yml",
        ),
        Valid("services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: Sup3r-S3cret-2024\n", path="docker-compose.dev.yml"),
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
        dev_compose = _dev_compose(self.ctx.path)
        for service in data.services:
            for entry in service.environment:
                value, span = entry.value, entry.value_span
                if not value or span is None or "${" in value or value.startswith("$"):
                    continue
                shape = secret_shape(value)
                if shape is None and (dev_compose or not is_secret_name(entry.key) or not credential_value(value, "token")):
                    continue  # a dev default (`postgres`), a placeholder, a sentence, or a dev/example file
                edit = TextEdit(span.line, span.col, span.end_line, span.end_col, f"${{{entry.key}}}")
                self.report_span(
                    span,
                    f"`{entry.key}` of service `{service.name}` is {shape or 'a hard-coded secret'} ({mask(value)}): use `${{{entry.key}}}`",
                    fix=Fix(f"Use `${{{entry.key}}}`", Safety.UNSAFE, (edit,)),
                )
