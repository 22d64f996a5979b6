"""Bearer tokens: random secrets, stored only as SHA-256 hashes, beside the events."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from psycopg_pool import ConnectionPool

from application.store import StoreConfig
from domain.vocabulary import Role

TOKEN_PREFIX = "olt_"


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[Role]
    employee_id: UUID | None = None
    """The employee this principal is: it then acts only as that employee."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class TokenStore:
    """Issues and checks tokens. Every check reads the store, so a token works as
    soon as it is issued, also for servers that are already running."""

    def __init__(self, config: StoreConfig) -> None:
        pg = config.postgres
        self._local = threading.local()
        self._pool: ConnectionPool | None = None
        self._sqlite_path = None
        if pg is None:
            config.data_dir.mkdir(parents=True, exist_ok=True)
            self._sqlite_path = config.sqlite_path("auth")
        else:
            self._pool = ConnectionPool(pg.conninfo(), min_size=1, max_size=4, timeout=5, open=True)
        self._execute(
            "CREATE TABLE IF NOT EXISTS opsledger_tokens ("
            "token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL, "
            "created_at TEXT NOT NULL, revoked_at TEXT)"
        )
        self._add_employee_column()

    def _add_employee_column(self) -> None:
        """Tokens may name an employee; stores made before that get the column."""
        if self._pool is not None:
            present = self._execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'opsledger_tokens' AND column_name = 'employee_id'"
            )
            if not present:
                self._execute(
                    "ALTER TABLE opsledger_tokens ADD COLUMN IF NOT EXISTS employee_id TEXT"
                )
            return
        columns = [row[1] for row in self._execute("PRAGMA table_info(opsledger_tokens)")]
        if "employee_id" not in columns:
            try:
                self._execute("ALTER TABLE opsledger_tokens ADD COLUMN employee_id TEXT")
            except sqlite3.OperationalError as error:  # another process added it first
                if "duplicate column" not in str(error):
                    raise

    def _execute(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        if self._pool is not None:
            with self._pool.connection() as pg:
                cur = pg.execute(sql.replace("?", "%s"), params)
                return cur.fetchall() if cur.description else []
        db = self._sqlite()
        with db:
            return db.execute(sql, params).fetchall()

    def _sqlite(self) -> sqlite3.Connection:
        """This thread's connection to the token file (opened once, not per request)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            assert self._sqlite_path is not None
            db = sqlite3.connect(self._sqlite_path, timeout=10)
            self._local.db = db
        return db

    def issue(
        self,
        name: str,
        roles: Iterable[Role],
        *,
        replace: bool = False,
        employee_id: UUID | None = None,
    ) -> str:
        """A new token for ``name``; with ``replace``, earlier tokens of that name stop working.
        With ``employee_id`` the principal is that employee and acts only as them."""
        now = datetime.now(UTC).isoformat()
        if replace:
            self._execute(
                "UPDATE opsledger_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (now, name),
            )
        token = new_token()
        role_values = sorted(Role(r).value for r in roles)
        self._execute(
            "INSERT INTO opsledger_tokens (token_hash, name, roles, created_at, employee_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                _hash(token),
                name,
                json.dumps(role_values),
                now,
                str(employee_id) if employee_id else None,
            ),
        )
        return token

    def revoke(self, token: str) -> None:
        """``token`` stops working at once (a console session's sign-out)."""
        self._execute(
            "UPDATE opsledger_tokens SET revoked_at = ? "
            "WHERE token_hash = ? AND revoked_at IS NULL",
            (datetime.now(UTC).isoformat(), _hash(token)),
        )

    def principal(self, token: str) -> Principal | None:
        """The token's principal, read from the store on every request: a new token
        works at once, and a revoked one stops at once."""
        return self._lookup(_hash(token))

    def _lookup(self, token_hash: str) -> Principal | None:
        rows = self._execute(
            "SELECT name, roles, employee_id FROM opsledger_tokens "
            "WHERE token_hash = ? AND revoked_at IS NULL",
            (token_hash,),
        )
        if not rows:
            return None
        name, roles, employee_id = rows[0]
        return Principal(
            name=str(name),
            roles=frozenset(Role(r) for r in json.loads(str(roles))),
            employee_id=UUID(str(employee_id)) if employee_id else None,
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
