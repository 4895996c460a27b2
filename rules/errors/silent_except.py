"""RV203 silent-except."""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    ModuleContext,
    Role,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    dotted_name,
    find_all,
    is_logger,
)
from rules.api.helpers import BROAD_EXCEPT, is_placeholder
from rules.api.triggers import BlockSummary, ModuleSummary

# what catches every error: programming mistakes, outages and interrupts alike
_BROAD = frozenset(("Exception", "BaseException"))
# tool directives, and notes that the work is still to do, do not explain an empty body
_NOT_AN_EXPLANATION = re.compile(r"#\s*(?:noqa|pragma|type:|reviewls:|pylint:|nosec|fmt:|todo|fixme|xxx)", re.I)


def _type_names(node: cst.BaseExpression | None) -> list[str | None]:
    if node is None:
        return [None]
    if isinstance(node, cst.Tuple):
        return [dotted_name(el.value) for el in node.elements]
    return [dotted_name(node)]


_LOGGER_NAME = re.compile(r"(?i)^_?(log|logger|logging)$")


def _is_silent(stmt: cst.BaseSmallStatement | cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.Continue) or is_placeholder(stmt)


def _is_broad(names: list[str | None]) -> bool:
    """A bare `except:` or a clause naming `Exception`/`BaseException` (alone or in a tuple)."""
    return any(name is None or name.removeprefix("builtins.") in _BROAD for name in names)


def _explained(comments: list[cst.Comment]) -> bool:
    return any(not _NOT_AN_EXPLANATION.match(c.value) for c in comments)


# words that, in a comment right above the `try` or the `except`, say the failure is accepted
_INTENT = re.compile(
    r"best[- ]effort|ignor|optional|silent|quiet|may fail|can fail|might fail|not critical|harmless|don'?t care|swallow",
    re.I,
)


def _intent_above(*nodes: cst.Try | cst.ExceptHandler) -> bool:
    """`# best-effort flush before exit` above the try: the block says its failure does not matter."""
    return any(
        line.comment is not None and _INTENT.search(line.comment.value) for node in nodes for line in node.leading_lines
    )


# a linter suppression for this very pattern on the `except` line: the team decided, and said so
_ACKNOWLEDGED = re.compile(
    r"#\s*(?:noqa\b.*\b(?:E722|S110|S112|BLE001)|pylint:\s*disable=.*(?:broad-except|bare-except|broad-exception-caught|W0702|W0703|W0718))",
    re.I,
)
# calls that release or tear down: failing to is not worth more than trying (best-effort cleanup).
# Not `delete`: deleting rows or documents is the work itself, not its aftermath.
_CLEANUP = frozenset(
    (
        "close", "aclose", "quit", "kill", "terminate", "remove", "unlink", "rmtree", "rmdir", "cleanup",
        "shutdown", "disconnect", "cancel", "stop", "clear", "release", "flush", "join", "wait_closed",
    )
)

# `stop_item_tasks(...)`, `close_session(...)`: verbs that only tear down, as a prefix too
# (`remove_client(key)` before the config is replaced: the item may not be registered)
_TEARDOWN_PREFIXES = frozenset(("stop", "close", "cleanup", "kill", "terminate", "shutdown", "disconnect", "cancel", "remove"))


def _small_statements(body: cst.BaseSuite) -> list[cst.BaseSmallStatement | cst.BaseStatement]:
    if isinstance(body, cst.SimpleStatementSuite):
        return list(body.body)
    out: list[cst.BaseSmallStatement | cst.BaseStatement] = []
    for stmt in body.body:
        out.extend(stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt])
    return out


def _probes_import(body: cst.BaseSuite) -> bool:
    """`try: import x ...` (an optional dependency probed with a broad clause)."""
    statements = _small_statements(body)
    return bool(statements) and isinstance(statements[0], (cst.Import, cst.ImportFrom))


def _best_effort_cleanup(body: cst.BaseSuite) -> bool:
    """`try: conn.close()` / `await ws.close()` / `to_thread(os.remove, path)`: one tear-down call."""
    statements = _small_statements(body)
    if len(statements) != 1 or not isinstance(statements[0], cst.Expr):
        return False
    return _is_cleanup_call(statements[0].value)


def _is_cleanup_call(value: cst.BaseExpression) -> bool:
    """`conn.close()`, `to_thread(os.remove, path)`, `shield(it.aclose())`, `stop_item_tasks(...)`."""
    if isinstance(value, cst.Await):
        value = value.expression
    if not isinstance(value, cst.Call):
        return False
    callees = [value.func, *(arg.value.func if isinstance(arg.value, cst.Call) else arg.value for arg in value.args)]
    for callee in callees:
        verb = (dotted_name(callee) or "").rsplit(".", 1)[-1]
        if verb in _CLEANUP or verb.split("_", 1)[0] in _TEARDOWN_PREFIXES:
            return True
    return False


def _cleanup_actions(body: cst.BaseSuite) -> int | None:
    """How many tear-down calls a block makes, when tear-downs are all it does (None otherwise)."""
    actions = 0
    for stmt in _small_statements(body):
        if isinstance(stmt, cst.Expr):
            if not _is_cleanup_call(stmt.value):
                return None
            actions += 1
        elif isinstance(stmt, (cst.If, cst.For, cst.While, cst.Try)):
            if isinstance(stmt, cst.Try) and not all(all(_is_silent(x) for x in _small_statements(h.body)) for h in stmt.handlers):
                return None
            for suite in _child_suites(stmt):
                inner = _cleanup_actions(suite)
                if inner is None:
                    return None
                actions += inner
        elif not _is_silent(stmt):
            return None
    return actions


def _cleanup_only(body: cst.BaseSuite) -> bool:
    """`if d.exists(): for f in d.iterdir(): if f.is_file(): f.unlink()`: every action of the block
    tears something down (a stale-file sweep at startup); loops and tests only choose what."""
    return bool(_cleanup_actions(body))


# what receives from one side and sends to the other: a forwarding pump
_RECEIVE = re.compile(r"^(?:receive|recv|read|get)", re.I)
_SEND = re.compile(r"^(?:send|write|put|emit)", re.I)


def _pumps(body: cst.BaseSuite) -> bool:
    """`try: while True: msg = await ws.receive(); await upstream.send_bytes(msg)` (or `async for
    msg in upstream: await ws.send_text(msg.data)`): a task forwarding one connection to another
    ends when either side closes or breaks, and an exception is how it learns that."""
    statements = _small_statements(body)
    if len(statements) != 1 or not isinstance(statements[0], (cst.For, cst.While)):
        return False
    loop = statements[0]
    verbs = [(dotted_name(c.func) or "").rsplit(".", 1)[-1] for c in find_all(loop.body, cst.Call) if isinstance(c, cst.Call)]
    receives = (isinstance(loop, cst.For) and loop.asynchronous is not None) or any(_RECEIVE.match(v) for v in verbs)
    return receives and any(_SEND.match(v) for v in verbs)


# parsing an item that may not be in that format: `raw = loads(line)`, `s.parse_secret(barcode)`
_PARSE = re.compile(r"^(?:loads|parse\w*|literal_eval|from_string|fromisoformat)$")


def _parses_first(body: cst.BaseSuite) -> bool:
    statements = _small_statements(body)
    if not statements or not isinstance(statements[0], (cst.Assign, cst.AnnAssign)):
        return False
    value = statements[0].value
    if isinstance(value, cst.Await):
        value = value.expression
    return isinstance(value, cst.Call) and bool(_PARSE.match((dotted_name(value.func) or "").rsplit(".", 1)[-1]))


# the value of a control statement is "leave with what we have": the code after the try is the fallback
_CONTROL = (cst.Return, cst.Continue, cst.Break, cst.Raise)


def _target_names(target: cst.BaseExpression) -> set[str]:
    """What an assignment target keeps when it fails: `x`, `a, b`, the dict of `d[k]`, the
    object of `ws.title` (not `self.x`: an attribute the object may then lack)."""
    if isinstance(target, (cst.Tuple, cst.List)):
        return set().union(*(_target_names(e.value) for e in target.elements)) if target.elements else set()
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Subscript, cst.Attribute)):
        root: cst.BaseExpression = target
        while isinstance(root, (cst.Subscript, cst.Attribute)):
            root = root.value
        if isinstance(root, cst.Name) and not (isinstance(target, cst.Attribute) and root.value in ("self", "cls")):
            return {root.value}
    return set()


# adding an item to a result being collected: `tags.add(name)`, `rows.append(row)`
_COLLECT = ("append", "add", "extend", "update", "setdefault", "insert")


def _assigned(stmt: cst.BaseSmallStatement | cst.BaseStatement, collect: bool = False) -> set[str] | None:
    """Names a computing statement binds (assignments, `if` blocks of them, `return`/`continue`;
    with `collect`, adding to a collection too); None when it does anything else (a call for
    its effect, a loop, a `with`)."""
    if isinstance(stmt, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
        targets: list[cst.BaseExpression] = [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
        return set().union(*(_target_names(t) for t in targets))
    if isinstance(stmt, _CONTROL):
        return set()
    call = stmt.value if isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call) else None
    method = call.func if call is not None and isinstance(call.func, cst.Attribute) else None
    if collect and method is not None and method.attr.value in _COLLECT:
        # `hostnames.extend(ips)`: the collection bound before keeps what it had
        assert isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call) and isinstance(stmt.value.func, cst.Attribute)
        return _target_names(stmt.value.func.value)
    if method is not None and isinstance(method.value, cst.Name) and _LOGGER_NAME.match(method.value.value):
        return set()  # a log line computes nothing and changes nothing
    if isinstance(stmt, cst.Try):  # a nested fallback of its own
        names: set[str] = set()
        for suite in (stmt.body, *(h.body for h in stmt.handlers)):
            for inner in _small_statements(suite):
                bound = _assigned(inner, collect)
                if bound is None:
                    return None
                names |= bound
        return names
    if isinstance(stmt, cst.If):
        names = set()
        branch: cst.If | cst.Else | None = stmt
        while branch is not None:
            for inner in _small_statements(branch.body):
                bound = _assigned(inner, collect)
                if bound is None:
                    return None
                names |= bound
            branch = branch.orelse if isinstance(branch, cst.If) else None
        return names
    return None


def _computes_only(body: cst.BaseSuite, collect: bool = False) -> tuple[set[str], bool] | None:
    """(names bound, leaves by a control statement) when a try body only computes; None otherwise."""
    names: set[str] = set()
    for stmt in _small_statements(body):
        bound = _assigned(stmt, collect)
        if bound is None:
            return None
        names |= bound
    leaves = any(isinstance(n, _CONTROL) for n in find_all(body, _CONTROL))
    return names, leaves


def _bound_before_tries(function: cst.FunctionDef) -> dict[int, frozenset[str]]:
    """For each `try` of the function (not of nested functions), the parameters and names bound
    on the way to it, in source order: the defaults a failed computation keeps."""
    params = function.params
    bound: set[str] = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            bound.add(star.name.value)
    found: dict[int, frozenset[str]] = {}

    def walk(statements: Sequence[cst.CSTNode]) -> None:
        for stmt in statements:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                continue
            if isinstance(stmt, cst.Try):
                found[id(stmt)] = frozenset(bound)
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                        bound.update(_assigned(small) or ())
                continue
            if isinstance(stmt, cst.For):
                bound.update(_target_names(stmt.target))
            for child in _child_suites(stmt):
                walk(child.body)

    walk(function.body.body if isinstance(function.body, cst.IndentedBlock) else ())
    return found


# the levels at which a failure is reported (not `info`/`debug`: those note, they do not report)
_ERROR_LEVELS = frozenset(("error", "exception", "critical", "fatal", "warning", "warn"))


def _logs_error(stmt: cst.BaseStatement, ctx: ModuleContext) -> bool:
    """`log.error('provider returned %s', err)` as a statement of its own."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        value = small.value if isinstance(small, cst.Expr) else None
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            if value.func.attr.value in _ERROR_LEVELS and is_logger(value.func.value, ctx):
                return True
    return False


def _tries_after_error_log(function: cst.FunctionDef, ctx: ModuleContext) -> set[int]:
    """The `try`s of the function that follow an error log of the error path they are on: in an
    `except` block or an `if` branch, after `log.error(...)` (possibly under a further `if`
    guard, `if save_to_chat: try: ...`). The failure was reported; what follows is a secondary,
    best-effort step (persisting the error, notifying), whose own failure need not drown it."""
    found: set[int] = set()

    def walk(statements: Sequence[cst.BaseStatement], error_path: bool, logged: bool) -> None:
        for stmt in statements:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                continue
            if isinstance(stmt, cst.Try) and logged:
                found.add(id(stmt))
            if error_path and _logs_error(stmt, ctx):
                logged = True
            if isinstance(stmt, cst.If):
                branch: cst.If | cst.Else | None = stmt
                while branch is not None:
                    walk(_block(branch.body), True, logged)
                    branch = branch.orelse if isinstance(branch, cst.If) else None
                continue
            if isinstance(stmt, (cst.Try, cst.TryStar)):
                walk(_block(stmt.body), False, False)
                for handler in stmt.handlers:
                    walk(_block(handler.body), True, False)
                for extra in (stmt.orelse, stmt.finalbody):
                    if extra is not None:
                        walk(_block(extra.body), False, False)
                continue
            for suite in _child_suites(stmt):
                walk(_block(suite), False, False)

    walk(_block(function.body), False, False)
    return found


def _block(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    return suite.body if isinstance(suite, cst.IndentedBlock) else ()


def _child_suites(stmt: cst.CSTNode) -> list[cst.BaseSuite]:
    """The statement blocks directly inside a compound statement, in source order."""
    suites: list[cst.BaseSuite] = []
    if isinstance(stmt, (cst.If, cst.For, cst.While, cst.With, cst.Try, cst.TryStar, cst.Else, cst.Finally, cst.ExceptHandler)):
        suites.append(stmt.body)
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        for handler in stmt.handlers:
            suites.append(handler.body)
        for extra in (stmt.orelse, stmt.finalbody):
            if extra is not None:
                suites.append(extra.body)
    elif isinstance(stmt, (cst.If, cst.For, cst.While)) and stmt.orelse is not None:
        orelse = stmt.orelse
        if isinstance(orelse, cst.If):
            suites.extend(_child_suites(orelse))
        else:
            suites.append(orelse.body)
    return [suite for suite in suites if isinstance(suite, cst.IndentedBlock)]


class SilentExcept(FileRule):
    """
    ## What it does
    Finds `except Exception`, `except BaseException` and bare `except:` handlers whose body
    is only `pass`, `...` or `continue`, with no logging and no comment saying why.

    ## Why is this bad?
    Every error vanishes, not only the one the author had in mind: the `TypeError` of a
    typo, the database outage, the timeout. No log line, no metric, no traceback: the
    request "succeeds" with missing data, and the on-call engineer has nothing to search
    for when a customer reports it.

    ## Example
    ```python
    try:
        send_receipt(order)
    except Exception:
        pass
    ```
    Use instead:
    ```python
    try:
        send_receipt(order)
    except Exception:
        logger.exception("receipt for order %s failed", order.id)
    ```

    ## Fix
    Replaces `pass`/`...` with `logger.exception(...)` (keeping `continue`), adding the
    module logger when absent. Unsafe: it adds log output, which may be noisy or carry data
    the team does not want logged.

    Quiet on narrow clauses: naming the exception (`Model.DoesNotExist` then a fallback,
    `KeyError` around `del`, `(TypeError, ValueError)` with `else:`, `ImportError`,
    `StopIteration`) is the EAFP idiom, the author expected exactly that error. Also quiet
    on handlers with an explanatory comment (in the handler or on its `except` line; above
    the `try` when it says the failure is accepted: "best-effort", "ignore", "optional") or a
    linter suppression of this very pattern (`# noqa: S110`, `E722`, `BLE001`,
    `# pylint: disable=broad-except`), `contextlib.suppress`, and on try bodies whose failure
    has a designed outcome: `try: import ...` probes, one best-effort cleanup call
    (`close()`, `kill()`, `os.remove`), work an `else:` clause depends on, computing a value
    that keeps a default bound before (`name = None; try: name = parse(x)`, a parameter, a
    dict entry, `ws.title`; at module level a name bound at the top), an early `return` (or a
    computed `raise`) with the fallback after the try, or an item the loop skips
    (`try: n = int(x)` then `continue`), or an addition to a collection bound before
    (`hostnames = [domain]; try: hostnames.extend(resolve(domain))`). Also quiet on a task
    that forwards one connection to another (`while True: msg = await ws.receive(); await
    upstream.send_bytes(...)`: an error is how the pump learns a side closed), on side work in
    a handler that re-raises afterwards (`except CancelledError: try: emit(...) except
    Exception: pass; raise`: the handled error still propagates), on a block that only tears
    down (a startup sweep of stale files), and on trying to parse each item of a loop, or with
    each parser in turn (`parsed = gen.parse_secret(code)`): "not this format" is the expected
    outcome. Quiet too on a secondary step on an error path that already reported its error
    (`if error: log.error(...); try: save_error(...) except Exception: pass`, or the same in
    an `except` block after `logger.exception(...)`): the failure is logged, only the
    best-effort follow-up (persisting or forwarding it) is silent. Quiet in tests and migrations.
    """

    meta = RuleMeta(
        code="RV203", name="silent-except", family="errors", severity=Severity.WARNING, fix=Safety.UNSAFE
    )

    @classmethod
    def wants(cls, block: BlockSummary, module: ModuleSummary) -> bool:
        """A broad clause and a silent statement (`pass`, `continue`, `...`) in one block."""
        return ("pass" in block.words or "continue" in block.words or "..." in block.text) and block.matches(BROAD_EXCEPT)

    VALID = [
        Valid("try:\n    import ujson as json\nexcept ImportError:\n    json = None\n"),
        Valid("def first(it):\n    try:\n        return next(it)\n    except StopIteration:\n        pass\n"),
        Valid(
            "def close(conn):\n    try:\n        conn.close()\n    except Exception:\n        # already closed by the peer; nothing to release\n        pass\n"
        ),
        Valid("import contextlib\n\nwith contextlib.suppress(KeyError):\n    del cache['x']\n"),
        Valid(
            "import logging\nlogger = logging.getLogger(__name__)\n\ndef f():\n    try:\n        g()\n    except Exception:\n        logger.exception('g failed')\n"
        ),
        # the reproduction of real false alarms: EAFP with narrow, expected exceptions
        Valid(
            """
            from myapp.models import Project


            def lookup(api_key):
                try:
                    return Project.objects.get(api_key=api_key)
                except Project.DoesNotExist:
                    pass
                return None


            def drop_ref(schema, ref):
                try:
                    del schema["definitions"][ref]
                except KeyError:
                    pass


            def as_int(value):
                try:
                    n = int(value)
                except (TypeError, ValueError):
                    pass
                else:
                    return n


            def remove_theme(themes, current):
                # Remove current theme but ignore failure
                try:
                    themes.remove(current)
                except ValueError:
                    pass
            """
        ),
        Valid(
            """
            def sync_all(rows):
                for row in rows:
                    try:
                        push(row)
                    except (ValueError, KeyError):
                        continue
            """
        ),
        Valid(
            """
            def versions():
                try:
                    import label_studio_ml
                except Exception:
                    pass
            """
        ),
        Valid(
            """
            def send_job(payload):
                try:
                    post(payload)
                except Exception:  # telemetry is best effort, never fail the request for it
                    pass
            """
        ),
        Valid("API_KEY = ''\ntry:\n    API_KEY = KEYS[URLS.index(OPENAI_URL)]\nexcept Exception:\n    pass\n"),
        Valid("def test_cleanup():\n    try:\n        remove()\n    except Exception:\n        pass\n", path="tests/test_files.py"),
        # the team silenced the linter for this very pattern: a decision, said out loud
        Valid(
            """
            def destroy(driver):
                try:
                    driver.quit()
                except Exception:  # pylint: disable=broad-except  # noqa: S110
                    pass
            """
        ),
        # designed outcomes: best-effort cleanup, a default kept, an item skipped, an optional import
        Valid(
            """
            import asyncio
            import os


            async def finish(ws, paths):
                try:
                    await ws.close()
                except Exception:
                    pass
                for path in paths:
                    try:
                        await asyncio.to_thread(os.remove, path)
                    except Exception:
                        pass


            def finish_job(telemetry_client):
                # best-effort flush before the job exits; the timeout avoids blocking shutdown
                try:
                    flusher = threading.Thread(target=telemetry_client.flush, daemon=True)
                    flusher.start()
                    flusher.join(timeout=5)
                except Exception:
                    pass


            def tag_names(rows):
                tags = set()
                for meta in rows:
                    for tag in meta.get("tags", []):
                        try:
                            name = tag.get("name") if isinstance(tag, dict) else str(tag)
                            if name:
                                tags.add(name)
                        except Exception:
                            continue
                return tags


            def registered_scorers(names):
                registered = set()
                for name in names:
                    try:
                        builtin_scorer(name)()
                        continue
                    except Exception:
                        pass
                    registered.add(name)
                return registered


            async def close_stream(response, note_id):
                try:
                    await asyncio.shield(response.body_iterator.aclose())
                except (asyncio.CancelledError, Exception):
                    pass
                try:
                    await stop_item_tasks(REDIS, f"note:{note_id}")
                except Exception:
                    pass


            def display_name(request, email):
                name = request.headers.get("X-Name", email)
                try:
                    name = unquote(name)
                except Exception:
                    pass
                return name


            async def pipeline_error(response):
                detail = f"HTTP error {response.status}"
                try:
                    res = await response.json()
                    if "detail" in res:
                        detail = res["detail"]
                except Exception:
                    pass
                return detail


            def events(parts):
                for part in parts:
                    try:
                        data = loads(part)
                    except Exception:
                        continue
                    yield data


            def state_line(address):
                state_name = ""
                if address.country in LONG_STATES:
                    try:
                        state_name = subdivisions.get(code=address.state).name
                    except:
                        pass
                return state_name


            def phone(value):
                try:
                    value = PhoneNumber.from_string(value)
                except:
                    pass
                return value


            def initial_values(fields, initial):
                for k in initial:
                    try:
                        initial[k] = fields[k].to_python(initial[k])
                    except Exception:
                        pass
                return initial


            def prompt_name(uri):
                try:
                    if uri.startswith("prompts:/"):
                        parts = uri.split("/")
                        return parts[0], parts[1]
                except Exception:
                    pass
                return "", ""


            def cross_domain_login(request, store):
                try:
                    store.load()
                except:
                    pass
                else:
                    login(request, store)


            async def terminal_type(session, base_url):
                try:
                    async with session.get(f"{base_url}/api/v1/policies") as resp:
                        if resp.ok:
                            return "orchestrator"
                except Exception:
                    pass
                return "terminal"


            async def pipeline_error(response):
                try:
                    res = await response.json()
                    if "detail" in res:
                        raise HTTPException(status_code=response.status, detail=res["detail"])
                except HTTPException:
                    raise
                except Exception:
                    pass
                raise HTTPException(status_code=response.status, detail="Pipeline error")


            async def retrieval_queries(request, messages):
                queries = []
                if messages:
                    try:
                        response = await generate_queries(request, messages)
                        try:
                            response = loads(response["content"])
                        except Exception:
                            response = {"queries": [response]}
                        queries = response.get("queries", [])
                    except Exception:
                        pass
                return queries


            def render_xlsx(ws, name):
                try:
                    ws.title = str(name)[:30]
                except:
                    pass


            def device():
                try:
                    import torch
                    if torch.backends.mps.is_available():
                        return "mps"
                except Exception:
                    pass
                return "cpu"
            """
        ),
        # the second labelling's families: a forwarding pump, side work before a re-raise, a
        # startup sweep, trying each parser in turn, a fallback already in place
        Valid(
            """
            import asyncio


            async def proxy(ws, upstream):
                async def client_to_upstream():
                    try:
                        while True:
                            msg = await ws.receive()
                            if msg["type"] == "websocket.disconnect":
                                break
                            await upstream.send_bytes(msg["bytes"])
                    except Exception:
                        pass

                async def upstream_to_client():
                    try:
                        async for msg in upstream:
                            await ws.send_text(msg.data)
                    except Exception:
                        pass

                await asyncio.gather(client_to_upstream(), upstream_to_client())


            async def process(metadata):
                try:
                    return await run(metadata)
                except asyncio.CancelledError:
                    try:
                        await asyncio.shield(emit_cancel_event(metadata))
                    except Exception:
                        pass
                    raise


            def reset_static(static_dir):
                try:
                    if static_dir.exists():
                        for item in static_dir.iterdir():
                            if item.is_file() or item.is_symlink():
                                try:
                                    item.unlink()
                                except Exception:
                                    pass
                except Exception:
                    pass


            def replace_clients(manager, connections):
                for connection in connections:
                    try:
                        manager.remove_client(connection["id"])
                    except Exception:
                        pass


            def failed_checkin(checkin_lists, raw_barcode):
                args = dict(raw_barcode=raw_barcode)
                for cl in checkin_lists:
                    for generator in cl.secret_generators:
                        try:
                            parsed = generator.parse_secret(raw_barcode)
                            args.update({"raw_item": parsed.item})
                        except:
                            pass
                return args


            async def relay(response, emit):
                async for line in response.body_iterator:
                    if not line.startswith("data:"):
                        try:
                            raw = loads(line)
                            if raw.get("error"):
                                await emit({"error": raw["error"]})
                        except Exception:
                            pass
                        continue
                    await emit(line)


            def allowed_hosts(domain):
                hostnames = [domain]
                try:
                    ipv4, ipv6 = resolve_hostname(domain)
                    hostnames.extend(ipv4)
                    hostnames.extend(ipv6)
                except Exception:
                    pass
                return hostnames


            async def register(response, url):
                error_text = None
                try:
                    error_text = await response.text()
                    log.error(f"registration failed at {url}: {error_text}")
                except Exception:
                    pass
                raise RegistrationError(error_text or "registration failed")
            """
        ),
        # a secondary, best-effort step on an error path that already logged the error
        Valid(
            """
            import logging

            log = logging.getLogger(__name__)


            async def relay_error(data, metadata, save_to_chat, emit):
                error = data.get("error")
                if error:
                    log.error("Provider returned error: %s", error)
                    if save_to_chat:
                        try:
                            await Chats.upsert_message(metadata["chat_id"], {"error": error})
                        except Exception:
                            pass
                    await emit({"type": "chat:completion", "data": {"error": error}})


            def charge(order):
                try:
                    gateway.charge(order)
                except PaymentError as e:
                    logger.exception("charge of order %s failed", order.id)
                    try:
                        order.mark_failed(str(e))
                    except Exception:
                        pass
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import logging

            logger = logging.getLogger(__name__)


            def notify(order):
                try:
                    send_receipt(order)
                except Exception:  # <- RV203
                    pass
            """,
            fixed="""
            import logging

            logger = logging.getLogger(__name__)


            def notify(order):
                try:
                    send_receipt(order)
                except Exception:
                    logger.exception("Ignored error in notify")
            """,
        ),
        Invalid(
            """
            def sync_all(rows):
                for row in rows:
                    try:
                        push(row)
                    except (ValueError, Exception):  # <- RV203
                        continue
            """,
            fixed="""
            import logging

            logger = logging.getLogger(__name__)


            def sync_all(rows):
                for row in rows:
                    try:
                        push(row)
                    except (ValueError, Exception):
                        logger.exception("Ignored error in sync_all")
                        continue
            """,
        ),
        Invalid(
            """
            class Cache:
                def drop(self, key):
                    try:
                        del self.data[key]
                    except:  # <- RV203
                        ...
            """
        ),
        Invalid(
            """
            def attach_all(email, files):
                for f in files:
                    try:
                        email.attach(*f)
                    except:  # <- RV203
                        pass
            """
        ),
        Invalid(
            """
            def artifact_repo(client):
                try:
                    spark = active_spark_session()
                except Exception:  # <- RV203
                    pass
                return build(client, spark)


            class RestStore:
                def __init__(self):
                    try:
                        self.spark = active_spark_session()
                    except Exception:  # <- RV203
                        pass


            async def delete_file(file_id):
                try:
                    await VECTOR_DB.delete(collection_name=file_id)
                except Exception:  # <- RV203
                    pass
            """
        ),
        Invalid(
            """
            import asyncio


            async def process(metadata):
                try:
                    return await run(metadata)
                except asyncio.CancelledError:
                    try:
                        await save_cancelled_state(metadata)
                    except Exception:  # <- RV203
                        pass


            def save_all(rows, results):
                for row in rows:
                    try:
                        data = prepare(row)
                        results.append(data)
                        store(data)
                    except Exception:  # <- RV203
                        pass
            """
        ),
        Invalid(
            """
            import logging

            log = logging.getLogger(__name__)


            def sync(order):
                log.error("starting sync of %s", order.id)
                try:
                    push(order)
                except Exception:  # <- RV203
                    pass
                if order.paid:
                    log.info("order %s paid", order.id)
                    try:
                        push_payment(order)
                    except Exception:  # <- RV203
                        pass
            """
        ),
    ]

    def setup(self) -> None:
        self._functions: list[str] = []
        self._tries: list[cst.Try] = []
        self._defaults: dict[int, frozenset[str]] = {}
        self._loops: list[int] = [0]  # loop depth, per function
        self._handlers: list[cst.ExceptHandler] = []
        self._after_log: set[int] = set()  # tries on an error path that already logged its error

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)
        self._defaults.update(_bound_before_tries(node))
        self._after_log.update(_tries_after_error_log(node, self.ctx))
        self._loops.append(0)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._loops.pop()

    def visit_For(self, node: cst.For) -> None:
        self._loops[-1] += 1

    def leave_For(self, original_node: cst.For) -> None:
        self._loops[-1] -= 1

    def visit_While(self, node: cst.While) -> None:
        self._loops[-1] += 1

    def leave_While(self, original_node: cst.While) -> None:
        self._loops[-1] -= 1

    def _reraised_after(self, node: cst.Try) -> bool:
        """`except CancelledError: try: <notify> except Exception: pass; raise`: side work on the
        way out of a handler that re-raises; the error being handled still propagates, and a
        failure of the side work must not replace it."""
        for handler in reversed(self._handlers):
            body = handler.body
            if isinstance(body, cst.IndentedBlock) and node in body.body:
                after = body.body[body.body.index(node) + 1 :]
                return any(
                    isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(x, cst.Raise) and x.exc is None for x in stmt.body)
                    for stmt in after
                )
        return False

    def visit_Try(self, node: cst.Try) -> None:
        self._tries.append(node)

    def leave_Try(self, node: cst.Try) -> None:
        self._tries.pop()

    def _deliberate(self, node: cst.Try, handler_body: list[cst.BaseSmallStatement | cst.BaseStatement]) -> bool:
        """Try bodies whose failure has a designed outcome: an optional import, a best-effort
        cleanup, work an `else:` clause depends on (skipped on failure), a value that keeps its
        default (`name = None; try: name = parse(x)`), a computed early `return` whose fallback
        follows the try, an item a loop skips (`try: n = int(x) except Exception: continue`)."""
        if _probes_import(node.body) or _best_effort_cleanup(node.body) or node.orelse is not None:
            return True
        if _cleanup_only(node.body) or _pumps(node.body):
            return True
        if self._loops and self._loops[-1] and _parses_first(node.body):
            return True  # trying to parse each item (or with each parser): "not this format" is expected
        if self._reraised_after(node) or id(node) in self._after_log:
            return True
        body = _small_statements(node.body)
        if all(isinstance(stmt, cst.Pass) for stmt in handler_body) and (
            find_all(node.body, cst.Return) or (body and isinstance(body[-1], (cst.Continue, cst.Break)))
        ):
            return True  # `try: <probe>; return result` (or `continue`) then the fallback after the try
        skips = all(isinstance(stmt, cst.Continue) for stmt in handler_body)
        if skips and _computes_only(node.body, collect=True) is not None:
            return True  # a loop that collects values skips the item it cannot compute
        computed = _computes_only(node.body, collect=True)
        if computed is None:
            return False
        names, leaves = computed
        if leaves or all(isinstance(stmt, cst.Continue) for stmt in handler_body):
            return True
        # at module level, the names bound at the top (column 0: not the try's own) are the defaults
        defaults = self._defaults.get(id(node), frozenset() if self._functions else self.ctx.local_names)
        return bool(names & defaults)

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.append(node)
        if self.ctx.has_role(Role.TEST, Role.MIGRATION):
            return
        if not _is_broad(_type_names(node.type)):
            return
        body = node.body
        statements: list[cst.BaseSmallStatement | cst.BaseStatement] = []
        if isinstance(body, cst.SimpleStatementSuite):
            statements.extend(body.body)
        else:
            for stmt in body.body:
                statements.extend(stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt])
        if not statements or not all(_is_silent(stmt) for stmt in statements):
            return
        # the handler's own comments, and the one on its `except ...:` line
        comments = [c for c in find_all(body, cst.Comment) if isinstance(c, cst.Comment)]
        if _explained(comments):
            return
        if _ACKNOWLEDGED.search(node.body.header.comment.value if isinstance(node.body, cst.IndentedBlock) and node.body.header.comment else ""):
            return
        current = self._tries[-1] if self._tries and node in self._tries[-1].handlers else None
        if current is not None and (self._deliberate(current, statements) or _intent_above(current, node)):
            return
        where = self._functions[-1] if self._functions else "module"
        fix = None
        if isinstance(body, cst.IndentedBlock):
            block: cst.IndentedBlock = body

            def build(builder: FixBuilder) -> None:
                name = builder.ensure_logger()
                log = cst.parse_statement(f'{name}.exception("Ignored error in {where}")\n')
                kept = [
                    stmt
                    for stmt in block.body
                    if not (isinstance(stmt, cst.SimpleStatementLine) and all(is_placeholder(s) for s in stmt.body))
                ]
                builder.replace(block, block.with_changes(body=[log, *kept]))

            fix = self.fix("Log the exception with `logger.exception`", build)
        label = "except" if node.type is None else "except " + cst.Module([]).code_for_node(node.type)
        target: cst.CSTNode = node.type if node.type is not None else node
        self.report(target, f"`{label}` swallows every error: nothing is logged or re-raised", fix=fix)
