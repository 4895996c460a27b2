"""The routing model against the installed frameworks: build each app, request every literal
route, and compare which ones the framework fails to reach with what RV501 reports."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from itertools import count

import pytest

from rules.registry import by_code
from tests.harness import analyze, engine_for

_PARAM = re.compile(r"[{<]([^{}<>]*)[}>]")
_names = count()


def _param_names(path: str) -> list[str]:
    names = []
    for spec in _PARAM.findall(path):
        parts = spec.split(":")
        names.append(parts[0] if path.count("{") and ":" in spec and not spec.startswith(("int:", "str:", "path:", "slug:", "uuid:")) else parts[-1])
    return names


def _reviewls_shadowed(source: str, path: str = "routes.py") -> set[int]:
    """0-based indexes of the routes (one per line `# route N`) that RV501 reports."""
    analysis = analyze(engine_for(by_code()["RV501"]), source, path)
    lines = source.splitlines()
    found = set()
    for finding in analysis.findings:
        match = re.search(r"# route (\d+)", lines[finding.span.line - 1])
        assert match, lines[finding.span.line - 1]
        found.add(int(match.group(1)))
    return found


def _load(source: str) -> types.ModuleType:
    module = types.ModuleType(f"reviewls_routes_{next(_names)}")
    sys.modules[module.__name__] = module
    exec(compile(source, module.__name__, "exec"), module.__dict__)
    return module


def _decorated_source(imports: str, router: str, routes: list[tuple[str, str]], request_arg: bool) -> str:
    out = [imports, f"router = {router}", ""]
    for index, (method, path) in enumerate(routes):
        params = (["request"] if request_arg else []) + [f"{name}: int" if "int" in path or name.endswith("_id") else f"{name}: str" for name in _param_names(path)]
        out += [f'@router.{method.lower()}("{path}")  # route {index}', f"def h{index}({', '.join(params)}):", f'    return {{"h": {index}}}', ""]
    return "\n".join(out)


def _answered_by(response_json: object) -> int | None:
    return response_json.get("h") if isinstance(response_json, dict) else None


DECORATED = [
    ("GET", "/{account_id}"),
    ("GET", "/summary"),
    ("GET", "/stats/summary"),
    ("POST", "/{account_id}/sync"),
    ("POST", "/batch/sync"),
    ("GET", "/lit/a"),
    ("POST", "/search"),
    ("PUT", "/{name}/b"),
    ("PUT", "/zz/b"),
]


@pytest.fixture(scope="module")
def django_settings() -> Iterator[None]:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=True,
            ALLOWED_HOSTS=["*"],
            SECRET_KEY="tests-only",
            ROOT_URLCONF="reviewls_unset",
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
            REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": [], "DEFAULT_PERMISSION_CLASSES": [], "UNAUTHENTICATED_USER": None},
        )
        django.setup()
    yield


def _django_answers(urlconf: types.ModuleType, requests: list[tuple[str, str]]) -> list[tuple[int, object]]:
    from django.test import Client, override_settings
    from django.urls import clear_url_caches

    out = []
    with override_settings(ROOT_URLCONF=urlconf):
        clear_url_caches()
        client = Client()
        for method, path in requests:
            response = getattr(client, method.lower())(path)
            body = response.json() if response.get("Content-Type", "").startswith("application/json") else None
            out.append((response.status_code, body))
    clear_url_caches()
    return out


def _literal(path: str) -> bool:
    return not _PARAM.search(path) and "(" not in path


# Starlette 1.x nudges TestClient users towards httpx2; the requests are the same
@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient` is deprecated")
def test_fastapi_shadowing_matches_starlette() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    routes = [*DECORATED, ("GET", "/{item:int}/c"), ("GET", "/lit/c")]
    source = _decorated_source("from fastapi import APIRouter", "APIRouter()", routes, request_arg=False)
    app = FastAPI()
    app.include_router(_load(source).router)
    client = TestClient(app)
    unreachable = {i for i, (m, p) in enumerate(routes) if _literal(p) and _answered_by(client.request(m, p).json()) != i}
    assert unreachable == {1, 4, 8}  # GET /summary (422 from the int route), POST /batch/sync, PUT /zz/b
    assert _reviewls_shadowed(source) == unreachable


def test_ninja_shadowing_matches_django_ninja(django_settings: None) -> None:
    from django.urls import path
    from ninja import NinjaAPI

    routes = [*DECORATED, ("GET", "/{int:item}/c"), ("GET", "/lit/c")]
    source = _decorated_source("from ninja import Router", "Router()", routes, request_arg=True)
    api = NinjaAPI(urls_namespace=f"reviewls-{next(_names)}")
    api.add_router("/r", _load(source).router)
    urlconf = types.ModuleType("ninja_urls")
    urlconf.urlpatterns = [path("api/", api.urls)]  # type: ignore[attr-defined]
    answers = _django_answers(urlconf, [(m, f"/api/r{p}") for m, p in routes])
    unreachable = {i for i, (m, p) in enumerate(routes) if _literal(p) and _answered_by(answers[i][1]) != i}
    # /summary: 422; /batch/sync; POST /search: 405 from GET /{account_id}; PUT /zz/b (same method, still first)
    assert unreachable == {1, 4, 6, 8}
    assert _reviewls_shadowed(source) == unreachable


def test_django_path_shadowing_matches_the_resolver(django_settings: None) -> None:
    entries = [
        'path("<slug:slug>/", view(0))',
        'path("stats/", view(1))',
        'path("<int:pk>/x/", view(2))',
        'path("lit/x/", view(3))',
        're_path(r"^(?P<year>[0-9]{4})/$", view(4))',
        'path("2024/", view(5))',
        'path("<str:name>/y/z/", view(6))',
        'path("a/y/", view(7))',
        'path("b/y/z/", view(8))',
    ]
    source = "\n".join(
        [
            "from django.http import JsonResponse",
            "from django.urls import path, re_path",
            "",
            "def view(n):",
            "    return lambda request, **kwargs: JsonResponse({'h': n})",
            "",
            "urlpatterns = [",
            *[f"    {entry},  # route {i}" for i, entry in enumerate(entries)],
            "]",
            "",
        ]
    )
    requests = [("GET", "/" + re.search(r'"([^"]*)"', e).group(1).lstrip("^").rstrip("$")) for e in entries]  # type: ignore[union-attr]
    answers = _django_answers(_load(source), requests)
    unreachable = {i for i, (_, p) in enumerate(requests) if _literal(p) and _answered_by(answers[i][1]) != i}
    assert unreachable == {1, 5, 8}
    assert _reviewls_shadowed(source, "urls.py") == unreachable


def test_drf_router_shadowing_matches_the_router(django_settings: None) -> None:
    source = "\n".join(
        [
            "from django.http import JsonResponse",
            "from django.urls import include, path",
            "from rest_framework import viewsets",
            "from rest_framework.response import Response",
            "from rest_framework.routers import SimpleRouter",
            "",
            "def set_of(n):",
            "    class Set(viewsets.ViewSet):",
            "        def list(self, request):",
            "            return Response({'h': n})",
            "        def retrieve(self, request, pk=None):",
            "            return Response({'h': n})",
            "    return Set",
            "",
            "router = SimpleRouter()",
            'router.register("accounts", set_of(0), basename="a")  # route 0',
            'router.register("accounts/stats", set_of(1), basename="s")  # route 1',
            'router.register("other", set_of(2), basename="o")  # route 2',
            "",
            "urlpatterns = [",
            '    path("api/", include(router.urls)),  # route 3',
            '    path("api/accounts/export/", lambda request: JsonResponse({"h": 4})),  # route 4',
            '    path("api/other/", lambda request: JsonResponse({"h": 5})),  # route 5',
            "]",
            "",
        ]
    )
    requests = [("GET", "/api/accounts/"), ("GET", "/api/accounts/stats/"), ("GET", "/api/other/"), ("GET", "/api/accounts/export/")]
    answered = [_answered_by(body) for _, body in _django_answers(_load(source), requests)]
    # the stats viewset's list and the export view are answered by the accounts detail route
    assert answered == [0, 0, 2, 0]
    assert _reviewls_shadowed(source, "urls.py") == {1, 4}


def test_flask_order_never_shadows() -> None:
    from flask import Flask

    routes = [("GET", "/<name>"), ("GET", "/stats"), ("GET", "/<int:n>/a"), ("GET", "/b/a")]
    source = _decorated_source("from flask import Blueprint", 'Blueprint("b", __name__)', routes, request_arg=False)
    app = Flask(__name__)
    app.register_blueprint(_load(source).router)
    client = app.test_client()
    assert all(_answered_by(client.get(p).json) == i for i, (_, p) in enumerate(routes) if _literal(p))
    assert _reviewls_shadowed(source) == set()
