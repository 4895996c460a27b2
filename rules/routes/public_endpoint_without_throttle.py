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
    Severity,
    Valid,
    decorator_names,
    dotted_name,
    find_all,
    get_kwarg,
    is_view_function,
    string_value,
)
from rules.api.routes import VERBS

THROTTLE_SETTING = "DEFAULT_THROTTLE_CLASSES"
# endpoints attackers hammer: credential stuffing, sign-up spam, OTP and reset-code guessing
_AUTH_WORDS = re.compile(
    r"(?:^|_)(login|log_in|signin|sign_in|signup|sign_up|registration|otp|mfa|2fa|"
    r"password_reset|reset_password|forgot_password|password_recovery|recover_password|recovery_password|"
    r"lost_password|verify_code|magic_link)(?:_|$)"
)
# `token` alone is too common a word (`create_token`, `answer_token`, `revoke_token`): only the
# endpoint that hands tokens out counts (`TokenView`, `obtain_token`, `TokenObtainPairView`)
# `register` is also a verb of registries (`bulk_register_skills`, `register_oauth_client`):
# only registering a user or an account counts
_REGISTER = re.compile(r"^(?:user_|account_)?register(?:_user|_account|_view)?$")
_TOKEN_ENDPOINT = re.compile(r"^(?:obtain_|issue_|access_|auth_|jwt_|login_)?token(?:_obtain(?:_pair)?)?(?:_view|_endpoint)?$")
_AUTH_PATH = re.compile(
    r"/(login|signin|sign-in|signup|sign-up|register|token|otp|mfa|password[-_/]reset|reset[-_]password|"
    r"forgot[-_]password|password[-_/]recovery|recover[-_]password|lost[-_]password)\b"
)
# a limiter named in a decorator (its arguments included: `@method_decorator(ratelimit(...))`),
# a dependency, or django-axes' decorators
_LIMITERS = re.compile(r"(?i)(limit|throttl|axes_)")
# calls a view makes to limit itself: `check_rate_limit(...)`, `is_ratelimited(...)`, `bucket.consume()`
_SELF_LIMIT_CALLS = re.compile(r"(?i)(rate_?limit|throttl|limiter|bucket)")
# answering "too many requests" is limiting, whatever counts the attempts (a cache counter...)
_TOO_MANY = re.compile(r"(TOO_MANY_REQUESTS|TooManyRequests|Throttled|RateLimitExceeded)")
_VIEW_BASES = re.compile(r"(APIView|ViewSet|View|GenericAPIView|ListAPIView|CreateAPIView|RetrieveAPIView)$")
_DRF_BASES = re.compile(r"^rest_framework\.|(APIView|ViewSet|GenericAPIView)$")
# mixins and decorators that turn anonymous callers away: the endpoint is not public
_AUTHENTICATED_BASES = re.compile(r"(?i)(LoginRequired|PermissionRequired|AuthenticationRequired|UserPassesTest|StaffRequired|SuperuserRequired)\w*Mixin$")
# FastAPI dependencies that resolve the signed-in user (`Depends(get_current_user)`, `get_admin_user`)
_USER_DEPENDENCY = re.compile(r"(?i)Depends\(\s*(get_\w*user|require_\w+|current_\w*user|\w*authenticated\w*)\b")
_AUTHENTICATED_DECORATORS = frozenset(("login_required", "permission_required", "staff_member_required", "user_passes_test", "superuser_required"))
# where a Django-style view reads what the client submitted
_SUBMISSION_ATTRS = frozenset(("POST", "data", "body", "json", "form", "FILES", "get_json"))
# where to go after the login is a redirect target, not a credential
_REDIRECT_FIELDS = frozenset(("next", "redirect", "redirect_to", "redirect_url", "return_to", "return_url", "success_url"))
# calls that check what was submitted: a form, a serializer, the auth backends, `super().post()`
_CHECKS_SUBMISSION = re.compile(r"(Form|Serializer|^authenticate|^check_password|^login|^get_form|^is_valid|^post|^put|^patch|^create)$")
# what the project's settings reader found (server.project.project_defaults): which of the project's
# classes limit attempts in their own code, and whether the project's modules were read at all
LIMITED_PREFIX = "rate-limited:"
LIMITS_SCANNED = "rate-limited-scan"


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


# the step after the emailed link: the user is already identified by an unguessable token or the
# session it set (Django's `password_reset_confirm`/`_complete`/`_done`), nothing is left to guess
_AFTER_RESET = re.compile(r"(password_reset|reset_password)_(set|confirm|complete|done)")
# an account picked by URL (`SingleObjectMixin`): staff acting on that user, not self-service sign-in
_OBJECT_BASES = frozenset(("SingleObjectMixin", "DetailView", "UpdateView", "DeleteView"))


def _is_auth_name(name: str) -> bool:
    snaked = snake(name).strip("_")
    if _AFTER_RESET.search(snaked):
        return False
    return _AUTH_WORDS.search(snaked) is not None or _TOKEN_ENDPOINT.match(snaked) is not None or _REGISTER.match(snaked) is not None


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _limits_itself(body: cst.CSTNode) -> bool:
    """The code counts attempts itself: calls a rate-limit helper or answers 429."""
    for node in find_all(body, (cst.Call, cst.Integer, cst.Name, cst.Attribute)):
        if isinstance(node, cst.Call):
            name = dotted_name(node.func) or ""
            if _SELF_LIMIT_CALLS.search(name.rsplit(".", 1)[-1]):
                return True
        elif isinstance(node, cst.Integer):
            if node.value == "429":
                return True
        elif isinstance(node, cst.Name) and _TOO_MANY.search(node.value):
            return True
        elif isinstance(node, cst.Attribute) and _TOO_MANY.search(node.attr.value):
            return True
    return False


def _reads_submission(body: cst.CSTNode) -> bool:
    """`request.POST`, `self.request.data`, `request.body`...: the view takes credentials in."""
    for node in find_all(body, cst.Attribute):
        assert isinstance(node, cst.Attribute)
        if node.attr.value in _SUBMISSION_ATTRS and (dotted_name(node.value) or "").rsplit(".", 1)[-1] == "request":
            return True
    return False


def _checks_credentials(body: cst.CSTNode) -> bool:
    """A handler that takes credentials: hands the submission to a form, a serializer or the auth
    backends, or reads a submitted field other than the redirect target (`request.POST.get("next")`)."""
    reads = redirects = 0
    for node in find_all(body, (cst.Attribute, cst.Call)):
        if isinstance(node, cst.Call):
            name = (dotted_name(node.func) or "").rsplit(".", 1)[-1]
            if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Call) and dotted_name(node.func.value.func) == "super":
                name = node.func.attr.value
            if _CHECKS_SUBMISSION.search(name):
                return True
            if (
                isinstance(node.func, cst.Attribute)
                and node.func.attr.value == "get"
                and _is_submission(node.func.value)
                and node.args
                and string_value(node.args[0].value) in _REDIRECT_FIELDS
            ):
                redirects += 1
        elif _is_submission(node):
            reads += 1
    return reads > redirects


def _is_submission(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and node.attr.value in _SUBMISSION_ATTRS
        and (dotted_name(node.value) or "").rsplit(".", 1)[-1] == "request"
    )


# what a view touches when it serves the project's data: a public page of constants has nothing to scrape
_DATA_ACCESS = frozenset(("objects", "query", "get_queryset", "queryset", "get_object", "filter", "execute", "paginate_queryset"))


def _reads_data(body: cst.CSTNode) -> bool:
    for node in find_all(body, (cst.Attribute, cst.Call)):
        if isinstance(node, cst.Attribute) and node.attr.value in _DATA_ACCESS:
            return True
        if isinstance(node, cst.Call) and (dotted_name(node.func) or "").endswith(("Serializer", "get_object_or_404", "get_list_or_404")):
            return True
    return False


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
    drf: bool = False  # a DRF view: its limit is `throttle_classes`
    authenticated: bool = False  # a login/permission-required mixin turns anonymous callers away
    plain: bool = False  # only generic display bases (View, TemplateView...): a page unless a member takes input
    bases: tuple[str, ...] = ()  # the bases as written: a class another class here extends is a base, not the endpoint
    on_object: bool = False  # acts on one stored object picked by URL (`SingleObjectMixin`)


@dataclass(frozen=True, slots=True)
class ClassAttr:
    owner: str
    attr: str
    allow_any: bool
    statement: cst.SimpleStatementLine
    limited: bool = False  # a throttle/ratelimit decorator on a method of the class, or a method that limits itself
    takes_input: bool = False  # `post`/`form_valid`/`form_class`...: the class processes what the client submits
    own_form: bool = False  # `form_class` is the project's own form that limits attempts (or, unread, may)
    reads_data: bool = False  # a method or attribute reaches the project's data (queryset, serializer, ORM)
    hollow: bool = False  # a Django `post()` that checks no credentials (stores a nonce, redirects)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A function view: public (AllowAny) and/or an auth endpoint, without a limiter."""

    node: cst.Name
    public: bool
    auth: bool
    drf: bool
    routers: tuple[str, ...] = ()  # the routers its route decorators name


@dataclass(frozen=True, slots=True)
class RouteClass:
    """`router = APIRouter(route_class=Guarded)`: every route of `router` runs through `Guarded`."""

    router: str
    route_class: str


# display-only generic views: a class made only of these renders pages unless a member takes input
_DISPLAY_BASES = frozenset(("View", "TemplateView", "RedirectView", "ListView", "DetailView", "APIView", "GenericAPIView", "ListAPIView", "RetrieveAPIView"))
_INPUT_METHODS = frozenset(("post", "put", "patch", "create", "form_valid", "form_invalid"))
_INPUT_ATTRS = frozenset(("form_class", "authentication_form", "serializer_class"))


class PublicEndpointWithoutThrottle(ModuleRule):
    """
    ## What it does
    Finds DRF views and viewsets open to anyone (`permission_classes = [AllowAny]`,
    `@permission_classes([AllowAny])`) with no `throttle_classes`, when the settings set no
    `DEFAULT_THROTTLE_CLASSES`; and login, sign-up, token, OTP and password-reset or
    password-recovery endpoints in any framework that take the client's submission and have
    no rate limiter (slowapi `@limiter.limit`, django-ratelimit `@ratelimit`, DRF throttles,
    Ninja `throttle=`, fastapi-limiter dependencies).

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

    Quiet when the project's settings configure `DEFAULT_THROTTLE_CLASSES` (DRF views, also
    through a function that builds `REST_FRAMEWORK`); on views that limit themselves: any
    decorator naming a limiter (the project's own `@rate_limited`,
    `@method_decorator(ratelimit(...))`, django-axes' `@axes_dispatch`), a call to a rate-limit
    helper or token bucket, or a 429 answer, also when a FastAPI router's `route_class` does it
    for every route; on views behind a login (`@login_required`, `LoginRequiredMixin`,
    permission mixins, `Depends(get_current_user)`); on `_private` helpers and functions that
    never read the submission (a "link sent" page, `session_login(request, user)`); on Django
    views that hand the submission to a form of the project that limits attempts in its own
    code (`check_rate_limit("login", ...)` in `clean()`, or a base form that does), as `--check`
    finds by reading the project's modules (the editor, which reads only the settings, trusts
    any form of the project); on a `post()` that checks no credentials (stores a nonce and
    redirects); on a base view another view of the module extends (the subclass is the
    endpoint); on views acting on one account picked by URL (`SingleObjectMixin`: staff sending
    a reset mail); on the step after the emailed reset link (`password_reset_confirm`,
    `reset_password_set`: the token or session already identifies the user); on public DRF
    pages of constants that touch no data (no queryset, serializer or ORM); and on token helpers
    that are not the endpoint handing tokens out (`create_token`, `revoke_token`), nor
    registries' `register` (`bulk_register_skills`).
    """

    meta = RuleMeta(
        code="RV502",
        name="public-endpoint-without-throttle",
        family="routes",
        severity=Severity.WARNING,
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
        # helpers are not endpoints; a page that only renders "link sent" takes no credentials
        Valid(
            "from django.shortcuts import redirect, render\n\n\ndef _redirect_after_login(request):\n    return redirect('index')\n\n\n"
            "def login_link_sent(request):\n    return render(request, 'accounts/login_link_sent.html')\n\n\n"
            "def session_login(request, user):\n    request.session['uid'] = user.pk\n"
        ),
        # a login view that counts attempts itself and answers 429
        Valid(
            "from django.core.cache import cache\nfrom django.http import HttpResponse\n\n\ndef login(request):\n"
            "    key = 'login:' + request.META['REMOTE_ADDR']\n    if cache.get(key, 0) >= 5:\n        return HttpResponse(status=429)\n"
            "    cache.incr(key)\n    form = LoginForm(request.POST)\n    return HttpResponse()\n"
        ),
        # a token bucket, the project's own limiter decorator, django-axes, a limiter in `method_decorator`
        Valid(
            "from fastapi import APIRouter, HTTPException\n\nrouter = APIRouter()\n\n\n@router.post('/login')\nasync def login(form: dict):\n"
            "    if not login_bucket.consume(form['username']):\n        raise HTTPException(status_code=429)\n    return {}\n"
        ),
        Valid(
            "from accounts.limits import rate_limited\n\n\n@rate_limited('signup')\ndef signup(request):\n    return SignupForm(request.POST).save()\n"
        ),
        Valid(
            "from axes.decorators import axes_dispatch\nfrom django.contrib.auth import views\nfrom django.utils.decorators import method_decorator\n\n\n"
            "@axes_dispatch\ndef login(request):\n    return authenticate(request, **request.POST)\n\n\n"
            "class SecondFactorLoginView(views.LoginView):\n    @method_decorator(session_ratelimit_post('2fa'))\n"
            "    def dispatch(self, request, *args, **kwargs):\n        return super().dispatch(request, *args, **kwargs)\n"
        ),
        # a route class that answers 429 guards every route of its router; a signed-in dependency; a registry's `register`
        Valid(
            "from fastapi import APIRouter, Depends, HTTPException\nfrom fastapi.routing import APIRoute\n\n\n"
            "class GuardedRoute(APIRoute):\n    def get_route_handler(self):\n        handler = super().get_route_handler()\n\n"
            "        async def guarded(request):\n            if await ip_limiter.is_limited(request.client.host):\n"
            "                raise HTTPException(429)\n            return await handler(request)\n\n        return guarded\n\n\n"
            "router = APIRouter(route_class=GuardedRoute)\nadmin = APIRouter()\n\n\n"
            "@router.post('/mfa/verify')\nasync def verify_mfa(form: dict):\n    return {}\n\n\n"
            "@admin.post('/mfa/reset')\nasync def reset_mfa(form: dict, user=Depends(get_admin_user)):\n    return {}\n\n\n"
            "@admin.post('/skills/bulk')\nasync def bulk_register_skills(body: dict):\n    return {}\n"
        ),
        # the project's own form checks the submission (and, in Django projects, limits it there)
        Valid(
            "from django.views.generic import FormView\n\nfrom accounts.forms import LoginForm, RegistrationForm\n\n\n"
            "class LoginView(FormView):\n    form_class = LoginForm\n\n\n"
            "def register(request):\n    form = RegistrationForm(request=request, data=request.POST)\n    return form.save()\n"
        ),
        # behind a login: no anonymous caller can hammer it; `create_token` is not a token endpoint
        Valid(
            "from django.contrib.auth.decorators import login_required\nfrom django.contrib.auth.mixins import LoginRequiredMixin\n"
            "from django.views import View\n\n\n@login_required\ndef email_login(request):\n    return EmailForm(request.POST)\n\n\n"
            "class UserEmergencyTokenView(LoginRequiredMixin, View):\n    def post(self, request):\n        return None\n\n\n"
            "def create_token(request, project):\n    return TokenForm(request.POST).save()\n"
        ),
        # a POST that only stores a nonce and redirects to the login page takes no credentials
        Valid(
            "from django.shortcuts import redirect\nfrom django.views import View\n\n\nclass LoginStartView(View):\n"
            "    def post(self, request, *args, **kwargs):\n        request.session['nonce'] = make_nonce()\n"
            "        return redirect('/login?next=' + request.POST.get('next', ''))\n"
        ),
        # a public page of constants has nothing to scrape or guess
        Valid(
            "from rest_framework.permissions import AllowAny\nfrom rest_framework.response import Response\n"
            "from rest_framework.views import APIView\n\n\nclass WebhookInfoAPI(APIView):\n    permission_classes = [AllowAny]\n\n"
            "    def get(self, request, *args, **kwargs):\n        return Response({key: value['name'] for key, value in EVENTS.items()})\n"
        ),
        # a base view: the subclass that sets the (limiting) form is the endpoint; the step after the
        # emailed link; staff sending a reset mail to the user picked by URL
        Valid(
            "from django.contrib.auth.views import LoginView\nfrom django.views.generic import FormView\n"
            "from django.contrib.auth.forms import SetPasswordForm\nfrom django.views.generic.detail import SingleObjectMixin\n\nfrom accounts.forms import LoginForm\n\n\n"
            "class BaseLoginView(LoginView):\n    def form_invalid(self, form):\n        rotate_token(self.request)\n"
            "        return super().form_invalid(form)\n\n\nclass SiteLoginView(BaseLoginView):\n    form_class = LoginForm\n\n\n"
            "def reset_password_set(request):\n    user = User.objects.get(pk=request.session['perform_reset'])\n"
            "    form = SetPasswordForm(user, request.POST)\n    return form.save()\n\n\n"
            "class PasswordResetView(SingleObjectMixin, FormView):\n    form_class = PasswordResetForm\n\n"
            "    def post(self, request, *args, **kwargs):\n        self.object = self.get_object()\n        return super().post(request, *args, **kwargs)\n"
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
            import rest_framework.throttling
            from rest_framework.permissions import AllowAny
            from rest_framework.views import APIView


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
        # a password-recovery endpoint that sends mail is an auth endpoint
        Invalid(
            """
            from fastapi import APIRouter

            router = APIRouter()


            @router.post("/password-recovery/{email}")
            def recover_password(email: str):  # <- RV502
                send_reset_password_email(email_to=email)
                return {"msg": "Password recovery email sent"}
            """
        ),
        # a Django login form view: no limiter decorator, no 429
        Invalid(
            """
            from django.contrib.auth import views as auth_views
            from django.shortcuts import render


            class LoginView(auth_views.LoginView):  # <- RV502
                template_name = "login.html"


            def signin(request):  # <- RV502
                user = authenticate(request, username=request.POST["username"], password=request.POST["password"])
                return render(request, "signin.html", {"user": user})
            """
        ),
    ]

    def setup(self) -> None:
        self._classes: list[cst.ClassDef] = []
        self._functions = 0

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return not ctx.has_role(Role.TEST)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)
        if len(self._classes) == 1:
            bases = [self.ctx.qualified_name(b.value) or "" for b in node.bases]
            last = [b.rsplit(".", 1)[-1] for b in bases]
            self.fact(
                ClassHeader(
                    node.name.value,
                    node.name,
                    any(_VIEW_BASES.search(b) for b in bases),
                    drf=any(_DRF_BASES.search(b) for b in bases),
                    authenticated=any(_AUTHENTICATED_BASES.search(b) for b in last),
                    plain=bool(last) and all(b in _DISPLAY_BASES for b in last),
                    bases=tuple(name for b in node.bases if (name := dotted_name(b.value)) is not None),
                    on_object=any(b in _OBJECT_BASES for b in last),
                )
            )

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if not self._classes and not self._functions:
            for small in node.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) and isinstance(small.value, cst.Call):
                    route_class = get_kwarg(small.value, "route_class")
                    if route_class is not None and isinstance(route_class.value, cst.Name):
                        self.fact(RouteClass(small.targets[0].target.value, route_class.value.value))
            return
        if len(self._classes) != 1 or self._functions:
            return
        for small in node.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                attr = small.targets[0].target.value
                if attr in ("permission_classes", "throttle_classes"):
                    self.fact(ClassAttr(self._classes[0].name.value, attr, _allows_any(self.ctx, small.value), node))
                elif attr in _INPUT_ATTRS:
                    own = attr != "serializer_class" and self._limiting_form(small.value)
                    data = attr == "serializer_class"
                    self.fact(ClassAttr(self._classes[0].name.value, attr, False, node, takes_input=True, own_form=own, reads_data=data))
                elif attr == "queryset":
                    self.fact(ClassAttr(self._classes[0].name.value, attr, False, node, reads_data=True))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions += 1
        if self._functions != 1 or len(self._classes) > 1:
            return
        limited = self._limited_by_decorator(node) or self._limited_by_route(node) or _limits_itself(node.body)
        if self._classes:
            owner = self._classes[0].name.value
            if limited:
                self.fact(ClassAttr(owner, "throttle_classes", False, cst.SimpleStatementLine(()), limited=True))
            # `post()` that only stores a nonce and redirects to the login page takes no credentials
            method = node.name.value
            if method in _INPUT_METHODS:
                hollow = not method.startswith("form_") and not _checks_credentials(node.body)
                self.fact(ClassAttr(owner, method, False, cst.SimpleStatementLine(()), takes_input=True, hollow=hollow))
            if _reads_data(node.body):
                self.fact(ClassAttr(owner, method, False, cst.SimpleStatementLine(()), reads_data=True))
            return
        # `_redirect_after_login(request)` is a helper, whatever it takes
        if limited or node.name.value.startswith("_") or not is_view_function(node):
            return
        names = decorator_names(node)
        public = any(
            name.rsplit(".", 1)[-1] == "permission_classes" and isinstance(d.decorator, cst.Call) and d.decorator.args and _allows_any(self.ctx, d.decorator.args[0].value)
            for name, d in zip(names, node.decorators)
        )
        # credentials and codes are posted; `read_with_token` behind a GET is not an auth endpoint,
        # and a Django view that never reads the submitted data (`login_link_sent`, a helper taking
        # `request, user`) only renders or redirects
        verbs = self._route_verbs(node)
        only_reads = bool(verbs) and verbs <= {"get", "head", "options"}
        takes_input = bool(verbs - {"get", "head", "options"}) or _reads_submission(node.body)
        # a Django view that hands the submission to the project's own form: the form checks (and,
        # in the projects we measured, rate-limits) what was sent, and this module cannot see it
        delegated = not verbs and any(
            isinstance(call, cst.Call) and (dotted_name(call.func) or "").endswith("Form") and self._limiting_form(call.func)
            for call in find_all(node.body, cst.Call)
        )
        authenticated = any(name.rsplit(".", 1)[-1] in _AUTHENTICATED_DECORATORS for name in names) or any(
            p.default is not None and _USER_DEPENDENCY.search(_code(p.default)) for p in node.params.params
        )
        auth = (
            not only_reads
            and takes_input
            and not delegated
            and not authenticated
            and (_is_auth_name(node.name.value) or any(_AUTH_PATH.search(path) for path in self._route_paths(node)))
        )
        drf = any(name.rsplit(".", 1)[-1] == "api_view" for name in names)
        if public or auth:
            routers = tuple(
                name for d in node.decorators if isinstance(d.decorator, cst.Call) and isinstance(d.decorator.func, cst.Attribute)
                if (name := dotted_name(d.decorator.func.value)) is not None
            )
            self.fact(Endpoint(node.name, public, auth, drf, routers))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions -= 1

    def _limiting_form(self, expr: cst.BaseExpression) -> bool:
        """A form class of the project (imported from it or defined here) that limits attempts in
        its own code (`check_rate_limit("login", ...)` in `clean()`), as the settings reader found
        by reading the project's modules; Django's stock forms do not. When the project's modules
        were not read (the editor reads only the settings), any form of the project may."""
        qualified = self.ctx.qualified_name(expr)
        if qualified is None or qualified.startswith(("django.", "rest_framework.", "allauth.")) or not qualified.endswith("Form"):
            return False
        if LIMITS_SCANNED not in self.ctx.project_settings:
            return True
        if qualified.startswith("<module>."):
            module = self.ctx.path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            qualified = module + qualified.removeprefix("<module>")
        return LIMITED_PREFIX + qualified in self.ctx.project_settings

    def _limited_by_decorator(self, node: cst.FunctionDef) -> bool:
        """`@ratelimit(...)`, `@limiter.limit(...)`, `@method_decorator(session_ratelimit_post(...))`, `@axes_dispatch`."""
        return any(_LIMITERS.search(_code(d.decorator)) for d in node.decorators)

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
            if isinstance(located.value, ClassAttr):
                attrs.setdefault(located.value.owner, []).append(Located(located.block, located.value))
        # a router whose route class limits (a custom `APIRoute` answering 429) limits all its routes
        limited_classes = {owner for owner, own in attrs.items() if any(a.value.limited for a in own)}
        guarded = {f.value.router for f in facts if isinstance(f.value, RouteClass) and f.value.route_class in limited_classes}
        for located in facts:
            value = located.value
            if isinstance(value, Endpoint) and any(router in guarded for router in value.routers):
                continue
            if isinstance(value, Endpoint) and not (value.drf and global_throttle and not value.auth):
                what = "an auth endpoint" if value.auth else "open to anyone (AllowAny)"
                self.report(value.node, f"`{value.node.value}` is {what} and has no rate limit or throttle", at=located.block)
        # a view another view of this module extends is their base: the concrete one is the endpoint
        extended = {base for h in headers.values() if isinstance(h.value, ClassHeader) for base in h.value.bases}
        for name, header in headers.items():
            view = header.value
            if not isinstance(view, ClassHeader) or not view.is_view or name in extended:
                continue
            own = attrs.get(name, [])
            if any(a.value.attr == "throttle_classes" for a in own):
                continue
            public = next((a for a in own if a.value.attr == "permission_classes" and a.value.allow_any), None)
            # DRF parses the body of any `post()`; a plain Django `post()` takes what it reads
            takes_input = not view.plain or any(a.value.takes_input and (view.drf or not a.value.hollow) for a in own)
            delegated = not view.drf and any(a.value.own_form for a in own)
            auth = _is_auth_name(name) and takes_input and not delegated and not view.authenticated and not view.on_object
            if (global_throttle and view.drf) or not (public or auth):
                continue
            if not auth and view.plain and not takes_input and not any(a.value.reads_data for a in own):
                continue  # a public page of constants (event types, version info): nothing to scrape or guess
            if public is not None:
                what = "an auth endpoint open to anyone" if auth else "open to anyone (AllowAny)"
                self.report(public.value.statement, f"`{name}` is {what} and sets no `throttle_classes`", at=public.block, fix=self._add_throttle(public.value.statement))
            elif view.drf:
                self.report(view.node, f"`{name}` is an auth endpoint and sets no `throttle_classes`", at=header.block)
            else:
                self.report(view.node, f"`{name}` is an auth endpoint and has no rate limit (no limiter decorator, no 429)", at=header.block)

    def _add_throttle(self, statement: cst.SimpleStatementLine) -> LazyFix:
        def build(builder: FixBuilder) -> None:
            target = "rest_framework.throttling.AnonRateThrottle"
            local = next((name for name, qualified in self.ctx.import_items if qualified == target), None)
            if local is None:
                local = builder.ensure_import("rest_framework.throttling") + ".AnonRateThrottle"
            added = cst.parse_statement(f"throttle_classes = [{local}]\n")
            builder.replace(statement, cst.FlattenSentinel([statement, added]))  # type: ignore[arg-type]

        return self.fix("Add `throttle_classes = [AnonRateThrottle]`", build)
