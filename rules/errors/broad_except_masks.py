"""RV202 broad-except-masks."""

from __future__ import annotations

import re

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    LazyFix,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    caught_names,
    dotted_name,
    find_all,
    is_logger,
    is_view_function,
)
from rules.api.helpers import BROAD_EXCEPT
from rules.api.triggers import BlockSummary, ModuleSummary

_BROAD = frozenset(("Exception", "BaseException", "builtins.Exception", "builtins.BaseException"))
_HTTP_CLIENTS = ("requests.", "httpx.")
_NOT_FOUND_CALLS = frozenset(("get_object_or_404", "get_list_or_404"))
_HTTP_IMPORT = re.compile(r"\b(?:requests|httpx)\b")
# a linter suppression of the broad-except check on the clause: the team decided, and said so
_ACKNOWLEDGED = re.compile(
    r"(?:noqa\b.*\b(?:E722|BLE001|S110)|pylint:\s*disable=.*(?:broad-except|bare-except|broad-exception-caught|W0702|W0703|W0718))", re.I
)
# answers that say "not found" or "bad request" whatever went wrong
_NOT_FOUND = frozenset(("Http404", "NotFound", "ObjectDoesNotExist", "DoesNotExist"))
_HTTP_ERRORS = frozenset(("HTTPException", "HttpError", "APIException"))
_SERVER_ERROR = re.compile(r"\b5\d\d\b|_5\d\d_|INTERNAL|GATEWAY|UNAVAILABLE")
# tool directives and to-do notes do not explain a broad clause
_NOT_AN_EXPLANATION = re.compile(r"#\s*(?:noqa|pragma|type:|reviewls:|pylint:|nosec|fmt:|todo|fixme|xxx)", re.I)


class BroadExceptMasks(FileRule):
    """
    ## What it does
    Finds `except Exception` (or a bare `except:`) around code whose specific errors need
    their own handling, when the handler neither re-raises nor logs the traceback: a
    `get_object_or_404()` or `Model.objects.get()` inside (every failure becomes a 404), or
    an HTTP client call (timeouts, refused connections and bugs all get the same answer).

    ## Why is this bad?
    The handler was written for one error, "not found" or "the partner API is down", but
    it also catches the database outage, the `KeyError` from a typo and the timeout. The
    client gets a 404 for a server bug, monitoring sees nothing, and the real error is lost.

    ## Example
    ```python
    try:
        order = get_object_or_404(Order, pk=pk)
    except Exception:
        return Response({"detail": "Not found"}, status=404)
    ```
    Use instead: `except Http404:` (or `Order.DoesNotExist`, `requests.RequestException`).

    ## Fix
    Narrows the clause to the error the code means: `Http404` for `get_object_or_404`,
    `Model.DoesNotExist` for `Model.objects.get`, `requests.RequestException` /
    `httpx.HTTPError` for HTTP calls (unsafe: other errors now propagate, which is the point,
    but the caller sees them).

    Quiet on handlers that re-raise (`raise`, `raise exc`) or raise a failure of their own
    (a wrapped exception, a 5xx `HTTPException`), silent ones (`pass`: RV203), that log the
    traceback or the caught exception (`logger.exception`, `exc_info=True`,
    `log.error(f"search failed: {e}")`: the real error is kept, and a generic or empty
    answer is then a decision), with a comment saying why they catch
    everything or a linter suppression of broad-except on the clause, on a broad clause
    after narrow ones (the specific errors were handled: it takes the rest), and on narrow
    clauses.
    """

    meta = RuleMeta(
        code="RV202", name="broad-except-masks", family="errors", severity=Severity.WARNING, fix=Safety.UNSAFE
    )

    @classmethod
    def wants(cls, block: BlockSummary, module: ModuleSummary) -> bool:
        """A broad clause around a call with a specific error: a 404 shortcut, `X.objects.get`, an
        HTTP client call (which needs `requests`/`httpx` imported)."""
        if not block.matches(BROAD_EXCEPT):
            return False
        if not _NOT_FOUND_CALLS.isdisjoint(block.words) or ("objects" in block.words and "get" in block.words):
            return True
        return module.memo(_HTTP_IMPORT, lambda: any(b.matches(_HTTP_IMPORT) for b in module.blocks))

    VALID = [
        Valid(
            "from django.http import Http404\nfrom django.shortcuts import get_object_or_404\n\n\ndef detail(request, pk):\n    try:\n"
            "        order = get_object_or_404(Order, pk=pk)\n    except Http404:\n        return None\n    return order\n"
        ),
        Valid(
            "import logging\n\nimport requests\n\nlogger = logging.getLogger(__name__)\n\n\ndef sync_worker():\n    try:\n"
            "        requests.get('https://api.example.com', timeout=5)\n    except Exception:\n        logger.exception('sync failed')\n"
        ),
        Valid(
            "import requests\n\n\ndef fetch():\n    try:\n        return requests.get('https://x', timeout=5)\n    except Exception as exc:\n"
            "        cleanup()\n        raise\n"
        ),
        # a view that keeps the traceback and answers the user in general terms
        Valid(
            """
            import logging

            import requests
            from django.contrib import messages

            logger = logging.getLogger(__name__)


            def oauth_return(request):
                try:
                    data = requests.post(TOKEN_URL, data={"code": request.GET.get("code")}, timeout=10).json()
                    account = stripe.Account.retrieve(data["stripe_user_id"])
                except:
                    logger.exception("Failed to obtain OAuth token")
                    messages.error(request, "An error occurred, please try again.")
            """
        ),
        Valid(
            """
            import requests
            from django.http import HttpResponse


            def latest_version(request):
                response = None
                try:
                    response = requests.get(VERSION_URL, timeout=5)
                    response.raise_for_status()
                # catch everything: air-gapped installs fail in the request itself
                except Exception:
                    return HttpResponse("{}", status=404)
                return HttpResponse(response.content)
            """
        ),
        # the specific errors are handled above; a failure of its own goes up as a 5xx
        Valid(
            """
            import requests
            from fastapi import HTTPException


            def load_document(url, data):
                try:
                    response = requests.post(url, data=data, timeout=30)
                    response.raise_for_status()
                except requests.Timeout:
                    raise HTTPException(504, detail="The parser timed out")
                except requests.HTTPError:
                    raise HTTPException(400, detail="The parser refused the file")
                except Exception:
                    return None
                try:
                    result = requests.get(url, timeout=30).json()
                except Exception as e:
                    raise HTTPException(status_code=500, detail="Parser failed") from e
                return result


            def search(query):
                try:
                    results = requests.get(SEARCH_URL, params={"q": query}, timeout=10).json()["results"]
                except Exception as e:
                    log.error(f"Error searching: {e}")
                    return []
                return results


            def cancel_query(url):
                try:
                    response = requests.post(url, timeout=3)
                except Exception:  # pylint: disable=broad-except
                    return False
                return response.ok
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from django.shortcuts import get_object_or_404
            from rest_framework.response import Response


            def order_detail(request, pk):
                try:
                    order = get_object_or_404(Order, pk=pk)
                except Exception:  # <- RV202
                    return Response({"detail": "Not found"}, status=404)
                return Response({"id": order.pk})
            """,
            fixed="""
            import django.http
            from django.shortcuts import get_object_or_404
            from rest_framework.response import Response


            def order_detail(request, pk):
                try:
                    order = get_object_or_404(Order, pk=pk)
                except django.http.Http404:
                    return Response({"detail": "Not found"}, status=404)
                return Response({"id": order.pk})
            """,
        ),
        Invalid(
            """
            import requests


            def rates(request):
                try:
                    data = requests.get("https://rates.example.com", timeout=5).json()
                    account = Account.objects.get(pk=request.user.pk)
                except:  # <- RV202
                    return {"error": "unavailable"}
                return data
            """
        ),
        Invalid(
            """
            import httpx


            async def fetch_profile(user_id):
                try:
                    response = await httpx.AsyncClient().get(f"/users/{user_id}")
                except Exception as exc:  # <- RV202
                    return None
                return response.json()
            """,
            fixed="""
            import httpx


            async def fetch_profile(user_id):
                try:
                    response = await httpx.AsyncClient().get(f"/users/{user_id}")
                except httpx.HTTPError as exc:
                    return None
                return response.json()
            """,
        ),
        Invalid(
            """
            import requests
            from fastapi import HTTPException


            def profile(user_id):
                try:
                    return requests.get(f"{PROFILES}/{user_id}", timeout=5).json()
                except Exception:  # <- RV202
                    raise HTTPException(status_code=404, detail="No such profile")
            """
        ),
    ]

    def setup(self) -> None:
        self._views: list[bool] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._views.append(is_view_function(node))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._views.pop()

    def visit_Try(self, node: cst.Try) -> None:
        kinds = self._guarded(node.body)
        if not kinds:
            return
        for index, handler in enumerate(node.handlers):
            if not self._is_broad(handler) or self._reraises(handler) or self._is_silent(handler):
                continue
            if self._logs_traceback(handler) or self._explained(handler) or self._raises_failure(handler):
                continue
            if any(not self._is_broad(earlier) for earlier in node.handlers[:index]):
                continue  # the specific errors have their own handlers above: this is the rest
            self._flag(handler, kinds)

    def _guarded(self, body: cst.BaseSuite) -> list[tuple[str, str]]:
        """(what, narrower exception) for each call in the try body that has a specific error."""
        found: list[tuple[str, str]] = []
        for call in find_all(body, cst.Call):
            assert isinstance(call, cst.Call)
            name = dotted_name(call.func) or ""
            last = name.rsplit(".", 1)[-1]
            if last in ("get_object_or_404", "get_list_or_404"):
                found.append((f"`{last}()`", "django.http.Http404"))
            elif name.endswith(".objects.get") and name.count(".") == 2:
                found.append((f"`{name}()`", f"{name.split('.')[0]}.DoesNotExist"))
            else:
                client = self._http_client(call.func)
                if client is not None:
                    found.append(("an HTTP call", client))
        return found

    def _http_client(self, func: cst.BaseExpression) -> str | None:
        """The error base of the HTTP client a call goes through (`requests.get`, `httpx.AsyncClient().get`, `session.post`)."""
        root: cst.BaseExpression = func
        while isinstance(root, (cst.Attribute, cst.Call)):
            root = root.value if isinstance(root, cst.Attribute) else root.func
        if not isinstance(root, cst.Name):
            return None
        qualified = self.ctx.imports.get(root.value) or self.ctx.module_calls.get(root.value) or ""
        if qualified.startswith(_HTTP_CLIENTS) or qualified in ("requests", "httpx"):
            return "httpx.HTTPError" if qualified.startswith("httpx") else "requests.RequestException"
        return None

    def _is_broad(self, handler: cst.ExceptHandler) -> bool:
        names = caught_names(handler)
        return names is None or any(n in _BROAD for n in names)

    def _is_silent(self, handler: cst.ExceptHandler) -> bool:
        """`pass`/`...`/`continue` only: silent-except (RV203) reports it."""
        body = handler.body.body
        smalls = [small for stmt in body if isinstance(stmt, cst.SimpleStatementLine) for small in stmt.body] if isinstance(handler.body, cst.IndentedBlock) else list(body)
        return len(smalls) == len(body) and all(
            isinstance(s, (cst.Pass, cst.Continue)) or (isinstance(s, cst.Expr) and isinstance(s.value, cst.Ellipsis)) for s in smalls
        )

    def _explained(self, handler: cst.ExceptHandler) -> bool:
        """A comment right above the clause, on its line or in its body says why it catches
        everything, or silences the linter's broad-except check there."""
        comments = [line.comment for line in handler.leading_lines if line.comment is not None]
        comments += [c for c in find_all(handler.body, cst.Comment) if isinstance(c, cst.Comment)]
        return any(not _NOT_AN_EXPLANATION.match(c.value) or _ACKNOWLEDGED.search(c.value) for c in comments)

    def _raises_failure(self, handler: cst.ExceptHandler) -> bool:
        """The handler raises a failure (a wrapped error, a 5xx), so nothing is turned into a
        normal-looking answer; `raise Http404` or a 4xx `HTTPException` still masks."""
        for node in find_all(handler.body, cst.Raise):
            assert isinstance(node, cst.Raise)
            exc = node.exc
            if exc is None:
                continue
            call = exc if isinstance(exc, cst.Call) else None
            last = (dotted_name(call.func if call else exc) or "").rsplit(".", 1)[-1]
            if last in _NOT_FOUND:
                continue
            if last in _HTTP_ERRORS:
                status = call.args[0].value if call and call.args else None
                for arg in call.args if call else ():
                    if arg.keyword is not None and arg.keyword.value in ("status_code", "status"):
                        status = arg.value
                code = cst.Module([]).code_for_node(status) if status is not None else ""
                if not _SERVER_ERROR.search(code):
                    continue
            return True
        return False

    def _reraises(self, handler: cst.ExceptHandler) -> bool:
        bound = handler.name.name.value if handler.name and isinstance(handler.name.name, cst.Name) else None
        for node in find_all(handler.body, cst.Raise):
            assert isinstance(node, cst.Raise)
            if node.exc is None or (bound and isinstance(node.exc, cst.Name) and node.exc.value == bound):
                return True
        return False

    def _logs_traceback(self, handler: cst.ExceptHandler) -> bool:
        """Logs the traceback, or the caught exception itself: the real error is kept."""
        bound = handler.name.name.value if handler.name and isinstance(handler.name.name, cst.Name) else None
        for call in find_all(handler.body, cst.Call):
            assert isinstance(call, cst.Call)
            if not isinstance(call.func, cst.Attribute) or not is_logger(call.func.value, self.ctx):
                continue
            if call.func.attr.value == "exception" or any(a.keyword and a.keyword.value == "exc_info" for a in call.args):
                return True
            if bound and call.func.attr.value in ("error", "warning", "critical") and any(
                isinstance(name, cst.Name) and name.value == bound for name in find_all(call, cst.Name)
            ):
                return True
        return False

    def _flag(self, handler: cst.ExceptHandler, kinds: list[tuple[str, str]]) -> None:
        whats = sorted({what for what, _ in kinds})
        narrow = sorted({exc for _, exc in kinds})
        clause = "bare `except:`" if handler.type is None else "`except Exception`"
        fix: LazyFix | None = None
        if len(narrow) == 1:
            target = narrow[0]

            def build(builder: FixBuilder) -> None:
                module, _, name = target.rpartition(".")
                local = next((n for n, q in self.ctx.import_items if q == target), None)
                if local is None:
                    if module in ("django.http", "requests", "httpx"):
                        local = f"{builder.ensure_import(module)}.{name}"
                    else:
                        local = target  # Model.DoesNotExist: the model is in scope where it is queried
                builder.replace(handler, handler.with_changes(type=cst.parse_expression(local), whitespace_after_except=cst.SimpleWhitespace(" ")))

            fix = self.fix(f"Catch `{target.rsplit('.', 2)[-1] if 'DoesNotExist' not in target else target}` only", build)
        self.report(
            handler,
            f"{clause} around {', '.join(whats)} turns every failure into this handler's answer; catch {' / '.join(f'`{n}`' for n in narrow)}",
            fix=fix,
            end=handler.type if handler.type is not None else None,
        )
