"""Settings helpers shared by the security rules: env readers, secret names and shapes, masking.

Env readers understood: `os.environ["X"]`, `os.environ.get("X", d)`, `os.getenv("X", d)`,
django-environ (`env("X", default=d)`, `env.bool/str/int/list/...`), python-decouple
(`config("X", default=d, cast=...)`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import libcst as cst

from rules.api.context import ModuleContext, dotted_name
from rules.api.helpers import get_kwarg, string_value

SECRET_NAME = re.compile(
    r"(?:^|_)(?:SECRET|SECRET_KEY|PASSWORD|PASSWD|PASS|PWD|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|AUTH_KEY|"
    r"CLIENT_SECRET|SIGNING_KEY|ENCRYPTION_KEY|WEBHOOK_SECRET|DSN|CREDENTIALS?)(?:$|_)",
    re.IGNORECASE,
)
# values that are secrets whatever they are called
SECRET_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a URL with a password", re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]+:(?!\$\{)[^@/\s]+@", re.I)),
    ("a Sentry DSN", re.compile(r"^https://[0-9a-f]{32}(?::[0-9a-f]{32})?@[\w.-]*sentry\.io/\d+$")),
    ("an AWS access key", re.compile(r"^(?:AKIA|ASIA)[0-9A-Z]{16}$")),
    ("a GitHub token", re.compile(r"^gh[pousr]_[A-Za-z0-9]{36,}$")),
    ("a Slack token", re.compile(r"^xox[abprs]-[A-Za-z0-9-]{10,}$")),
    ("a Stripe live key", re.compile(r"^(?:sk|rk)_live_[A-Za-z0-9]{16,}$")),
    ("an OpenAI-style API key", re.compile(r"^sk-(?:proj-)?[A-Za-z0-9_-]{20,}$")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)
_PLACEHOLDER = re.compile(
    r"^(?:|x+|\*+|\.+|-+|<.*>|\{.*\}|\$\{.*\}|%\(.*\)s|changeme|change[-_ ]?me|secret|password|passwd|pass|token|"
    r"test|testing|dummy|example|sample|placeholder|fake|foo|bar|todo|none|null|your[-_].*|my[-_].*|.*[-_]here)$",
    re.IGNORECASE,
)
DJANGO_ENV_METHODS = frozenset(
    ("str", "bool", "int", "float", "list", "tuple", "dict", "json", "url", "db", "db_url", "cache", "cache_url", "email", "email_url", "path", "bytes")
)


@dataclass(frozen=True, slots=True)
class EnvRead:
    """One read of an environment variable."""

    node: cst.BaseExpression  # the whole read expression
    key: str | None  # the variable's name, when literal
    key_node: cst.BaseExpression | None
    default: cst.BaseExpression | None  # the default's expression, if any
    reader: str  # "environ[]", "environ.get", "getenv", "django-environ", "decouple"


def _first_arg(call: cst.Call) -> tuple[str | None, cst.BaseExpression | None]:
    if not call.args or call.args[0].keyword is not None:
        return None, None
    node = call.args[0].value
    return string_value(node), node


def env_read(node: cst.CSTNode, ctx: ModuleContext) -> EnvRead | None:
    """The env read `node` is, if it is one."""
    if isinstance(node, cst.Subscript):
        if ctx.qualified_name(node.value) == "os.environ" and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index):
                return EnvRead(node, string_value(index.value), index.value, None, "environ[]")
        return None
    if not isinstance(node, cst.Call):
        return None
    name = ctx.qualified_name(node.func) or ""
    key, key_node = _first_arg(node)
    if name in ("os.getenv", "os.environ.get"):
        default = node.args[1].value if len(node.args) > 1 and node.args[1].keyword is None else None
        keyword = get_kwarg(node, "default")
        return EnvRead(node, key, key_node, keyword.value if keyword else default, "getenv" if name == "os.getenv" else "environ.get")
    if name in ("decouple.config",) or ctx.module_calls.get(dotted_name(node.func) or "") in ("decouple.AutoConfig", "decouple.Config"):
        keyword = get_kwarg(node, "default")
        return EnvRead(node, key, key_node, keyword.value if keyword else None, "decouple")
    func = node.func
    owner = dotted_name(func.value) if isinstance(func, cst.Attribute) else dotted_name(func)
    is_env = owner is not None and (ctx.module_calls.get(owner) in ("environ.Env", "environs.Env") or owner in ("env", "self.env"))
    if is_env and (isinstance(func, cst.Name) or (isinstance(func, cst.Attribute) and func.attr.value in DJANGO_ENV_METHODS)):
        keyword = get_kwarg(node, "default")
        positional = node.args[1].value if len(node.args) > 1 and node.args[1].keyword is None and isinstance(func, cst.Attribute) else None
        return EnvRead(node, key, key_node, keyword.value if keyword else positional, "django-environ")
    return None


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not re.search(r"(?:^|_)(?:LENGTH|MIN|MAX|FIELD|FILE|PATH|NAME|HEADER|URL_NAME|VALIDATORS?|HASHERS?|EXPIRY|TIMEOUT|RESET|COOKIE_NAME|ENABLED|REQUIRED)(?:$|_)", name, re.I)


def secret_shape(value: str) -> str | None:
    """What kind of secret a value is by its shape alone."""
    for label, pattern in SECRET_SHAPES:
        if pattern.search(value):
            return label
    return None


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value.strip()))


def entropy(value: str) -> float:
    """Shannon entropy in bits per character: random keys score high, words low."""
    if not value:
        return 0.0
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def mask(value: str) -> str:
    """Enough to recognise a secret, never enough to use it."""
    shown = value[:4] if len(value) >= 12 else value[:2] if len(value) >= 6 else ""
    return f"'{shown}…' ({len(value)} chars)"
