"""RV301 http-call-without-timeout."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import (
    BlockHandle,
    FixBuilder,
    Invalid,
    Located,
    ModuleRule,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    append_arg,
    dotted_name,
    get_kwarg,
    has_star_kwargs,
    kwarg,
)
from rules.api.triggers import Screened, Trigger

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# qualified names (after alias resolution) of calls that wait without bound when given no timeout
_BLOCKING = frozenset(
    [f"requests.{v}" for v in _VERBS] + [f"requests.api.{v}" for v in _VERBS] + ["urllib.request.urlopen", "urllib3.request"]
)
# httpx functions: a 5 s default timeout, unless `timeout=None` turns it off
_HTTPX = frozenset(f"httpx.{v}" for v in (*_VERBS, "stream"))
_SESSIONS = frozenset(("requests.Session", "requests.session", "requests.sessions.Session", "urllib3.PoolManager"))
_HTTPX_CLIENTS = frozenset(("httpx.Client", "httpx.AsyncClient"))
_SESSION_METHODS = frozenset((*_VERBS, "stream", "urlopen"))
# a module that can call one of these imports its package (or names urlopen); words in prose do not count
_CLIENT_IMPORT = Screened(
    re.compile(r"^[ \t]*(?:from[ \t]+(?:requests|httpx|urllib3)\b|import[ \t]+[^\n#]*\b(?:requests|httpx|urllib3)\b)|\burlopen\b", re.M),
    literals=("requests", "httpx", "urllib3", "urlopen"),
)


@dataclass(frozen=True, slots=True)
class Call:
    """An HTTP call to report once the module is known: `kind` is "missing" or "none"."""

    node: cst.Call
    label: str
    kind: str


@dataclass(frozen=True, slots=True)
class SessionAttr:
    """`self.<attr> = requests.Session()` in a method of class `owner`."""

    owner: str
    attr: str


@dataclass(frozen=True, slots=True)
class AttrCall:
    """`self.<attr>.get(...)` with no timeout, in a method of class `owner`."""

    node: cst.Call
    owner: str
    attr: str
    method: str


class HttpCallWithoutTimeout(ModuleRule):
    """
    ## What it does
    Finds HTTP calls that can wait forever: `requests` functions and `Session` methods
    (also a session kept on `self` or in a module global) and `urllib.request.urlopen`
    with no `timeout=`, and any of these or `httpx` given `timeout=None`.

    ## Why is this bad?
    `requests` and `urlopen` never time out by default: an upstream that accepts the
    connection and then goes quiet holds the worker forever, and a handful of those drain
    the gunicorn/uvicorn pool. An explicit timeout states how long the caller may wait.
    `httpx` waits 5 s by default, so only `timeout=None` (which turns that off) is reported.

    ## Example
    ```python
    resp = requests.post(WEBHOOK_URL, json=payload)
    ```
    Use instead:
    ```python
    resp = requests.post(WEBHOOK_URL, json=payload, timeout=10)
    ```

    ## Fix
    Appends `timeout=<timeout>` (the `timeout` option, default 10). Safe: it only bounds a
    wait that had no bound; every other argument stays as written. A call laid out one
    argument per line (its closing parenthesis on a line of its own) gets the timeout on its
    own line with the arguments' indentation, keeping its trailing-comma style; a one-line
    call stays one line.

    Quiet when a `timeout` is passed by keyword or may come from `**kwargs`, and on `httpx`
    functions and clients without `timeout=` (they have a 5 s default).
    `timeout=None` gets no fix: it was written on purpose, so the bound needs a decision.
    """

    @dataclass(frozen=True, slots=True)
    class Options:
        timeout: int = 10

    options: Options  # typed: the engine builds it from `[tool.reviewls.rules.<name>]`

    meta = RuleMeta(
        code="RV301",
        name="http-call-without-timeout",
        family="io",
        severity=Severity.WARNING,
        frameworks=("requests", "httpx", "urllib", "urllib3"),
        fix=Safety.SAFE,
        trigger=Trigger(module_pattern=_CLIENT_IMPORT),
    )

    VALID = [
        Valid("import requests\nrequests.get(URL, timeout=5)\n"),
        Valid("import requests\n\ndef f(**opts):\n    return requests.get(URL, **opts)\n"),
        Valid("from app.clients import requests\nrequests.get(URL)\n"),
        Valid("def get(url): ...\nget(URL)\n"),
        Valid("import httpx\n\nasync def f():\n    async with httpx.AsyncClient(timeout=5) as client:\n        await client.get(URL)\n"),
        Valid("import requests\n\ndef f(session):\n    return session.get(URL)\n"),
        # httpx has a 5 s default timeout
        Valid(
            """
            import httpx


            def latest_release():
                return httpx.get("https://api.github.com/repos/o/r/releases/latest").json()


            class Client:
                def __init__(self):
                    self.http = httpx.Client(base_url=API)

                def fetch(self, path):
                    return self.http.get(path)
            """
        ),
        Valid(
            "import requests\n\n\nclass Api:\n    def __init__(self):\n        self.session = requests.Session()\n\n"
            "    def fetch(self, url):\n        return self.session.get(url, timeout=5)\n"
        ),
    ]
    INVALID = [
        Invalid(
            """
            import requests as http

            def notify(body):
                return http.post(URL, json=body)  # <- RV301
            """,
            fixed="""
            import requests as http

            def notify(body):
                return http.post(URL, json=body, timeout=10)
            """,
        ),
        Invalid(
            """
            from requests import get

            async def f():
                get(URL)  # <- RV301
            """,
            fixed="""
            from requests import get

            async def f():
                get(URL, timeout=10)
            """,
        ),
        Invalid(
            """
            import requests

            session = requests.Session()


            class Client:
                def fetch(self, url):
                    with requests.Session() as s:
                        s.get(url)  # <- RV301
                    return session.post(  # <- RV301
                        url,
                        data={},
                    )
            """,
            fixed="""
            import requests

            session = requests.Session()


            class Client:
                def fetch(self, url):
                    with requests.Session() as s:
                        s.get(url, timeout=10)
                    return session.post(
                        url,
                        data={},
                        timeout=10,
                    )
            """,
        ),
        # no trailing comma, a comment on the last argument: both kept, `)` stays on its line
        Invalid(
            """
            import requests


            def publish(event):
                requests.post(  # <- RV301
                    EVENTS_URL,
                    json=event  # the whole event
                )
                requests.put(EVENTS_URL, json=event,  # <- RV301
                             headers=HEADERS)
            """,
            fixed="""
            import requests


            def publish(event):
                requests.post(
                    EVENTS_URL,
                    json=event,  # the whole event
                    timeout=10
                )
                requests.put(EVENTS_URL, json=event,
                             headers=HEADERS, timeout=10)
            """,
        ),
        Invalid(
            """
            import httpx
            from urllib.request import urlopen

            def load(url):
                client = httpx.Client(timeout=None)
                client.get(url)  # <- RV301
                return urlopen(url).read()  # <- RV301
            """
        ),
        Invalid(
            """
            import httpx
            import requests


            class Api:
                def __init__(self):
                    self.session = requests.Session()

                def fetch(self, url):
                    return self.session.get(url)  # <- RV301

                def stream(self, url):
                    requests.get(url, timeout=None)  # <- RV301
                    return httpx.get(url, timeout=None)  # <- RV301
            """,
            fixed="""
            import httpx
            import requests


            class Api:
                def __init__(self):
                    self.session = requests.Session()

                def fetch(self, url):
                    return self.session.get(url, timeout=10)

                def stream(self, url):
                    requests.get(url, timeout=None)
                    return httpx.get(url, timeout=None)
            """,
        ),
    ]

    def setup(self) -> None:
        self._sessions: set[str] = {name for name, callee in self.ctx.module_calls.items() if callee in _SESSIONS}
        self._classes: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def _session_call(self, value: cst.BaseExpression) -> bool:
        """A call that makes a client with no timeout of its own (httpx's only with `timeout=None`)."""
        if not isinstance(value, cst.Call):
            return False
        name = self.ctx.qualified_name(value.func)
        if name in _HTTPX_CLIENTS:
            return _is_none(get_kwarg(value, "timeout"))
        return name in _SESSIONS

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._session_call(node.value):
            for target in node.targets:
                name = dotted_name(target.target)
                if name is None:
                    continue
                if name.startswith("self.") and name.count(".") == 1 and self._classes:
                    self.fact(SessionAttr(self._classes[-1], name[5:]))
                else:
                    self._sessions.add(name)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and self._session_call(node.item):
            name = dotted_name(node.asname.name) if isinstance(node.asname.name, (cst.Name, cst.Attribute)) else None
            if name:
                self._sessions.add(name)

    def visit_Call(self, node: cst.Call) -> None:
        if has_star_kwargs(node):
            return
        timeout = get_kwarg(node, "timeout")
        func = node.func
        qualified = self.ctx.qualified_name(func)
        if qualified in _BLOCKING or qualified in _HTTPX:
            if timeout is None and qualified in _BLOCKING:
                self.fact(Call(node, qualified, "missing"))
            elif _is_none(timeout):
                self.fact(Call(node, qualified, "none"))
            return
        if not isinstance(func, cst.Attribute) or func.attr.value not in _SESSION_METHODS:
            return
        owner = dotted_name(func.value)
        if (owner is not None and owner in self._sessions) or self._session_call(func.value):
            if timeout is None:
                self.fact(Call(node, f"{owner or 'session'}.{func.attr.value}", "missing"))
            elif _is_none(timeout):
                self.fact(Call(node, f"{owner or 'session'}.{func.attr.value}", "none"))
        elif timeout is None and owner is not None and owner.startswith("self.") and owner.count(".") == 1 and self._classes:
            self.fact(AttrCall(node, self._classes[-1], owner[5:], func.attr.value))

    def check(self, facts: Sequence[Located[object]]) -> None:
        bound = {(f.value.owner, f.value.attr) for f in facts if isinstance(f.value, SessionAttr)}
        for fact in facts:
            value = fact.value
            if isinstance(value, AttrCall) and (value.owner, value.attr) in bound:
                value = Call(value.node, f"self.{value.attr}.{value.method}", "missing")
            if isinstance(value, Call):
                self._report(value, fact.block)

    def _report(self, call: Call, at: BlockHandle) -> None:
        seconds = self.options.timeout
        node = call.node
        if call.kind == "none":
            # no fix: `None` was written on purpose, and replacing it changes behaviour
            self.report(node.func, f"`{call.label}` gets `timeout=None`: a silent server blocks this worker forever", at=at)
            return

        def build(builder: FixBuilder) -> None:
            builder.replace(node, _with_arg(node, kwarg("timeout", str(seconds))))

        self.report(
            node.func,
            f"`{call.label}` has no `timeout=`: a silent server blocks this worker forever",
            fix=self.fix(f"Add `timeout={seconds}`", build),
            at=at,
        )


def _is_none(arg: cst.Arg | None) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "None"


def _with_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """`call` with `arg` added as a reviewer would write it.

    When the closing parenthesis sits on its own line, the argument goes on its own line with
    the arguments' indentation (or after the last one when they share a line), and the
    parenthesis, the trailing-comma style and a comment on the last argument stay as they
    were. A call closed on its last argument's line gets `, arg` appended.
    """
    args = list(call.args)
    if not args:
        return append_arg(call, arg)
    last = args[-1]
    trailing = last.comma if isinstance(last.comma, cst.Comma) else None
    closing = trailing.whitespace_after if trailing is not None else last.whitespace_after_arg
    if not isinstance(closing, cst.ParenthesizedWhitespace):
        return append_arg(call, arg)
    previous = args[-2].comma if len(args) > 1 else None
    before_last = previous.whitespace_after if isinstance(previous, cst.Comma) else call.whitespace_before_args
    if isinstance(before_last, cst.ParenthesizedWhitespace):
        # the last argument's comment stays on its line; the new one starts a line of its own
        after_last: cst.BaseParenthesizableWhitespace = cst.ParenthesizedWhitespace(
            first_line=closing.first_line,
            empty_lines=closing.empty_lines,
            indent=before_last.indent,
            last_line=before_last.last_line,
        )
        before_paren: cst.BaseParenthesizableWhitespace = cst.ParenthesizedWhitespace(
            indent=closing.indent, last_line=closing.last_line
        )
    else:  # the arguments share a line: the new one joins them
        after_last, before_paren = cst.SimpleWhitespace(" "), closing
    if trailing is not None:
        args[-1] = last.with_changes(comma=trailing.with_changes(whitespace_after=after_last))
        args.append(arg.with_changes(comma=cst.Comma(whitespace_after=before_paren)))
    else:
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=after_last), whitespace_after_arg=cst.SimpleWhitespace("")
        )
        args.append(arg.with_changes(whitespace_after_arg=before_paren))
    return call.with_changes(args=tuple(args))
