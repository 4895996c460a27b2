"""RV701 missing-await."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

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
from rules.api.asyncapis import (
    ASYNC_FUNCTIONS,
    AWAITED_RESULTS,
    CALLED_INSTANCES,
    WITH_SELF,
    is_async_class,
    is_coroutine,
    method_names,
    must_await,
    result_of_call,
)
from rules.api.project import SYMBOLS, ProjectRule, ProjectView, RelatedPlace, SourceFile
from rules.api.symbols import Definition as SymbolDefinition
from rules.api.symbols import Symbols, annotation_name, dotted, qualified
from rules.api.types import Fix, Span, TextEdit


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
    Finds calls to `async def` functions and methods whose coroutine is dropped: neither
    awaited, returned, gathered nor scheduled. While typing it resolves, within the module,
    plain calls, `self.method()`, `self.repo.method()` when the attribute's class is in the
    module, module-level instances and `Class.method()`. On save it follows the project's
    imports to coroutines of other modules (`users.deactivate(user)` after
    `from app.repos import users`, `self.repo.save()` where `repo: UserRepo` comes from another
    module, `Users.get(...)` on a module-level instance, inherited methods) and knows the
    well-known async APIs of asyncio, SQLAlchemy's `AsyncSession`, httpx's `AsyncClient`,
    aiohttp, asyncpg, redis.asyncio and PyMongo/motor on receivers typed by an annotation
    (`db: AsyncSession = Depends(get_db)`, `Annotated` aliases), a constructor or
    `async with ... as`.

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
    other use of the call's value; on receivers it cannot type (an unannotated parameter), on
    `async def`s behind a decorator that may wrap them, on async generators, and on library
    calls whose work runs anyway (`asyncio.gather`, motor's `insert_one`, which already runs on
    a thread pool).
    """

    meta = RuleMeta(
        code="RV701", name="missing-await", family="concurrency", severity=Severity.ERROR, fix=Safety.SAFE
    )

    VALID = [
        Valid("import asyncio\n\nasync def job():\n    return 1\n\nasync def main():\n    await job()\n    asyncio.create_task(job())\n    return job()\n"),
        Valid("async def job():\n    return 1\n\nasync def main():\n    results = await asyncio.gather(job(), job())\n    return results\n"),
        Valid("def job():\n    return 1\n\nasync def main():\n    job()\n"),
        Valid("class A:\n    async def save(self):\n        pass\n\nclass B:\n    def save(self):\n        pass\n\n    def run(self):\n        self.save()\n"),
        Valid(
            """
            import asyncio

            from app.repos import users


            async def offboard(user):
                await users.deactivate(user)
                asyncio.create_task(users.deactivate(user))
                await asyncio.gather(users.deactivate(user), users.deactivate(user))
                return users.deactivate(user)
            """,
            files={"app/repos/users.py": "async def deactivate(user):\n    return user\n"},
        ),
        # a sync function of the same name in another module, an unresolvable name, an untyped receiver
        Valid(
            """
            from app.repos import users
            from vendor.sdk import client


            async def offboard(user, repo):
                users.deactivate(user)
                client.deactivate(user)
                repo.deactivate(user)
            """,
            files={
                "app/repos/users.py": "def deactivate(user):\n    return user\n",
                "app/legacy/users.py": "async def deactivate(user):\n    return user\n",
            },
        ),
        # a method of an unrelated class with the same name; a sync method of AsyncSession; aiohttp's context manager
        Valid(
            """
            import aiohttp
            from sqlalchemy.ext.asyncio import AsyncSession

            from app.cache import Cache


            async def load(key, cache: Cache, db: AsyncSession, session: aiohttp.ClientSession):
                cache.get(key)
                db.add(key)
                async with session.get(key) as response:
                    return await response.json()
            """,
            files={
                "app/cache.py": "class Cache:\n    def get(self, key):\n        return key\n",
                "app/repos.py": "class Repo:\n    async def get(self, key):\n        return key\n",
            },
        ),
        # a decorator that may wrap the coroutine, an async generator, motor's already running writes, a rebound name
        Valid(
            """
            import httpx
            from motor.motor_asyncio import AsyncIOMotorCollection

            from app.jobs import stream_rows, sync_report


            async def run(orders: AsyncIOMotorCollection, other):
                sync_report()
                stream_rows()
                orders.insert_one({"id": 1})
                client = httpx.AsyncClient()
                client = other
                client.get("/")
            """,
            files={
                "app/jobs.py": (
                    "from asgiref.sync import async_to_sync\n\n\n@async_to_sync\nasync def sync_report():\n    return 1\n\n\n"
                    "async def stream_rows():\n    yield 1\n"
                ),
            },
        ),
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
        Invalid(
            """
            from app.repos import users


            async def offboard(user):
                users.deactivate(user)  # <- RV701


            def offboard_later(user):
                users.deactivate(user)  # <- RV701
            """,
            files={"app/repos/users.py": "async def deactivate(user):\n    return user\n"},
        ),
        Invalid(
            """
            import asyncio

            from fastapi import APIRouter, Depends
            from sqlalchemy.ext.asyncio import AsyncSession

            from app.db import SessionDep, SessionLocal, get_db
            from app.models import User

            router = APIRouter()


            @router.delete("/users/{user_id}")
            async def delete_user(user_id: int, db: AsyncSession = Depends(get_db)):
                user = await db.get(User, user_id)
                db.delete(user)  # <- RV701
                db.commit()  # <- RV701
                asyncio.sleep(1)  # <- RV701


            @router.post("/users")
            async def create_user(data: dict, db: SessionDep):
                db.add(User(**data))
                db.commit()  # <- RV701


            async def nightly():
                async with SessionLocal() as session:
                    session.execute(User.__table__.delete())  # <- RV701
            """,
            files={
                "app/db.py": (
                    "from typing import Annotated\n\nfrom fastapi import Depends\n"
                    "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine\n\n"
                    "engine = create_async_engine(URL)\nSessionLocal = async_sessionmaker(engine)\n\n\n"
                    "async def get_db():\n    async with SessionLocal() as session:\n        yield session\n\n\n"
                    "SessionDep = Annotated[AsyncSession, Depends(get_db)]\n"
                ),
                "app/models.py": "class User:\n    pass\n",
            },
        ),
        Invalid(
            """
            import httpx

            from app.base import BaseService
            from app.models.users import Users
            from app.repos import UserRepo


            class UserService(BaseService):
                def __init__(self, repo: UserRepo):
                    self.repo = repo

                async def deactivate(self, user_id):
                    self.repo.save(user_id)  # <- RV701
                    Users.get_user_by_id(user_id)  # <- RV701
                    self.audit(user_id)  # <- RV701
                    async with httpx.AsyncClient() as client:
                        client.post("/hooks/deactivated", json={"id": user_id})  # <- RV701
            """,
            files={
                "app/repos/__init__.py": "from app.repos.users import UserRepo\n",
                "app/repos/users.py": "class UserRepo:\n    async def save(self, user_id):\n        return user_id\n",
                "app/models/users.py": (
                    "class UsersTable:\n    async def get_user_by_id(self, user_id):\n        return user_id\n\n\nUsers = UsersTable()\n"
                ),
                "app/base.py": "class BaseService:\n    async def audit(self, event):\n        return event\n",
            },
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


# ---------------------------------------------------------------------------------------------
# The project part: coroutines of other modules and well-known async APIs, on save.

# how the head of a dropped call's callee is known: ("global", "") a module-level name (import,
# definition, instance); ("self", Class) a method's `self`; ("annotation", T) / ("call", C) /
# ("await", C) / ("with", C) a parameter or local variable typed by an annotation, by `= C(...)`
# (or a `Depends(C)` default), by `= await C(...)`, by `with C(...) as x`; names as written
Receiver = tuple[str, str]
Place = tuple[str | None, str]  # (project file, class name there) or (None, a library's qualified class name)

# decorators that leave an `async def` a coroutine function when called (any other may wrap it)
_NEUTRAL_DECORATORS = frozenset({"staticmethod", "classmethod", "abstractmethod", "override", "overload"})


@dataclass(frozen=True, slots=True)
class DroppedCall:
    """A call statement inside a function whose value is dropped (the edit rule's notion)."""

    span: Span  # the callee, as the edit rule reports it
    callee: str  # as written: `users.deactivate`, `self.repo.get`, `db.scalars`
    receiver: Receiver
    in_async: bool


@dataclass(frozen=True, slots=True)
class ModuleCalls:
    """What the project part collects from one module."""

    calls: tuple[DroppedCall, ...]
    attributes: tuple[tuple[str, str, Receiver], ...]  # (class, attribute, how `self.<attribute>` is typed), one way only
    aliases: tuple[tuple[str, str], ...]  # module-level `X = Annotated[T, ...]` -> T, as written
    generators: frozenset[str]  # `async def`s that yield: calling one gives an async generator, no coroutine
    makers: tuple[tuple[str, str], ...] = ()  # module-level `Session = sessionmaker(..., class_=AsyncSession)` -> the class, as written


@dataclass(slots=True)
class _Scope:
    """One function while the collector walks it."""

    owner: str | None  # the class it is a method of (qualified in the module), if directly in one
    key: str | None  # its name in the module (`Repo.get`), None when nested in a function
    is_async: bool
    params: dict[str, Receiver | None] = field(default_factory=dict)
    bindings: dict[str, set[Receiver | None]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    self_name: str | None = None
    yields: bool = False

    def bind(self, name: str, receiver: Receiver | None) -> None:
        self.bindings.setdefault(name, set()).add(receiver)


@dataclass(slots=True)
class _ClassFrame:
    name: str | None  # qualified in the module; None for a class inside a function


def _receiver_of(value: ast.expr | None) -> Receiver | None:
    """How a value assigned to a name is typed: `C(...)`, `await C(...)`."""
    if isinstance(value, ast.Call):
        callee = dotted(value.func)
        return ("call", callee) if callee else None
    if isinstance(value, ast.Await) and isinstance(value.value, ast.Call):
        callee = dotted(value.value.func)
        return ("await", callee) if callee else None
    return None


def _param_receiver(annotation: ast.expr | None, default: ast.expr | None) -> Receiver | None:
    written = annotation_name(annotation)
    if written:
        return ("annotation", written)
    if isinstance(default, ast.Call) and (dotted(default.func) or "").rsplit(".", 1)[-1] == "Depends" and default.args:
        dependency = dotted(default.args[0])
        return ("call", dependency) if dependency else None
    return None


class _Collector(ast.NodeVisitor):
    """One pass over a module's `ast`: the dropped calls and how their receivers are typed."""

    def __init__(self) -> None:
        self.frames: list[_Scope | _ClassFrame] = []
        self.pending: list[tuple[ast.Call, str, tuple[_Scope, ...]]] = []
        self.module_names: set[str] = set()
        self.attributes: dict[tuple[str, str], set[Receiver | None]] = {}
        self.aliases: dict[str, str] = {}
        self.makers: dict[str, str] = {}
        self.generators: set[str] = set()
        self.handled: set[int] = set()  # Name targets whose binding a visitor recorded with its type

    def _scope(self) -> _Scope | None:
        frame = self.frames[-1] if self.frames else None
        return frame if isinstance(frame, _Scope) else None

    def _bind(self, name: str, receiver: Receiver | None) -> None:
        if not self.frames:
            self.module_names.add(name)
        elif isinstance(self.frames[-1], _Scope):
            self.frames[-1].bind(name, receiver)

    def _in_function(self) -> bool:
        return any(isinstance(f, _Scope) for f in self.frames)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._bind(node.name, None)
        outer = self.frames[-1] if self.frames else None
        if isinstance(outer, _Scope) or (isinstance(outer, _ClassFrame) and outer.name is None):
            name = None
        else:
            name = f"{outer.name}.{node.name}" if isinstance(outer, _ClassFrame) else node.name
        self.frames.append(_ClassFrame(name))
        for stmt in node.body:
            self.visit(stmt)
        self.frames.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._bind(node.name, None)
        outer = self.frames[-1] if self.frames else None
        owner = outer.name if isinstance(outer, _ClassFrame) else None
        if isinstance(outer, _Scope) or (isinstance(outer, _ClassFrame) and outer.name is None):
            key = None
        else:
            key = f"{owner}.{node.name}" if owner else node.name
        scope = _Scope(owner, key, isinstance(node, ast.AsyncFunctionDef))
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for arg, default in [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]:
            scope.params[arg.arg] = _param_receiver(arg.annotation, default)
        for rest in (args.vararg, args.kwarg):
            if rest is not None:
                scope.params[rest.arg] = None
        decorators = {(dotted(d) or "").rsplit(".", 1)[-1] for d in node.decorator_list}
        if isinstance(outer, _ClassFrame) and positional and not decorators & {"staticmethod", "classmethod"}:
            scope.self_name = positional[0].arg
            scope.params[positional[0].arg] = ("self", owner) if owner else None
        self.frames.append(scope)
        for stmt in node.body:
            self.visit(stmt)
        self.frames.pop()
        if scope.is_async and scope.yields and key:
            self.generators.add(key)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        return  # no statements, no bindings of the enclosing scope

    def _yield(self, node: ast.Yield | ast.YieldFrom) -> None:
        scope = self._scope()
        if scope is not None:
            scope.yields = True
        self.generic_visit(node)

    visit_Yield = _yield
    visit_YieldFrom = _yield

    def visit_Global(self, node: ast.Global) -> None:
        scope = self._scope()
        if scope is not None:
            scope.globals.update(node.names)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            name = alias.asname or alias.name.split(".")[0]
            if name != "*":
                self._bind(name, ("import", ""))  # SYMBOLS knows every import, also inside functions

    visit_ImportFrom = visit_Import

    def visit_Expr(self, node: ast.Expr) -> None:
        scope = self._scope()
        if scope is not None and isinstance(node.value, ast.Call):
            callee = dotted(node.value.func)
            if callee is not None:
                chain = tuple(f for f in self.frames if isinstance(f, _Scope))
                self.pending.append((node.value, callee, chain))
        self.generic_visit(node)

    def _self_attribute(self, target: ast.expr) -> str | None:
        scope = self._scope()
        if (
            scope is not None
            and scope.owner
            and isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == scope.self_name
        ):
            return target.attr
        return None

    def _attribute(self, owner: str, attr: str, receiver: Receiver | None) -> None:
        self.attributes.setdefault((owner, attr), set()).add(receiver)

    def visit_Assign(self, node: ast.Assign) -> None:
        receiver = _receiver_of(node.value)
        scope = self._scope()
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.handled.add(id(target))
                self._bind(target.id, receiver)
                if not self.frames and isinstance(node.value, ast.Call):
                    made = next((dotted(k.value) for k in node.value.keywords if k.arg == "class_"), None)
                    if made:  # calling this instance gives a `class_` instance (SQLAlchemy's `sessionmaker`)
                        self.makers[target.id] = made
                if not self.frames and isinstance(node.value, ast.Subscript):
                    written = annotation_name(node.value)
                    if written and (dotted(node.value.value) or "").rsplit(".", 1)[-1] in ("Annotated", "Optional"):
                        self.aliases[target.id] = written
            attr = self._self_attribute(target)
            if attr is not None and scope is not None and scope.owner:
                typed = receiver
                if isinstance(node.value, ast.Name) and node.value.id in scope.params:
                    typed = scope.params[node.value.id]
                self._attribute(scope.owner, attr, typed)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        written = annotation_name(node.annotation)
        receiver: Receiver | None = ("annotation", written) if written else None
        frame = self.frames[-1] if self.frames else None
        if isinstance(node.target, ast.Name):
            self.handled.add(id(node.target))
            if isinstance(frame, _ClassFrame):
                if frame.name:
                    self._attribute(frame.name, node.target.id, receiver)
            else:
                self._bind(node.target.id, receiver)
        attr = self._self_attribute(node.target)
        scope = self._scope()
        if attr is not None and scope is not None and scope.owner:
            self._attribute(scope.owner, attr, receiver)
        self.generic_visit(node)

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name):
                self.handled.add(id(item.optional_vars))
                callee = dotted(item.context_expr.func) if isinstance(item.context_expr, ast.Call) else None
                self._bind(item.optional_vars.id, ("with", callee) if callee else None)
        self.generic_visit(node)

    visit_With = _with
    visit_AsyncWith = _with

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store) and id(node) not in self.handled:
            self._bind(node.id, None)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._bind(node.name, None)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self._bind(node.name, None)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name, None)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self._bind(node.rest, None)
        self.generic_visit(node)

    def receiver(self, callee: str, chain: tuple[_Scope, ...]) -> Receiver | None:
        """How the head of `callee` is bound where it is called; None: a shape this part skips."""
        parts = callee.split(".")
        head = parts[0]
        for scope in reversed(chain):
            if head in scope.globals:
                break
            if head in scope.params:
                found = scope.params[head]
                if found is not None and found[0] == "self":
                    return found if len(parts) in (2, 3) else None
                return found if found is not None and len(parts) == 2 else None
            if head in scope.bindings:
                kinds = scope.bindings[head]
                only = next(iter(kinds)) if len(kinds) == 1 else None
                if only is not None and only[0] == "import":
                    return ("global", "")
                return only if only is not None and len(parts) == 2 else None
        return ("global", "") if head in self.module_names else None  # else a builtin or a star import


def _code_points(text: str) -> Callable[[int, int], int]:
    """ast's columns are UTF-8 byte offsets; findings count code points."""
    if text.isascii():
        return lambda line, col: col
    lines = re.split(r"\r\n|\r|\n", text)

    def convert(line: int, col: int) -> int:
        source = lines[line - 1] if 0 < line <= len(lines) else ""
        return len(source.encode("utf-8")[:col].decode("utf-8", errors="replace"))

    return convert


def collect_calls(file: SourceFile) -> ModuleCalls | None:
    tree = file.tree()
    if tree is None:
        return None
    collector = _Collector()
    collector.visit(tree)
    column = _code_points(file.text)
    calls: list[DroppedCall] = []
    for call, callee, chain in collector.pending:
        receiver = collector.receiver(callee, chain)
        if receiver is None:
            continue
        func = call.func
        end_line = func.end_lineno or func.lineno
        span = Span(func.lineno, column(func.lineno, func.col_offset), end_line, column(end_line, func.end_col_offset or 0))
        calls.append(DroppedCall(span, callee, receiver, chain[-1].is_async))
    attributes: list[tuple[str, str, Receiver]] = []
    for (owner, attr), kinds in collector.attributes.items():
        only = next(iter(kinds)) if len(kinds) == 1 else None
        if only is not None:  # typed one way only: two different assignments type it no way
            attributes.append((owner, attr, only))
    if not calls and not attributes and not collector.generators and not collector.aliases and not collector.makers:
        return None
    return ModuleCalls(
        tuple(calls), tuple(attributes), tuple(collector.aliases.items()), frozenset(collector.generators), tuple(collector.makers.items())
    )


@dataclass(frozen=True, slots=True)
class _Target:
    """What a dropped call was resolved to."""

    name: str  # `app.repos.users.deactivate`, `sqlalchemy.ext.asyncio.AsyncSession.commit`
    definition: tuple[str, SymbolDefinition] | None = None  # the project's `async def` (file, definition)
    coroutine: bool = True  # False: a library call returning an awaitable that is no coroutine


class MissingAwaitAcrossModules(ProjectRule):
    """RV701 across modules, on save: a dropped call of an `async def` of another module of the
    project, or of a well-known async API (`rules/api/asyncapis.py`) on a receiver typed by an
    annotation, a `Depends(...)` default, a constructor or a `with ... as`."""

    part_of = MissingAwait
    meta = MissingAwait.meta
    needs = frozenset({SYMBOLS})
    collect_version = 2

    def collect(self, file: SourceFile) -> object | None:
        return collect_calls(file)

    def check(self, project: ProjectView) -> None:
        collected: dict[str, ModuleCalls] = {p: v for p, v in project.collected(self).items() if isinstance(v, ModuleCalls)}
        self.project = project
        self.symbols = Symbols(project)
        self.collected = collected
        names = set(method_names())
        names.update(name.rsplit(".", 1)[-1] for name in ASYNC_FUNCTIONS)
        for symbols in self.symbols.modules.values():
            names.update(d.name.rsplit(".", 1)[-1] for d in symbols.definitions.values() if d.is_async)
        for path, module in collected.items():
            for call in module.calls:
                if call.callee.rsplit(".", 1)[-1] not in names:
                    continue
                target = self._target(path, call)
                if target is None:
                    continue
                if target.definition is not None and target.definition[0] == path:
                    continue  # the edit rule's: a coroutine of this module
                self._report(path, call, target)

    # -- resolution -------------------------------------------------------------------------

    def _target(self, path: str, call: DroppedCall) -> _Target | None:
        how, written = call.receiver
        parts = call.callee.split(".")
        method = parts[-1]
        if how == "global":
            resolved = self.symbols.resolve(path, call.callee)
            if resolved.definition is not None:
                return self._project_function(resolved.path, resolved.definition)
            if resolved.path is None and must_await(resolved.name):
                return _Target(resolved.name)
            if len(parts) < 2:
                return None
            place = self._instance(path, ".".join(parts[:-1]))
        elif how == "self":
            if len(parts) == 2:
                resolved = self.symbols.resolve(path, f"{written}.{method}")
                return self._project_function(resolved.path, resolved.definition) if resolved.definition else None
            receiver = self._attribute(path, written, parts[1])
            place = self._typed(path, receiver) if receiver else None
        else:
            place = self._typed(path, call.receiver)
        return self._method(place, method) if place else None

    def _project_function(self, path: str | None, definition: SymbolDefinition | None) -> _Target | None:
        """A project `async def` whose call gives a coroutine (no async generator, no decorator
        that may wrap it)."""
        if path is None or definition is None or definition.kind != "function" or not definition.is_async:
            return None
        if any(d.rsplit(".", 1)[-1] not in _NEUTRAL_DECORATORS for d in definition.decorators):
            return None
        module = self.collected.get(path)
        if module is not None and definition.name in module.generators:
            return None
        symbols = self.symbols.of(path)
        prefix = symbols.module if symbols else path
        return _Target(f"{prefix}.{definition.name}", (path, definition))

    def _method(self, place: Place, method: str) -> _Target | None:
        path, cls = place
        if path is None:
            return _Target(f"{cls}.{method}", coroutine=is_coroutine(f"{cls}.{method}")) if must_await(f"{cls}.{method}") else None
        resolved = self.symbols.resolve(path, f"{cls}.{method}")
        if resolved.definition is not None:
            return self._project_function(resolved.path, resolved.definition)
        symbols = self.symbols.of(path)
        definition = symbols.definitions.get(cls) if symbols else None
        for base in definition.bases if definition else ():  # a project class over a library's (`class Client(httpx.AsyncClient)`)
            outside = self._place_qualified(path, base)
            if outside is not None and outside[0] is None and must_await(f"{outside[1]}.{method}"):
                return _Target(f"{outside[1]}.{method}", coroutine=is_coroutine(f"{outside[1]}.{method}"))
        return None

    def _attribute(self, path: str, cls: str, attr: str, depth: int = 0) -> Receiver | None:
        """How `self.<attr>` is typed in class `cls` of `path` (or a project base class)."""
        module = self.collected.get(path)
        for owner, name, receiver in module.attributes if module else ():
            if owner == cls and name == attr:
                return receiver
        symbols = self.symbols.of(path)
        definition = symbols.definitions.get(cls) if symbols else None
        if definition is None or depth > 5:
            return None
        for base in definition.bases:
            place = self._place_qualified(path, base)
            if place is not None and place[0] is not None:
                found = self._attribute(place[0], place[1], attr, depth + 1)
                if found is not None:
                    return found
        return None

    def _typed(self, path: str, receiver: Receiver, depth: int = 0) -> Place | None:
        """The class of a value typed by `receiver` in the module at `path`."""
        how, written = receiver
        if depth > 10:
            return None
        if how == "annotation":
            return self._class(path, written, depth + 1)
        if how in ("call", "with"):
            place = self._called(path, written, depth + 1)
            if how == "with" and (place is None or place[0] is not None or place[1] not in WITH_SELF):
                return None  # `with C() as x` is what `__enter__` returns: only known for the table's classes
            return place
        if how == "await":
            resolved = self.symbols.resolve(path, written)
            if resolved.definition is not None and resolved.path is not None:
                returns = resolved.definition.returns if resolved.definition.is_async else None
                return self._place_of_qualified_class(resolved.path, returns, depth) if returns else None
            result = AWAITED_RESULTS.get(resolved.name) if resolved.path is None else None
            return (None, result) if result else None
        return None

    def _class(self, path: str, written: str, depth: int) -> Place | None:
        """The class a name as written in `path` stands for (following type aliases)."""
        place = self._where(path, written)
        if place is None:
            return None
        where, name = place
        if where is None:
            return (None, name) if is_async_class(name) else None
        return self._class_at(where, name, depth)

    def _class_at(self, path: str, name: str, depth: int) -> Place | None:
        symbols = self.symbols.of(path)
        definition = symbols.definitions.get(name) if symbols else None
        if definition is not None:
            return (path, name) if definition.kind == "class" else None
        module = self.collected.get(path)
        alias = dict(module.aliases).get(name) if module else None
        return self._class(path, alias, depth + 1) if alias and depth < 10 else None

    def _called(self, path: str, written: str, depth: int) -> Place | None:
        """The class of what calling `written` (as written in `path`) gives."""
        place = self._where(path, written)
        if place is None:
            return None
        where, name = place
        if where is None:
            result = result_of_call(name)
            return (None, result) if result else None
        symbols = self.symbols.of(where)
        if symbols is None:
            return None
        definition = symbols.definitions.get(name)
        if definition is not None:
            if definition.kind == "class":
                return (where, name)
            if definition.is_async or not definition.returns:
                return None
            return self._place_of_qualified_class(where, definition.returns, depth)
        module = self.collected.get(where)
        made = dict(module.makers).get(name) if module else None
        if made is not None:  # `Session()` of `Session = sessionmaker(engine, class_=AsyncSession)`
            return self._class(where, made, depth + 1)
        instance_of = symbols.assigned.get(name)  # a module-level instance, called: `Session()` of `async_sessionmaker`
        if instance_of is not None:
            outside = self._place_qualified(where, instance_of)
            if outside is not None and outside[0] is None and outside[1] in CALLED_INSTANCES:
                return (None, CALLED_INSTANCES[outside[1]])
        return None

    def _instance(self, path: str, written: str) -> Place | None:
        """The class of a module-level instance named as written in `path` (`Users` after
        `from app.models.users import Users`, where `Users = UsersTable()`)."""
        place = self._where(path, written)
        where = place[0] if place is not None else None
        if place is None or where is None:
            return None
        name = place[1]
        symbols = self.symbols.of(where)
        if symbols is None:
            return None
        if name in symbols.assigned:
            located = self._place_qualified(where, symbols.assigned[name])
            if located is None:
                return None
            if located[0] is None:
                result = result_of_call(located[1])
                return (None, result) if result else None
            return self._called(located[0], located[1], 1)
        if name in symbols.annotated:
            return self._place_of_qualified_class(where, symbols.annotated[name], 1)
        return None

    def _place_of_qualified_class(self, path: str, name: str, depth: int) -> Place | None:
        """A class named by SYMBOLS in the module at `path` (qualified through its imports,
        or a local name): the project's, or a library class of the table."""
        located = self._place_qualified(path, name)
        if located is None:
            return None
        if located[0] is None:
            return (None, located[1]) if is_async_class(located[1]) else None
        return self._class_at(located[0], located[1], depth + 1)

    def _place_qualified(self, path: str, name: str) -> Place | None:
        """Where a name that SYMBOLS qualified in the module at `path` is bound."""
        module = self.symbols.of(path)
        head = name.split(".")[0]
        if module is not None and (head in module.definitions or head in module.assigned or head in module.annotated):
            return (path, name)
        located = self._locate_qualified(name)
        if located is not None:
            return located
        return (None, self.symbols.resolve_qualified(name).name)

    def _where(self, path: str, written: str) -> Place | None:
        """Where a name as written in `path` is bound: (project file, name there), or (None,
        its qualified name) outside the project."""
        located = self._locate(path, written)
        if located is not None:
            return located
        resolved = self.symbols.resolve(path, written)
        return (None, resolved.name) if resolved.path is None else None

    def _locate(self, path: str, name: str, depth: int = 0) -> tuple[str, str] | None:
        """Where a dotted name as written in `path` is bound in the project, following imports and
        re-exports also to bindings that are no definition (an instance, a type alias); None
        when it leaves the project."""
        module = self.symbols.of(path)
        if module is None:
            return None
        if name.split(".")[0] in module.imports:
            return self._locate_qualified(qualified(module.imports, name), depth + 1)
        return (path, name)

    def _locate_qualified(self, name: str, depth: int = 0) -> tuple[str, str] | None:
        if depth > 20:  # an import cycle
            return None
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            path = self.project.module_path(".".join(parts[:cut]))
            if path is not None:
                rest = ".".join(parts[cut:])
                return (path, "") if not rest else self._locate(path, rest, depth + 1)
        return None

    # -- reporting --------------------------------------------------------------------------

    def _report(self, path: str, call: DroppedCall, target: _Target) -> None:
        what = "a coroutine" if target.coroutine else "an awaitable"
        runs = "its body never runs" if target.coroutine else "its work never starts"
        related: tuple[RelatedPlace, ...] = ()
        if target.definition is not None:
            where, definition = target.definition
            related = (RelatedPlace(where, definition.span, f"`async def {definition.name.rsplit('.', 1)[-1]}` is defined here"),)
        if call.in_async:
            message = f"`{call.callee}()` is {what} that is never awaited: {runs}"
            edit = TextEdit(call.span.line, call.span.col, call.span.line, call.span.col, "await ")
            self.report_file(path, call.span, message, fix=Fix("Insert `await`", Safety.SAFE, (edit,)), related=related)
        else:
            message = (
                f"`{call.callee}()` is {what} that is never awaited: {runs} "
                "(in a sync function: use `asyncio.run` or schedule a task)"
            )
            self.report_file(path, call.span, message, related=related)
