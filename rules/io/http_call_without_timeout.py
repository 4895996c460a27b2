"""RV301 http-call-without-timeout."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    RuleMeta,
    Safety,
    Scope,
    Severity,
    Valid,
    append_arg,
    dotted_name,
    get_kwarg,
    has_star_kwargs,
    kwarg,
)

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# qualified names (after alias resolution) of calls that wait without bound when given no timeout
_CALLS = frozenset(
    [f"requests.{v}" for v in _VERBS]
    + [f"requests.api.{v}" for v in _VERBS]
    + [f"httpx.{v}" for v in (*_VERBS, "stream")]
    + ["urllib.request.urlopen"]
)
_SESSIONS = frozenset(("requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client", "httpx.AsyncClient"))
_SESSION_METHODS = frozenset((*_VERBS, "stream"))


class HttpCallWithoutTimeout(FileRule):
    """
    ## What it does
    Finds HTTP calls that pass no `timeout=`: `requests` functions and `Session` methods,
    `httpx` functions and clients created without a timeout, and `urllib.request.urlopen`.

    ## Why is this bad?
    `requests` and `urlopen` never time out by default: an upstream that accepts the
    connection and then goes quiet holds the worker forever, and a handful of those drain
    the gunicorn/uvicorn pool. An explicit timeout states how long the caller may wait.

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
    wait that had no bound; every other argument stays as written.

    Quiet when a `timeout` is passed by keyword or may come from `**kwargs`, and on clients
    built with `httpx.Client(timeout=...)`.
    """

    @dataclass(frozen=True, slots=True)
    class Options:
        timeout: int = 10

    meta = RuleMeta(
        code="RV301",
        name="http-call-without-timeout",
        family="io",
        severity=Severity.WARNING,
        scope=Scope.FILE,
        frameworks=("requests", "httpx", "urllib"),
        fix=Safety.SAFE,
    )

    VALID = [
        Valid("import requests\nrequests.get(URL, timeout=5)\n"),
        Valid("import requests\n\ndef f(**opts):\n    return requests.get(URL, **opts)\n"),
        Valid("from app.clients import requests\nrequests.get(URL)\n"),
        Valid("def get(url): ...\nget(URL)\n"),
        Valid("import httpx\n\nasync def f():\n    async with httpx.AsyncClient(timeout=5) as client:\n        await client.get(URL)\n"),
        Valid("import requests\n\ndef f(session):\n    return session.get(URL)\n"),
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
                        data={}, timeout=10,
                    )
            """,
        ),
        Invalid(
            """
            import httpx
            from urllib.request import urlopen

            def load(url):
                client = httpx.Client()
                client.get(url)  # <- RV301
                return urlopen(url).read()  # <- RV301
            """
        ),
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._sessions: set[str] = {
            name for name, callee in self.ctx.module_calls.items() if callee in _SESSIONS
        }

    def _session_call(self, value: cst.BaseExpression) -> bool:
        """A call that makes a client with no timeout of its own."""
        if not isinstance(value, cst.Call):
            return False
        return self.ctx.qualified_name(value.func) in _SESSIONS and get_kwarg(value, "timeout") is None

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._session_call(node.value):
            for target in node.targets:
                name = dotted_name(target.target)
                if name:
                    self._sessions.add(name)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and self._session_call(node.item):
            name = dotted_name(node.asname.name) if isinstance(node.asname.name, (cst.Name, cst.Attribute)) else None
            if name:
                self._sessions.add(name)

    def _label(self, node: cst.Call) -> str | None:
        func = node.func
        qualified = self.ctx.qualified_name(func)
        if qualified in _CALLS:
            return qualified
        if isinstance(func, cst.Attribute) and func.attr.value in _SESSION_METHODS:
            owner = dotted_name(func.value)
            if (owner is not None and owner in self._sessions) or self._session_call(func.value):
                return f"{owner or 'session'}.{func.attr.value}"
        return None

    def visit_Call(self, node: cst.Call) -> None:
        label = self._label(node)
        if label is None or get_kwarg(node, "timeout") is not None or has_star_kwargs(node):
            return
        timeout = self.options.timeout  # type: ignore[attr-defined]

        def build(builder: FixBuilder, call: cst.Call = node) -> None:
            builder.replace(call, append_arg(call, kwarg("timeout", str(timeout))))

        self.report(
            node.func,
            f"`{label}` has no `timeout=`: a silent server blocks this worker forever",
            fix=self.fix(f"Add `timeout={timeout}`", build),
        )
