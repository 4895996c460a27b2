"""RV502 public-endpoint-without-throttle."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import (
    FixBuilder,
    Invalid,
    LazyFix,
    Located,
    ModuleContext,
    ModuleRule,
    Role,
    RuleMeta,
    Safety,
    Scope,
    Severity,
    Valid,
    decorator_names,
    get_kwarg,
    is_view_function,
    string_value,
)
from rules.api.routes import VERBS

THROTTLE_SETTING = "DEFAULT_THROTTLE_CLASSES"
# endpoints attackers hammer: credential stuffing, sign-up spam, OTP and reset-code guessing
_AUTH_WORDS = re.compile(
    r"(?:^|_)(login|log_in|signin|sign_in|signup|sign_up|register|registration|token|otp|mfa|2fa|"
    r"password_reset|reset_password|forgot_password|verify_code|magic_link)(?:_|$)"
)
_AUTH_PATH = re.compile(r"/(login|signin|sign-in|signup|sign-up|register|token|otp|mfa|password[-_/]reset|reset[-_]password|forgot[-_]password)\b")
_LIMITERS = re.compile(r"(?i)(limit|throttl)")
_VIEW_BASES = re.compile(r"(APIView|ViewSet|View|GenericAPIView|ListAPIView|CreateAPIView|RetrieveAPIView)$")


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _is_auth_name(name: str) -> bool:
    return _AUTH_WORDS.search(snake(name)) is not None


def _allows_any(ctx: ModuleContext, value: cst.BaseExpression) -> bool:
    if not isinstance(value, (cst.List, cst.Tuple)):
        return False
    names = [ctx.qualified_name(e.value) or "" for e in value.elements]
    return any(n.rsplit(".", 1)[-1] == "AllowAny" for n in names)


@dataclass(frozen=True, slots=True)
class ClassHeader:
    name: str
    node: cst.Name
    is_view: bool


@dataclass(frozen=True, slots=True)
class ClassAttr:
    owner: str
    attr: str
    allow_any: bool
    statement: cst.SimpleStatementLine
    limited: bool = False  # a throttle/ratelimit decorator on a method of the class


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A function view: public (AllowAny) and/or an auth endpoint, without a limiter."""

    node: cst.Name
    public: bool
    auth: bool
    drf: bool


class PublicEndpointWithoutThrottle(ModuleRule):
    """
    ## What it does
    Finds DRF views and viewsets open to anyone (`permission_classes = [AllowAny]`,
    `@permission_classes([AllowAny])`) with no `throttle_classes`, when the settings set no
    `DEFAULT_THROTTLE_CLASSES`; and login, sign-up, token, OTP and password-reset endpoints
    in any framework with no rate limiter (slowapi `@limiter.limit`, django-ratelimit
    `@ratelimit`, DRF throttles, Ninja `throttle=`, fastapi-limiter dependencies).

    ## Why is this bad?
    An endpoint anyone may call, with no limit, is where credential stuffing, OTP guessing,
    sign-up spam and scraping happen; a 6-digit code falls to a million requests. Nothing
    in the code looks wrong until the bill or the breach arrives.

    ## Example
    ```python
    class LoginView(APIView):
        permission_classes = [AllowAny]

        def post(self, request): ...
    ```
    Use instead:
    ```python
    class LoginView(APIView):
        permission_classes = [AllowAny]
        throttle_classes = [AnonRateThrottle]
    ```

    ## Fix
    Adds `throttle_classes = [AnonRateThrottle]` under `permission_classes` (unsafe: the
    anon rate must be configured in `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`).

    Quiet when the project's settings configure `DEFAULT_THROTTLE_CLASSES` (DRF views), on
    views with any throttle or rate-limit decorator, and on authenticated endpoints that are
    not auth endpoints.
    """

    meta = RuleMeta(
        code="RV502",
        name="public-endpoint-without-throttle",
        family="routes",
        severity=Severity.WARNING,
        scope=Scope.MODULE,
        fix=Safety.UNSAFE,
    )

    VALID = [
        Valid(
            "from rest_framework.permissions import AllowAny\nfrom rest_framework.throttling import AnonRateThrottle\n"
            "from rest_framework.views import APIView\n\n\nclass LoginView(APIView):\n    permission_classes = [AllowAny]\n"
            "    throttle_classes = [AnonRateThrottle]\n\n    def post(self, request):\n        return None\n"
        ),
        Valid(
            "from rest_framework.permissions import IsAuthenticated\nfrom rest_framework.viewsets import ModelViewSet\n\n\n"
            "class OrderViewSet(ModelViewSet):\n    permission_classes = [IsAuthenticated]\n"
        ),
        Valid(
            "from fastapi import APIRouter, Request\n\nrouter = APIRouter()\n\n\n@router.post('/login')\n@limiter.limit('5/minute')\n"
            "async def login(request: Request):\n    return {}\n"
        ),
        Valid(
            "from django_ratelimit.decorators import ratelimit\n\n\n@ratelimit(key='ip', rate='5/m')\ndef password_reset(request):\n    return None\n"
        ),
        Valid(
            "from ninja import Router\nfrom ninja.throttling import AnonRateThrottle\n\nrouter = Router()\n\n\n"
            "@router.post('/token', throttle=[AnonRateThrottle('5/m')])\ndef token(request):\n    return {}\n"
        ),
    ]
    INVALID = [
        Invalid(
            """
            from rest_framework.permissions import AllowAny
            from rest_framework.views import APIView


            class LoginView(APIView):
                permission_classes = [AllowAny]  # <- RV502

                def post(self, request):
                    return None
            """,
            fixed="""
            from rest_framework.permissions import AllowAny
            from rest_framework.views import APIView
            import rest_framework.throttling


            class LoginView(APIView):
                permission_classes = [AllowAny]
                throttle_classes = [rest_framework.throttling.AnonRateThrottle]

                def post(self, request):
                    return None
            """,
        ),
        Invalid(
            """
            from rest_framework.decorators import api_view, permission_classes
            from rest_framework.permissions import AllowAny
            from rest_framework.response import Response


            @api_view(["GET"])
            @permission_classes([AllowAny])
            def public_catalogue(request):  # <- RV502
                return Response([])
            """
        ),
        Invalid(
            """
            from fastapi import APIRouter

            router = APIRouter()


            @router.post("/auth/token")
            async def issue_token(form: dict):  # <- RV502
                return {}


            @router.post("/otp/verify")
            async def verify(code: str):  # <- RV502
                return {}
            """
        ),
        Invalid(
            """
            from ninja import Router

            router = Router()


            @router.post("/signup")
            def signup(request):  # <- RV502
                return {}
            """
        ),
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._classes: list[cst.ClassDef] = []
        self._functions = 0

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return not ctx.has_role(Role.TEST)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)
        if len(self._classes) == 1 and not self.is_wrapper(node):
            bases = [self.ctx.qualified_name(b.value) or "" for b in node.bases]
            self.fact(ClassHeader(node.name.value, node.name, any(_VIEW_BASES.search(b) for b in bases)))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if len(self._classes) != 1 or self._functions:
            return
        for small in node.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                attr = small.targets[0].target.value
                if attr in ("permission_classes", "throttle_classes"):
                    self.fact(ClassAttr(self._classes[0].name.value, attr, _allows_any(self.ctx, small.value), node))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions += 1
        if self._functions != 1 or len(self._classes) > 1:
            return
        limited = any(_LIMITERS.search(name) for name in decorator_names(node)) or self._limited_by_route(node)
        if self._classes:
            if limited:
                self.fact(ClassAttr(self._classes[0].name.value, "throttle_classes", False, cst.SimpleStatementLine(()), True))
            return
        if limited or not is_view_function(node):
            return
        public = any(
            name.rsplit(".", 1)[-1] == "permission_classes" and isinstance(d.decorator, cst.Call) and d.decorator.args and _allows_any(self.ctx, d.decorator.args[0].value)
            for name, d in zip(decorator_names(node), node.decorators)
        )
        # credentials and codes are posted; `read_with_token` behind a GET is not an auth endpoint
        verbs = self._route_verbs(node)
        only_reads = bool(verbs) and verbs <= {"get", "head", "options"}
        auth = not only_reads and (_is_auth_name(node.name.value) or any(_AUTH_PATH.search(path) for path in self._route_paths(node)))
        drf = any(name.rsplit(".", 1)[-1] == "api_view" for name in decorator_names(node))
        if public or auth:
            self.fact(Endpoint(node.name, public, auth, drf))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions -= 1

    def _route_paths(self, node: cst.FunctionDef) -> list[str]:
        paths = []
        for decorator in node.decorators:
            call = decorator.decorator
            if isinstance(call, cst.Call) and call.args and call.args[0].keyword is None:
                value = string_value(call.args[0].value)
                if value is not None:
                    paths.append(value)
        return paths

    def _route_verbs(self, node: cst.FunctionDef) -> set[str]:
        verbs = set()
        for decorator in node.decorators:
            call = decorator.decorator
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value in VERBS:
                verbs.add(call.func.attr.value)
        return verbs

    def _limited_by_route(self, node: cst.FunctionDef) -> bool:
        """`throttle=` on a Ninja route, or a rate-limit dependency on a FastAPI route."""
        for decorator in node.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call):
                continue
            if get_kwarg(call, "throttle") is not None:
                return True
            dependencies = get_kwarg(call, "dependencies")
            if dependencies is not None and _LIMITERS.search(cst.Module([]).code_for_node(dependencies)):
                return True
        for param in node.params.params:
            if param.default is not None and _LIMITERS.search(cst.Module([]).code_for_node(param.default)):
                return True
        return False

    def check(self, facts: Sequence[Located[object]]) -> None:
        global_throttle = THROTTLE_SETTING in self.ctx.project_settings
        headers = {f.value.name: f for f in facts if isinstance(f.value, ClassHeader)}
        attrs: dict[str, list[Located[ClassAttr]]] = {}
        for located in facts:
            value = located.value
            if isinstance(value, ClassAttr):
                attrs.setdefault(value.owner, []).append(Located(located.block, value))
            elif isinstance(value, Endpoint) and not (value.drf and global_throttle and not value.auth):
                what = "an auth endpoint" if value.auth else "open to anyone (AllowAny)"
                self.report(value.node, f"`{value.node.value}` is {what} and has no rate limit or throttle", at=located.block)
        for name, header in headers.items():
            if not isinstance(header.value, ClassHeader) or not header.value.is_view:
                continue
            own = attrs.get(name, [])
            if any(a.value.attr == "throttle_classes" for a in own):
                continue
            public = next((a for a in own if a.value.attr == "permission_classes" and a.value.allow_any), None)
            auth = _is_auth_name(name)
            if global_throttle or not (public or auth):
                continue
            if public is not None:
                what = "an auth endpoint open to anyone" if auth else "open to anyone (AllowAny)"
                self.report(public.value.statement, f"`{name}` is {what} and sets no `throttle_classes`", at=public.block, fix=self._add_throttle(public.value.statement))
            else:
                self.report(header.value.node, f"`{name}` is an auth endpoint and sets no `throttle_classes`", at=header.block)

    def _add_throttle(self, statement: cst.SimpleStatementLine) -> LazyFix:
        def build(builder: FixBuilder) -> None:
            target = "rest_framework.throttling.AnonRateThrottle"
            local = next((name for name, qualified in self.ctx.import_items if qualified == target), None)
            if local is None:
                local = builder.ensure_import("rest_framework.throttling") + ".AnonRateThrottle"
            added = cst.parse_statement(f"throttle_classes = [{local}]\n")
            builder.replace(statement, cst.FlattenSentinel([statement, added]))  # type: ignore[arg-type]

        return self.fix("Add `throttle_classes = [AnonRateThrottle]`", build)
