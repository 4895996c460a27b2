"""Well-known async APIs outside the project: which calls give something that must be awaited.

RV701 (missing-await) asks one question of code it cannot read: "is the value of this call a
coroutine (or an awaitable whose work starts only when awaited), so that dropping it means the
work never happens?". The answer is per qualified name (`asyncio.sleep`) and per class and
method (`sqlalchemy.ext.asyncio.AsyncSession.commit`), under every name a class is imported by.

What is in, and what is deliberately out (checked against asyncio of CPython 3.11, SQLAlchemy 2.1,
httpx 0.28, aiohttp 3.14, asyncpg 0.32, redis 8.1, motor 3.7, pymongo 4.20: `tests/rules/test_missing_await_project.py`
checks every entry of the libraries installed where the tests run):

- asyncio's coroutine functions (`sleep`, `wait_for`, `wait`, `open_connection`, `to_thread`...).
  Not `gather`, `shield`, `ensure_future`, `create_task`, `run_coroutine_threadsafe`,
  `loop.run_in_executor`: they *schedule* their work, which runs even if their result is dropped
  (it is fire-and-forget: a lost exception, a different defect), and passing a coroutine to
  them is what consumes it.
- Methods that are coroutine functions (`AsyncSession.commit`, `asyncio.Queue.put`,
  `asyncpg.Connection.fetch`), and methods that return an awaitable whose work starts only when
  awaited: aiohttp's `ClientSession.get` returns a request context manager that is also
  awaitable (`async with session.get(url)` is not a dropped call: it is no call statement), and
  redis.asyncio's commands are plain methods returning the coroutine of `execute_command`.
- Not `AsyncSession.add`/`add_all`/`expunge` (sync), `AsyncEngine.connect`/`begin` and
  `asyncpg.Pool.acquire` (async context managers first), `httpx.AsyncClient.stream` (a context
  manager only), `redis.asyncio.Redis.pipeline` (commands on a pipeline are buffered, not
  awaited: the pipeline class is not the client's), motor's collection methods (`find_one`,
  `insert_one`...: they return a Future already running on motor's thread pool, so the write
  happens even when nobody awaits it), `find`/`aggregate` cursors of motor.
- Subclasses do not inherit entries: a class is matched by its exact qualified name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AsyncClass:
    """A class of a library and the methods whose call must be awaited."""

    names: tuple[str, ...]  # qualified names it is imported by, the public one first
    methods: frozenset[str]
    coroutines: bool = True  # the methods are coroutine functions (False: they return an awaitable)


def _methods(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ASYNCIO_FUNCTIONS = (
    "sleep wait_for wait open_connection start_server open_unix_connection start_unix_server "
    "create_subprocess_exec create_subprocess_shell to_thread"
)

# coroutine functions at module level, by qualified name
ASYNC_FUNCTIONS: frozenset[str] = frozenset(
    [*(f"asyncio.{name}" for name in _ASYNCIO_FUNCTIONS.split()), "asyncpg.connect", "asyncpg.connection.connect"]
)

_SESSION = (
    "execute scalars scalar get get_one commit rollback flush refresh delete close merge stream "
    "stream_scalars run_sync connection reset invalidate aclose"
)
_QUERIES = "fetch fetchrow fetchval fetchmany execute executemany close copy_from_query copy_from_table copy_records_to_table copy_to_table"
_REDIS = (
    "get set delete exists expire expireat incr incrby decr decrby getdel getex setex setnx psetex mget mset "
    "hget hset hmget hgetall hdel hexists hincrby hkeys hvals hlen lpush rpush lpop rpop lrange llen lrem ltrim "
    "blpop brpop sadd srem smembers sismember scard spop zadd zrem zrange zrangebyscore zrevrange zscore zincrby "
    "zcard publish keys scan ttl pttl persist rename ping flushdb flushall info eval evalsha xadd xread "
    "xreadgroup xack xrange xlen unlink dbsize echo"
)
_MONGO_COLLECTION = (
    "find_one insert_one insert_many update_one update_many replace_one delete_one delete_many count_documents "
    "estimated_document_count distinct find_one_and_delete find_one_and_replace find_one_and_update create_index "
    "create_indexes drop drop_index drop_indexes bulk_write index_information rename aggregate"
)

CLASSES: tuple[AsyncClass, ...] = (
    # asyncio
    AsyncClass(("asyncio.Queue", "asyncio.queues.Queue"), _methods("get put join")),
    AsyncClass(("asyncio.PriorityQueue", "asyncio.queues.PriorityQueue"), _methods("get put join")),
    AsyncClass(("asyncio.LifoQueue", "asyncio.queues.LifoQueue"), _methods("get put join")),
    AsyncClass(("asyncio.Lock", "asyncio.locks.Lock"), _methods("acquire")),
    AsyncClass(("asyncio.Semaphore", "asyncio.locks.Semaphore"), _methods("acquire")),
    AsyncClass(("asyncio.BoundedSemaphore", "asyncio.locks.BoundedSemaphore"), _methods("acquire")),
    AsyncClass(("asyncio.Event", "asyncio.locks.Event"), _methods("wait")),
    AsyncClass(("asyncio.Condition", "asyncio.locks.Condition"), _methods("wait wait_for")),
    AsyncClass(("asyncio.Barrier", "asyncio.locks.Barrier"), _methods("wait reset abort")),
    AsyncClass(("asyncio.StreamReader", "asyncio.streams.StreamReader"), _methods("read readline readexactly readuntil")),
    AsyncClass(("asyncio.StreamWriter", "asyncio.streams.StreamWriter"), _methods("drain wait_closed start_tls")),
    AsyncClass(("asyncio.subprocess.Process",), _methods("wait communicate")),
    AsyncClass(("asyncio.Server", "asyncio.base_events.Server"), _methods("serve_forever start_serving wait_closed")),
    # SQLAlchemy's asyncio extension (and SQLModel's session, which adds `exec`)
    AsyncClass(("sqlalchemy.ext.asyncio.AsyncSession", "sqlalchemy.ext.asyncio.session.AsyncSession"), _methods(_SESSION)),
    AsyncClass(
        ("sqlalchemy.ext.asyncio.async_scoped_session", "sqlalchemy.ext.asyncio.scoping.async_scoped_session"),
        _methods(_SESSION.replace(" run_sync", "") + " remove"),
    ),
    AsyncClass(("sqlmodel.ext.asyncio.session.AsyncSession",), _methods(_SESSION + " exec")),
    AsyncClass(("sqlalchemy.ext.asyncio.AsyncEngine", "sqlalchemy.ext.asyncio.engine.AsyncEngine"), _methods("dispose")),
    AsyncClass(
        ("sqlalchemy.ext.asyncio.AsyncConnection", "sqlalchemy.ext.asyncio.engine.AsyncConnection"),
        _methods("execute exec_driver_sql scalar scalars commit rollback close run_sync start invalidate"),
    ),
    AsyncClass(  # startable async context managers: awaiting one starts it
        ("sqlalchemy.ext.asyncio.AsyncConnection", "sqlalchemy.ext.asyncio.engine.AsyncConnection"),
        _methods("stream stream_scalars"),
        coroutines=False,
    ),
    # httpx
    AsyncClass(
        ("httpx.AsyncClient", "httpx._client.AsyncClient"),
        _methods("get post put patch delete head options request send aclose"),
    ),
    AsyncClass(("httpx.Response", "httpx._models.Response"), _methods("aread aclose")),
    # aiohttp: the request methods return an awaitable request context manager
    AsyncClass(
        ("aiohttp.ClientSession", "aiohttp.client.ClientSession"),
        _methods("get post put patch delete head options request ws_connect"),
        coroutines=False,
    ),
    AsyncClass(("aiohttp.ClientSession", "aiohttp.client.ClientSession"), _methods("close")),
    AsyncClass(("aiohttp.ClientResponse", "aiohttp.client_reqrep.ClientResponse"), _methods("json text read")),
    AsyncClass(
        ("aiohttp.ClientWebSocketResponse", "aiohttp.client_ws.ClientWebSocketResponse"),
        _methods("send_str send_bytes send_json receive receive_str receive_bytes receive_json close ping pong"),
    ),
    AsyncClass(("aiohttp.web.Request", "aiohttp.web_request.Request"), _methods("json text read post multipart release")),
    AsyncClass(
        ("aiohttp.web.WebSocketResponse", "aiohttp.web_ws.WebSocketResponse"),
        _methods("prepare send_str send_bytes send_json receive receive_str receive_bytes receive_json close ping pong"),
    ),
    AsyncClass(("aiohttp.web.StreamResponse", "aiohttp.web_response.StreamResponse"), _methods("prepare write write_eof drain")),
    # asyncpg
    AsyncClass(
        ("asyncpg.Connection", "asyncpg.connection.Connection"),
        _methods(_QUERIES + " prepare add_listener remove_listener reset set_type_codec reload_schema_state"),
    ),
    AsyncClass(("asyncpg.Pool", "asyncpg.pool.Pool"), _methods(_QUERIES + " release expire_connections")),
    # redis.asyncio: commands are plain methods returning the coroutine of `execute_command`
    AsyncClass(
        ("redis.asyncio.Redis", "redis.asyncio.client.Redis", "redis.asyncio.StrictRedis", "redis.asyncio.client.StrictRedis"),
        _methods(_REDIS),
        coroutines=False,
    ),
    AsyncClass(
        ("redis.asyncio.Redis", "redis.asyncio.client.Redis", "redis.asyncio.StrictRedis", "redis.asyncio.client.StrictRedis"),
        _methods("execute_command initialize aclose close"),
    ),
    AsyncClass(("redis.asyncio.client.Pipeline",), _methods("execute reset")),
    # motor: only its coroutine methods (its collection methods already run on a thread pool)
    AsyncClass(("motor.motor_asyncio.AsyncIOMotorClient",), _methods("list_databases start_session")),
    AsyncClass(("motor.motor_asyncio.AsyncIOMotorDatabase",), _methods("create_collection list_collections cursor_command")),
    AsyncClass(("motor.motor_asyncio.AsyncIOMotorCursor",), _methods("next close")),
    # PyMongo's native asyncio API
    AsyncClass(
        ("pymongo.AsyncMongoClient", "pymongo.asynchronous.mongo_client.AsyncMongoClient"),
        _methods("aconnect aclose close drop_database list_database_names list_databases server_info bulk_write"),
    ),
    AsyncClass(
        ("pymongo.asynchronous.database.AsyncDatabase",),
        _methods("command create_collection drop_collection list_collection_names list_collections validate_collection"),
    ),
    AsyncClass(("pymongo.asynchronous.collection.AsyncCollection",), _methods(_MONGO_COLLECTION)),
    AsyncClass(("pymongo.asynchronous.cursor.AsyncCursor",), _methods("to_list next close distinct explain")),
)

# what a call of a library's factory gives (`httpx.AsyncClient(...)` gives itself: every class does)
RESULTS: Mapping[str, str] = {
    "redis.asyncio.from_url": "redis.asyncio.Redis",
    "redis.asyncio.Redis.from_url": "redis.asyncio.Redis",
    "redis.asyncio.client.Redis.from_url": "redis.asyncio.Redis",
    "sqlalchemy.ext.asyncio.create_async_engine": "sqlalchemy.ext.asyncio.AsyncEngine",
    "asyncpg.create_pool": "asyncpg.Pool",
    "pymongo.AsyncMongoClient": "pymongo.AsyncMongoClient",
}
# what awaiting a call of a library's coroutine function gives
AWAITED_RESULTS: Mapping[str, str] = {
    "asyncpg.connect": "asyncpg.Connection",
    "asyncpg.create_pool": "asyncpg.Pool",
}
# what calling an *instance* of these classes gives (`Session = async_sessionmaker(engine)`; `Session()`)
CALLED_INSTANCES: Mapping[str, str] = {
    "sqlalchemy.ext.asyncio.async_sessionmaker": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.ext.asyncio.session.async_sessionmaker": "sqlalchemy.ext.asyncio.AsyncSession",
}

# classes whose `__aenter__` gives the instance itself: `async with httpx.AsyncClient() as client`
WITH_SELF: frozenset[str] = frozenset(
    {
        "httpx.AsyncClient",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlmodel.ext.asyncio.session.AsyncSession",
        "aiohttp.ClientSession",
        "asyncpg.Pool",
        "redis.asyncio.Redis",
        "pymongo.AsyncMongoClient",
    }
)


def _index() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for cls in CLASSES:
        for name in cls.names:
            out[name] = out.get(name, frozenset()) | cls.methods
    return out


_BY_NAME = _index()


def is_async_class(name: str) -> bool:
    """Whether `name` (a qualified class name) is a class of this table."""
    return name in _BY_NAME


def must_await(name: str) -> bool:
    """Whether calling `name` gives work that runs only when awaited: a qualified function
    (`asyncio.sleep`) or `Class.method` (`httpx.AsyncClient.get`)."""
    if name in ASYNC_FUNCTIONS:
        return True
    owner, _, method = name.rpartition(".")
    return method in _BY_NAME.get(owner, frozenset())


def is_coroutine(name: str) -> bool:
    """Whether `Class.method` of the table is a coroutine function (else it returns another awaitable)."""
    owner, _, method = name.rpartition(".")
    return name in ASYNC_FUNCTIONS or any(owner in c.names and method in c.methods and c.coroutines for c in CLASSES)


def method_names() -> frozenset[str]:
    """Every method name of the table: a call of another name is never one of its awaitables."""
    return frozenset(m for methods in _BY_NAME.values() for m in methods)


def result_of_call(name: str) -> str | None:
    """The class a call of the qualified callable `name` gives, when the table knows it."""
    if name in _BY_NAME:
        return name
    return RESULTS.get(name)
