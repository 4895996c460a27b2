"""RV201 exception-detail-leak."""

from __future__ import annotations

import re

import libcst as cst

from rules.api import (
    FileRule,
    FixBuilder,
    Invalid,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    caught_names,
    dotted_name,
    find_all,
    is_view_function,
)
from rules.api.helpers import is_name
from rules.api.triggers import Trigger, words

# callables whose arguments reach the HTTP client, by last name, when they come from a web framework.
# Not `ValidationError`: a validation message is the framework's channel for telling the user what
# was wrong with their input, and authors route a parser's or a domain error's text there on purpose.
_RESPONSES = frozenset(
    (
        "Response",
        "JsonResponse",
        "HttpResponse",
        "HttpResponseBadRequest",
        "HttpResponseServerError",
        "JSONResponse",
        "PlainTextResponse",
        "HTMLResponse",
        "HTTPException",
        "HttpError",
        "jsonify",
        "abort",
        "make_response",
    )
)
_FRAMEWORKS = frozenset(("rest_framework", "django", "fastapi", "starlette", "ninja", "flask", "werkzeug"))
_LOG_METHODS = frozenset(("exception", "error", "warning", "info", "debug", "critical", "log"))
GENERIC = '"Internal server error"'

# Exceptions whose text describes the system, not the request: anything at all (`Exception`),
# programming errors and lookups (a `KeyError`'s text is an internal key), I/O, the database,
# network clients. Everything else a handler names (the app's own `OrderError`,
# `ValidationError`, `Http404`, a parser's `ValueError`) carries a message written for, or
# about, the caller's input.
_INTERNAL_BUILTINS = frozenset(
    (
        "Exception",
        "BaseException",
        "OSError",
        "IOError",
        "EnvironmentError",
        "ConnectionError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "BrokenPipeError",
        "TimeoutError",
        "FileNotFoundError",
        "RuntimeError",
        "AttributeError",
        "TypeError",
        "KeyError",
        "IndexError",
        "LookupError",
        "NameError",
        "AssertionError",
        "MemoryError",
        "RecursionError",
        "SystemError",
    )
)
_INTERNAL_MODULES = frozenset(
    (
        "requests",
        "httpx",
        "urllib3",
        "urllib",
        "aiohttp",
        "socket",
        "ssl",
        "subprocess",
        "smtplib",
        "sqlite3",
        "psycopg",
        "psycopg2",
        "pymysql",
        "MySQLdb",
        "asyncpg",
        "sqlalchemy",
        "redis",
        "pymongo",
        "boto3",
        "botocore",
        "google",
        "azure",
        "celery",
        "kombu",
        "elasticsearch",
    )
)
_INTERNAL_SUFFIXES = ("DatabaseError", "OperationalError", "IntegrityError", "ProgrammingError", "InterfaceError", "DataError")


# an HTTP client's error for a status the other service answered: its text is that status and
# the URL called (`404 Client Error: Not Found for url: ...`), about the external service, not
# this app's internals
_STATUS_ERRORS = frozenset(("HTTPError", "HTTPStatusError", "ClientResponseError"))

# who may call an endpoint: an administrator, who configures the app and needs the failure's text
_ADMIN_NAME = re.compile(r"admin|superuser|staff", re.I)
_ADMIN_DECORATORS = frozenset(("staff_member_required", "superuser_required", "admin_required", "admin_only"))


def _admin_check(node: cst.CSTNode) -> bool:
    """`user.is_superuser`, `request.user.is_staff`, `user.role != "admin"`, `IsAdminUser`."""
    for found in find_all(node, (cst.Attribute, cst.Name, cst.SimpleString)):
        if isinstance(found, cst.Attribute) and found.attr.value in ("is_superuser", "is_staff"):
            return True
        if isinstance(found, cst.Name) and _ADMIN_NAME.search(found.value):
            return True
        if isinstance(found, cst.SimpleString) and found.value.strip("'\"").lower() == "admin":
            return True
    return False


def _admin_denied(test: cst.BaseExpression) -> bool:
    """A guard test true for everyone but administrators: `not user.is_superuser`,
    `user.role != "admin"`, `not is_admin(user)`, or any of them joined by `or` (not `and`:
    `role != "admin" and not has_access(...)` lets others through)."""
    if isinstance(test, cst.BooleanOperation):
        return isinstance(test.operator, cst.Or) and (_admin_denied(test.left) or _admin_denied(test.right))
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _admin_check(test.expression) and not find_all(test.expression, (cst.BooleanOperation, cst.Comparison))
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        return isinstance(target.operator, (cst.NotEqual, cst.NotIn)) and _admin_check(target.comparator)
    return False


def _refuses(body: cst.BaseSuite) -> bool:
    """The guard's block only answers: `raise PermissionDenied` / `return HttpResponseForbidden()`."""
    lines = body.body if isinstance(body, cst.IndentedBlock) else [body]
    return bool(lines) and all(
        isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite))
        and isinstance(line.body[-1], (cst.Raise, cst.Return))
        for line in lines
    )


def _admin_only(function: cst.FunctionDef) -> bool:
    """An endpoint only administrators reach: `user=Depends(get_admin_user)`,
    `@staff_member_required`, `@user_passes_test(lambda u: u.is_superuser)`, or a guard
    (`if not request.user.is_superuser: raise PermissionDenied`) before anything else."""
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        default = param.default
        if isinstance(default, cst.Call) and (dotted_name(default.func) or "").rsplit(".", 1)[-1] in ("Depends", "Security"):
            if default.args and _ADMIN_NAME.search(dotted_name(default.args[0].value) or ""):
                return True
    for decorator in function.decorators:
        expr = decorator.decorator
        name = (dotted_name(expr.func if isinstance(expr, cst.Call) else expr) or "").rsplit(".", 1)[-1]
        if name in _ADMIN_DECORATORS:
            return True
        if isinstance(expr, cst.Call) and name in ("user_passes_test", "permission_classes", "Depends") and _admin_check(expr):
            return True
        if isinstance(expr, cst.Call) and any(
            arg.keyword is not None and arg.keyword.value == "dependencies" and _admin_check(arg.value) for arg in expr.args
        ):
            return True  # `@router.get("/x", dependencies=[Depends(get_admin_user)])`
    body = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.If) and _admin_denied(stmt.test) and _refuses(stmt.body):
            return True
        if isinstance(stmt, cst.Try):
            break  # a guard counts before the work, not inside it
    return False


def _admin_class(node: cst.ClassDef) -> bool:
    """`class ReindexView(SuperuserRequiredMixin, View)`. (A class's `permission_classes` lives in
    another block than its methods, out of a file rule's sight.)"""
    return any(_ADMIN_NAME.search(dotted_name(base.value) or "") for base in node.bases)


# helpers that turn an exception into its text, by name
_MESSAGE_HELPER = re.compile(r"message|msg|text|str|repr|format|detail|describe|traceback|reason", re.I)


def _raw_uses(node: cst.CSTNode, name: str) -> bool:
    """Does `node` use the exception itself (`e`, `e.args`), not an attribute written for the client (`e.message`)?"""
    found = False

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, attr: cst.Attribute) -> bool:
            nonlocal found
            if is_name(attr.value, name):
                found = found or attr.attr.value == "args"
                return False
            return True

        def visit_Name(self, node: cst.Name) -> bool:
            nonlocal found
            found = found or node.value == name
            return False

    node.visit(Finder())
    return found


# calls that parse or validate what the client sent: their errors describe the client's input
_PARSERS = frozenset(
    (
        "loads", "json", "parse", "parse_obj", "parse_raw", "model_validate", "model_validate_json", "validate",
        "literal_eval", "fromisoformat", "int", "float", "Decimal", "UUID",
    )
)


def _parses_input(body: cst.BaseSuite) -> bool:
    """`try: return json.loads(raw)` / `payload = Payload(**body)`, optionally followed by checks
    that raise (`if not isinstance(choices, list): raise ValueError("...")`): parsing input."""
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return False
    first, *rest = body.body
    if not isinstance(first, cst.SimpleStatementLine) or len(first.body) != 1:
        return False
    stmt = first.body[0]
    value = stmt.value if isinstance(stmt, (cst.Return, cst.Assign, cst.AnnAssign, cst.Expr)) else None
    if isinstance(value, cst.Await):
        value = value.expression
    if not isinstance(value, cst.Call):
        return False
    func = dotted_name(value.func) or ""
    last = func.rsplit(".", 1)[-1]
    # `validate_password(form.password)`: a validator's message tells the user what is wrong
    if not (last in _PARSERS or last.startswith("validate_") or any(arg.star == "**" for arg in value.args)):
        return False
    return all(
        isinstance(check, cst.If)
        and check.orelse is None
        and all(isinstance(line, cst.SimpleStatementLine) and all(isinstance(x, cst.Raise) for x in line.body) for line in check.body.body)
        for check in rest
    )


def _mentions(node: cst.CSTNode, name: str) -> cst.BaseExpression | None:
    """The outermost expression in `node` that carries the exception's own text, if any.

    `str(e)`, `repr(e)`, `e.args`, tracebacks, `e` formatted into a string or passed on: the
    text Python or a library wrote. `e.message`, `exc.detail`, `exc.order_id`: attributes the
    exception's author wrote for the caller.
    """
    hits: list[cst.BaseExpression] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> bool:
            func = call.func
            if is_name(func, "str", "repr") and call.args and is_name(call.args[0].value, name):
                hits.append(call)
                return False
            if isinstance(func, cst.Attribute) and is_name(func.value, "traceback"):
                hits.append(call)
                return False
            if isinstance(func, cst.Attribute) and func.attr.value == "format" and any(_raw_uses(arg.value, name) for arg in call.args):
                hits.append(call)
                return False
            passed = [arg for arg in call.args if is_name(arg.value, name)]
            if passed:
                # `extract_message(e)` hands out the text; `ERROR_MESSAGES.DEFAULT(e, "...")` may
                # map the exception to a fixed message: a helper's name says which
                if _MESSAGE_HELPER.search((dotted_name(func) or "").rsplit(".", 1)[-1]):
                    hits.append(call)
                    return False
                for arg in call.args:
                    if arg not in passed:
                        arg.value.visit(self)
                return False
            return True

        def visit_FormattedString(self, fstring: cst.FormattedString) -> bool:
            if _raw_uses(fstring, name):
                hits.append(fstring)
            return False

        def visit_BinaryOperation(self, op: cst.BinaryOperation) -> bool:
            if isinstance(op.operator, (cst.Modulo, cst.Add)) and _raw_uses(op, name):
                hits.append(op)
                return False
            return True

        def visit_Attribute(self, attr: cst.Attribute) -> bool:
            if is_name(attr.value, name):
                if attr.attr.value == "args":
                    hits.append(attr)
                return False
            return True

        def visit_Comparison(self, comparison: cst.Comparison) -> bool:
            return False  # `e.args == (...)` decides which message to send; it sends a boolean

        def visit_IfExp(self, ifexp: cst.IfExp) -> bool:
            ifexp.body.visit(self)
            ifexp.orelse.visit(self)
            return False  # the test picks a branch; only the branches reach the client

        def visit_Element(self, element: cst.Element) -> bool:
            if is_name(element.value, name):
                hits.append(element.value)
            return True

        def visit_DictElement(self, element: cst.DictElement) -> bool:
            if is_name(element.value, name):
                hits.append(element.value)
            return True

    if is_name(node, name) and isinstance(node, cst.Name):
        return node  # `HTTPException(500, detail=e)`
    node.visit(Finder())
    return hits[0] if hits else None


class ExceptionDetailLeak(FileRule):
    """
    ## What it does
    Finds the text of an exception that describes the system sent back to the client from
    an `except` handler: `Response({"error": str(e)})`, `JsonResponse`,
    `HTTPException(detail=str(e))`, `HttpError(500, f"...{e}")`, or a dict with the
    exception returned from an endpoint, when the handler catches `Exception`, an I/O,
    database or HTTP-client error, or a programming error (`TypeError`, `KeyError`...).

    ## Why is this bad?
    Those messages carry internals: SQL and table names, file paths, hostnames, stack
    details, sometimes credentials in connection strings. Sending them to the client hands an
    attacker a map of the system and confuses users with text they cannot act on.

    ## Example
    ```python
    try:
        charge(order)
    except Exception as e:
        return Response({"error": str(e)}, status=500)
    ```
    Use instead:
    ```python
    try:
        charge(order)
    except Exception:
        logger.exception("charging order %s failed", order.id)
        return Response({"error": "Internal server error"}, status=500)
    ```

    ## Fix
    Replaces the exception text with a generic message and logs the exception with
    `logger.exception(...)` first (adding the module logger when absent; not when the handler
    logs already). A `raise` it rewrites chains the caught exception (`raise
    HTTPException(...) from e`, as Ruff's B904 asks); `as e` goes when nothing uses `e` any
    more. Unsafe: clients that parsed the old message see a different one.

    Quiet on logging `str(e)`, re-raising, and messages built without the exception; on
    attributes written for the client (`e.message` of the app's own exception, DRF
    `exc.detail`, a domain field like `exc.order_id`; `e.args` stays a leak); on the text of
    exceptions the handler names that are not internal (the app's own `OrderError`,
    `ValidationError`, `Http404`, a parser's `ValueError`: their messages are written for, or
    about, the caller's input); on the error of parsing or validating what the client sent
    (`json.loads(body)`, `Payload(**data)`, `validate_password(form.password)`, then checks
    that raise); on an exception handed
    to a helper whose name does not say it extracts the text (`ERROR_MESSAGES.DEFAULT(e,
    "...")` may map it to a fixed message; `extract_message(e)` is a leak); on an exception
    only compared (`e.args == (...)`); and on `ValidationError(...)` payloads, the
    framework's channel for telling users why their input failed. Quiet on endpoints only
    administrators reach (`user=Depends(get_admin_user)`, `@staff_member_required`,
    `@user_passes_test(lambda u: u.is_superuser)`, a `SuperuserRequiredMixin` base, a first
    guard `if not request.user.is_superuser: raise ...`): the admin configuring the app needs
    the failure's text. Quiet on a handler that catches only an HTTP client's status error
    (`requests.HTTPError`, `httpx.HTTPStatusError`): its text is the other service's status and
    URL. Outside an endpoint (a document loader or client wrapper raising
    `HTTPException(detail=str(e))`), the finding is information: the text reaches a client only
    if the endpoint lets it through, and an endpoint that re-sends it is reported where it answers.
    """

    meta = RuleMeta(
        code="RV201",
        name="exception-detail-leak",
        family="errors",
        severity=Severity.ERROR,
        frameworks=("rest_framework", "django", "fastapi", "ninja", "flask"),
        fix=Safety.UNSAFE,
        trigger=Trigger(words=words("except")),
    )

    VALID = [
        Valid(
            """
            import logging
            from rest_framework.response import Response

            logger = logging.getLogger(__name__)

            def pay(request):
                try:
                    charge(request)
                except Exception as e:
                    logger.error("charge failed: %s", str(e))
                    return Response({"error": "Payment failed"}, status=502)
            """
        ),
        Valid(
            """
            from fastapi import HTTPException

            async def get_item(item_id: int):
                try:
                    return load(item_id)
                except KeyError as e:
                    raise HTTPException(status_code=404, detail="Item not found") from e
            """
        ),
        Valid(
            """
            def parse(value):
                try:
                    return int(value)
                except ValueError as e:
                    return {"error": str(e)}
            """
        ),
        Valid(
            """
            from myapp.http import Response

            def view(request):
                try:
                    work()
                except Exception as e:
                    return Response(str(e))
            """
        ),
        # the reproduction of real false alarms: text written for the client
        Valid(
            """
            from django.http import JsonResponse
            from rest_framework import serializers


            class BadChannelException(Exception):
                def __init__(self, message: str):
                    self.message = message


            def update_check(request, check, spec):
                try:
                    apply(check, spec)
                except BadChannelException as e:
                    return JsonResponse({"error": e.message}, status=400)
                return JsonResponse({}, status=200)


            class DocSerializer(serializers.Serializer):
                def validate_custom(self, data, field_name):
                    try:
                        validate(data)
                    except serializers.ValidationError as exc:
                        raise serializers.ValidationError({field_name: exc.detail})
            """
        ),
        # the app's own errors, raised with messages for the user
        Valid(
            """
            from rest_framework import status
            from rest_framework.decorators import action
            from rest_framework.response import Response

            from shop.services import OrderError, Quota


            class OrderViewSet:
                @action(detail=True, methods=["POST"])
                def approve(self, request, **kwargs):
                    try:
                        approve_order(self.get_object())
                    except Quota.QuotaExceededException as e:
                        return Response({"detail": str(e)}, status=status.HTTP_400_BAD_REQUEST)
                    except OrderError as e:
                        return Response({"detail": f"Could not approve: {e}"}, status=400)
                    except Exception as e:
                        return Response({"detail": "failed", "listing": e.listing_id}, status=500)
            """
        ),
        # the error of parsing what the client sent describes the client's input
        Valid(
            """
            import json

            from fastapi import HTTPException, Request


            async def read_payload(request: Request):
                try:
                    return await request.json()
                except Exception as e:
                    raise HTTPException(status_code=400, detail=f"Invalid JSON payload: {e!s}")


            async def chat(body: dict):
                try:
                    payload = ChatPayload(**body)
                except Exception as e:
                    raise HTTPException(status_code=400, detail=f"Invalid chat payload: {e!s}")
                return payload
            """
        ),
        # a helper that maps the exception to a fixed message; parsing plus checks of the input
        Valid(
            """
            import json

            from fastapi import HTTPException


            def create_group(form):
                try:
                    return insert_group(form)
                except Exception as e:
                    raise HTTPException(status_code=400, detail=ERROR_MESSAGES.DEFAULT(e, "Error creating group"))


            def import_decisions(decisions, packages):
                try:
                    choices = json.loads(decisions)
                    if not isinstance(choices, list) or len(choices) != len(packages):
                        raise ValueError("One decision is required per skill")
                except (ValueError, TypeError) as error:
                    raise HTTPException(400, str(error))
                return choices
            """
        ),
        # "No module named 'zstandard'": an optional package's ImportError tells the client why
        Valid(
            """
            from fastapi import HTTPException


            def decompress(body):
                try:
                    import zstandard
                except ImportError as e:
                    raise HTTPException(status_code=400, detail=f"zstd bodies need the zstandard package: {e!s}")
                return zstandard.decompress(body)
            """
        ),
        # the exception picks which message to send; its text is not sent
        Valid(
            """
            from fastapi import HTTPException


            def upload(file):
                try:
                    store(file)
                except Exception as e:
                    raise HTTPException(
                        status_code=400,
                        detail=EMPTY if isinstance(e, ValueError) and e.args == (EMPTY,) else "Upload failed",
                    )
            """
        ),
        # a validation message is the channel for telling the user why their input failed
        Valid(
            """
            from rest_framework.exceptions import ValidationError


            def validate_config(config):
                try:
                    parse(config)
                except Exception as exc:
                    raise ValidationError(f"Could not parse the config: {exc}")
            """
        ),
        # administrators configure the app and need the failure's text
        Valid(
            """
            from django.contrib.admin.views.decorators import staff_member_required
            from django.http import JsonResponse
            from fastapi import APIRouter, Depends, HTTPException
            from braces.views import SuperuserRequiredMixin
            from rest_framework.response import Response
            from rest_framework.views import APIView

            router = APIRouter()


            @router.post("/oauth/clients/register")
            async def register_oauth_client(form_data: dict, user=Depends(get_admin_user)):
                try:
                    return await register(form_data)
                except Exception as e:
                    raise HTTPException(status_code=400, detail=f"Failed to register OAuth client: {e}")


            @staff_member_required
            def reindex(request):
                try:
                    rebuild_index()
                except Exception as e:
                    return JsonResponse({"error": str(e)}, status=500)


            def flush_cache(request):
                if not request.user.is_superuser:
                    return JsonResponse({}, status=403)
                try:
                    flush()
                except Exception as e:
                    return JsonResponse({"error": str(e)}, status=500)


            class SyncView(SuperuserRequiredMixin, APIView):
                def post(self, request):
                    try:
                        sync()
                    except Exception as e:
                        return Response({"error": str(e)}, status=500)
            """
        ),
        # a validator raises its message for the user ("Password must have 8 characters")
        Valid(
            """
            from fastapi import HTTPException


            async def update_password(request, form_data):
                try:
                    validate_password(form_data.new_password)
                except Exception as e:
                    raise HTTPException(400, detail=str(e))
            """
        ),
        # `404 Client Error: Not Found for url: ...`: the other service's status and URL
        Valid(
            """
            import httpx
            import requests
            from fastapi import HTTPException


            async def fetch_results(request, url):
                try:
                    response = requests.get(url, timeout=30)
                    response.raise_for_status()
                except requests.HTTPError as e:
                    raise HTTPException(status_code=502, detail=f"Failed to download results: {e}")
                try:
                    return await client.get(url)
                except (httpx.HTTPStatusError, ValueError) as e:
                    raise HTTPException(status_code=502, detail=f"Polling failed: {e}")
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import logging

            from rest_framework.response import Response

            logger = logging.getLogger(__name__)


            def pay(request):
                try:
                    charge(request)
                except Exception as e:
                    return Response({"error": str(e)}, status=500)  # <- RV201
            """,
            fixed="""
            import logging

            from rest_framework.response import Response

            logger = logging.getLogger(__name__)


            def pay(request):
                try:
                    charge(request)
                except Exception:
                    logger.exception("Request failed")
                    return Response({"error": "Internal server error"}, status=500)
            """,
        ),
        # the handler logs the exception already: no second log line, and `as exc` is still used
        Invalid(
            """
            import logging

            from django.http import JsonResponse

            logger = logging.getLogger(__name__)


            def export(request):
                try:
                    return JsonResponse(build(request))
                except OSError as exc:
                    logger.warning("export failed: %s", exc)
                    return JsonResponse({"error": str(exc)}, status=500)  # <- RV201
            """,
            fixed="""
            import logging

            from django.http import JsonResponse

            logger = logging.getLogger(__name__)


            def export(request):
                try:
                    return JsonResponse(build(request))
                except OSError as exc:
                    logger.warning("export failed: %s", exc)
                    return JsonResponse({"error": "Internal server error"}, status=500)
            """,
        ),
        # the new `raise` chains the exception it replaces; `import logging` goes in its section
        Invalid(
            """
            from fastapi import APIRouter, HTTPException

            router = APIRouter()

            @router.get("/items/{item_id}")
            async def get_item(item_id: int):
                try:
                    return await load(item_id)
                except Exception as exc:
                    raise HTTPException(status_code=500, detail=f"load failed: {exc}")  # <- RV201
            """,
            fixed="""
            import logging

            from fastapi import APIRouter, HTTPException

            logger = logging.getLogger(__name__)

            router = APIRouter()

            @router.get("/items/{item_id}")
            async def get_item(item_id: int):
                try:
                    return await load(item_id)
                except Exception as exc:
                    logger.exception("Request failed")
                    raise HTTPException(status_code=500, detail="Internal server error") from exc
            """,
        ),
        Invalid(
            """
            from django.http import JsonResponse

            class OrderView:
                def post(self, request):
                    try:
                        return JsonResponse(create(request))
                    except (ValueError, TypeError) as err:
                        return JsonResponse({"detail": err.args}, status=400)  # <- RV201
            """
        ),
        Invalid(
            """
            from ninja import Router

            router = Router()

            @router.post("/sync")
            def sync(request):
                try:
                    run()
                except Exception as e:
                    return {"ok": False, "detail": repr(e)}  # <- RV201


            @router.post("/import", response={200: dict, 500: dict})
            def import_rows(request):
                try:
                    run()
                except OSError as e:
                    return 500, {"detail": f"import failed: {e}"}  # <- RV201
            """
        ),
        Invalid(
            """
            from flask import Blueprint

            bp = Blueprint("orders", __name__)


            @bp.post("/orders")
            def create_order():
                try:
                    run()
                except Exception as exc:
                    return {"error": str(exc)}, 500  # <- RV201
            """
        ),
        Invalid(
            """
            import requests
            from django.db import IntegrityError
            from django.http import JsonResponse


            def sync(request):
                try:
                    requests.post(PARTNER_URL, json=load(request), timeout=5)
                except requests.RequestException as exc:
                    return JsonResponse({"error": "partner failed: " + str(exc)}, status=502)  # <- RV201
                try:
                    save(request)
                except IntegrityError as exc:
                    return JsonResponse({"error": exc.args[0]}, status=409)  # <- RV201
                return JsonResponse({})
            """,
            fixed="""
            import logging

            import requests
            from django.db import IntegrityError
            from django.http import JsonResponse

            logger = logging.getLogger(__name__)


            def sync(request):
                try:
                    requests.post(PARTNER_URL, json=load(request), timeout=5)
                except requests.RequestException:
                    logger.exception("Request failed")
                    return JsonResponse({"error": "Internal server error"}, status=502)
                try:
                    save(request)
                except IntegrityError:
                    logger.exception("Request failed")
                    return JsonResponse({"error": "Internal server error"}, status=409)
                return JsonResponse({})
            """,
        ),
        Invalid(
            """
            from fastapi import HTTPException
            from rest_framework.response import Response


            def proxy(request):
                try:
                    return stream(request)
                except Exception as e:
                    return Response({"error": "Storage failed", "detail": extract_message(e)}, status=424)  # <- RV201


            async def load(url):
                try:
                    return await fetch(url)
                except OSError as e:
                    raise HTTPException(status_code=502, detail=e)  # <- RV201
            """
        ),
    ]

    def setup(self) -> None:
        self._handlers: list[tuple[cst.ExceptHandler, str]] = []
        self._views: list[bool] = []
        self._admin: list[bool] = [False]
        self._endpoints: list[bool] = []
        self._statements: list[cst.BaseStatement] = []
        self._tries: list[cst.Try] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._admin.append(self._admin[-1] or _admin_class(node))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._admin.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._views.append(is_view_function(node))
        self._endpoints.append(self._is_endpoint(node))
        self._admin.append(self._admin[-1] or _admin_only(node))

    def _is_endpoint(self, node: cst.FunctionDef) -> bool:
        """A function the framework calls for a request. In FastAPI and Starlette helpers take
        `request: Request` too, so only a route decorator makes an endpoint there."""
        if self.ctx.frameworks & {"fastapi", "starlette"}:
            return bool(node.decorators) and is_view_function(node.with_changes(params=cst.Parameters()))
        return is_view_function(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._views.pop()
        self._endpoints.pop()
        self._admin.pop()

    def visit_Try(self, node: cst.Try) -> None:
        self._tries.append(node)

    def leave_Try(self, node: cst.Try) -> None:
        self._tries.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        name = node.name.name.value if node.name and isinstance(node.name.name, cst.Name) else ""
        current = self._tries[-1] if self._tries and node in self._tries[-1].handlers else None
        parses = current is not None and _parses_input(current.body)
        # an empty name: nothing of this handler's exception can leak
        self._handlers.append((node, name if self._carries_internals(node) and not parses else ""))

    def _carries_internals(self, handler: cst.ExceptHandler) -> bool:
        """Does the clause catch an error whose text describes the system (see `_INTERNAL_BUILTINS`)?"""
        for caught in caught_names(handler) or ():
            last = caught.rsplit(".", 1)[-1]
            if last in _STATUS_ERRORS:
                continue  # the other service's status and URL
            qualified = self.ctx.qualified_name(cst.parse_expression(caught)) or caught
            root = qualified.split(".")[0]
            if "." not in qualified and last in _INTERNAL_BUILTINS:
                return True
            if qualified.startswith("builtins.") and last in _INTERNAL_BUILTINS:
                return True
            if root in _INTERNAL_MODULES or qualified.startswith("django.db") or last.endswith(_INTERNAL_SUFFIXES):
                return True
        return False

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.append(node)

    def leave_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.pop()

    def _is_response(self, call: cst.Call) -> bool:
        qualified = self.ctx.qualified_name(call.func)
        if qualified is None:
            return False
        return qualified.rsplit(".", 1)[-1] in _RESPONSES and qualified.split(".")[0] in _FRAMEWORKS

    def visit_Call(self, node: cst.Call) -> None:
        if not self._handlers or not self._handlers[-1][1] or self._admin[-1] or not self._is_response(node):
            return
        handler, name = self._handlers[-1]
        for arg in node.args:
            leak = _mentions(arg.value, name)
            if leak is not None:
                self._flag(leak, handler)
                return

    def visit_Return(self, node: cst.Return) -> None:
        if not self._handlers or not self._handlers[-1][1] or self._admin[-1] or not (self._views and self._views[-1]):
            return
        # `return {...}`; Ninja `return 500, {...}`; Flask `return {...}, 500`
        value = node.value
        parts = [e.value for e in value.elements] if isinstance(value, cst.Tuple) else [value]
        handler, name = self._handlers[-1]
        for part in parts:
            leak = _mentions(part, name) if isinstance(part, cst.Dict) else None
            if leak is not None:
                self._flag(leak, handler)
                return

    def _flag(self, leak: cst.BaseExpression, handler: cst.ExceptHandler) -> None:
        statement = self._statements[-1] if self._statements else None
        fix = None
        body = handler.body
        if statement is not None and isinstance(body, cst.IndentedBlock) and statement in body.body:
            block: cst.IndentedBlock = body
            stmt: cst.BaseStatement = statement

            def build(builder: FixBuilder) -> None:
                fixed = stmt.deep_replace(_widened(stmt, leak), cst.parse_expression(GENERIC))
                assert isinstance(fixed, cst.SimpleStatementLine)
                name = handler.name.name.value if handler.name and isinstance(handler.name.name, cst.Name) else None
                if name is not None:
                    fixed = fixed.with_changes(body=[_chained(small, name) for small in fixed.body])
                logs = any(
                    [c for c in find_all(s, cst.Call) if isinstance(c, cst.Call) and isinstance(c.func, cst.Attribute) and c.func.attr.value in _LOG_METHODS]
                    for s in block.body
                )
                new_body: list[cst.BaseStatement] = []
                for existing in block.body:
                    if existing is stmt:
                        if not logs:
                            new_body.append(cst.parse_statement(f'{builder.ensure_logger()}.exception("Request failed")\n'))
                        new_body.append(fixed)
                    else:
                        new_body.append(existing)
                new_block = block.with_changes(body=new_body)
                if name is not None and not any(is_name(found, name) for found in find_all(new_block, cst.Name)):
                    # the exception is logged by `logger.exception`: an unused `as e` is noise
                    builder.replace(handler, handler.with_changes(name=None, body=new_block))
                else:
                    builder.replace(block, new_block)

            fix = self.fix("Send a generic message and log the exception", build)
        code = cst.Module([]).code_for_node(leak)
        if len(code) > 40:
            code = code[:37] + "..."
        if any(self._endpoints):
            self.report(leak, f"`{code}` sends exception details to the client: it leaks internals", fix=fix)
        else:
            # a helper (a document loader, a client wrapper): the text reaches a client only if an
            # endpoint lets it through, where that endpoint is reported if it re-sends it
            self.report(
                leak,
                f"`{code}` may send exception details to the client: it leaks internals if the endpoint passes it on",
                fix=fix,
                severity=Severity.INFORMATION,
            )


def _chained(statement: cst.BaseSmallStatement, name: str) -> cst.BaseSmallStatement:
    """`raise X(...) from e`: the new exception keeps the one it replaces as its cause, so the
    traceback still shows what failed (Ruff's B904)."""
    if isinstance(statement, cst.Raise) and statement.exc is not None and statement.cause is None:
        return statement.with_changes(cause=cst.From(item=cst.Name(name)))
    return statement


def _widened(statement: cst.CSTNode, leak: cst.BaseExpression) -> cst.BaseExpression:
    """The leak with the subscripts taken of it (`exc.args[0]`): the generic message replaces
    the whole value, not the part before `[0]` (`"Internal server error"[0]` is "I")."""
    widened = leak
    subscripts = [node for node in find_all(statement, cst.Subscript) if isinstance(node, cst.Subscript)]
    grew = True
    while grew:
        grew = False
        for subscript in subscripts:
            if subscript.value is widened:
                widened, grew = subscript, True
    return widened
