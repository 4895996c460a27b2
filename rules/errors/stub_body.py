"""RV204 stub-body."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import (
    Invalid,
    Located,
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
from rules.api.helpers import is_placeholder, string_value

_INTENDED = frozenset(("abstractmethod", "abstractproperty", "overload", "abstractclassmethod", "abstractstaticmethod"))
_ABSTRACT_BASES = frozenset(("ABC", "Protocol", "ABCMeta"))
# bases that say nothing about inherited methods: a method of such a class overrides nothing
_PLAIN_BASES = frozenset(("object", "Generic"))
_HOOK_CLASS_PREFIXES = ("Base", "Abstract")
_HOOK_CLASS_SUFFIXES = ("Mixin", "Interface", "Protocol", "Base", "ABC")
# classes and functions whose job is to do nothing: null objects, test doubles, no-op callbacks
_DO_NOTHING = re.compile(r"(?:^|_)(?:noop|no_op|nop|null|dummy|fake|stub|mock|do_nothing|ignore)(?:_|$)", re.I)
_DO_NOTHING_CLASS = re.compile(r"(?:Noop|NoOp|Nop|Null|Dummy|Fake|Stub|Mock|Silent|Disabled|Void)(?=[A-Z_0-9]|$)")
# route decorators do not make an empty body deliberate: the endpoint answers `null`
_ROUTE_VERBS = frozenset(("get", "post", "put", "patch", "delete", "route", "api_route", "websocket"))
# a docstring written for whoever overrides the method, not for its callers
_HOOK_DOC = re.compile(
    r"\b(?:override|overridden|subclass|hook|called (?:when|after|before|by|for|on|once)|can be used|implement"
    r"|no-?op|nothing|not needed|no \w+ (?:is )?needed|intentional|deliberate|on purpose|ignored?)",
    re.I,
)
# tool directives, and notes that the work is still to do, do not explain an empty body
_NOT_AN_EXPLANATION = re.compile(r"#\s*(?:noqa|pragma|type:|reviewls:|pylint:|nosec|fmt:|todo|fixme|xxx)", re.I)


def _is_stub(node: cst.FunctionDef) -> bool:
    statements = body_statements(node)
    rest = [s for s in statements if not is_docstring(s)]
    return all(is_placeholder(s) for s in rest)


def _docstring(node: cst.FunctionDef) -> str:
    statements = body_statements(node)
    if statements and isinstance(statements[0], cst.Expr) and is_docstring(statements[0]):
        value = statements[0].value
        if isinstance(value, cst.SimpleString):
            return string_value(value) or ""
    return ""


def _explained(node: cst.FunctionDef) -> bool:
    """A comment in the body says why it is empty (`pass  # skip model-level clean`)."""
    comments = find_all(node.body, cst.Comment)
    return any(isinstance(c, cst.Comment) and not _NOT_AN_EXPLANATION.match(c.value) for c in comments)


def _raises_not_implemented(node: cst.FunctionDef) -> bool:
    for raised in find_all(node.body, cst.Raise):
        assert isinstance(raised, cst.Raise)
        exc = raised.exc.func if isinstance(raised.exc, cst.Call) else raised.exc
        if exc is not None and (dotted_name(exc) or "").endswith("NotImplementedError"):
            return True
    return False


@dataclass(frozen=True, slots=True)
class ClassBases:
    """A class of the module and the last names of its bases."""

    name: str
    bases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BaseClassMarker:
    """A method of `owner` raises `NotImplementedError` or is abstract: `owner` is a base class."""

    owner: str


@dataclass(frozen=True, slots=True)
class MethodSeen:
    """A method directly in class `owner`, and whether its body is empty."""

    owner: str
    empty: bool


@dataclass(frozen=True, slots=True)
class StubMethod:
    """An empty function; `owner` is the enclosing class, if any."""

    node: cst.FunctionDef
    owner: str | None


class StubBody(ModuleRule):
    """
    ## What it does
    Finds functions and methods whose body is only `pass`, `...` or a docstring, in service,
    repository and view code, when nothing says the emptiness is meant.

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

    Quiet where an empty body is a decision: methods of a class with a base class (they
    override an inherited method to do nothing: a form's `_post_clean`, a command's
    `handle`); methods of a class that the module subclasses or whose other methods raise
    `NotImplementedError` (default hooks of a base class); classes whose every method is
    empty (an interface or a null object); `@abstractmethod`, `@overload`,
    `Protocol`/`ABC` members, `Base*`/`*Mixin` classes; Null/Noop/Dummy/Fake classes and
    `noop`-named callbacks; dunder methods (`__init__`, `__exit__`); functions nested in
    functions (callbacks); decorated functions, whose decorator gives them meaning
    (`@click.group()`, `@receiver(...)`, `@x.setter`), except route decorators; bodies with
    a comment or a docstring written for overriders; Alembic `upgrade`/`downgrade`;
    `.pyi` stubs, tests and migrations.
    """

    meta = RuleMeta(code="RV204", name="stub-body", family="errors", severity=Severity.WARNING)

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
        # the reproduction of real false alarms: decorated __init__, a no-op client, click groups
        Valid(
            """
            import click


            def auto_init():
                def wrap(f):
                    return f
                return wrap


            class Label:
                @auto_init()
                def __init__(self, **_) -> None:
                    pass


            class NoopClient:
                \"\"\"A statsd client that does nothing.\"\"\"

                def close(self) -> None:
                    pass


            @click.group()
            def cli():
                pass


            @cli.group("database")
            def database():
                \"\"\"All database commands.\"\"\"
            """
        ),
        # overriding an inherited method to do nothing
        Valid(
            """
            from django import forms


            class VoucherForm(forms.ModelForm):
                def _post_clean(self):
                    pass


            class ZeroStats(BaseStats):
                def save(self, update_parents: bool = True) -> None:
                    pass
            """
        ),
        # default hooks of a base class: siblings raise NotImplementedError, or subclasses exist
        Valid(
            """
            class TransmissionType:
                def transmit(self, invoice):
                    raise NotImplementedError

                def validate_address(self, address):
                    pass


            class Exporter:
                def prepare_sheet(self, ws):
                    pass


            class CsvExporter(Exporter):
                def prepare_sheet(self, ws):
                    ws.title = "orders"
            """
        ),
        Valid(
            """
            class LogEntryType:
                def get_object_link_info(self, logentry):
                    \"\"\"Return link information for the object. Override in a subclass to show a link.\"\"\"


            class WebhookEvent:
                def __init__(self):
                    pass


            class Order:
                @property
                def tax_value(self):
                    return 0

                @tax_value.setter
                def tax_value(self, value):
                    # ignore, tax value is always computed on the fly
                    pass
            """
        ),
        Valid(
            """
            from django.dispatch import receiver


            @receiver(order_paid)
            def on_paid(sender, **kwargs):
                pass


            def report_spam(text) -> None:
                \"\"\"Report spam to an external service.\"\"\"
                # the Akismet integration has been removed


            def run(job):
                def noop(*args):
                    pass
                job.start(callback=noop)
            """
        ),
        Valid(
            """
            from typing import Protocol, TypeVar

            T = TypeVar("T")


            class LeaseStorage(Protocol[T]):
                async def read_lease(self, lease_id) -> T | None:
                    \"\"\"Read a resource lease.\"\"\"
                    ...


            class RedisRateLimiter:
                def cleanup(self) -> None:
                    \"\"\"No cleanup needed for Redis - TTL handles expiration.\"\"\"
                    pass


            def empty(*args, **kwargs):
                pass


            class CleanupQueue:
                async def enqueue(self, message) -> None:
                    \"\"\"Store the message for a worker.\"\"\"
                    ...

                async def read_wakeup_sequence(self, work_pool_id) -> int:
                    \"\"\"Return the latest wakeup sequence observed for a work pool.\"\"\"
                    ...
            """
        ),
        Valid(
            """
            from alembic import op


            def upgrade():
                op.add_column("t", sa.Column("x", sa.Integer()))


            def downgrade():
                pass
            """,
            path="migrations/versions/0001_add_x.py",
        ),
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
        Invalid(
            """
            class RefundService:
                def refund(self, order_id, amount):  # <- RV204
                    # TODO: partial refunds need the provider's v2 API
                    pass
            """
        ),
        Invalid(
            """
            from fastapi import APIRouter

            router = APIRouter()


            @router.post("/orders/{order_id}/cancel")
            async def cancel_order(order_id: int):  # <- RV204
                pass


            class OrderRepository:
                def __init__(self, session):
                    self.session = session

                def archive(self, order):  # <- RV204
                    ...
            """
        ),
    ]

    def setup(self) -> None:
        # each enclosing class: (name, does its header already explain empty methods?)
        self._classes: list[tuple[str, bool]] = []
        self._functions: list[cst.FunctionDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        name = node.name.value
        # `Protocol[T]`, `LeaseStorage[Metadata]`: the generic's own name
        bases = tuple(
            (dotted_name(arg.value.value if isinstance(arg.value, cst.Subscript) else arg.value) or "").rsplit(".", 1)[-1]
            for arg in node.bases
        )
        keywords = {(dotted_name(arg.value) or "").rsplit(".", 1)[-1] for arg in node.keywords}
        self.fact(ClassBases(name, bases))
        inherits = any(base and base not in _PLAIN_BASES for base in bases)
        intended = (
            inherits
            or bool(keywords & _ABSTRACT_BASES)
            or name.startswith(_HOOK_CLASS_PREFIXES)
            or name.endswith(_HOOK_CLASS_SUFFIXES)
            or bool(_DO_NOTHING_CLASS.search(name))
        )
        self._classes.append((name, intended))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        nested = bool(self._functions)
        self._functions.append(node)
        # a method directly in a class (not in a function inside it)
        owner = self._classes[-1][0] if self._classes and not nested else None
        if owner is not None:
            self.fact(MethodSeen(owner, _is_stub(node)))
        if owner is not None and (
            _raises_not_implemented(node) or any(n.rsplit(".", 1)[-1] in _INTENDED for n in decorator_names(node))
        ):
            self.fact(BaseClassMarker(owner))
        if nested or self._quiet(node):
            return
        self.fact(StubMethod(node, owner))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def _quiet(self, node: cst.FunctionDef) -> bool:
        """Reasons visible in the function and its class header alone."""
        if self.ctx.has_role(Role.TEST, Role.MIGRATION) or self.ctx.path.endswith(".pyi"):
            return True
        if not _is_stub(node):
            return True
        if self._classes and self._classes[-1][1]:
            return True
        name = node.name.value
        if name.startswith("__") and name.endswith("__"):
            return True
        if _DO_NOTHING.search(name):
            return True
        params = node.params
        if params.star_arg is not None and isinstance(params.star_arg, cst.Param) and params.star_kwarg is not None and not [
            p for p in params.params if p.name.value not in ("self", "cls")
        ]:
            return True  # `def empty(*args, **kwargs): pass`: made to accept anything and do nothing
        decorators = decorator_names(node)
        if node.decorators and not any(
            "." in d and d.rsplit(".", 1)[-1] in _ROUTE_VERBS for d in decorators
        ):
            return True
        if _explained(node) or _HOOK_DOC.search(_docstring(node)):
            return True
        if not self._classes and name in ("upgrade", "downgrade") and (
            "alembic" in self.ctx.frameworks or "/versions/" in "/" + self.ctx.path.replace("\\", "/")
        ):
            return True
        return False

    def check(self, facts: Sequence[Located[object]]) -> None:
        base_classes = {base for f in facts if isinstance(f.value, ClassBases) for base in f.value.bases}
        base_classes |= {f.value.owner for f in facts if isinstance(f.value, BaseClassMarker)}
        # a class whose every method is empty is an interface or a null object, not a half-done service
        methods: dict[str, list[bool]] = {}
        for f in facts:
            if isinstance(f.value, MethodSeen):
                methods.setdefault(f.value.owner, []).append(f.value.empty)
        base_classes |= {owner for owner, empties in methods.items() if len(empties) >= 2 and all(empties)}
        for located in facts:
            stub = located.value
            if not isinstance(stub, StubMethod) or (stub.owner is not None and stub.owner in base_classes):
                continue
            name = stub.node.name.value
            self.report(stub.node.name, f"`{name}` has an empty body: callers get `None` and no error", at=located.block)
