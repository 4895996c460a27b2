"""RV801 test-without-assertion.

(The module is not called test_without_assertion.py so that no test runner collects it.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

from rules.api import (
    Invalid,
    Located,
    ModuleContext,
    ModuleRule,
    Role,
    RuleMeta,
    Scope,
    Severity,
    Valid,
    body_statements,
    decorator_names,
    dotted_name,
    find_all,
    is_docstring,
)

_SKIP_MARKS = frozenset(("skip", "skipif", "xfail", "skipIf", "skipUnless", "expectedFailure"))
# helpers that assert: assert_x, check_x, verify, expect, fail, self._test_format, other tests
_ASSERTING_CALL = re.compile(r"_*(?:assert|check_|verify|expect|fail|test_)", re.IGNORECASE)
_PYTEST_ASSERTING = frozenset(("raises", "warns", "fail", "deprecated_call", "approx"))


def _assertions(body: cst.CSTNode) -> tuple[bool, set[str]]:
    """Does a body assert, and which helpers (`self.x()`, `x()`) does it call?"""
    calls: set[str] = set()
    for node in find_all(body, (cst.Assert, cst.Call)):
        if isinstance(node, cst.Assert):
            return True, calls
        assert isinstance(node, cst.Call)
        name = dotted_name(node.func) or ""
        last = name.rsplit(".", 1)[-1]
        if _ASSERTING_CALL.match(last) or (name.startswith("pytest.") and last in _PYTEST_ASSERTING):
            return True, calls
        if name.count(".") == 0 or (name.startswith("self.") and name.count(".") == 1):
            calls.add(name)
    return False, calls


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

    Quiet on tests marked skip/xfail and on tests that call an assertion helper: one named
    like one (`assert_*`, `check_*`, `verify*`, `expect*`, `_test_*`), or a function or method
    of the same module or class that asserts (directly or through other helpers).
    """

    __test__ = False  # not a pytest test class, despite the name

    meta = RuleMeta(code="RV801", name="test-without-assertion", family="testing", severity=Severity.WARNING, scope=Scope.MODULE)

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
    ]
    INVALID = [
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

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
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
        skipped = skipped or any(n.rsplit(".", 1)[-1] in _SKIP_MARKS for n in decorator_names(node))
        statements = [s for s in body_statements(node) if not is_docstring(s)]
        empty = all(m.matches(s, m.Pass() | m.Expr(m.Ellipsis())) for s in statements)
        asserts, calls = _assertions(node.body)
        is_test = node.name.value.startswith("test") and not skipped
        self.fact(Function(owner, node.name.value, asserts, frozenset(calls), node.name, is_test, empty))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth -= 1

    def check(self, facts: Sequence[Located[object]]) -> None:
        functions = [f for f in facts if isinstance(f.value, Function)]
        asserting: set[tuple[str | None, str]] = set()
        changed = True
        while changed:  # helpers that call asserting helpers assert too
            changed = False
            for located in functions:
                fn = located.value
                assert isinstance(fn, Function)
                key = (fn.owner, fn.name)
                if key in asserting:
                    continue
                if fn.asserts or any(self._resolve(call, fn.owner) in asserting for call in fn.calls):
                    asserting.add(key)
                    changed = True
        for located in functions:
            fn = located.value
            assert isinstance(fn, Function)
            if not fn.test or (not fn.empty and (fn.owner, fn.name) in asserting):
                continue
            detail = "its body is empty" if fn.empty else "it passes whatever the code does"
            self.report(fn.node, f"`{fn.name}` asserts nothing: {detail}", at=located.block)

    @staticmethod
    def _resolve(call: str, owner: str | None) -> tuple[str | None, str]:
        if call.startswith("self."):
            return owner, call[5:]
        return None, call
