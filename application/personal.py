"""Personal data sealed with one key per data subject (crypto-shredding).

Events are immutable and the audit chain must stay verifiable, so a PIPL
erasure cannot rewrite history. Instead each customer's name and contacts are
stored encrypted (AES-256-GCM) under a key of their own, kept beside the events;
erasing the customer deletes the key, and every copy of the data — in events,
snapshots or backups of them — becomes unreadable at once.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Transcoding

from domain.customer import PersonalData

NONCE_BYTES = 12


class PersonalDataKeys:
    """The per-subject keys, in a table of the application's own database."""

    def __init__(self, datastore: Any, *, postgres: bool, table: str) -> None:
        self.datastore = datastore
        self.table = table
        self.mark = "%s" if postgres else "?"
        blob = "bytea" if postgres else "BLOB"
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {table} "
                f"(subject TEXT PRIMARY KEY, key {blob} NOT NULL)"
            )

    def _select(self, cursor: Any, subject: UUID) -> bytes | None:
        cursor.execute(f"SELECT key FROM {self.table} WHERE subject = {self.mark}", (subject.hex,))
        row = cursor.fetchone()
        return None if row is None else bytes(row["key"])

    def get(self, subject: UUID) -> bytes | None:
        with self.datastore.transaction(commit=False) as cursor:
            return self._select(cursor, subject)

    def key_for(self, subject: UUID) -> bytes:
        """The subject's key, made on first use."""
        key = self.get(subject)
        if key is not None:
            return key
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} VALUES ({self.mark}, {self.mark}) "
                "ON CONFLICT (subject) DO NOTHING",
                (subject.hex, AESGCM.generate_key(bit_length=256)),
            )
            key = self._select(cursor, subject)
        assert key is not None
        return key

    def erase(self, subject: UUID) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE subject = {self.mark}", (subject.hex,))


class SealedPersonalData(Transcoding):
    """Stores PersonalData encrypted under its subject's key; without the key it reads as erased."""

    type = PersonalData
    name = "personal_data"

    def __init__(self, keys: PersonalDataKeys) -> None:
        self.keys = keys

    def encode(self, obj: PersonalData) -> dict[str, Any]:
        if obj.erased:
            return {"subject": obj.subject.hex, "erased": True}
        plaintext = json.dumps({"name": obj.name, "email": obj.email, "phone": obj.phone})
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys.key_for(obj.subject)).encrypt(
            nonce, plaintext.encode(), obj.subject.bytes
        )
        return {"subject": obj.subject.hex, "sealed": base64.b64encode(nonce + sealed).decode()}

    def decode(self, data: dict[str, Any]) -> PersonalData:
        subject = UUID(data["subject"])
        key = None if data.get("erased") else self.keys.get(subject)
        if key is None:
            return PersonalData.erased_for(subject)
        raw = base64.b64decode(data["sealed"])
        plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], subject.bytes)
        return PersonalData(subject=subject, **json.loads(plaintext))
