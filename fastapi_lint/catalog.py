"""The built-in table of blocking calls, as resolved paths (see `names`).

A call blocks when its path is a listed function (`time.sleep`), or a listed method on a
listed receiver (`requests.Session().get`), or, for clients whose operations hang off
nested attributes (`client.db.users.find_one()`), a listed method anywhere below a listed
receiver. Each entry carries the remedy the message suggests.
"""

from __future__ import annotations

from typing import Iterable, Optional

SLEEP = "use `await asyncio.sleep(...)`"
HTTP = "use `httpx.AsyncClient` and await it"
FILES = "use `anyio.open_file` / `anyio.Path` or `aiofiles`"
PROCESS = "use `asyncio.create_subprocess_exec` and await it"
THREAD = "wrap it in `await run_in_threadpool(...)`"
SQLA = "use `AsyncSession` (`sqlalchemy.ext.asyncio`) and await it"
DB = "use an async driver (`asyncpg`, `aiosqlite`, `aiomysql`, async `psycopg`)"
REDIS = "use `redis.asyncio` and await it"
MONGO = "use `pymongo.AsyncMongoClient` or `motor` and await it"
BOTO = "use `aioboto3`, or wrap it in `await run_in_threadpool(...)`"
SMTP = "use `aiosmtplib`, or send from a `BackgroundTasks` task declared with `def`"
SOCKET = "use `asyncio.open_connection` / `loop.sock_*`"
INPUT = "do not wait for a terminal in a server; take the value from the request"

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")


def _table(entries: Iterable[tuple[str, str]]) -> dict[str, str]:
    return dict(entries)


CALLS: dict[str, str] = _table(
    [("time.sleep", SLEEP)]
    + [(f"requests.{verb}", HTTP) for verb in _HTTP_VERBS]
    + [(f"requests.api.{verb}", HTTP) for verb in _HTTP_VERBS]
    + [(f"httpx.{verb}", HTTP) for verb in (*_HTTP_VERBS, "stream")]
    + [
        ("urllib.request.urlopen", HTTP),
        ("urllib.request.urlretrieve", HTTP),
        ("urllib3.request", HTTP),
        ("subprocess.run", PROCESS),
        ("subprocess.call", PROCESS),
        ("subprocess.check_call", PROCESS),
        ("subprocess.check_output", PROCESS),
        ("subprocess.Popen", PROCESS),
        ("subprocess.getoutput", PROCESS),
        ("subprocess.getstatusoutput", PROCESS),
        ("os.system", PROCESS),
        ("os.popen", PROCESS),
        ("os.wait", PROCESS),
        ("os.wait3", PROCESS),
        ("os.wait4", PROCESS),
        ("os.waitid", PROCESS),
        ("os.waitpid", PROCESS),
        ("builtins.open", FILES),
        ("io.open", FILES),
        ("builtins.input", INPUT),
        ("shutil.copy", THREAD),
        ("shutil.copy2", THREAD),
        ("shutil.copyfile", THREAD),
        ("shutil.copyfileobj", THREAD),
        ("shutil.copytree", THREAD),
        ("shutil.move", THREAD),
        ("shutil.rmtree", THREAD),
        ("shutil.make_archive", THREAD),
        ("shutil.unpack_archive", THREAD),
        ("socket.create_connection", SOCKET),
        ("socket.getaddrinfo", SOCKET),
        ("socket.gethostbyname", SOCKET),
        ("smtplib.SMTP", SMTP),
        ("smtplib.SMTP_SSL", SMTP),
        ("sqlite3.connect", DB),
        ("psycopg2.connect", DB),
        ("psycopg.connect", DB),
        ("psycopg.Connection.connect", DB),
        ("pymysql.connect", DB),
        ("pymysql.Connect", DB),
        ("MySQLdb.connect", DB),
    ]
)

_SESSION_IO = frozenset(_HTTP_VERBS + ("send",))
_HTTPX_IO = frozenset(_HTTP_VERBS + ("send", "stream"))
_SQLA_IO = frozenset(
    ("execute", "scalar", "scalars", "get", "query", "commit", "flush", "refresh",
     "rollback", "exec", "merge", "get_one", "connection")
)
_DBAPI_IO = frozenset(
    ("execute", "executemany", "executescript", "commit", "rollback", "fetchone",
     "fetchall", "fetchmany", "callproc", "copy_expert", "copy_from", "copy_to")
)
_PATH_IO = frozenset(("read_text", "write_text", "read_bytes", "write_bytes", "open"))
_SOCKET_IO = frozenset(
    ("connect", "accept", "recv", "recv_into", "recvfrom", "send", "sendall", "sendto",
     "makefile")
)
_SMTP_IO = frozenset(("sendmail", "send_message", "login", "starttls", "ehlo", "helo",
                      "connect", "quit", "noop"))
_MONGO_IO = frozenset(
    ("find", "find_one", "insert_one", "insert_many", "update_one", "update_many",
     "replace_one", "delete_one", "delete_many", "aggregate", "count_documents",
     "estimated_document_count", "distinct", "find_one_and_update",
     "find_one_and_delete", "find_one_and_replace", "bulk_write", "create_index",
     "drop", "list_database_names", "list_collection_names", "command", "server_info")
)
_REDIS_NOT_IO = frozenset(("pipeline", "pubsub", "lock", "register_script", "client",
                           "get_connection_kwargs", "get_encoder"))
_BOTO_NOT_IO = frozenset(("get_paginator", "get_waiter", "can_paginate", "close",
                          "generate_presigned_url", "generate_presigned_post"))

# receiver path -> (methods that block, or None for all but `excluded`; excluded; remedy)
RECEIVERS: dict[str, tuple[Optional[frozenset], frozenset, str]] = {}
# receivers whose blocking methods may hang off nested attributes or items
DEEP_RECEIVERS: dict[str, tuple[Optional[frozenset], frozenset, str]] = {}


def _receiver(paths: Iterable[str], methods, remedy: str, excluded=frozenset(),
              deep: bool = False) -> None:
    for path in paths:
        (DEEP_RECEIVERS if deep else RECEIVERS)[path] = (methods, frozenset(excluded), remedy)


_receiver(
    ["requests.Session()", "requests.session()", "requests.sessions.Session()"],
    _SESSION_IO, HTTP,
)
_receiver(["httpx.Client()"], _HTTPX_IO, HTTP)
_receiver(
    ["urllib3.PoolManager()", "urllib3.ProxyManager()", "urllib3.HTTPConnectionPool()",
     "urllib3.HTTPSConnectionPool()", "urllib3.connection_from_url()",
     "urllib3.poolmanager.PoolManager()"],
    frozenset(("request", "urlopen", "request_encode_url", "request_encode_body")), HTTP,
)
_receiver(["subprocess.Popen()"], frozenset(("wait", "communicate")), PROCESS)
_receiver(["socket.socket()", "socket.create_connection()"], _SOCKET_IO, SOCKET)
_receiver(["smtplib.SMTP()", "smtplib.SMTP_SSL()"], _SMTP_IO, SMTP)
_receiver(
    [f"{base}{suffix}" for base in ("pathlib.Path", "pathlib.PosixPath",
                                    "pathlib.WindowsPath")
     for suffix in ("()", ".cwd()", ".home()")],
    _PATH_IO, FILES, deep=True,
)
_receiver(
    ["sqlalchemy.orm.Session()", "sqlalchemy.orm.session.Session()",
     "sqlalchemy.orm.sessionmaker()()", "sqlalchemy.orm.session.sessionmaker()()",
     "sqlalchemy.orm.scoped_session()", "sqlalchemy.orm.scoping.scoped_session()",
     "sqlmodel.Session()", "sqlmodel.orm.session.Session()"],
    _SQLA_IO, SQLA,
)
_receiver(
    ["sqlalchemy.create_engine()", "sqlalchemy.engine.create_engine()",
     "sqlalchemy.engine.Engine()", "sqlmodel.create_engine()"],
    frozenset(("connect", "begin", "execute", "raw_connection")), SQLA,
)
_receiver(
    ["sqlalchemy.create_engine().connect()", "sqlalchemy.create_engine().begin()",
     "sqlalchemy.engine.Connection()", "sqlmodel.create_engine().connect()"],
    frozenset(("execute", "scalar", "scalars", "commit", "rollback", "exec_driver_sql")),
    SQLA,
)
_receiver(
    [f"{connect}{suffix}"
     for connect in ("sqlite3.connect()", "psycopg2.connect()", "psycopg.connect()",
                     "pymysql.connect()", "pymysql.Connect()", "MySQLdb.connect()",
                     "psycopg.Connection.connect()")
     for suffix in ("", ".cursor()")],
    _DBAPI_IO, DB,
)
_receiver(
    ["redis.Redis()", "redis.StrictRedis()", "redis.from_url()", "redis.Redis.from_url()",
     "redis.client.Redis()", "redis.client.StrictRedis()", "redis.RedisCluster()",
     "redis.cluster.RedisCluster()", "redis.Redis().pipeline()",
     "redis.from_url().pipeline()", "redis.StrictRedis().pipeline()"],
    None, REDIS, excluded=_REDIS_NOT_IO,
)
_receiver(
    ["pymongo.MongoClient()", "pymongo.mongo_client.MongoClient()"],
    _MONGO_IO, MONGO, deep=True,
)
_receiver(
    ["boto3.client()", "boto3.resource()", "boto3.Session().client()",
     "boto3.Session().resource()", "boto3.session.Session().client()",
     "boto3.session.Session().resource()"],
    None, BOTO, excluded=_BOTO_NOT_IO, deep=True,
)


_DEEP_PREFIXES = tuple(DEEP_RECEIVERS)


def blocking_remedy(path: str, extra: frozenset = frozenset()) -> Optional[str]:
    """The remedy when the call of `path` blocks, else None."""
    if path in CALLS:
        return CALLS[path]
    if path in extra:
        return THREAD
    receiver, dot, method = path.rpartition(".")
    if not dot or method.endswith(("()", "]")):
        return None
    entry = RECEIVERS.get(receiver)
    if entry is not None and _blocks(entry, method):
        return entry[2]
    if receiver.startswith(_DEEP_PREFIXES):  # one test for the many paths that miss
        for prefix, deep_entry in DEEP_RECEIVERS.items():
            if receiver.startswith(prefix) and _blocks(deep_entry, method):
                return deep_entry[2]
    if extra and any(_matches_extra(path, name) for name in extra):
        return THREAD
    return None


def _blocks(entry, method: str) -> bool:
    methods, excluded, _ = entry
    if method.startswith("_") or method in excluded:
        return False
    return methods is None or method in methods


def _matches_extra(path: str, name: str) -> bool:
    """`mylib.Client().*` in the options matches any method call on that receiver."""
    if name.endswith(".*"):
        receiver, _, method = path.rpartition(".")
        return receiver == name[:-2] and bool(method)
    return False
