"""RV407 env-var-undocumented."""

from __future__ import annotations

from rules.api import Fix, Invalid, RuleMeta, Safety, Severity, TextEdit, Valid
from rules.api.project import ProjectFacts, ProjectRule


class EnvVarUndocumented(ProjectRule):
    """
    ## What it does
    Compares the environment variables the code reads with the keys of the project's
    `.env.example` (or `.env.sample`, `.env.template`, `.env.dist`): a variable read but not
    listed is reported where it is read; a listed key nothing reads is reported in the
    example file.

    ## Why is this bad?
    The example file is how a new developer, a CI job or a new environment learns what to
    set. A missing key surfaces as a crash (or a silent default) on the first deploy that
    lacks it; stale keys make people configure things that no longer exist.

    ## Example
    ```python
    STRIPE_WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]  # not in .env.example
    ```
    Use instead: add `STRIPE_WEBHOOK_SECRET=` to `.env.example`.

    ## Fix
    Appends the missing key, with an empty value, to the example file. Safe: the example
    file only documents; nothing reads it at run time.

    Reads through django-environ, decouple, starlette's `Config`, pydantic-settings fields and
    the project's own wrappers (`envbool("X", d)`, `get_env("X")`) count; `os.environ["X"] = ...`
    is a write, not a read. Quiet in projects without an example file.
    """

    meta = RuleMeta(code="RV407", name="env-var-undocumented", family="security", severity=Severity.WARNING, fix=Safety.SAFE)

    VALID = [
        Valid("import os\nSECRET_KEY = os.environ['SECRET_KEY']\n", path="app/settings.py", files={".env.example": "SECRET_KEY=\n"}),
        Valid("import os\nSECRET_KEY = os.environ['SECRET_KEY']\n", path="app/settings.py"),
        Valid(
            "from pydantic_settings import BaseSettings, SettingsConfigDict\n\nclass Settings(BaseSettings):\n"
            "    model_config = SettingsConfigDict(env_prefix='SHOP_')\n    api_key: str\n",
            path="app/config.py",
            files={".env.example": "SHOP_API_KEY=\n"},
        ),
        # reads through the project's own wrapper and starlette's Config; a write is not a read
        Valid(
            """
            import os

            from starlette.config import Config


            def envbool(s, default):
                return os.getenv(s, default) == "True"


            SHELL_ENABLED = envbool("SHELL_ENABLED", "False")
            config = Config(".env")
            STATIC_DIR = config("STATIC_DIR", default="static")
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
            """,
            path="app/settings.py",
            files={".env.example": "SHELL_ENABLED=False\nSTATIC_DIR=\n"},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import os

            SECRET_KEY = os.environ["SECRET_KEY"]
            STRIPE_KEY = os.getenv("STRIPE_KEY")  # <- RV407
            """,
            path="app/settings.py",
            files={".env.example": "SECRET_KEY=\nOLD_FLAG=1  # <- RV407\n"},
        ),
        Invalid(
            """
            import environ

            env = environ.Env()
            DEBUG = env.bool("DEBUG", default=False)  # <- RV407
            """,
            path="config/settings.py",
            files={".env.sample": "# settings\nSECRET_KEY=x  # <- RV407"},
        ),
    ]

    def check(self, facts: ProjectFacts) -> None:
        if not facts.env_examples:
            return
        listed = {key.key for example in facts.env_examples for key in example.data.keys}
        target = facts.env_examples[0]
        added: set[str] = set()
        for use in facts.env_uses:
            if use.key in listed:
                continue
            prefix = "" if target.ends_with_newline else "\n"
            end = target.end
            edit = TextEdit(end.line, end.col, end.line, end.col, f"{prefix}{use.key}=\n", path=target.path)
            fix = Fix(f"Add `{use.key}` to {target.path}", Safety.SAFE, (edit,)) if use.key not in added else None
            added.add(use.key)
            self.report_file(use.path, use.span, f"`{use.key}` is read here but {target.path} does not list it", fix=fix)
        read = {use.key for use in facts.env_uses}
        for example in facts.env_examples:
            for key in example.data.keys:
                if key.key not in read:
                    self.report_file(example.path, key.span, f"`{key.key}` is listed but nothing in the code reads it")
