"""RV801 test-without-assertion.

(The module is not called test_without_assertion.py so that no test runner collects it.)
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from rules.api import (
    FileRule,
    Invalid,
    Role,
    RuleMeta,
    Scope,
    Severity,
    Valid,
    body_statements,
    decorator_names,
    dotted_name,
    is_docstring,
)

_SKIP_MARKS = frozenset(("skip", "skipif", "xfail", "skipIf", "skipUnless", "expectedFailure"))
# helpers that assert: assert_x, check_x, verify, expect, fail, self._test_format, other tests
_ASSERTING_CALL = re.compile(r"_*(?:assert|check_|verify|expect|fail|test_)", re.IGNORECASE)
_PYTEST_ASSERTING = frozenset(("raises", "warns", "fail", "deprecated_call", "approx"))


class _AssertionFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Assert(self, node: cst.Assert) -> bool:
        self.found = True
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        name = dotted_name(node.func) or ""
        last = name.rsplit(".", 1)[-1]
        if _ASSERTING_CALL.match(last) or (name.startswith("pytest.") and last in _PYTEST_ASSERTING):
            self.found = True
            return False
        return not self.found


def _has_assertion(node: cst.FunctionDef) -> bool:
    finder = _AssertionFinder()
    node.body.visit(finder)
    return finder.found


class TestWithoutAssertion(FileRule):
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

    Quiet on tests marked skip/xfail and on tests that call an assertion helper.
    """

    __test__ = False  # not a pytest test class, despite the name

    meta = RuleMeta(code="RV801", name="test-without-assertion", family="testing", severity=Severity.WARNING, scope=Scope.FILE)

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

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._classes: list[bool] = []  # is each enclosing class skipped?
        self._depth = 0  # function nesting

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        skipped = any(n.rsplit(".", 1)[-1] in _SKIP_MARKS for n in decorator_names(node))
        self._classes.append(skipped or bool(self._classes and self._classes[-1]))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1
        if self._depth > 1 or not self.ctx.has_role(Role.TEST) or self.ctx.has_role(Role.CONFTEST):
            return
        if not node.name.value.startswith("test"):
            return
        if self._classes and self._classes[-1]:
            return
        if any(n.rsplit(".", 1)[-1] in _SKIP_MARKS for n in decorator_names(node)):
            return
        statements = [s for s in body_statements(node) if not is_docstring(s)]
        only_pass = all(m.matches(s, m.Pass() | m.Expr(m.Ellipsis())) for s in statements)
        if not only_pass and _has_assertion(node):
            return
        detail = "its body is empty" if only_pass else "it passes whatever the code does"
        self.report(node.name, f"`{node.name.value}` asserts nothing: {detail}")

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth -= 1
