"""Where events are stored: embedded SQLite files or PostgreSQL, from one config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

SQLITE_RECORDER = "application.idempotency:SQLiteIdempotentRecorder"
POSTGRES_RECORDER = "application.idempotency:PostgresIdempotentRecorder"


class InvalidDatabaseUrl(ValueError):
    pass


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
    max_overflow: int = 8
    aggregate_cache: int = 1000
    """Aggregates kept in memory per application; each load still reads newer events."""

    @property
    def postgres(self) -> PostgresUrl | None:
        return PostgresUrl.parse(self.database_url) if self.database_url else None

    def describe(self) -> str:
        pg = self.postgres
        return pg.describe() if pg else f"SQLite files under {self.data_dir.resolve()}"

    def sqlite_path(self, name: str) -> Path:
        return self.data_dir / f"{name}.sqlite"

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
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": pg.dbname,
            "POSTGRES_HOST": pg.host,
            "POSTGRES_PORT": str(pg.port),
            "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password,
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.max_overflow),
            "POSTGRES_PRE_PING": "y",
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER,
        }
