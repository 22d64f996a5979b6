"""Personal data sealed with one key per data subject (crypto-shredding).

Events are immutable and the audit chain must stay verifiable, so a PIPL
erasure cannot rewrite history. Instead each customer's name and contacts, and
every word written about them (``domain.personal.PersonalText``: complaint
descriptions, survey comments, follow-up notes, ...), are stored encrypted
(AES-256-GCM) under a key of their own, kept beside the customers' events;
erasing the customer destroys the key, and every copy of the data — in events,
snapshots or backups of them — becomes unreadable at once.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Transcoding

from domain.customer import PersonalData
from domain.personal import PersonalText

NONCE_BYTES = 12
ERASED = b""
"""The key column of an erased subject: a tombstone, so that no new key is ever made
for them (words written about them after the erasure are stored erased)."""
BACKFILLED = "tombstones:v1"
"""A row marking that subjects erased before tombstones were kept have theirs."""
CACHE_SIZE = 4096
READ_TTL_SECONDS = 1.0
"""How long a cached key may open data: another process's erasure counts after this
at the latest (this process's own erasures count at once)."""

log = logging.getLogger("opsledger.personal")
_MISSING = object()


class PersonalDataKeys:
    """The per-subject keys, in a table of the customers' own database.

    Keys are cached in the process (a few thousand, least recently used out): an
    erasure here replaces the entry at once. A key is trusted for sealing however
    old its entry (sealing under a key another process has just destroyed leaves
    words nobody can read: erased all the same), for opening only for
    ``READ_TTL_SECONDS``.
    """

    def __init__(self, datastore: Any, *, postgres: bool, table: str) -> None:
        self.datastore = datastore
        self.table = table
        self.postgres = postgres
        self.mark = "%s" if postgres else "?"
        blob = "bytea" if postgres else "BLOB"
        self._cache: OrderedDict[UUID, tuple[bytes | None, float]] = OrderedDict()
        self._lock = threading.Lock()
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {table} "
                f"(subject TEXT PRIMARY KEY, key {blob} NOT NULL)"
            )

    # The cache.

    def _cached(self, subject: UUID, max_age: float | None) -> Any:
        with self._lock:
            entry = self._cache.get(subject)
            if entry is None:
                return _MISSING
            key, at = entry
            # An erasure is final: a tombstone never goes stale.
            if key is not None and max_age is not None and time.monotonic() - at > max_age:
                return _MISSING
            self._cache.move_to_end(subject)
            return key

    def _remember(self, subject: UUID, key: bytes | None) -> None:
        with self._lock:
            self._cache[subject] = (key, time.monotonic())
            self._cache.move_to_end(subject)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    # The store.

    def _select(self, cursor: Any, subject: UUID) -> Any:
        """The subject's key, None once erased, or _MISSING before the first."""
        cursor.execute(f"SELECT key FROM {self.table} WHERE subject = {self.mark}", (subject.hex,))
        row = cursor.fetchone()
        if row is None:
            return _MISSING
        key = bytes(row["key"])
        return None if key == ERASED else key

    def _lookup(self, subject: UUID) -> Any:
        with self.datastore.transaction(commit=False) as cursor:
            found = self._select(cursor, subject)
        if found is not _MISSING:
            self._remember(subject, found)
        return found

    def get(self, subject: UUID) -> bytes | None:
        """The key to open the subject's data with; None when erased (or never made)."""
        key = self._cached(subject, READ_TTL_SECONDS)
        if key is _MISSING:
            key = self._lookup(subject)
        return None if key is _MISSING else key

    def key_for(self, subject: UUID) -> bytes | None:
        """The key to seal the subject's data with, made on first use; None once erased."""
        key = self._cached(subject, None)
        if key is _MISSING:
            key = self._lookup(subject)
        if key is not _MISSING:
            return key
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} VALUES ({self.mark}, {self.mark}) "
                "ON CONFLICT (subject) DO NOTHING",
                (subject.hex, AESGCM.generate_key(bit_length=256)),
            )
            key = self._select(cursor, subject)
        assert key is not _MISSING
        self._remember(subject, key)
        return key

    def is_erased(self, subject: UUID) -> bool:
        return self.get(subject) is None

    def erase(self, subject: UUID) -> None:
        """Destroy the subject's key, leaving a tombstone; at once in this process."""
        with self.datastore.transaction(commit=True) as cursor:
            if not self.postgres:
                # The key's bytes are overwritten, not merely unlinked from the page.
                cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute(
                f"INSERT INTO {self.table} VALUES ({self.mark}, {self.mark}) "
                "ON CONFLICT (subject) DO UPDATE SET key = excluded.key",
                (subject.hex, ERASED),
            )
        self._remember(subject, None)
        if not self.postgres:
            self._truncate_wal()

    def _truncate_wal(self) -> None:
        pool = self.datastore.pool
        if not pool.is_sqlite_memory_mode:
            empty_write_ahead_log(pool.db_name)

    def backfill_tombstones(self, erased_subjects: Callable[[], list[UUID]]) -> None:
        """Once per store: tombstones for the subjects erased before they were kept."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT 1 AS done FROM {self.table} WHERE subject = {self.mark}", (BACKFILLED,)
            )
            if cursor.fetchone() is not None:
                return
        subjects = erased_subjects()
        with self.datastore.transaction(commit=True) as cursor:
            for subject in subjects:
                cursor.execute(
                    f"INSERT INTO {self.table} VALUES ({self.mark}, {self.mark}) "
                    "ON CONFLICT (subject) DO UPDATE SET key = excluded.key",
                    (subject.hex, ERASED),
                )
            cursor.execute(
                f"INSERT INTO {self.table} VALUES ({self.mark}, {self.mark}) "
                "ON CONFLICT (subject) DO NOTHING",
                (BACKFILLED, ERASED),
            )


def empty_write_ahead_log(path: str) -> None:
    """Fold a SQLite file's write-ahead log into it and empty it: after an erasure its
    older frames still hold what was overwritten. Best effort: a reader in the middle
    of a snapshot keeps the log (then it empties at a later checkpoint)."""
    try:
        conn = sqlite3.connect(path, timeout=2, isolation_level=None)
        try:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as error:
        busy = error
    if busy:
        log.warning("erasure: the write-ahead log of %s could not be emptied yet (%s)", path, busy)


def _seal(key: bytes, subject: UUID, plaintext: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), subject.bytes)
    return base64.b64encode(nonce + sealed).decode()


def _open(key: bytes, subject: UUID, sealed: str) -> str | None:
    raw = base64.b64decode(sealed)
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], subject.bytes).decode()
    except InvalidTag:  # sealed under a key destroyed since (by another process)
        return None


class SealedPersonalData(Transcoding):
    """Stores PersonalData encrypted under its subject's key; without the key it reads as erased."""

    type = PersonalData
    name = "personal_data"

    def __init__(self, keys: PersonalDataKeys) -> None:
        self.keys = keys

    def encode(self, obj: PersonalData) -> dict[str, Any]:
        key = None if obj.erased else self.keys.key_for(obj.subject)
        if key is None:
            return {"subject": obj.subject.hex, "erased": True}
        plaintext = json.dumps({"name": obj.name, "email": obj.email, "phone": obj.phone})
        return {"subject": obj.subject.hex, "sealed": _seal(key, obj.subject, plaintext)}

    def decode(self, data: dict[str, Any]) -> PersonalData:
        subject = UUID(data["subject"])
        key = None if data.get("erased") else self.keys.get(subject)
        opened = None if key is None else _open(key, subject, data["sealed"])
        if opened is None:
            return PersonalData.erased_for(subject)
        return PersonalData(subject=subject, **json.loads(opened))


class SealedPersonalText(Transcoding):
    """Stores PersonalText encrypted under its subject's key.

    Decoding opens nothing: the loaded value keeps the ciphertext (``sealed``),
    so loading an aggregate needs no key and a loaded value is stored again
    as it was. ``PersonalTexts.open`` opens it for a read.
    """

    type = PersonalText
    name = "personal_text"

    def __init__(self, keys: PersonalDataKeys) -> None:
        self.keys = keys

    def encode(self, obj: PersonalText) -> dict[str, Any]:
        subject = obj.subject.hex
        if obj.sealed is not None:
            return {"subject": subject, "sealed": obj.sealed}
        key = None if obj.text is None else self.keys.key_for(obj.subject)
        if key is None or obj.text is None:
            return {"subject": subject, "erased": True}
        return {"subject": subject, "sealed": _seal(key, obj.subject, obj.text)}

    def decode(self, data: dict[str, Any]) -> PersonalText:
        return PersonalText(subject=UUID(data["subject"]), sealed=data.get("sealed"))


FREE_TEXT_FIELDS = frozenset(
    {"description", "remedy_sought", "message", "reason", "analysis", "plan", "comment"}
    | {"decision", "note"}
)
"""The free-text fields of customer and complaint events: words about the customer."""


class PersonalTexts:
    """Opens free text for reads: the words while the subject's key exists, else erased."""

    def __init__(self, keys: PersonalDataKeys) -> None:
        self.keys = keys

    def open(self, value: Any) -> Any:
        """``value`` with every PersonalText in it opened (nested in dicts and lists too):
        holding the words in ``text``, or none when erased."""
        if isinstance(value, PersonalText):
            if value.erased:
                return value
            key = self.keys.get(value.subject)
            if key is None:
                return PersonalText.erased_for(value.subject)
            if value.sealed is None:
                return value
            return PersonalText(subject=value.subject, text=_open(key, value.subject, value.sealed))
        if isinstance(value, dict):
            return {k: self.open(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.open(v) for v in value]
        return value

    def open_field(self, value: Any, subject: UUID) -> Any:
        """A free-text field's value opened: also a plain ``str`` (an event recorded
        before free text was sealed), which reads as written until ``subject`` — whose
        words they are — is erased, and as erased after."""
        if isinstance(value, str):
            return PersonalText.erased_for(subject) if self.keys.is_erased(subject) else value
        return self.open(value)

    def open_payload(self, payload: dict[str, Any], subject: UUID) -> dict[str, Any]:
        """An event's fields, its free text opened (``open_field``)."""
        return {
            name: self.open_field(value, subject) if name in FREE_TEXT_FIELDS else self.open(value)
            for name, value in payload.items()
        }
