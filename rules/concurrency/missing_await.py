"""RV701 missing-await."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import (
    BlockSummary,
    FixBuilder,
    Invalid,
    Located,
    ModuleRule,
    ModuleSummary,
    RuleMeta,
    Safety,
    Severity,
    Valid,
    dotted_name,
)


@dataclass(frozen=True, slots=True)
class Definition:
    """A function or method of this module: key "name" or "Class.name"."""

    key: str
    is_async: bool


@dataclass(frozen=True, slots=True)
class Attribute:
    """`self.<attr>` holds an instance of `type_name` inside class `owner`."""

    owner: str
    attr: str
    type_name: str


@dataclass(frozen=True, slots=True)
class CallSite:
    """A call statement whose result is dropped, with how to resolve its callee."""

    node: cst.Call
    text: str
    kind: str  # "func" | "self" | "self-attr" | "dotted"
    parts: tuple[str, ...]
    owner: str | None  # enclosing class
    in_async: bool

# `self.x = ...` (not `==`): where the attribute types a `self.x.method()` call resolves through come from
_SELF_ASSIGNED = re.compile(r"\bself\.\w+\s*=(?!=)")


class MissingAwait(ModuleRule):
    """
    ## What it does
    Finds calls to `async def` functions and methods of this module whose coroutine is
    dropped: neither awaited, returned, gathered nor scheduled. Resolves plain calls,
    `self.method()`, `self.repo.method()` when the attribute's class is in the module,
    module-level instances and `Class.method()`.

    ## Why is this bad?
    Calling a coroutine function only creates the coroutine: the body never runs. The
    email is not sent, the row is not written, and the only trace is a "coroutine was
    never awaited" warning in a log nobody reads.

    ## Example
    ```python
    async def create_order(self, data):
        order = await self.repo.insert(data)
        self.notify(order)  # async def notify: never runs
        return order
    ```
    Use instead:
    ```python
        await self.notify(order)
    ```

    ## Fix
    Inserts `await` before the call. Safe inside `async def`: it runs the code the author
    meant to run, in order. In a sync function no fix is offered (it needs `asyncio.run` or
    a task, a design decision).

    Quiet on `asyncio.create_task(...)`, `gather(...)`, returning the coroutine, and any
    other use of the call's value.
    """

    meta = RuleMeta(
        code="RV701", name="missing-await", family="concurrency", severity=Severity.ERROR, fix=Safety.SAFE
    )

    VALID = [
        Valid("import asyncio\n\nasync def job():\n    return 1\n\nasync def main():\n    await job()\n    asyncio.create_task(job())\n    return job()\n"),
        Valid("async def job():\n    return 1\n\nasync def main():\n    results = await asyncio.gather(job(), job())\n    return results\n"),
        Valid("def job():\n    return 1\n\nasync def main():\n    job()\n"),
        Valid("class A:\n    async def save(self):\n        pass\n\nclass B:\n    def save(self):\n        pass\n\n    def run(self):\n        self.save()\n"),
    ]
    INVALID = [
        Invalid(
            """
            class Notifier:
                async def send(self, order):
                    return order


            class OrderService:
                def __init__(self, notifier: Notifier):
                    self.notifier = notifier

                async def notify(self, order):
                    return order

                async def create(self, order):
                    self.notify(order)  # <- RV701
                    self.notifier.send(order)  # <- RV701
                    return order
            """,
            fixed="""
            class Notifier:
                async def send(self, order):
                    return order


            class OrderService:
                def __init__(self, notifier: Notifier):
                    self.notifier = notifier

                async def notify(self, order):
                    return order

                async def create(self, order):
                    await self.notify(order)
                    await self.notifier.send(order)
                    return order
            """,
        ),
        Invalid(
            """
            async def audit(event):
                return event


            class Repo:
                async def insert(self, row):
                    return row


            repo = Repo()


            def handler(event):
                audit(event)  # <- RV701


            async def store(row):
                repo.insert(row)  # <- RV701
                Repo.insert(None, row)  # <- RV701
            """,
            fixed="""
            async def audit(event):
                return event


            class Repo:
                async def insert(self, row):
                    return row


            repo = Repo()


            def handler(event):
                audit(event)


            async def store(row):
                await repo.insert(row)
                await Repo.insert(None, row)
            """,
        ),
    ]

    @classmethod
    def module_key(cls, module: ModuleSummary) -> object:
        return frozenset(module.async_defined)

    @classmethod
    def wants(cls, block: BlockSummary, module: ModuleSummary) -> bool:
        """A finding needs a coroutine defined here; what resolves a call to it is in the blocks
        that define one, call something of that name, or assign `self.x` (attribute types)."""
        coroutines = module.async_defined
        if not coroutines:
            return False
        if block.async_defined or not coroutines.isdisjoint(block.words):
            return True
        return "self" in block.words and block.matches(_SELF_ASSIGNED)

    def setup(self) -> None:
        self._classes: list[str] = []
        self._functions: list[cst.FunctionDef] = []
        self._dropped: set[int] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._functions:
            owner = self._classes[-1] if self._classes else None
            key = f"{owner}.{node.name.value}" if owner else node.name.value
            if len(self._classes) <= 1:
                self.fact(Definition(key, node.asynchronous is not None))
        self._functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        """`self.x = Class(...)`, or `self.x = param` with `param: Class`, inside a class."""
        if not self._classes or not self._functions:
            return
        type_name: str | None = None
        if isinstance(node.value, cst.Call):
            type_name = dotted_name(node.value.func)
        elif isinstance(node.value, cst.Name):
            for param in self._functions[-1].params.params:
                if param.name.value == node.value.value and param.annotation is not None:
                    type_name = dotted_name(param.annotation.annotation)
        if type_name is None:
            return
        for target in node.targets:
            name = dotted_name(target.target)
            if name and name.startswith("self.") and name.count(".") == 1:
                self.fact(Attribute(self._classes[-1], name[5:], type_name))

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call):
            self._dropped.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if id(node) not in self._dropped or not self._functions:
            return
        name = dotted_name(node.func)
        if name is None:
            return
        parts = tuple(name.split("."))
        if len(parts) == 1:
            kind = "func"
        elif parts[0] == "self" and len(parts) == 2:
            kind = "self"
        elif parts[0] == "self" and len(parts) == 3:
            kind = "self-attr"
        elif len(parts) == 2:
            kind = "dotted"
        else:
            return
        owner = self._classes[-1] if self._classes else None
        self.fact(CallSite(node, name, kind, parts, owner, self._functions[-1].asynchronous is not None))

    def async_keys(self, facts: Sequence[Located[object]]) -> set[str]:
        """Keys of the coroutine functions known here; a project index can add its own."""
        return {f.value.key for f in facts if isinstance(f.value, Definition) and f.value.is_async}

    def _resolve(self, site: CallSite, attributes: dict[tuple[str, str], str], classes: set[str]) -> str | None:
        if site.kind == "func":
            return site.parts[0]
        if site.kind == "self":
            return f"{site.owner}.{site.parts[1]}" if site.owner else None
        if site.kind == "self-attr":
            type_name = attributes.get((site.owner or "", site.parts[1]))
            return f"{type_name}.{site.parts[2]}" if type_name else None
        head, method = site.parts
        if head in classes:
            return f"{head}.{method}"
        instance_of = self.ctx.module_calls.get(head)
        if instance_of in classes:
            return f"{instance_of}.{method}"
        return None

    def check(self, facts: Sequence[Located[object]]) -> None:
        coroutines = self.async_keys(facts)
        if not coroutines:
            return
        attributes = {(f.value.owner, f.value.attr): f.value.type_name for f in facts if isinstance(f.value, Attribute)}
        classes = {f.value.key.split(".")[0] for f in facts if isinstance(f.value, Definition) and "." in f.value.key}
        for located in facts:
            site = located.value
            if not isinstance(site, CallSite):
                continue
            key = self._resolve(site, attributes, classes)
            if key not in coroutines:
                continue
            fix = None
            if site.in_async:
                target: cst.Call = site.node

                def build(builder: FixBuilder, call: cst.Call = target) -> None:
                    builder.replace(call, cst.Await(call))

                fix = self.fix("Insert `await`", build)
                message = f"`{site.text}()` is a coroutine that is never awaited: its body never runs"
            else:
                message = (
                    f"`{site.text}()` is a coroutine that is never awaited: its body never runs "
                    "(in a sync function: use `asyncio.run` or schedule a task)"
                )
            self.report(site.node.func, message, fix=fix, at=located.block)
