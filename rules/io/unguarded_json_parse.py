"""RV302 unguarded-json-parse."""

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
    is_view_function,
)
from rules.api.triggers import Trigger, words

_CATCHES = frozenset(("JSONDecodeError", "ValueError", "Exception", "BaseException", "TypeError"))
_REQUEST_NAMES = frozenset(("request", "req"))
# classes whose methods answer requests (a `parse_body(self, request)` helper elsewhere is framework plumbing)
_VIEW_BASES = re.compile(r"(View|ViewSet|APIView|Resource|Controller|Handler|Endpoint)$")


def _mentions_request(expr: cst.BaseExpression) -> bool:
    """`self.request...` (class-based views keep the request on `self`)."""
    name = dotted_name(expr.func.value if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) else expr) or ""
    return any(part in _REQUEST_NAMES for part in name.split(".")[1:2]) or "self.request" in cst.Module([]).code_for_node(expr)


class UnguardedJsonParse(FileRule):
    """
    ## What it does
    Finds `json.loads(...)` of request data (the body, a form field, a query parameter) in
    a view or endpoint with no `JSONDecodeError`/`ValueError` handler around it.

    ## Why is this bad?
    Any client can send `{` as the body. The parse raises, the framework answers 500, the
    error tracker fills with noise and the client learns nothing about what it did wrong.
    Bad input is a 400.

    ## Example
    ```python
    def webhook(request):
        payload = json.loads(request.body)
    ```
    Use instead:
    ```python
    def webhook(request):
        try:
            payload = json.loads(request.body)
        except json.JSONDecodeError:
            return JsonResponse({"error": "Invalid JSON"}, status=400)
    ```

    ## Fix
    Wraps the statement in `try`/`except json.JSONDecodeError` that answers 400 the way the
    framework does (`JsonResponse`/`Response`/`HTTPException`/`HttpError`/a Flask tuple)
    (unsafe: the rest of the function may rely on the variable being set).

    Quiet on parsing constants, files and other trusted data (also rows looked up with a
    request value), and on calls already inside a handler for those errors.
    """

    meta = RuleMeta(
        code="RV302", name="unguarded-json-parse", family="io", severity=Severity.WARNING, fix=Safety.UNSAFE,
        trigger=Trigger(module_words=words("json")),
    )

    VALID = [
        Valid(
            "import json\n\nfrom django.http import JsonResponse\n\n\ndef webhook(request):\n    try:\n        payload = json.loads(request.body)\n"
            "    except json.JSONDecodeError:\n        return JsonResponse({'error': 'Invalid JSON'}, status=400)\n    return JsonResponse(payload)\n"
        ),
        Valid("import json\n\n\ndef load_config(path):\n    with open(path) as f:\n        return json.loads(f.read())\n"),
        Valid("import json\n\n\ndef view(request):\n    return json.loads('{\"a\": 1}')\n"),
        Valid("import json\n\n\nclass Parser:\n    def parse_body(self, request):\n        return json.loads(request.body)\n"),
        # stored data looked up with a request value is not request data
        Valid(
            "import json\n\n\ndef replay(request):\n    call = Key.objects.get(key=request.headers['Idempotency-Key'])\n"
            "    return json.loads(call.response_headers)\n"
        ),
    ]
    INVALID = [
        Invalid(
            """
            import json

            from django.http import JsonResponse


            def webhook(request):
                payload = json.loads(request.body)  # <- RV302
                return JsonResponse({"ok": payload["id"]})
            """,
            fixed="""
            import json

            from django.http import JsonResponse


            def webhook(request):
                try:
                    payload = json.loads(request.body)
                except json.JSONDecodeError:
                    return JsonResponse({"error": "Invalid JSON"}, status=400)
                return JsonResponse({"ok": payload["id"]})
            """,
        ),
        Invalid(
            """
            import json

            from fastapi import APIRouter, Request

            router = APIRouter()


            @router.post("/events")
            async def events(request: Request):
                raw = await request.body()
                event = json.loads(raw)  # <- RV302
                return {"type": event["type"]}
            """,
            fixed="""
            import json

            import fastapi
            from fastapi import APIRouter, Request

            router = APIRouter()


            @router.post("/events")
            async def events(request: Request):
                raw = await request.body()
                try:
                    event = json.loads(raw)
                except json.JSONDecodeError:
                    raise fastapi.HTTPException(status_code=400, detail="Invalid JSON")
                return {"type": event["type"]}
            """,
        ),
        Invalid(
            """
            import json

            from rest_framework.views import APIView


            class Import(APIView):
                def post(self, request):
                    rows = json.loads(request.data["rows"])  # <- RV302
                    return None
            """
        ),
    ]

    def setup(self) -> None:
        self._views: list[tuple[cst.FunctionDef, set[str]] | None] = []
        self._guards = 0
        self._statements: list[tuple[cst.SimpleStatementLine, cst.IndentedBlock | None]] = []
        self._bodies: list[cst.IndentedBlock] = []
        self._classes: list[bool] = []  # is each enclosing class a view class

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [self.ctx.qualified_name(b.value) or "" for b in node.bases]
        self._classes.append(any(_VIEW_BASES.search(b) for b in bases))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        in_plain_class = bool(self._classes) and not self._classes[-1] and not node.decorators
        if not is_view_function(node) or in_plain_class:
            self._views.append(None)
            return
        tainted = {p.name.value for p in node.params.params if p.name.value in _REQUEST_NAMES}
        annotated = {p.name.value for p in node.params.params if p.annotation is not None and (dotted_name(p.annotation.annotation) or "").endswith("Request")}
        self._views.append((node, tainted | annotated))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._views.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._bodies.append(node)

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._bodies.pop()

    def visit_Try(self, node: cst.Try) -> None:
        if any(self._catches(h) for h in node.handlers):
            self._guards += 1

    def leave_Try(self, node: cst.Try) -> None:
        if any(self._catches(h) for h in node.handlers):
            self._guards -= 1

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.append((node, self._bodies[-1] if self._bodies else None))
        view = self._views[-1] if self._views else None
        if view is None:
            return
        # names assigned from request data in this view, in order: `raw = await request.body()`
        for small in node.body:
            if isinstance(small, cst.Assign) and self._tainted(small.value, view[1]):
                for target in small.targets:
                    if isinstance(target.target, cst.Name):
                        view[1].add(target.target.value)

    def leave_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.pop()

    def _catches(self, handler: cst.ExceptHandler) -> bool:
        names = caught_names(handler)
        return names is None or any(n.rsplit(".", 1)[-1] in _CATCHES for n in names)

    def _tainted(self, expr: cst.BaseExpression, names: set[str]) -> bool:
        """Request data itself, or text taken from it (`request.body.decode()`, `await request.body()`).

        A value looked up *with* request data (`Key.objects.get(key=request.headers[...])`) is
        stored data, not request data: only the receiver of a method call carries the taint.
        """
        node: cst.BaseExpression = expr
        while True:
            if isinstance(node, cst.Await):
                node = node.expression
            elif isinstance(node, cst.Call):
                func = node.func
                if isinstance(func, cst.Attribute):
                    node = func.value
                elif dotted_name(func) in ("str", "bytes") and node.args:
                    node = node.args[0].value
                else:
                    return False
            elif isinstance(node, cst.Attribute):
                node = node.value
            elif isinstance(node, cst.Subscript):
                node = node.value
            elif isinstance(node, cst.BinaryOperation):
                return self._tainted(node.left, names) or self._tainted(node.right, names)
            elif isinstance(node, cst.Name):
                return node.value in names or node.value == "self" and _mentions_request(expr)
            else:
                return False

    def visit_Call(self, node: cst.Call) -> None:
        view = self._views[-1] if self._views else None
        if view is None or self._guards or not node.args:
            return
        if self.ctx.qualified_name(node.func) != "json.loads" or not self._tainted(node.args[0].value, view[1]):
            return
        fix: LazyFix | None = None
        if self._statements and self._statements[-1][1] is not None:
            statement, body = self._statements[-1]
            assert body is not None
            fix = self._wrap(statement, body, node)
        self.report(node, "`json.loads` of request data with no `JSONDecodeError` handler: bad input becomes a 500", fix=fix)

    def _wrap(self, statement: cst.SimpleStatementLine, body: cst.IndentedBlock, call: cst.Call) -> LazyFix:
        def build(builder: FixBuilder) -> None:
            json_name = dotted_name(call.func) or "json.loads"
            error = f"{json_name.rsplit('.', 1)[0]}.JSONDecodeError" if "." in json_name else "ValueError"
            answer = self._bad_request(builder)
            wrapped = cst.parse_statement(f"try:\n    pass\nexcept {error}:\n    {answer}\n")
            assert isinstance(wrapped, cst.Try)
            wrapped = wrapped.with_changes(
                body=wrapped.body.with_changes(body=[statement.with_changes(leading_lines=())]), leading_lines=statement.leading_lines
            )
            builder.replace(body, body.with_changes(body=[wrapped if s is statement else s for s in body.body]))

        return self.fix("Answer 400 on invalid JSON", build)

    def _bad_request(self, builder: FixBuilder) -> str:
        frameworks = self.ctx.frameworks

        def name(qualified: str) -> str:
            local = next((n for n, q in self.ctx.import_items if q == qualified), None)
            if local is not None:
                return local
            module, _, attr = qualified.rpartition(".")
            return f"{builder.ensure_import(module)}.{attr}"

        if "rest_framework" in frameworks:
            return f'return {name("rest_framework.response.Response")}({{"error": "Invalid JSON"}}, status=400)'
        if "ninja" in frameworks:
            return f'raise {name("ninja.errors.HttpError")}(400, "Invalid JSON")'
        if "fastapi" in frameworks:
            return f'raise {name("fastapi.HTTPException")}(status_code=400, detail="Invalid JSON")'
        if "flask" in frameworks:
            return 'return {"error": "Invalid JSON"}, 400'
        return f'return {name("django.http.JsonResponse")}({{"error": "Invalid JSON"}}, status=400)'
