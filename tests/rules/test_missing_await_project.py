"""RV701 across modules (the project part of missing-await) and its table of well-known async APIs."""

from __future__ import annotations

import importlib
import inspect
import textwrap
from pathlib import Path

import pytest

from rules.api import Safety, Span, TextEdit
from rules.api.asyncapis import ASYNC_FUNCTIONS, AWAITED_RESULTS, CALLED_INSTANCES, CLASSES, RESULTS, WITH_SELF, must_await
from rules.api.project import SYMBOLS, ProjectReport, ProjectView, SourceFile, collect_kind
from rules.api.symbols import collect_symbols
from rules.concurrency.missing_await import MissingAwait, MissingAwaitAcrossModules, ModuleCalls, collect_calls
from server.config import Config
from server.engine import Engine
from tests.harness import analyze
from server.projectsession import ProjectSession


def run(files: dict[str, str]) -> list[ProjectReport]:
    """The project part's reports over a project made of `files` (no engine: the rule itself)."""
    sources = {path: SourceFile(path, textwrap.dedent(text)) for path, text in files.items()}
    symbols = {p: s for p, f in sources.items() if (s := collect_symbols(f)) is not None}
    calls = {p: c for p, f in sources.items() if (c := collect_calls(f)) is not None}
    view = ProjectView(
        root=".",
        env_uses=(),
        env_examples=(),
        python_files=tuple(sorted(files)),
        packages=(),
        kinds={SYMBOLS: symbols, collect_kind(MissingAwaitAcrossModules): calls},
    )
    rule = MissingAwaitAcrossModules(None)  # type: ignore[arg-type]
    rule.check(view)
    return rule.project_reports


def lines(reports: list[ProjectReport]) -> list[tuple[str, int]]:
    return sorted((r.path, r.span.line) for r in reports)


USERS = "async def deactivate(user):\n    return user\n"


def test_cross_module_coroutine_with_fix_and_related_place() -> None:
    reports = run(
        {
            "app/repos/users.py": USERS,
            "app/services.py": "from app.repos import users\n\n\nasync def offboard(user):\n    users.deactivate(user)\n",
        }
    )
    assert len(reports) == 1
    report = reports[0]
    assert (report.path, report.span) == ("app/services.py", Span(5, 4, 5, 20))
    assert report.message == "`users.deactivate()` is a coroutine that is never awaited: its body never runs"
    assert report.fix is not None and report.fix.safety is Safety.SAFE
    assert report.fix.edits == (TextEdit(5, 4, 5, 4, "await "),)
    assert [(r.path, r.span.line) for r in report.related] == [("app/repos/users.py", 1)]


def test_sync_function_gets_no_fix_and_says_the_coroutine_never_runs() -> None:
    reports = run({"app/repos/users.py": USERS, "app/jobs.py": "from app.repos.users import deactivate\n\n\ndef job(user):\n    deactivate(user)\n"})
    assert [(r.path, r.span.line, r.fix) for r in reports] == [("app/jobs.py", 5, None)]
    assert "use `asyncio.run` or schedule a task" in reports[0].message


def test_columns_are_code_points() -> None:
    source = "from app.repos import users\n\n\nasync def f(user):\n    é = 1; users.deactivate(user)\n"
    (report,) = run({"app/repos/users.py": USERS, "app/x.py": source})
    assert report.span == Span(5, 11, 5, 27)
    assert source.splitlines()[4][report.span.col : report.span.end_col] == "users.deactivate"


def test_same_module_coroutines_are_left_to_the_edit_rule() -> None:
    """Never the same finding twice: the edit rule reports coroutines of the module itself."""
    source = "class Repo:\n    async def save(self):\n        pass\n\n    async def run(self):\n        self.save()\n\n\nasync def job():\n    pass\n\n\nasync def main():\n    job()\n    Repo().save()\n"
    assert run({"app/x.py": source}) == []


def test_both_tiers_report_each_call_once(tmp_path: Path) -> None:
    files = {
        "app/repos/users.py": USERS,
        "app/services.py": (
            "from app.repos import users\n\n\nasync def local():\n    pass\n\n\n"
            "async def offboard(user):\n    users.deactivate(user)\n    local()\n"
        ),
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    engine = Engine(Config(select=("RV701",)))
    session = ProjectSession(tmp_path, engine)
    session.scan(tmp_path / p for p in files)
    project = [(p, f.span.line) for p, f in session.check()]
    edit = [("app/services.py", f.span.line) for f in analyze(engine, files["app/services.py"], (tmp_path / "app/services.py").as_posix()).findings]
    assert sorted(project) == [("app/services.py", 9)]
    assert sorted(edit) == [("app/services.py", 10)]


def test_self_attribute_typed_by_init_parameter_and_by_constructor() -> None:
    reports = run(
        {
            "app/repos.py": "class UserRepo:\n    async def save(self, u):\n        return u\n",
            "app/clients.py": "class Mailer:\n    async def send(self, u):\n        return u\n",
            "app/services.py": """
                from app.clients import Mailer
                from app.repos import UserRepo


                class Service:
                    mailer: Mailer

                    def __init__(self, repo: UserRepo):
                        self.repo = repo
                        self.other = Mailer()

                    async def run(self, u):
                        self.repo.save(u)
                        self.mailer.send(u)
                        self.other.send(u)
                """,
        }
    )
    assert lines(reports) == [("app/services.py", 14), ("app/services.py", 15), ("app/services.py", 16)]


def test_attribute_typed_two_ways_is_not_typed() -> None:
    reports = run(
        {
            "app/repos.py": "class UserRepo:\n    async def save(self, u):\n        return u\n",
            "app/services.py": """
                from app.repos import UserRepo


                class Service:
                    def __init__(self, repo: UserRepo, fake):
                        self.repo = repo
                        if fake:
                            self.repo = fake

                    async def run(self, u):
                        self.repo.save(u)
                """,
        }
    )
    assert reports == []


def test_parameter_and_local_names_shadow_module_names() -> None:
    """`users` is a parameter or a local variable here, not the imported module."""
    reports = run(
        {
            "app/repos/users.py": USERS,
            "app/x.py": """
                from app.repos import users


                async def f(users):
                    users.deactivate(1)


                async def g(rows):
                    for users in rows:
                        users.deactivate(1)


                async def h():
                    def inner():
                        users.deactivate(1)
                    users = [1]
                    return inner
                """,
        }
    )
    assert reports == []


def test_function_level_import_and_return_annotation() -> None:
    reports = run(
        {
            "app/repos.py": "class UserRepo:\n    async def save(self, u):\n        return u\n\n\ndef get_repo() -> 'UserRepo':\n    return UserRepo()\n",
            "app/x.py": """
                async def f(u):
                    from app.repos import get_repo
                    repo = get_repo()
                    repo.save(u)
                """,
        }
    )
    assert lines(reports) == [("app/x.py", 5)]


def test_library_receivers() -> None:
    reports = run(
        {
            "app/x.py": """
                import asyncio

                import asyncpg
                import httpx
                import redis.asyncio as redis
                from sqlalchemy.ext.asyncio import AsyncSession

                cache = redis.from_url("redis://")
                client = httpx.AsyncClient()


                async def f(queue: asyncio.Queue, lock: asyncio.Lock, session: "AsyncSession | None"):
                    queue.put(1)
                    lock.acquire()
                    session.flush()
                    conn = await asyncpg.connect()
                    conn.execute("select 1")
                    cache.set("k", 1)
                    client.aclose()
                    pipe = cache.pipeline()
                    pipe.set("k", 1)
                    queue.put_nowait(1)
                    asyncio.gather(f(), f())
                    asyncio.wait_for(f(), 1)
                """,
        }
    )
    assert [r.span.line for r in reports] == [14, 15, 16, 18, 19, 20, 25]
    assert reports[4].message == "`cache.set()` is an awaitable that is never awaited: its work never starts"


def test_async_generator_and_decorated_coroutines_are_quiet() -> None:
    reports = run(
        {
            "app/jobs.py": "import functools\n\n\nasync def rows():\n    yield 1\n\n\n@functools.cache\nasync def cached():\n    return 1\n\n\nclass A:\n    @staticmethod\n    async def plain():\n        return 1\n",
            "app/x.py": "from app.jobs import A, cached, rows\n\n\nasync def f():\n    rows()\n    cached()\n    A.plain()\n",
        }
    )
    assert lines(reports) == [("app/x.py", 7)]


def test_collect_is_small_and_picklable() -> None:
    import pickle

    source = "import logging\nlog = logging.getLogger()\n\n\ndef f(x):\n    print(x)\n    len(x)\n    log.info(x)\n    x.append(1)\n"
    collected = collect_calls(SourceFile("app/x.py", source))
    assert isinstance(collected, ModuleCalls)
    assert [c.callee for c in collected.calls] == ["log.info"]  # builtins and untyped parameters are no candidates
    assert pickle.loads(pickle.dumps(collected)) == collected
    assert collect_calls(SourceFile("app/broken.py", "def f(:\n")) is None


def test_the_part_shares_the_edit_rules_metadata() -> None:
    assert MissingAwaitAcrossModules.meta is MissingAwait.meta
    assert MissingAwaitAcrossModules.part_of is MissingAwait


# -- the table --------------------------------------------------------------------------------


def _load(qualified: str) -> object | None:
    """The object a qualified name stands for, None when its library is not installed here."""
    parts = qualified.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    return None


def _awaitable_method(value: object) -> bool:
    return inspect.iscoroutinefunction(value) or inspect.iscoroutinefunction(inspect.unwrap(value))  # type: ignore[arg-type]


def test_table_functions_are_coroutine_functions() -> None:
    checked = 0
    for name in sorted(ASYNC_FUNCTIONS):
        obj = _load(name)
        if obj is not None:
            assert inspect.iscoroutinefunction(obj), name
            checked += 1
    assert checked >= 10  # asyncio's are always here


@pytest.mark.parametrize("entry", CLASSES, ids=lambda c: f"{c.names[0]}:{sorted(c.methods)[0]}")
def test_table_classes_have_their_methods(entry: object) -> None:
    """Every alias of an installed library's class is the same class, and every listed method exists
    (a coroutine function when the entry says so). Libraries not installed here are checked where
    they are (they were when the table was written)."""
    from rules.api.asyncapis import AsyncClass

    assert isinstance(entry, AsyncClass)
    try:
        loaded = [_load(name) for name in entry.names]
    except AttributeError as error:  # the module is there, the class is not
        pytest.fail(f"{entry.names}: {error}")
    if loaded[0] is None:
        return
    assert all(obj is loaded[0] for obj in loaded), entry.names
    for method in entry.methods:
        value = inspect.getattr_static(loaded[0], method, None)
        assert value is not None, f"{entry.names[0]}.{method}"
        if entry.coroutines:
            assert _awaitable_method(value), f"{entry.names[0]}.{method}"


def test_table_maps_name_classes_of_the_table() -> None:
    for result in [*RESULTS.values(), *AWAITED_RESULTS.values(), *CALLED_INSTANCES.values(), *WITH_SELF]:
        assert any(result in c.names for c in CLASSES), result
    assert must_await("httpx.AsyncClient.get") and must_await("asyncio.sleep")
    assert not must_await("asyncio.gather") and not must_await("sqlalchemy.ext.asyncio.AsyncSession.add")
    assert not must_await("motor.motor_asyncio.AsyncIOMotorCollection.insert_one")


def test_sessionmaker_with_an_async_class_gives_async_sessions() -> None:
    reports = run(
        {
            "app/db.py": (
                "from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine\n"
                "from sqlalchemy.orm import sessionmaker\n\n"
                "engine = create_async_engine(URL)\n"
                "async_session = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)\n"
                "sync_session = sessionmaker(engine)\n"
            ),
            "app/jobs.py": """
                from app.db import async_session, engine, sync_session


                async def purge():
                    async with async_session() as session:
                        session.commit()
                    with sync_session() as other:
                        other.commit()
                    engine.dispose()
                """,
        }
    )
    assert lines(reports) == [("app/jobs.py", 7), ("app/jobs.py", 10)]
