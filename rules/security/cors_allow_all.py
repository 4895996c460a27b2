"""RV405 cors-allow-all."""

from __future__ import annotations

import libcst as cst

from rules.api import (
    FileRule,
    Invalid,
    RuleMeta,
    Severity,
    Valid,
    dotted_name,
    get_kwarg,
    string_value,
)
from rules.api.env import local_variant
from rules.api.helpers import is_name
from rules.api.triggers import Trigger, words

_ALLOW_ALL = frozenset(("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"))


class CorsAllowAll(FileRule):
    """
    ## What it does
    Finds CORS configured to accept every origin: django-cors-headers'
    `CORS_ALLOW_ALL_ORIGINS = True` (or the old `CORS_ORIGIN_ALLOW_ALL`) in non-local
    settings, and Starlette/FastAPI `CORSMiddleware(allow_origins=["*"], allow_credentials=True)`.

    ## Why is this bad?
    Any website a user visits can call the API from their browser. With credentials
    allowed, those calls carry the user's cookies: another site can read their data or act
    as them.

    ## Example
    ```python
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
    ```
    Use instead:
    ```python
    app.add_middleware(CORSMiddleware, allow_origins=settings.FRONTEND_ORIGINS, allow_credentials=True)
    ```

    ## Fix
    None: the allowed origins are the team's to list.

    Quiet in local, development and test settings, and in `if`/`else` branches that set it
    for one environment (`if DEBUG: CORS_ALLOW_ALL_ORIGINS = True`).
    """

    meta = RuleMeta(
        code="RV405", name="cors-allow-all", family="security", severity=Severity.WARNING, frameworks=("django", "fastapi", "starlette"),
        trigger=Trigger(module_words=words("CORSMiddleware", *_ALLOW_ALL)),
    )

    VALID = [
        Valid("CORS_ALLOW_ALL_ORIGINS = True\n", path="config/settings/dev.py"),
        Valid("CORS_ALLOW_ALL_ORIGINS = True\n", path="shop/settings_test.py"),
        Valid("if DEBUG:\n    CORS_ALLOW_ALL_ORIGINS = True\nelse:\n    CORS_ALLOW_ALL_ORIGINS = False\n", path="config/settings.py"),
        Valid("CORS_ALLOWED_ORIGINS = ['https://shop.example.com']\n", path="config/settings.py"),
        Valid(
            "from fastapi.middleware.cors import CORSMiddleware\n\napp.add_middleware(CORSMiddleware, allow_origins=['*'], allow_credentials=False)\n"
        ),
    ]
    INVALID = [
        Invalid("CORS_ALLOW_ALL_ORIGINS = True  # <- RV405\nCORS_ORIGIN_ALLOW_ALL = True  # <- RV405\n", path="shop/settings.py"),
        Invalid(
            """
            from fastapi import FastAPI
            from fastapi.middleware.cors import CORSMiddleware

            app = FastAPI()
            app.add_middleware(
                CORSMiddleware,
                allow_origins=["*"],  # <- RV405
                allow_credentials=True,
            )
            """
        ),
    ]

    def setup(self) -> None:
        self._branches = 0

    def visit_If(self, node: cst.If) -> None:
        self._branches += 1

    def leave_If(self, original_node: cst.If) -> None:
        self._branches -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.ctx.is_production_settings() or local_variant(self.ctx) or self._branches:
            return  # `if DEBUG: CORS_ALLOW_ALL_ORIGINS = True`: only for one environment
        if len(node.targets) == 1 and dotted_name(node.targets[0].target) in _ALLOW_ALL and is_name(node.value, "True"):
            name = dotted_name(node.targets[0].target)
            self.report(node.targets[0].target, f"`{name} = True` lets any website call the API from its users' browsers")

    def visit_Call(self, node: cst.Call) -> None:
        if local_variant(self.ctx):
            return
        is_cors = (self.ctx.qualified_name(node.func) or "").endswith("CORSMiddleware") or any(
            (self.ctx.qualified_name(arg.value) or "").endswith("CORSMiddleware") for arg in node.args[:1]
        )
        if not is_cors:
            return
        origins = get_kwarg(node, "allow_origins")
        credentials = get_kwarg(node, "allow_credentials")
        if origins is None or credentials is None or not is_name(credentials.value, "True"):
            return
        if isinstance(origins.value, (cst.List, cst.Tuple)) and any(string_value(e.value) == "*" for e in origins.value.elements):
            self.report(origins.value, "`allow_origins=[\"*\"]` with credentials: any website can call the API as the logged-in user")
