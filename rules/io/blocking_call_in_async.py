"""RV303 blocking-call-in-async."""

from __future__ import annotations

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    RuleMeta,
    Safety,
    Severity,
    Valid,
)
from rules.api.triggers import Trigger, words

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# qualified name -> what to use instead
_BLOCKING: dict[str, str] = {
    "time.sleep": "`await asyncio.sleep(...)`",
    "urllib.request.urlopen": "an async HTTP client (httpx.AsyncClient, aiohttp)",
    "subprocess.run": "`asyncio.create_subprocess_exec`",
    "subprocess.call": "`asyncio.create_subprocess_exec`",
    "subprocess.check_call": "`asyncio.create_subprocess_exec`",
    "subprocess.check_output": "`asyncio.create_subprocess_exec`",
    "os.system": "`asyncio.create_subprocess_shell`",
    "psycopg2.connect": "an async driver (asyncpg, psycopg 3 async)",
    "pymysql.connect": "an async driver (aiomysql, asyncmy)",
    "sqlite3.connect": "aiosqlite, or `asyncio.to_thread`",
    "smtplib.SMTP": "aiosmtplib, or `asyncio.to_thread`",
    **{f"requests.{verb}": "an async HTTP client (httpx.AsyncClient, aiohttp)" for verb in _VERBS},
    **{f"httpx.{verb}": "`httpx.AsyncClient`" for verb in _VERBS},
}


class BlockingCallInAsync(FileRule):
    """
    ## What it does
    Finds blocking calls inside `async def`: `time.sleep`, `requests`, sync `httpx`
    functions, `urllib.request.urlopen`, `subprocess`, and sync database drivers.

    ## Why is this bad?
    An async server runs every request on one event loop. A blocking call stops that loop:
    while one request sleeps or waits for the network, every other request on the worker
    waits too, and latency spikes across the service.

    ## Example
    ```python
    async def poll(job_id):
        time.sleep(1)
        return requests.get(f"{API}/jobs/{job_id}", timeout=5).json()
    ```
    Use instead:
    ```python
    async def poll(job_id):
        await asyncio.sleep(1)
        async with httpx.AsyncClient(timeout=5) as client:
            return (await client.get(f"{API}/jobs/{job_id}")).json()
    ```

    ## Fix
    For `time.sleep(...)` as a statement: `await asyncio.sleep(...)`, importing `asyncio`
    when needed. Unsafe: code that relied on holding the loop (rare, and then a bug) now
    lets other tasks run in between.

    Quiet in sync functions, and on calls handed to `run_in_executor`/`asyncio.to_thread`
    (passed as references or wrapped in a lambda).
    """

    meta = RuleMeta(
        code="RV303",
        name="blocking-call-in-async",
        family="io",
        severity=Severity.WARNING,
        frameworks=("asyncio", "fastapi", "starlette"),
        fix=Safety.UNSAFE,
        trigger=Trigger(words=words("async")),
    )

    VALID = [
        Valid("import time\n\ndef poll():\n    time.sleep(1)\n"),
        Valid("import asyncio, requests\n\nasync def fetch(url):\n    return await asyncio.to_thread(requests.get, url, timeout=5)\n"),
        Valid(
            "import asyncio, time\n\nasync def f():\n    loop = asyncio.get_running_loop()\n    await loop.run_in_executor(None, lambda: time.sleep(1))\n"
        ),
        Valid("import time\n\nasync def outer():\n    def helper():\n        time.sleep(1)\n    return helper\n"),
        Valid("import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n"),
        # httpx.AsyncClient calls are awaited; building a sync redis client does not connect
        Valid("import httpx\n\nasync def f(url):\n    async with httpx.AsyncClient() as c:\n        return await c.get(url)\n"),
    ]
    INVALID = [
        Invalid(
            """
            import time

            import requests


            async def poll(job_id):
                time.sleep(1)  # <- RV303
                return requests.get(URL, timeout=5)  # <- RV303
            """,
            fixed="""
            import asyncio
            import time

            import requests


            async def poll(job_id):
                await asyncio.sleep(1)
                return requests.get(URL, timeout=5)
            """,
        ),
        Invalid(
            """
            import asyncio as aio
            from time import sleep
            import subprocess


            class Worker:
                async def run(self):
                    sleep(0.5)  # <- RV303
                    subprocess.run(["ls"])  # <- RV303
            """,
            fixed="""
            import asyncio as aio
            from time import sleep
            import subprocess


            class Worker:
                async def run(self):
                    await aio.sleep(0.5)
                    subprocess.run(["ls"])
            """,
        ),
    ]

    def setup(self) -> None:
        self._async: list[bool] = []  # one entry per enclosing function or lambda
        self._statements: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._async.append(node.asynchronous is not None)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._async.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._async.append(False)

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._async.pop()

    def visit_Expr(self, node: cst.Expr) -> None:
        self._statements.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if not self._async or not self._async[-1]:
            return
        name = self.ctx.qualified_name(node.func)
        if name not in _BLOCKING:
            return
        fix = None
        if name == "time.sleep" and id(node) in self._statements:

            def build(builder: FixBuilder, call: cst.Call = node) -> None:
                asyncio = builder.ensure_import("asyncio")
                sleep = call.with_changes(func=cst.Attribute(cst.Name(asyncio), cst.Name("sleep")))
                builder.replace(call, cst.Await(sleep))

            fix = self.fix("Use `await asyncio.sleep(...)`", build)
        self.report(node.func, f"`{name}` blocks the event loop inside `async def`; use {_BLOCKING[name]}", fix=fix)
