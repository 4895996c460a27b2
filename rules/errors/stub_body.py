"""RV204 stub-body."""

from __future__ import annotations

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

_INTENDED = frozenset(("abstractmethod", "abstractproperty", "overload", "abstractclassmethod", "abstractstaticmethod"))
_ABSTRACT_BASES = frozenset(("ABC", "Protocol", "ABCMeta"))
_HOOK_CLASS_PREFIXES = ("Base", "Abstract")
_HOOK_CLASS_SUFFIXES = ("Mixin", "Interface", "Protocol", "Base", "ABC")


def _is_stub(node: cst.FunctionDef) -> bool:
    statements = body_statements(node)
    rest = [s for s in statements if not is_docstring(s)]
    return all(m.matches(s, m.Pass() | m.Expr(m.Ellipsis())) for s in rest)


class StubBody(FileRule):
    """
    ## What it does
    Finds functions and methods whose body is only `pass`, `...` or a docstring, in service,
    repository and view code.

    ## Why is this bad?
    They look implemented: callers get `None`, no error is raised, and the feature silently
    does nothing. Reviewers find them after a scaffold or a merge, when the real body was
    never written.

    ## Example
    ```python
    class PaymentService:
        def refund(self, payment):
            pass
    ```
    Use instead: implement it, or make the gap loud:
    ```python
    class PaymentService:
        def refund(self, payment):
            raise NotImplementedError("refunds are not supported yet")
    ```

    ## Fix
    None: the body has to be written by a person.

    Quiet on `@abstractmethod`, `@overload`, `Protocol`/`ABC` members, base/mixin classes
    (`Base*`, `*Mixin`) meant to be overridden, `raise NotImplementedError`, `.pyi` stubs and
    tests.
    """

    meta = RuleMeta(code="RV204", name="stub-body", family="errors", severity=Severity.WARNING, scope=Scope.FILE)

    VALID = [
        Valid(
            """
            from abc import ABC, abstractmethod

            class Repository(ABC):
                @abstractmethod
                def get(self, pk): ...

                def close(self):
                    pass
            """
        ),
        Valid(
            """
            from typing import Protocol

            class Notifier(Protocol):
                def send(self, msg: str) -> None: ...
            """
        ),
        Valid("def refund(payment):\n    raise NotImplementedError('refunds are not supported yet')\n"),
        Valid("class BaseHandler:\n    def on_success(self, result):\n        pass\n"),
        Valid("def test_placeholder():\n    pass\n", path="tests/test_cart.py"),
        Valid("def f(x: int) -> int: ...\n", path="app/services.pyi"),
        Valid("class OrderError(Exception):\n    pass\n"),
    ]
    INVALID = [
        Invalid(
            """
            class PaymentService:
                def charge(self, payment):
                    return payment.capture()

                def refund(self, payment):  # <- RV204
                    pass
            """
        ),
        Invalid(
            """
            def send_invoice(order):  # <- RV204
                \"\"\"Email the invoice to the customer.\"\"\"


            async def sync_inventory():  # <- RV204
                ...
            """
        ),
        Invalid("def handler(request): pass  # <- RV204\n", path="shop/views.py"),
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._classes: list[bool] = []  # is each enclosing class meant to be overridden?

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        name = node.name.value
        bases = {(dotted_name(arg.value) or "").rsplit(".", 1)[-1] for arg in node.bases}
        keywords = {(dotted_name(arg.value) or "").rsplit(".", 1)[-1] for arg in node.keywords}
        abstract = bool((bases | keywords) & _ABSTRACT_BASES) or name.startswith(_HOOK_CLASS_PREFIXES) or name.endswith(
            _HOOK_CLASS_SUFFIXES
        )
        self._classes.append(abstract)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.ctx.has_role(Role.TEST) or self.ctx.path.endswith(".pyi"):
            return
        if self._classes and self._classes[-1]:
            return
        if any(name.rsplit(".", 1)[-1] in _INTENDED for name in decorator_names(node)):
            return
        if not _is_stub(node):
            return
        self.report(node.name, f"`{node.name.value}` has an empty body: callers get `None` and no error")
