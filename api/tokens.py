"""Bearer tokens: random secrets, stored only as SHA-256 hashes, beside the events."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from psycopg_pool import ConnectionPool

from application.store import CHECKOUTS, StoreConfig
from domain.vocabulary import Role

log = logging.getLogger("opsledger")

TOKEN_PREFIX = "olt_"
ADDED_COLUMNS = ("employee_id", "expires_at", "last_used_at")
"""Columns added after the first version of the table, in the order they came."""


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[Role]
    employee_id: UUID | None = None
    """The employee this principal is: it then acts only as that employee."""


class TokenExpired(Exception):
    """The token is known and not revoked, but its time is up."""


@dataclass(frozen=True)
class TokenInfo:
    """What ``opsledger token list`` shows of a token: never its secret (nor its hash)."""

    id: str
    name: str
    roles: tuple[str, ...]
    created_at: str
    last_used_at: str | None
    expires_at: str | None
    revoked_at: str | None
    employee_id: str | None

    def status(self, now: datetime) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and datetime.fromisoformat(self.expires_at) <= now:
            return "expired"
        return "active"


ID_LENGTH = 12
"""A token's id is this many leading hex digits of its hash: stable for tokens made
before ids existed, and nothing learnt about the secret."""
LAST_USED_EVERY = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per token and process (not per request)."""


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
            self._pool = config.small_pool(max_size=2)
        self._used: dict[str, datetime] = {}
        self._execute(
            "CREATE TABLE IF NOT EXISTS opsledger_tokens ("
            "token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL, "
            "created_at TEXT NOT NULL, revoked_at TEXT)"
        )
        for column in ADDED_COLUMNS:
            self._add_column(column)

    def _add_column(self, column: str) -> None:
        """Stores made before ``column`` existed get it (NULL for the tokens there):
        the table evolves in place, every earlier token keeps working."""
        if self._pool is not None:
            present = self._execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'opsledger_tokens' AND column_name = ?",
                (column,),
            )
            if not present:
                self._execute(
                    f"ALTER TABLE opsledger_tokens ADD COLUMN IF NOT EXISTS {column} TEXT"
                )
            return
        columns = [row[1] for row in self._execute("PRAGMA table_info(opsledger_tokens)")]
        if column not in columns:
            try:
                self._execute(f"ALTER TABLE opsledger_tokens ADD COLUMN {column} TEXT")
            except sqlite3.OperationalError as error:  # another process added it first
                if "duplicate column" not in str(error):
                    raise

    def _execute(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        if self._pool is not None:
            with CHECKOUTS.handing_back(self._pool.connection()) as pg:
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
        expires_in: timedelta | None = None,
    ) -> str:
        """A new token for ``name``; with ``replace``, earlier tokens of that name stop working.
        With ``employee_id`` the principal is that employee and acts only as them; with
        ``expires_in`` it stops working that long from now (else never)."""
        moment = datetime.now(UTC)
        now = moment.isoformat()
        expires_at = (moment + expires_in).isoformat() if expires_in is not None else None
        if replace:
            self._execute(
                "UPDATE opsledger_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (now, name),
            )
        token = new_token()
        role_values = sorted(Role(r).value for r in roles)
        self._execute(
            "INSERT INTO opsledger_tokens "
            "(token_hash, name, roles, created_at, employee_id, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                _hash(token),
                name,
                json.dumps(role_values),
                now,
                str(employee_id) if employee_id else None,
                expires_at,
            ),
        )
        return token

    def revoke_token(self, token: str) -> None:
        """``token`` stops working at once (a console session's sign-out)."""
        self._execute(
            "UPDATE opsledger_tokens SET revoked_at = ? "
            "WHERE token_hash = ? AND revoked_at IS NULL",
            (datetime.now(UTC).isoformat(), _hash(token)),
        )

    def principal(self, token: str) -> Principal | None:
        """The token's principal, read from the store on every request (no cache): a
        new token works at once, and a revoked one stops at once. Raises TokenExpired
        for a token past its expiry."""
        return self._lookup(_hash(token))

    def _lookup(self, token_hash: str) -> Principal | None:
        rows = self._execute(
            "SELECT name, roles, employee_id, expires_at FROM opsledger_tokens "
            "WHERE token_hash = ? AND revoked_at IS NULL",
            (token_hash,),
        )
        if not rows:
            return None
        name, roles, employee_id, expires_at = rows[0]
        now = datetime.now(UTC)
        if expires_at and datetime.fromisoformat(str(expires_at)) <= now:
            raise TokenExpired(str(expires_at))
        self._mark_used(token_hash, now)
        return Principal(
            name=str(name),
            roles=frozenset(Role(r) for r in json.loads(str(roles))),
            employee_id=UUID(str(employee_id)) if employee_id else None,
        )

    def _mark_used(self, token_hash: str, now: datetime) -> None:
        last = self._used.get(token_hash)
        if last is not None and now - last < LAST_USED_EVERY:
            return
        self._used[token_hash] = now
        try:
            self._execute(
                "UPDATE opsledger_tokens SET last_used_at = ? WHERE token_hash = ?",
                (now.isoformat(), token_hash),
            )
        except Exception as error:  # informational only: never fail a request for it
            log.warning("could not record the use of token %s: %s", token_hash[:ID_LENGTH], error)

    def infos(self) -> list[TokenInfo]:
        """Every token, revoked and expired ones included, oldest first."""
        rows = self._execute(
            "SELECT token_hash, name, roles, created_at, last_used_at, expires_at, revoked_at, "
            "employee_id FROM opsledger_tokens ORDER BY created_at, token_hash"
        )
        return [
            TokenInfo(
                id=str(row[0])[:ID_LENGTH],
                name=str(row[1]),
                roles=tuple(json.loads(str(row[2]))),
                created_at=str(row[3]),
                last_used_at=_text(row[4]),
                expires_at=_text(row[5]),
                revoked_at=_text(row[6]),
                employee_id=_text(row[7]),
            )
            for row in rows
        ]

    def revoke(self, name_or_id: str) -> int:
        """Revoke the token with that id, or else every active token of that name;
        how many were revoked. Effective at once: every request reads the table."""
        now = datetime.now(UTC).isoformat()
        done = self._execute(
            "UPDATE opsledger_tokens SET revoked_at = ? "
            "WHERE revoked_at IS NULL AND substr(token_hash, 1, ?) = ? RETURNING token_hash",
            (now, ID_LENGTH, name_or_id),
        )
        if len(name_or_id) == ID_LENGTH and done:
            return len(done)
        done += self._execute(
            "UPDATE opsledger_tokens SET revoked_at = ? "
            "WHERE revoked_at IS NULL AND name = ? RETURNING token_hash",
            (now, name_or_id),
        )
        return len(done)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def _text(value: object) -> str | None:
    return None if value is None else str(value)
