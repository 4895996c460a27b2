"""RV802 test-shared-state.

(The module is not called test_shared_state.py so that no test runner collects it.)
"""

from __future__ import annotations

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
    dotted_name,
    find_all,
)
from rules.api.helpers import string_value

# methods that run before each test (or once per class): state they set is arranged, not leaked
_SETUP = frozenset(("setUp", "setUpClass", "setUpTestData", "setup_method", "setup_class", "setup", "asyncSetUp", "__init__"))
_MUTATORS = frozenset(("append", "extend", "insert", "update", "add", "setdefault", "pop", "remove", "clear", "discard", "__setitem__"))
_MUTABLE = (cst.List, cst.Dict, cst.Set)


@dataclass(frozen=True, slots=True)
class ClassAttr:
    """A class-body attribute holding a mutable literal (`items = []`)."""

    owner: str
    name: str


@dataclass(frozen=True, slots=True)
class Arranged:
    """An attribute a setUp-like method or fixture (re)binds for each test."""

    owner: str
    name: str


@dataclass(frozen=True, slots=True)
class Write:
    """State a test writes that outlives it: `global x`, `Class.x = ...`, `self.items.append(...)`."""

    owner: str | None
    name: str
    node: cst.CSTNode
    kind: str  # "global" | "class" | "mutate"
    test: str


@dataclass(frozen=True, slots=True)
class Reads:
    """What a test reads: module names, and `self.x`/`Class.x` attributes of its class."""

    owner: str | None
    test: str
    names: frozenset[str]
    attributes: frozenset[str]
    writes: frozenset[str]  # names it binds itself (then it does not depend on another test)


def _is_test(name: str) -> bool:
    return name.startswith("test")


def _own(body: cst.CSTNode, kinds: tuple[type[cst.CSTNode], ...]) -> list[cst.CSTNode]:
    """Nodes of `kinds` in a function body, not inside nested functions, classes or lambdas."""
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = list(reversed(body.children))
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, kinds):
            found.append(node)
        stack.extend(reversed(node.children))
    return found


def _bound_names(body: cst.CSTNode) -> set[str]:
    """Names a function body binds locally: assignments, loop and `with` targets, imports, nested defs."""
    names: set[str] = set()
    for node in find_all(body, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.AsName, cst.FunctionDef, cst.ClassDef)):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            names.add(node.name.value)
            continue
        if isinstance(node, cst.AsName):
            target: cst.CSTNode = node.name
        elif isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor)):
            target = node.target
        else:
            continue
        names.update(n.value for n in find_all(target, cst.Name) if isinstance(n, cst.Name))
    return names


def _restored(body: cst.CSTNode) -> set[str]:
    """Attributes put back after each test: `self.addCleanup(setattr, self.__class__, "name", ...)`."""
    names: set[str] = set()
    for call in find_all(body, cst.Call):
        assert isinstance(call, cst.Call)
        if (dotted_name(call.func) or "").endswith("addCleanup") and len(call.args) >= 3:
            if dotted_name(call.args[0].value) == "setattr" and isinstance(call.args[2].value, cst.SimpleString):
                value = string_value(call.args[2].value)
                if value is not None:
                    names.add(value)
    return names


class SharedTestState(ModuleRule):
    """
    ## What it does
    Finds tests that leave state behind for the tests after them: a `global` assigned in a
    test, a class attribute set from a test (`type(self).token = ...`, `MyTests.token = ...`),
    or a mutable class attribute (`items = []` in the class body) mutated by a test.

    ## Why is this bad?
    The tests pass in file order and fail when run alone, in parallel (`pytest -n`), in
    random order or after a rename. Each failure looks like a flaky test, and the real
    cause, a test relying on what an earlier one left behind, takes hours to find.

    ## Example
    ```python
    class TestCart:
        items = []

        def test_add(self):
            self.items.append("apple")

        def test_count(self):
            assert len(self.items) == 1  # only after test_add
    ```
    Use instead: build the state in a fixture or `setUp`, for every test.

    ## Fix
    None: the state has to move into a fixture or setUp, which changes what each test sees.

    Quiet on fixtures, `setUp`/`setUpClass`/`setUpTestData`/`setup_method`, attributes that
    `setUp` re-creates for each test, and module state read (not written) by tests.
    """

    meta = RuleMeta(code="RV802", name="test-shared-state", family="testing", severity=Severity.WARNING)

    VALID = [
        Valid(
            "import pytest\n\n\nclass TestCart:\n    items = []\n\n    def setup_method(self):\n        self.items = []\n\n"
            "    def test_add(self):\n        self.items.append('apple')\n        assert self.items == ['apple']\n",
            path="tests/test_cart.py",
        ),
        Valid(
            "import unittest\n\n\nclass ApiTests(unittest.TestCase):\n    @classmethod\n    def setUpClass(cls):\n        cls.token = 'x'\n\n"
            "    def test_token(self):\n        assert self.token\n",
            path="tests/test_api.py",
        ),
        Valid(
            "import unittest\n\n\nclass AliasTests(unittest.TestCase):\n    def setUp(self):\n"
            "        self.addCleanup(setattr, self.__class__, 'databases', self.databases)\n\n    def test_match(self):\n"
            "        self.__class__.databases = {'other'}\n        self.assertTrue(self.databases)\n\n    def test_nested(self):\n"
            "        class Meta(type):\n            def __init__(cls, *args):\n                cls.horns = 1\n        self.assertTrue(Meta)\n",
            path="tests/test_alias.py",
        ),
        Valid("COUNTER = 0\n\n\ndef bump():\n    global COUNTER\n    COUNTER += 1\n", path="app/counter.py"),
        Valid(
            "import pytest\n\nCACHE = {}\n\n\n@pytest.fixture\ndef cache():\n    global CACHE\n    CACHE = {}\n    return CACHE\n\n\n"
            "def test_cache(cache):\n    assert CACHE == {}\n",
            path="tests/test_cache.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            TOKEN = None


            def test_login(client):
                global TOKEN
                TOKEN = client.post("/login").json()["token"]  # <- RV802
                assert TOKEN


            def test_profile(client):
                assert client.get("/me", headers={"Authorization": TOKEN}).ok
            """,
            path="tests/test_auth.py",
        ),
        Invalid(
            """
            import unittest


            class CartTests(unittest.TestCase):
                items = []

                def test_add(self):
                    self.items.append("apple")  # <- RV802
                    type(self).order_id = 7  # <- RV802
                    CartTests.total = 10  # <- RV802
                    self.assertEqual(len(self.items), 1)

                def test_order(self):
                    self.assertTrue(self.items)
                    self.assertEqual(CartTests.total, self.order_id + 3)
            """,
            path="tests/test_cart.py",
        ),
    ]

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        return ctx.has_role(Role.TEST)

    def setup(self) -> None:
        self._classes: list[cst.ClassDef] = []
        self._functions: list[cst.FunctionDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if len(self._classes) != 1 or self._functions:
            return
        for small in node.body:
            if isinstance(small, cst.Assign) and isinstance(small.value, _MUTABLE):
                for target in small.targets:
                    if isinstance(target.target, cst.Name):
                        self.fact(ClassAttr(self._classes[0].name.value, target.target.value))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        if len(self._functions) != 1 or len(self._classes) > 1:
            return
        owner = self._classes[0].name.value if self._classes else None
        name = node.name.value
        fixture = any("fixture" in (dotted_name(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) or "") for d in node.decorators)
        if name in _SETUP or fixture:
            if owner is not None:
                for attr in self._self_assignments(node) | _restored(node.body):
                    self.fact(Arranged(owner, attr))
            return
        if not _is_test(name):
            return
        self._globals(node, owner)
        if owner is not None:
            self._class_writes(node, owner)
        self._reads(node, owner)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def _reads(self, node: cst.FunctionDef, owner: str | None) -> None:
        found = _own(node.body, (cst.Name, cst.Attribute, cst.Arg))
        not_reads = {id(n.attr) for n in found if isinstance(n, cst.Attribute)} | {id(n.keyword) for n in found if isinstance(n, cst.Arg)}
        names = {n.value for n in found if isinstance(n, cst.Name) and id(n) not in not_reads}
        attributes: set[str] = set()
        for attr in found:
            if not isinstance(attr, cst.Attribute):
                continue
            receiver = cst.Module([]).code_for_node(attr.value)
            if receiver in ("self", owner, "type(self)", "self.__class__"):
                attributes.add(attr.attr.value)
        writes = {p.name.value for p in node.params.params} | _bound_names(node.body)
        self.fact(Reads(owner, node.name.value, frozenset(names), frozenset(attributes), frozenset(writes)))

    def _self_assignments(self, node: cst.FunctionDef) -> set[str]:
        names: set[str] = set()
        for target in _own(node.body, (cst.AssignTarget,)):
            assert isinstance(target, cst.AssignTarget)
            name = dotted_name(target.target) or ""
            head, _, attr = name.partition(".")
            if head in ("self", "cls") and attr and "." not in attr:
                names.add(attr)
        return names

    def _globals(self, node: cst.FunctionDef, owner: str | None) -> None:
        declared = {n.name.value for g in find_all(node.body, cst.Global) if isinstance(g, cst.Global) for n in g.names}
        if not declared:
            return
        for target in _own(node.body, (cst.AssignTarget, cst.AugAssign)):
            expr = target.target if isinstance(target, (cst.AssignTarget, cst.AugAssign)) else None
            if isinstance(expr, cst.Name) and expr.value in declared:
                self.fact(Write(owner, expr.value, target, "global", node.name.value))

    def _class_writes(self, node: cst.FunctionDef, owner: str) -> None:
        restored = _restored(node.body)
        for target in _own(node.body, (cst.AssignTarget, cst.AugAssign)):
            assert isinstance(target, (cst.AssignTarget, cst.AugAssign))
            expr = target.target
            if not isinstance(expr, cst.Attribute) or expr.attr.value in restored:
                continue
            receiver = cst.Module([]).code_for_node(expr.value)
            if receiver in (owner, "type(self)", "self.__class__"):
                self.fact(Write(owner, expr.attr.value, target, "class", node.name.value))
        for call in _own(node.body, (cst.Call,)):
            assert isinstance(call, cst.Call)
            name = dotted_name(call.func) or ""
            parts = name.split(".")
            if len(parts) == 3 and parts[0] == "self" and parts[2] in _MUTATORS:
                self.fact(Write(owner, parts[1], call, "mutate", node.name.value))

    def check(self, facts: Sequence[Located[object]]) -> None:
        mutable = {(f.value.owner, f.value.name) for f in facts if isinstance(f.value, ClassAttr)}
        arranged = {(f.value.owner, f.value.name) for f in facts if isinstance(f.value, Arranged)}
        reads = [f.value for f in facts if isinstance(f.value, Reads)]
        reported: set[tuple[str, str]] = set()
        for located in facts:
            write = located.value
            if not isinstance(write, Write) or (write.test, write.name) in reported:
                continue
            # order-dependent only when another test uses the state without setting it itself
            if write.kind == "global":
                readers = [r for r in reads if r.test != write.test and write.name in r.names and write.name not in r.writes]
            else:
                readers = [r for r in reads if r.owner == write.owner and r.test != write.test and write.name in r.attributes]
            if not readers:
                continue
            if write.kind == "global":
                message = f"`{write.test}` sets the module global `{write.name}`: tests after it depend on it having run first"
            elif write.kind == "class" and (write.owner, write.name) not in arranged:
                message = f"`{write.test}` sets the class attribute `{write.name}`: later tests of the class see it, in run order"
            elif (write.owner, write.name) in mutable and (write.owner, write.name) not in arranged:
                message = f"`{write.test}` mutates the class attribute `{write.name}`, shared by every test of the class"
            else:
                continue
            reported.add((write.test, write.name))
            self.report(write.node, f"{message} (`{readers[0].test}` reads it)", at=located.block)
