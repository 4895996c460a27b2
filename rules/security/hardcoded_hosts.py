"""RV406 hardcoded-hosts."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlparse

import libcst as cst

from rules.api import FixBuilder, Invalid, LazyFix, Located, ModuleContext, ModuleRule, RuleMeta, Safety, Severity, Valid, dotted_name, string_value
from rules.api.env import local_variant

_HOST_SETTINGS = frozenset(("ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "CORS_ALLOWED_ORIGINS", "CORS_ORIGIN_WHITELIST", "INTERNAL_IPS"))
_LOCAL = frozenset(("localhost", "127.0.0.1", "::1", "0.0.0.0", "testserver", "[::1]"))


def is_production_host(entry: str) -> bool:
    """A public IP or a real host name (not localhost, private ranges or *.local/*.test)."""
    host = urlparse(entry).hostname if "://" in entry else entry.split(":")[0] if entry.count(":") == 1 else entry
    host = (host or "").strip().lstrip(".").lower()
    if not host or host in _LOCAL or host.endswith((".local", ".localhost", ".test", ".example", ".internal", ".invalid")):
        return False
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return "." in host
    return address.is_global


class HardcodedHosts(ModuleRule):
    """
    ## What it does
    Finds production host names and public IPs written into `ALLOWED_HOSTS`,
    `CSRF_TRUSTED_ORIGINS` and CORS origin lists, and `ALLOWED_HOSTS = ["*"]`, in settings
    that are not local variants.

    ## Why is this bad?
    Hosts differ per environment: hard-coded ones make staging accept production's name,
    leak infrastructure addresses into the repository, and need a code change to move a
    server. `["*"]` disables Django's Host header check, which protects password-reset links
    and caches from host-header poisoning.

    ## Example
    ```python
    ALLOWED_HOSTS = ["shop.example.com", "203.0.113.10"]
    ```
    Use instead:
    ```python
    ALLOWED_HOSTS = os.environ["ALLOWED_HOSTS"].split(",")
    ```

    ## Fix
    Reads the list from the environment variable of the same name (comma separated; with
    django-environ, `env.list(...)`). Unsafe: every environment must then set it.

    Quiet on localhost, 127.0.0.1, private and test domains, values from the environment,
    local and test settings, and on `["*"]` when the settings' `MIDDLEWARE` has the
    project's own host-checking middleware (multi-domain or multi-tenant apps, where hosts
    are data: `MultiDomainMiddleware`, `TenantMainMiddleware`).
    """

    meta = RuleMeta(code="RV406", name="hardcoded-hosts", family="security", severity=Severity.WARNING, fix=Safety.UNSAFE)

    VALID = [
        Valid("ALLOWED_HOSTS = ['localhost', '127.0.0.1', '.shop.local']\n", path="config/settings.py"),
        Valid("import os\nALLOWED_HOSTS = os.environ['ALLOWED_HOSTS'].split(',')\n", path="config/settings.py"),
        Valid("ALLOWED_HOSTS = ['*']\n", path="config/settings/dev.py"),
        Valid("INTERNAL_IPS = ['10.0.0.5', '192.168.1.2']\n", path="config/settings.py"),
        Valid("ALLOWED_HOSTS = ['*']\n", path="shop/testutils/settings.py"),  # the test suite's settings
        # organizers' own domains: the project's middleware checks the Host header
        Valid(
            """
            ALLOWED_HOSTS = ["*"]
            MIDDLEWARE = [
                "django.middleware.security.SecurityMiddleware",
                "shop.multidomain.middlewares.MultiDomainMiddleware",
            ]
            """,
            path="shop/settings.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            import os

            ALLOWED_HOSTS = ["shop.example.com", "203.0.113.10", "localhost"]  # <- RV406
            CSRF_TRUSTED_ORIGINS = ["https://shop.example.com"]  # <- RV406
            """,
            fixed="""
            import os

            ALLOWED_HOSTS = os.environ["ALLOWED_HOSTS"].split(",")
            CSRF_TRUSTED_ORIGINS = os.environ["CSRF_TRUSTED_ORIGINS"].split(",")
            """,
            path="shop/settings.py",
        ),
        Invalid(
            """
            import environ

            env = environ.Env()
            ALLOWED_HOSTS = ["*"]  # <- RV406
            """,
            fixed="""
            import environ

            env = environ.Env()
            ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
            """,
            path="config/settings/production.py",
        ),
    ]

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return ctx.is_production_settings() and not local_variant(ctx)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.value, (cst.List, cst.Tuple)):
            return
        name = dotted_name(node.targets[0].target)
        if name in ("MIDDLEWARE", "MIDDLEWARE_CLASSES"):
            if any(_HOST_MIDDLEWARE.search(string_value(e.value) or "") for e in node.value.elements):
                self.fact(ValidatesHosts())
            return
        if name not in _HOST_SETTINGS:
            return
        entries = [string_value(e.value) for e in node.value.elements]
        wildcard = name == "ALLOWED_HOSTS" and "*" in entries
        public = [e for e in entries if e and e != "*" and is_production_host(e)]
        if not wildcard and not public:
            return
        django_environ = self.ctx.module_calls.get("env") in ("environ.Env", "environs.Env")
        setting = name

        def build(builder: FixBuilder, old: cst.BaseExpression = node.value) -> None:
            if django_environ:
                builder.replace(old, cst.parse_expression(f'env.list("{setting}")'))
            else:
                os_name = builder.ensure_import("os")
                builder.replace(old, cst.parse_expression(f'{os_name}.environ["{setting}"].split(",")'))

        fix = self.fix(f"Read `{setting}` from the environment", build)
        if wildcard:
            self.fact(Hosts(node.value, "`ALLOWED_HOSTS = [\"*\"]` turns off the Host header check in production", fix, wildcard=True))
        else:
            listed = ", ".join(f"`{h}`" for h in public[:3])
            self.fact(Hosts(node.value, f"`{setting}` hard-codes production hosts ({listed}): read them from the environment", fix, wildcard=False))

    def check(self, facts: Sequence[Located[object]]) -> None:
        """A project whose own middleware checks the Host header (multi-domain, multi-tenant:
        hosts are data, not settings) sets `ALLOWED_HOSTS = ["*"]` on purpose, as Django's
        docs say to."""
        own_check = any(isinstance(located.value, ValidatesHosts) for located in facts)
        for located in facts:
            found = located.value
            if isinstance(found, Hosts) and not (found.wildcard and own_check):
                self.report(found.node, found.message, fix=found.fix, at=located.block)


# a project's middleware that resolves or validates hosts itself (`MultiDomainMiddleware`,
# django-tenants' `TenantMainMiddleware`, django-hosts' `HostsRequestMiddleware`)
_HOST_MIDDLEWARE = re.compile(r"^(?!django\.)[\w.]*\.\w*(?:Domain|Host|Tenant)\w*Middleware$")


@dataclass(frozen=True, slots=True)
class ValidatesHosts:
    """MIDDLEWARE lists a middleware that checks hosts."""


@dataclass(frozen=True, slots=True)
class Hosts:
    node: cst.BaseExpression
    message: str
    fix: LazyFix
    wildcard: bool
