"""Settings helpers shared by the security rules: env readers, secret names and shapes, masking.

Env readers understood: `os.environ["X"]`, `os.environ.get("X", d)`, `os.getenv("X", d)`,
django-environ (`env("X", default=d)`, `env.bool/str/int/list/...`), python-decouple
(`config("X", default=d, cast=...)`), starlette (`config = Config(".env")`; `config("X", default=d)`),
and a project's own wrappers called with a variable's name (`envbool("X", d)`, `get_env("X", d)`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import libcst as cst

from rules.api.context import ModuleContext, Role, dotted_name
from rules.api.helpers import get_kwarg, string_value
from rules.api.triggers import Screened

# The head noun of a name says what it holds: `SMTP_PASSWORD` is a password, `TOKEN_URL` a URL,
# `PASSWORD_RESET_TIMEOUT` a number. Only the last word (or last two for `*_KEY`) counts.
_PASSWORD_WORDS = frozenset(("PASSWORD", "PASSWD", "PASS", "PWD", "PASSPHRASE", "SECRET", "CREDENTIAL", "CREDENTIALS"))
_TOKEN_WORDS = frozenset(("TOKEN", "APIKEY"))
_KEY_QUALIFIERS = frozenset(
    ("API", "SECRET", "PRIVATE", "ACCESS", "AUTH", "SIGNING", "ENCRYPTION", "MASTER", "WEBHOOK", "HMAC", "JWT", "FERNET", "CRYPTO", "LICENSE", "SERVICE")
)
_WORD = re.compile(r"[A-Z]+[a-z0-9]*|[a-z0-9]+")


def name_words(name: str) -> list[str]:
    """`smtpPassword`, `SMTP_PASSWORD`, `smtp-password` -> ["SMTP", "PASSWORD"]."""
    return [w.upper() for w in _WORD.findall(name)]


def secret_kind(name: str) -> str | None:
    """"password" for names of passwords and secrets (any non-trivial value is one), "token" for
    tokens and keys (only random-looking values are), None for everything else."""
    words = name_words(name)
    if not words:
        return None
    head = words[-1]
    if head in _PASSWORD_WORDS or head.endswith(("PASSWORD", "PASSWD")):
        return "password"
    if head in _TOKEN_WORDS or head.endswith("TOKEN"):
        return "token"
    if head == "KEY" and len(words) > 1 and (words[-2] in _KEY_QUALIFIERS or words[-2].endswith("SECRET")):
        return "password" if words[-2] == "SECRET" else "token"
    if head.endswith(("SECRETKEY", "APIKEY", "PRIVATEKEY", "ACCESSKEY")):
        return "token"
    return None


def is_secret_name(name: str) -> bool:
    return secret_kind(name) is not None


def _url_credentials_real(value: str) -> bool:
    """`scheme://user:password@host`: a real credential, not the documentation's
    `user:password@host`, `{user}:{password}@{host}` or `user:pass@example.org`."""
    match = re.match(r"^[a-z][a-z0-9+.-]*://([^:/@\s]*):([^@/\s]+)@([^/:?#\s]*)", value, re.I)
    if match is None:
        return False
    user, password, host = match.groups()
    if is_placeholder(password) or _TEMPLATE.search(password) or re.search(r"pass|pwd|secret|\*\*\*", password, re.I):
        return False
    if not _random_enough(password):
        return False  # `admin:admin@`, `SYSDBA:masterkey@`, `root:taosdata@`: a vendor's documented default
    host = host.lower().strip("[]")
    if not host or _TEMPLATE.search(host) or host in ("host", "hostname", "server", "yourhost") or re.search(r"(?:^|\.)example(?:\.|$)", host):
        return False
    return not _TEMPLATE.search(user)


def _random_enough(value: str) -> bool:
    """Keys are random: letters and digits mixed, or a long high-entropy string."""
    letters = any(c.isalpha() for c in value)
    digits = any(c.isdigit() for c in value)
    return (letters and digits and entropy(value) >= 2.5) or (len(value) >= 20 and entropy(value) >= 4.0)


# values that are secrets whatever they are called (detect-secrets' and gitleaks' formats);
# the check runs after the pattern to drop look-alike slugs
SECRET_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a URL with a password", re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]*:(?!\$\{)[^@/\s]+@", re.I)),
    ("a Slack webhook URL", re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}")),
    ("an AWS access key", re.compile(r"(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("a GitHub token", re.compile(r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a GitLab token", re.compile(r"(?<![A-Za-z0-9])glpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Stripe live key", re.compile(r"(?<![A-Za-z0-9])(?:sk|rk)_live_[A-Za-z0-9]{16,}")),
    ("an OpenAI-style API key", re.compile(r"^sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}$")),
    ("a Google API key", re.compile(r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])")),
    ("a SendGrid API key", re.compile(r"(?<![A-Za-z0-9])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")),
    ("a Twilio API key", re.compile(r"^SK[0-9a-f]{32}$")),
    ("a Mailchimp API key", re.compile(r"^[0-9a-f]{32}-us[0-9]{1,2}$")),
    ("a Square token", re.compile(r"(?<![A-Za-z0-9])sq0(?:atp|csp)-[0-9A-Za-z_-]{22,}")),
    ("an npm token", re.compile(r"(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}")),
    ("a PyPI token", re.compile(r"(?<![A-Za-z0-9])pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}")),
    ("a Telegram bot token", re.compile(r"^[0-9]{8,10}:AA[0-9A-Za-z_-]{33}$")),
    ("an Azure storage key", re.compile(r"AccountKey=[A-Za-z0-9+/=]{86,88}")),
    ("a JSON web token", re.compile(r"^eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}$")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----")),
)
# shapes that are fixtures more often than leaks in tests
TEST_FIXTURE_SHAPES = frozenset(("a JSON web token",))
_TEMPLATE = re.compile(r"\{[^}]*\}|<[^>]*>|%\([^)]*\)s|\$\{?[A-Za-z_]|\[[^\]]*\]")
_PLACEHOLDER = re.compile(
    r"^(?:|x+|\*+|\.+|-+|#+|<.*>|\{.*\}|\$\{.*\}|%\(.*\)s|changeme|change[-_ ]?me|secret|password|passwd|pass|pwd|token|key|"
    r"test|testing|dummy|example|sample|placeholder|fake|foo|bar|baz|todo|none|null|redacted|hidden|masked|"
    r"your[-_].*|my[-_].*|.*[-_]here|(?:password|secret|token|test|pass|changeme)[-_]?\d{1,6})$",
    re.IGNORECASE,
)
# words that mark a value as standing in for the real one (`test-secret-change-me`, `AKIAIOSFODNN7EXAMPLE`)
_PLACEHOLDER_WORD = re.compile(r"example|changeme|change[-_ ]?me|replace[-_ ]?me|placeholder|dummy|fake|sample|xxxx|redacted|not[-_]?a[-_]?secret|insert[-_]", re.I)
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
    reader: str  # "environ[]", "environ.get", "getenv", "django-environ", "decouple", "starlette", "wrapper"


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
    if ctx.module_calls.get(dotted_name(node.func) or "") == "starlette.config.Config":
        keyword = get_kwarg(node, "default")
        return EnvRead(node, key, key_node, keyword.value if keyword else None, "starlette")
    func = node.func
    owner = dotted_name(func.value) if isinstance(func, cst.Attribute) else dotted_name(func)
    is_env = owner is not None and (ctx.module_calls.get(owner) in ("environ.Env", "environs.Env") or owner in ("env", "self.env"))
    if is_env and (isinstance(func, cst.Name) or (isinstance(func, cst.Attribute) and func.attr.value in DJANGO_ENV_METHODS)):
        keyword = get_kwarg(node, "default")
        positional = node.args[1].value if len(node.args) > 1 and node.args[1].keyword is None and isinstance(func, cst.Attribute) else None
        return EnvRead(node, key, key_node, keyword.value if keyword else positional, "django-environ")
    if key is not None and ENV_NAME.fullmatch(key) and is_env_wrapper(dotted_name(func) or ""):
        keyword = get_kwarg(node, "default")
        positional = node.args[1].value if len(node.args) > 1 and node.args[1].keyword is None else None
        return EnvRead(node, key, key_node, keyword.value if keyword else positional, "wrapper")
    return None


# an environment variable's name: `SECRET_KEY`, `DJANGO_DEBUG`
ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_WRAPPER_NAME = re.compile(r"(?:^|_)(?:get_?)?env(?:iron)?(?:_|$)|^_?env[a-z]+$|^[a-z]*getenv[a-z_]*$|(?:^|_)from_env$", re.I)


def is_env_wrapper(callee: str) -> bool:
    """A project's own env reader, by its name (`envbool`, `get_env`, `env_str`, `getenv_int`):
    called with a variable's name, it reads the environment."""
    return bool(_WRAPPER_NAME.search(callee.rsplit(".", 1)[-1]))


def secret_shape(value: str) -> str | None:
    """What kind of secret a value is by its shape alone (never a placeholder or a documented template)."""
    for label, pattern in SECRET_SHAPES:
        if not pattern.search(value):
            continue
        if label == "a URL with a password":
            if _url_credentials_real(value):
                return label
            continue
        if _PLACEHOLDER_WORD.search(value) or re.search(r"(.)\1{7,}", value):
            continue  # AKIAIOSFODNN7EXAMPLE, sk_live_xxxxxxxxxxxxxxxx
        if label == "an OpenAI-style API key" and not _random_enough(value[3:]):
            continue  # `sk-learn-preprocessing-step` is a slug
        return label
    return None


def is_placeholder(value: str) -> bool:
    stripped = value.strip()
    return bool(_PLACEHOLDER.match(stripped) or _PLACEHOLDER_WORD.search(stripped))


def not_a_credential(value: str) -> str | None:
    """Why a literal cannot be a password or key, judged by its value alone, or None.

    Names decide nothing here: `DEFAULT_PASSWORD_CHANGE_ALERT_SUBJECT` holds a sentence,
    `HEADLESS_TOKEN_STRATEGY` an import path, `SECRET_KEY_ENV` a variable's name.
    """
    stripped = value.strip()
    if len(stripped) < 6:
        return "too short"
    if any(c.isspace() for c in stripped):
        return "prose"
    if is_placeholder(stripped) or _TEMPLATE.search(stripped):
        return "a placeholder"
    if "://" in stripped or stripped.startswith(("/", "./", "../", "~/", "www.")) or re.match(r"^[\w.-]+\.(?:com|org|net|io|json|ya?ml|txt|pem|key|crt|py|html?)$", stripped):
        return "a URL or path"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+", stripped):
        return "a dotted name"
    if re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", stripped) or re.fullmatch(r"[a-z]+(?:[_:-][a-z]+)+", stripped):
        return "an identifier"
    if re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+", stripped) or re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+", stripped):
        return "an identifier"
    if re.fullmatch(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", stripped):
        return "an e-mail address"
    return None


def credential_value(value: str, kind: str) -> bool:
    """Whether a literal under a secret's name holds a credential: passwords can be any word,
    tokens and keys look random."""
    if not_a_credential(value) is not None:
        return False
    return kind == "password" or _random_enough(value)


_SCANNER_PRAGMA = re.compile(r"#.*(?:\bnosec\b|noqa:[\s\w,]*\bS10[567]\b|pragma:\s*allowlist\s+secret|gitleaks:allow)", re.I)


def scanner_allowed(comment: str | None) -> bool:
    """The project's own secret scanner (bandit S105-S107, detect-secrets, gitleaks) was told this line is fine."""
    return comment is not None and bool(_SCANNER_PRAGMA.search(comment))


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


_LOCAL_PART = re.compile(r"^(?:tests?|testing|testutils?|test_?utils|tests?_\w+|\w+_tests?|dev|development|local|ci)$", re.I)
_LOCAL_WORDS = frozenset(("test", "tests", "testing", "dev", "development", "local", "ci"))


def local_variant(ctx: ModuleContext) -> bool:
    """Settings for one developer, CI or the test suite: `settings/local.py`,
    `testutils/settings.py`, `settings_test.py`. Debug, wildcards and defaults belong there."""
    if ctx.has_role(Role.TEST, Role.LOCAL_SETTINGS):
        return True
    parts = ctx.path.replace("\\", "/").split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return any(_LOCAL_PART.match(part) for part in parts[:-1]) or bool(_LOCAL_WORDS & set(stem.lower().split("_")))


_LOCAL_CLASS = re.compile(r"(?:Test|Testing|Dev|Development|Local|Debug)(?=[A-Z_]|$)|^(?:test|dev|local)")


def local_class(name: str) -> bool:
    """`TestingConfig`, `DevelopmentConfig`, `LocalSettings`: a config class for one environment."""
    return bool(_LOCAL_CLASS.search(name))


# Triggers (rules/api/triggers.py): text that any secret name or secret-shaped value contains.
# `secret_kind` needs a name whose last word is a password/token/key word; `secret_shape` one of
# SECRET_SHAPES. Over-matching only costs a parse; missing one would hide a finding.
_ALWAYS_SECRET = ("passw", "passphrase", "pwd", "secret", "credential", "token", "apikey", "dsn")
_KEY_QUALIFIER = re.compile(
    r"(?:api|secret|private|access|auth|signing|encryption|master|webhook|hmac|jwt|fernet|crypto|license|service)[\W_]?$"
)
_SHAPE_LITERALS = (
    "://", "hooks.slack", "AKIA", "ASIA", "ABIA", "ACCA", "A3T", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
    "_live_", "npm_", "xox", "sk-", "AIza", "SG.", "SK", "-us", "sq0", "pypi-", ":AA", "AccountKey=", "eyJ", "PRIVATE KEY",
    "glpat-",
)


def _names_a_pass(text: str, lowered: str) -> bool:
    """A name whose last word is PASS (`DB_PASS`, `userPass`, `"pass"`), not the `pass` statement."""
    index = lowered.find("pass")
    while index != -1:
        before = text[index - 1] if index else " "
        after = text[index + 4] if index + 4 < len(text) else " "
        word = text[index : index + 4]
        if not after.isalnum():
            if word == "pass" and (before in "_'\"-" or after in "'\""):
                return True
            if word == "PASS" and not before.isupper():
                return True
            if word == "Pass":
                return True
        index = lowered.find("pass", index + 4)
    return False


def _qualified_key(lowered: str) -> bool:
    """`api_key`, `SECRET-KEY`, `privateKey`: a key word right after a qualifier."""
    index = lowered.find("key")
    while index != -1:
        if _KEY_QUALIFIER.search(lowered, max(0, index - 12), index):
            return True
        index = lowered.find("key", index + 3)
    return False


class _SecretWording:
    """A trigger's test: could this text hold a secret name or a secret-shaped value?"""

    def search(self, text: str) -> bool | None:
        lowered = text.lower()
        if any(word in lowered for word in _ALWAYS_SECRET) or _qualified_key(lowered) or _names_a_pass(text, lowered):
            return True
        if any(literal in text for literal in _SHAPE_LITERALS) and any(p.search(text) for _, p in _TEXT_SHAPES):
            return True
        return None


# the shapes unanchored: a value is somewhere inside the block's text
_TEXT_SHAPES = tuple((label, re.compile(pattern.pattern.strip("^$"), pattern.flags)) for label, pattern in SECRET_SHAPES)
SECRET_WORDING = _SecretWording()
# text any module reading the environment contains: os.environ/getenv, django-environ, environs,
# decouple, starlette's Config, pydantic-settings fields, wrappers named after env
ENV_READING = Screened(
    re.compile(r"(?i:env|decouple)|\b(?:config|Config|AutoConfig)\b|(?<!class )\bField\("),
    literals=("onfig", "Field("),
    folded=("env", "decouple"),
)
