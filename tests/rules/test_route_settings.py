"""DRF defaults configured in the project's settings silence RV502/RV504 in the edit tier."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from rules.registry import by_code
from server.project import project_defaults
from tests.harness import analyze, engine_for

VIEWS = '''from rest_framework import generics
from rest_framework.permissions import AllowAny


class CatalogueList(generics.ListAPIView):
    permission_classes = [AllowAny]
    queryset = Product.objects.all()
'''
SETTINGS = '''REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": [],
}
'''


def _codes(project_settings: tuple[str, ...]) -> set[str]:
    found = set()
    for code in ("RV502", "RV504"):
        engine = engine_for(by_code()[code])
        engine.set_config(dataclasses.replace(engine.config, project_settings=project_settings))
        found |= {f.code for f in analyze(engine, VIEWS, "shop/views.py").findings}
    return found


def test_project_defaults_silence_throttle_and_pagination(tmp_path: Path) -> None:
    assert _codes(()) == {"RV502", "RV504"}
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "settings.py").write_text(SETTINGS)
    defaults = project_defaults(tmp_path, [], [tmp_path / "shop" / "settings.py"])
    assert defaults == ("DEFAULT_PAGINATION_CLASS", "DEFAULT_THROTTLE_CLASSES")
    assert _codes(defaults) == set()


def test_empty_defaults_do_not_count(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text('REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_PAGINATION_CLASS": None}\n')
    assert project_defaults(tmp_path, ["settings.py"]) == ()


def test_check_reads_the_settings(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "views.py").write_text(VIEWS)
    run = [sys.executable, "-m", "server", "--check", "shop", "--select", "RV502,RV504", "--no-cache"]
    before = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "RV502" in before.stdout and "RV504" in before.stdout
    (tmp_path / "shop" / "settings.py").write_text(SETTINGS)
    after = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "RV502" not in after.stdout and "RV504" not in after.stdout, after.stdout


def test_defaults_built_by_a_function_of_the_project(tmp_path: Path) -> None:
    """`REST_FRAMEWORK = get_drf_settings(...)` in `settings_example.py`: the dict the function returns counts."""
    (tmp_path / "site" / "api").mkdir(parents=True)
    (tmp_path / "site" / "api" / "defaults.py").write_text(
        "def get_drf_settings(*, anon):\n    return {'DEFAULT_PAGINATION_CLASS': 'site.api.Pages', 'DEFAULT_THROTTLE_CLASSES': ('a.B',)}\n"
    )
    (tmp_path / "site" / "settings_example.py").write_text("from site.api.defaults import get_drf_settings\n\nREST_FRAMEWORK = get_drf_settings(anon='1/s')\n")
    defaults = project_defaults(tmp_path, [], [tmp_path / "site" / "settings_example.py"])
    assert defaults == ("DEFAULT_PAGINATION_CLASS", "DEFAULT_THROTTLE_CLASSES")


REGISTRATION = '''from django.views.generic import FormView

from shop.forms import LoginForm, SignupForm


class LoginView(FormView):
    form_class = LoginForm


class SignupView(FormView):
    form_class = SignupForm
'''
FORMS = '''from django import forms

from shop.limits import check_rate_limit


class BaseLoginForm(forms.Form):
    def clean(self):
        if not check_rate_limit("login", self.request):
            raise forms.ValidationError("Too many attempts")


class LoginForm(BaseLoginForm):
    pass


class SignupForm(forms.Form):
    pass
'''


def test_rv502_knows_which_forms_limit(tmp_path: Path) -> None:
    """With the project's modules read, only a form that limits (itself or by a base) makes its view limited."""
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "forms.py").write_text(FORMS)
    (tmp_path / "shop" / "views.py").write_text(REGISTRATION)
    defaults = project_defaults(tmp_path, [], [tmp_path / "shop" / "forms.py", tmp_path / "shop" / "views.py"])
    assert "rate-limited:shop.forms.LoginForm" in defaults and "rate-limited:shop.forms.SignupForm" not in defaults
    engine = engine_for(by_code()["RV502"])
    engine.set_config(dataclasses.replace(engine.config, project_settings=defaults))
    lines = {f.span.line for f in analyze(engine, REGISTRATION, "shop/views.py").findings}
    assert lines == {10}  # SignupView only
