"""RV801 test-without-assertion.

(The module is not called test_without_assertion.py so that no test runner collects it.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import (
    Invalid,
    Located,
    ModuleContext,
    ModuleRule,
    Role,
    RuleMeta,
    Severity,
    Valid,
    body_statements,
    decorator_names,
    dotted_name,
    find_all,
    is_docstring,
)
from rules.api.helpers import is_name, is_placeholder

_SKIP_MARKS = frozenset(("skip", "skipif", "xfail", "skipIf", "skipUnless", "expectedFailure"))
# helpers that assert: assert_x, check_x, verify, expect, fail, self._test_format, other tests;
# validators (`validate_x`, `full_clean`) assert by raising
_ASSERTING_CALL = re.compile(r"_*(?:assert|check_|verify|expect|fail|test_|validate|full_clean$|clean$)", re.IGNORECASE)
# an inherited helper we cannot see (`self.do_test(...)`, `self.run_test()`) drives a parametrised check
_TEST_DRIVER = re.compile(r"(?:^|_)test(?:_|$)", re.IGNORECASE)
# the author says what the test checks: that the call does not raise, or that something
# can be done (`Test that each format can load its store class`), which running it shows
_SMOKE_NOTE = re.compile(
    r"smoke|\bcan\b|\bsucceeds?\b|(?:\bnot|n't|\bnever)\s+(?:raise|fail|crash|throw|traceback|blow up|error)|no\s+(?:exception|error|crash)|without\s+(?:an?\s+)?(?:exception|error|crash|raising)",
    re.IGNORECASE,
)
_PYTEST_ASSERTING = frozenset(("raises", "warns", "fail", "deprecated_call", "approx"))


def _callee(func: cst.BaseExpression) -> tuple[str, str]:
    """The dotted name of a callee (empty when it is not a plain chain) and its last part."""
    name = dotted_name(func) or ""
    if isinstance(func, cst.Attribute):
        return name, func.attr.value
    if isinstance(func, cst.Name):
        return name, func.value
    return name, ""


def _assertions(body: cst.CSTNode) -> tuple[bool, set[str]]:
    """Does a body assert (or raise), and which helpers (`self.x()`, `x()`) does it call?"""
    calls: set[str] = set()
    for node in find_all(body, (cst.Assert, cst.Raise, cst.Call, cst.Attribute)):
        if isinstance(node, (cst.Assert, cst.Raise)):
            return True, calls
        if isinstance(node, cst.Attribute):
            # `check = self.assertEqual if acl else self.assertNotEqual`: an assertion, aliased
            if node.attr.value.lower().startswith("assert"):
                return True, calls
            continue
        assert isinstance(node, cst.Call)
        name, last = _callee(node.func)
        if _ASSERTING_CALL.match(last) or (name in (f"pytest.{last}", last) and last in _PYTEST_ASSERTING):
            return True, calls
        if name.count(".") == 0 or (name.startswith("self.") and name.count(".") == 1):
            calls.add(name)
    return False, calls


@dataclass(frozen=True, slots=True)
class CliCommand:
    """A click/typer command: the module is a CLI (`cli/test_db.py`), not a test module."""


def _returns_value(node: cst.FunctionDef) -> bool:
    """Does the function return something? pytest tests return None; this is a helper."""
    if node.returns is not None and not is_name(node.returns.annotation, "None", "Never", "NoReturn"):
        return True
    stack: list[cst.CSTNode] = [node.body]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(current, cst.Return) and current.value is not None:
            return True
        stack.extend(current.children)
    return False


@dataclass(frozen=True, slots=True)
class Function:
    """A function or method of a test module, and whether it is a test to judge."""

    owner: str | None
    name: str
    asserts: bool
    calls: frozenset[str]
    node: cst.Name
    test: bool
    empty: bool


class TestWithoutAssertion(ModuleRule):
    """
    ## What it does
    Finds test functions and methods that assert nothing: no `assert`, no `self.assert*`,
    no `pytest.raises`, no mock `assert_called*`, no `assert_*`/`check_*` helper; or whose
    body is only `pass`.

    ## Why is this bad?
    Such a test passes whatever the code does. It inflates coverage, gives reviewers false
    confidence, and often hides a test whose assertions were lost in a refactor.

    ## Example
    ```python
    def test_checkout(client):
        client.post("/checkout", json=CART)
    ```
    Use instead:
    ```python
    def test_checkout(client):
        resp = client.post("/checkout", json=CART)
        assert resp.status_code == 201
    ```

    ## Fix
    None: what to assert is the test author's decision.

    A test that only calls code still checks that the code does not raise; it is reported
    unless its comment or docstring says that is the point ("should not raise", "can load
    its store class").

    Quiet on tests marked skip/xfail; on `@pytest.fixture` functions named `test_*` (pytest
    does not collect them); on tests that raise or call an assertion helper: one named like
    one (`assert_*`, `check_*`, `verify*`, `expect*`, `_test_*`, a validator such as
    `validate_*` or `clean()`, which raise on failure), a function or method of the same
    module that asserts (directly or through other helpers; `self.x()` may be defined in any
    class of the module, a base class of the test's), `super().test_x()`, or an inherited
    test driver not visible in the module (`self.do_test(...)`); on an empty test with a
    comment, which switches off an inherited test on purpose.
    """

    __test__ = False  # not a pytest test class, despite the name

    reports_fact_nodes = True
    meta = RuleMeta(code="RV801", name="test-without-assertion", family="testing", severity=Severity.WARNING)

    VALID = [
        Valid("def test_total():\n    assert total([1, 2]) == 3\n", path="tests/test_cart.py"),
        Valid(
            "import pytest\n\ndef test_bad_input():\n    with pytest.raises(ValueError):\n        parse('x')\n",
            path="tests/test_parse.py",
        ),
        Valid(
            "from django.test import TestCase\n\nclass OrderTests(TestCase):\n    def test_list(self):\n        resp = self.client.get('/orders/')\n        self.assertEqual(resp.status_code, 200)\n",
            path="shop/tests.py",
        ),
        Valid("import pytest\n\n@pytest.mark.skip(reason='flaky upstream')\ndef test_sync():\n    pass\n", path="tests/test_sync.py"),
        Valid("def test_mailer(mailer):\n    send(mailer)\n    mailer.send.assert_called_once()\n", path="tests/test_mail.py"),
        Valid("def test_schema(client):\n    check_schema(client.get('/openapi.json'))\n", path="tests/test_api.py"),
        Valid("def test_helper():\n    pass\n", path="app/services.py"),
        Valid(
            "class UUIDTests:\n    def _test_format(self, fmt):\n        assert fmt\n\n    def test_formats(self):\n        self._test_format('hex')\n",
            path="tests/test_fields.py",
        ),
        Valid(
            """
            class RelationTests:
                def related_error(self, exc):
                    with pytest.raises(exc):
                        self.field.to_internal_value("x")

                def test_type_error(self):
                    self.related_error(TypeError)


            def expect_ok(resp):
                assert resp.status_code == 200


            def check(resp):
                expect_ok(resp)


            def test_home(client):
                check(client.get("/"))
            """,
            path="tests/test_relations.py",
        ),
        Valid(
            """
            import pytest


            @pytest.fixture
            def test_project(client):
                return client.post("/projects/", {"title": "x"}).json()
            """,
            path="tests/sdk/test_export.py",
        ),
        Valid(
            """
            class APIBaseTest(APITestCase):
                def do_request(self, name, code=200, **kwargs):
                    response = self.client.get(reverse(name), **kwargs)
                    self.assertEqual(response.status_code, code)
                    return response


            class UserAPITest(APIBaseTest):
                def test_get_anonymous(self):
                    self.do_request("api:user-detail", code=404)
            """,
            path="weblate/api/tests.py",
        ),
        Valid(
            """
            from weblate.checks.tests.test_checks import CheckTestCase


            class MarkupCheckTest(CheckTestCase):
                def test_unicode(self):
                    self.do_test(False, ("<a>x</a>", "<a>x</a>", ""))

                def test_check_highlight(self):
                    self.test_highlight = ("xml-text", "<b>x</b>", [])
                    super().test_check_highlight()

                def test_tag_prefix(self):
                    # Tag prefixes are ignored with strict tags.
                    pass

                def test_git(self):
                    raise NotImplementedError

                def test_clone(self):
                    retcode = clone()
                    check = self.assertEqual if self.acl else self.assertNotEqual
                    check(retcode, 0)
            """,
            path="weblate/checks/tests/test_markup_checks.py",
        ),
        Valid(
            """
            def test_valid_editor():
                validate_editor("editor://open/?file={{ filename }}")


            def test_unlink_clean(component):
                component.clean()


            def test_get_class():
                \"\"\"Test that each format can properly load its store class.\"\"\"
                for format_class in FILE_FORMATS.values():
                    format_class.get_class()


            def test_report_spam_noop():
                # Should not raise any exceptions
                report_spam("text", "1.2.3.4", "Agent")
            """,
            path="app/tests/test_validators.py",
        ),
        Valid(
            """
            import click


            @click.command()
            @click.argument("uri")
            def test_db(uri):
                engine = test_sqlalchemy_dialect(uri)
                test_database_connectivity(engine)


            def test_sqlalchemy_dialect(uri) -> Engine:
                return create_engine(uri)


            def test_database_connectivity(engine) -> None:
                engine.connect()
            """,
            path="superset/cli/test_db.py",
        ),
        Valid(
            """
            async def test_project_async(live_url, client):
                ls = AsyncLabelStudio(base_url=live_url, api_key=client.api_key)
                project = await ls.projects.create(title="Export Test Project")
                return ls, project
            """,
            path="tests/sdk/test_export.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            from django.core.management import call_command


            class AutoTranslateTest(TestCase):
                def test_command(self):  # <- RV801
                    call_command("auto_translate", "test", "test", "cs")

                def test_all_fields(self):  # <- RV801
                    pass
            """,
            path="app/tests/test_commands.py",
        ),
        Invalid(
            """
            def test_checkout(client):  # <- RV801
                client.post("/checkout", json={"sku": 1})
            """,
            path="tests/test_checkout.py",
        ),
        Invalid(
            """
            import unittest

            class CartTests(unittest.TestCase):
                def setUp(self):
                    self.cart = []

                def test_empty(self):  # <- RV801
                    pass

                def test_add(self):
                    self.cart.append(1)
                    self.assertEqual(len(self.cart), 1)
            """,
            path="tests/test_cart.py",
        ),
        Invalid(
            """
            async def test_sync_job():  # <- RV801
                \"\"\"The job runs.\"\"\"
                await run_job()
            """,
            path="app/tests/test_jobs.py",
        ),
    ]

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return ctx.has_role(Role.TEST) and not ctx.has_role(Role.CONFTEST)

    def setup(self) -> None:
        self._classes: list[tuple[str, bool]] = []  # (name, skipped) of each enclosing class
        self._depth = 0  # function nesting

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        skipped = any(n.rsplit(".", 1)[-1] in _SKIP_MARKS for n in decorator_names(node))
        self._classes.append((node.name.value, skipped or bool(self._classes and self._classes[-1][1])))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1
        if self._depth > 1 or not self.ctx.has_role(Role.TEST) or self.ctx.has_role(Role.CONFTEST):
            return
        owner, skipped = self._classes[-1] if self._classes else (None, False)
        for expr in (d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator for d in node.decorators):
            name = self.ctx.qualified_name(expr) or ""
            if name.split(".")[0] in ("click", "typer") or name.endswith((".command", ".group")):
                self.fact(CliCommand())
        decorators = [n.rsplit(".", 1)[-1] for n in decorator_names(node)]
        skipped = skipped or any(n in _SKIP_MARKS for n in decorators)
        fixture = "fixture" in decorators  # `@pytest.fixture def test_user()` is not collected as a test
        statements = [s for s in body_statements(node) if not is_docstring(s)]
        empty = all(is_placeholder(s) for s in statements)
        asserts, calls = _assertions(node.body)
        # an empty test with a comment (`# not relevant for this backend`) overrides an inherited one on purpose;
        # a test whose comment or docstring says "should not raise" checks exactly that
        notes = [c.value for c in find_all(node.body, cst.Comment) if isinstance(c, cst.Comment)]
        docstring = node.get_docstring() or ""
        explained = (empty and bool(notes)) or (not empty and any(_SMOKE_NOTE.search(n) for n in (*notes, docstring)))
        is_test = (
            node.name.value.startswith("test") and not (skipped or fixture or explained) and not _returns_value(node)
        )
        self.fact(Function(owner, node.name.value, asserts, frozenset(calls), node.name, is_test, empty))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth -= 1

    def check(self, facts: Sequence[Located[object]]) -> None:
        if any(isinstance(f.value, CliCommand) for f in facts):
            return
        functions = [f.value for f in facts if isinstance(f.value, Function)]
        methods = {fn.name for fn in functions if fn.owner is not None}
        asserting: set[str] = set()  # "name" for module functions, "self.name" for methods
        changed = True
        while changed:  # helpers that call asserting helpers assert too
            changed = False
            for fn in functions:
                key = fn.name if fn.owner is None else f"self.{fn.name}"
                if key in asserting:
                    continue
                if fn.asserts or any(self._asserts(call, asserting, methods) for call in fn.calls):
                    asserting.add(key)
                    changed = True
        for located in facts:
            test = located.value
            if not isinstance(test, Function) or not test.test:
                continue
            if not test.empty and (test.name if test.owner is None else f"self.{test.name}") in asserting:
                continue
            detail = "its body is empty" if test.empty else "it passes whatever the code does, unless it raises"
            self.report(test.node, f"`{test.name}` asserts nothing: {detail}", at=located.block)

    @staticmethod
    def _asserts(call: str, asserting: set[str], methods: set[str]) -> bool:
        """Does a helper call assert? `self.x` is any method `x` of the module (a base class
        of the test may be another class here); an inherited helper defined elsewhere counts
        when its name says it runs a check (`self.do_test(...)`)."""
        if call in asserting:
            return True
        if call.startswith("self."):
            name = call[5:]
            return name not in methods and bool(_TEST_DRIVER.search(name))
        return False
