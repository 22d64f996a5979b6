"""Where events are stored: embedded SQLite files or PostgreSQL, from one config."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from weakref import WeakKeyDictionary

import psycopg
import psycopg_pool
from eventsourcing.persistence import InfrastructureFactory, OperationalError, PersistenceError
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import sql

SQLITE_RECORDER = "application.idempotency:SQLiteIdempotentRecorder"
POSTGRES_RECORDER = "application.idempotency:PostgresIdempotentRecorder"
SHARED_POSTGRES = "application.store:SharedPostgresFactory"


class StoreUnavailable(PersistenceError):
    """The database did not answer in time (no connection within the pool timeout, or
    a statement past the statement timeout): an outage, answered 503 at once.

    Not an ``OperationalError`` on purpose: eventsourcing retries those ten times,
    which turned one outage into a wait of ten pool timeouts.
    """


class InvalidDatabaseUrl(ValueError):
    pass


FRESH_SECONDS = 1.0
"""A pooled connection given back less than this long ago is handed out as it is; an
older one is pinged first (an empty query) and replaced if the server closed it
meanwhile. Pinging every one cost ~0.14 ms of CPU and ~0.2 ms per checkout here,
three to seven checkouts per command. A connection that broke within the second (a
database restart) fails its statement: eventsourcing retries its own, the others
answer 503 like the outage they met."""


class Checkouts:
    """When each pooled connection was last given back; the pools' ``check``."""

    def __init__(self) -> None:
        self._given_back: WeakKeyDictionary[Any, float] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def given_back(self, conn: Any) -> None:
        with self._lock:
            self._given_back[conn] = time.monotonic()

    def check(self, conn: Any) -> None:
        """Ping ``conn`` unless it was given back within ``FRESH_SECONDS``."""
        with self._lock:
            at = self._given_back.get(conn)
        if at is None or time.monotonic() - at >= FRESH_SECONDS:
            psycopg_pool.ConnectionPool.check_connection(conn)

    @contextmanager
    def handing_back(self, checkout: AbstractContextManager[Any]) -> Iterator[Any]:
        """The connection ``checkout`` hands out (of a pool whose ``check`` is
        ``CHECKOUTS.check``), noted as given back once done with."""
        with checkout as conn:
            try:
                yield conn
            finally:
                self.given_back(conn)


CHECKOUTS = Checkouts()


@dataclass(frozen=True)
class PostgresUrl:
    user: str
    password: str
    host: str
    port: int
    dbname: str

    @classmethod
    def parse(cls, url: str) -> PostgresUrl:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise InvalidDatabaseUrl(
                f"OPSLEDGER_DATABASE_URL must start with postgresql://, not {parts.scheme}://"
            )
        dbname = parts.path.lstrip("/")
        if not dbname:
            raise InvalidDatabaseUrl("OPSLEDGER_DATABASE_URL names no database")
        return cls(
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            dbname=dbname,
        )

    def conninfo(self) -> str:
        """A psycopg connection string (the password is passed, never logged)."""
        return (
            f"host={self.host} port={self.port} dbname={self.dbname} "
            f"user={self.user} password={self.password}"
        )

    def describe(self) -> str:
        return f"PostgreSQL {self.user}@{self.host}:{self.port}/{self.dbname}"


@dataclass(frozen=True)
class StoreConfig:
    """The event store's location, turned into each Application's environment."""

    database_url: str | None
    data_dir: Path
    pool_size: int = 2
    """PostgreSQL connections the process's one shared pool keeps open."""
    max_overflow: int = 4
    """Further connections that pool opens under load (closed again when idle)."""
    aggregate_cache: int = 1000
    """Aggregates kept in memory per application; each load still reads newer events."""
    pool_timeout: float = 3.0
    """Seconds a request waits for a connection before the store counts as unavailable."""
    connect_timeout: float = 3.0
    """Seconds to open a connection to PostgreSQL."""
    statement_timeout: float = 10.0
    """Seconds one statement may run (0: no limit)."""
    application_name: str = "opsledger"
    """What PostgreSQL's pg_stat_activity shows for this process's connections."""

    @property
    def postgres(self) -> PostgresUrl | None:
        return PostgresUrl.parse(self.database_url) if self.database_url else None

    def describe(self) -> str:
        pg = self.postgres
        return pg.describe() if pg else f"SQLite files under {self.data_dir.resolve()}"

    def sqlite_path(self, name: str) -> Path:
        return self.data_dir / f"{name}.sqlite"

    def connect(self, *, autocommit: bool = True) -> psycopg.Connection[Any]:
        """One connection of its own (locks, LISTEN, DDL), with this process's name."""
        pg = self.postgres
        assert pg is not None
        return psycopg.connect(
            pg.conninfo(),
            autocommit=autocommit,
            connect_timeout=max(1, round(self.connect_timeout)),
            application_name=self.application_name,
        )

    def small_pool(self, max_size: int = 2) -> psycopg_pool.ConnectionPool[Any]:
        """A pool for a side store (the tokens): one connection kept, ``max_size`` at most."""
        pg = self.postgres
        assert pg is not None
        return psycopg_pool.ConnectionPool(
            pg.conninfo(),
            min_size=1,
            max_size=max_size,
            timeout=self.pool_timeout,
            kwargs=self._connection_kwargs(),
            check=CHECKOUTS.check,
            open=True,
        )

    def _connection_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "application_name": self.application_name,
            "connect_timeout": max(1, round(self.connect_timeout)),
        }
        if self.statement_timeout:
            kwargs["options"] = f"-c statement_timeout={int(self.statement_timeout * 1000)}"
        return kwargs

    def app_env(self, name: str) -> dict[str, str]:
        """The eventsourcing environment for the Application called ``name``."""
        return {**self._store_env(name), **self._cache_env()}

    def _cache_env(self) -> dict[str, str]:
        # Commands load aggregates from a cache that is fast-forwarded with the
        # events written since (by any process), and deep-copied for each command.
        if not self.aggregate_cache:
            return {}
        return {"AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache)}

    def _store_env(self, name: str) -> dict[str, str]:
        pg = self.postgres
        if pg is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path(name)),
                "SQLITE_LOCK_TIMEOUT": "10",
                "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER,
            }
        return {
            "PERSISTENCE_MODULE": SHARED_POSTGRES,
            "POSTGRES_DBNAME": pg.dbname,
            "POSTGRES_HOST": pg.host,
            "POSTGRES_PORT": str(pg.port),
            "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password,
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": str(max(1, round(self.pool_timeout))),
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER,
            POOL_TIMEOUT: str(self.pool_timeout),
            CONNECTION_KWARGS: json.dumps(self._connection_kwargs(), sort_keys=True),
        }


def select_values(
    cursor: Any, queries: Sequence[sql.Composable], params: Sequence[Any] = ()
) -> list[Any]:
    """The one value each of ``queries`` selects, in one round trip (PostgreSQL):
    ``SELECT (q0) AS v0, (q1) AS v1, ...``, with ``params`` in the queries' order."""
    statement = sql.SQL("SELECT {}").format(
        sql.SQL(", ").join(
            sql.SQL("({}) AS {}").format(query, sql.Identifier(f"v{n}"))
            for n, query in enumerate(queries)
        )
    )
    row = cursor.execute(statement, list(params)).fetchone()
    return [row[f"v{n}"] for n in range(len(queries))]


POOL_TIMEOUT = "OPSLEDGER_POOL_TIMEOUT"
CONNECTION_KWARGS = "OPSLEDGER_CONNECTION_KWARGS"


def _outage(error: BaseException | None) -> bool:
    """A wait that ran out: for a connection, or for a statement."""
    return isinstance(error, (psycopg_pool.PoolTimeout, psycopg.errors.QueryCanceled))


class BoundedDatastore(PostgresDatastore):
    """eventsourcing's datastore, whose waits that ran out are ``StoreUnavailable``, and
    whose pool pings only the connections that were idle (``FRESH_SECONDS``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs, pre_ping=False)
        # eventsourcing's pre_ping pings on every checkout; psycopg_pool takes its check
        # in the constructor only, which eventsourcing calls.
        self.pool._check = CHECKOUTS.check

    @contextmanager
    def get_connection(self) -> Iterator[Any]:
        try:
            with CHECKOUTS.handing_back(super().get_connection()) as conn:
                yield conn
        except OperationalError as error:
            if _outage(error.__cause__):
                raise StoreUnavailable(str(error)) from error
            raise


class _Shared:
    """The process's datastores, one per database and schema, shared by every
    application and read model: one pool per process instead of one per log."""

    lock = threading.Lock()
    datastores: dict[tuple[str, ...], tuple[BoundedDatastore, int]] = {}

    @classmethod
    def acquire(cls, key: tuple[str, ...], make: Any) -> BoundedDatastore:
        with cls.lock:
            datastore, users = cls.datastores.get(key, (None, 0))
            if datastore is None:
                datastore = make()
            cls.datastores[key] = (datastore, users + 1)
            return datastore

    @classmethod
    def release(cls, datastore: PostgresDatastore) -> None:
        with cls.lock:
            for key, (shared, users) in list(cls.datastores.items()):
                if shared is datastore:
                    if users > 1:
                        cls.datastores[key] = (shared, users - 1)
                        return
                    del cls.datastores[key]
                    break
        datastore.close()


class SharedPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory, on the process's shared datastore."""

    KEYS = (
        "POSTGRES_DBNAME",
        "POSTGRES_HOST",
        "POSTGRES_PORT",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "POSTGRES_SCHEMA",
        "POSTGRES_POOL_SIZE",
        "POSTGRES_MAX_OVERFLOW",
        CONNECTION_KWARGS,
    )

    def __init__(self, env: Environment | EnvType | None) -> None:
        InfrastructureFactory.__init__(self, env)  # the datastore is made below, once
        key = tuple(self.env.get(k) or "" for k in self.KEYS)
        self.datastore = _Shared.acquire(key, self._make_datastore)

    def _make_datastore(self) -> BoundedDatastore:
        env = self.env
        datastore = BoundedDatastore(
            dbname=env.get("POSTGRES_DBNAME") or "",
            host=env.get("POSTGRES_HOST") or "",
            port=env.get("POSTGRES_PORT") or "5432",
            user=env.get("POSTGRES_USER") or "",
            password=env.get("POSTGRES_PASSWORD") or "",
            connect_timeout=float(env.get(POOL_TIMEOUT) or 3),
            idle_in_transaction_session_timeout=float(
                env.get("POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT") or 0
            ),
            pool_size=int(env.get("POSTGRES_POOL_SIZE") or 1),
            max_overflow=int(env.get("POSTGRES_MAX_OVERFLOW") or 0),
            schema=env.get("POSTGRES_SCHEMA") or "",
        )
        # The pool's connections carry the process's name and timeouts.
        assert isinstance(datastore.pool.kwargs, dict)
        datastore.pool.kwargs.update(json.loads(env.get(CONNECTION_KWARGS) or "{}"))
        return datastore

    def close(self) -> None:
        # Applications close their factory again when collected: release once.
        if not getattr(self, "_released", False):
            self._released = True
            _Shared.release(self.datastore)
