"""Signed checkpoints: each log's chain head (log, position, hash, time) signed with
the audit key, which is not in the database.

A checkpoint pins the chain: whoever rewrites both the event store and the audit
trail cannot make the chain at a signed position hash to what was signed without
the private key. Checkpoints live in a store of their own, so a rebuild of the
audit trail leaves them alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from application.base import OpsApplication
from application.store import StoreConfig
from projections.audit import GENESIS, chain_hash, log_pages
from projections.signing import Signer, checkpoint_message, parse_public_key, signature_holds
from projections.store import ReadModelStore

log = logging.getLogger("opsledger.checkpoints")

WALK_PAGE = 1000
TABLES = (
    "CREATE TABLE IF NOT EXISTS audit_checkpoints ("
    "log TEXT NOT NULL, position BIGINT NOT NULL, chain_hash TEXT NOT NULL, "
    "signed_at TEXT NOT NULL, public_key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
    "signature TEXT NOT NULL, PRIMARY KEY (log, position))",
)


@dataclass(frozen=True)
class Checkpoint:
    log: str
    position: int
    chain_hash: str
    signed_at: str
    public_key: str
    fingerprint: str
    signature: str

    @property
    def message(self) -> bytes:
        return checkpoint_message(self.log, self.position, self.chain_hash, self.signed_at)

    def holds_for(self, key: Ed25519PublicKey | None) -> bool:
        """Whether the signature is good under ``key`` (None: the key the row names)."""
        try:
            key = key or parse_public_key(self.public_key)
        except ValueError:
            return False
        return signature_holds(key, self.message, self.signature)

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class CheckpointStore:
    def __init__(self, config: StoreConfig) -> None:
        self.store = ReadModelStore(config, "checkpoints")
        self.store.create_tables(TABLES)

    def add(self, checkpoint: Checkpoint) -> None:
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO audit_checkpoints VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (log, position) DO NOTHING",
                tuple(vars(checkpoint).values()),
            )

    def all(self, log: str | None = None) -> list[Checkpoint]:
        where, params = ("WHERE log = ? ", (log,)) if log else ("", ())
        rows = self.store.read(
            f"SELECT * FROM audit_checkpoints {where}ORDER BY log, position", params
        )
        return [_checkpoint(row) for row in rows]

    def latest(self, log: str) -> Checkpoint | None:
        rows = self.store.read(
            "SELECT * FROM audit_checkpoints WHERE log = ? ORDER BY position DESC LIMIT 1", (log,)
        )
        return _checkpoint(rows[0]) if rows else None

    def close(self) -> None:
        self.store.close()


def _checkpoint(row: dict[str, Any]) -> Checkpoint:
    return Checkpoint(**{**row, "position": int(row["position"])})


def take_checkpoints(
    trail: ReadModelStore, checkpoints: CheckpointStore, signer: Signer, logs: list[str]
) -> list[Checkpoint]:
    """Sign the head of each log's trail not signed yet; the new checkpoints."""
    made = []
    for name in logs:
        head = trail.read(
            "SELECT position, chain_hash FROM audit_events WHERE log = ? "
            "ORDER BY position DESC LIMIT 1",
            (name,),
        )
        latest = checkpoints.latest(name)
        if not head or (latest is not None and latest.position >= int(head[0]["position"])):
            continue
        position, hash_ = int(head[0]["position"]), str(head[0]["chain_hash"])
        signed_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        checkpoint = Checkpoint(
            log=name,
            position=position,
            chain_hash=hash_,
            signed_at=signed_at,
            public_key=signer.public_key,
            fingerprint=signer.fingerprint,
            signature=signer.sign(checkpoint_message(name, position, hash_, signed_at)),
        )
        checkpoints.add(checkpoint)
        made.append(checkpoint)
    return made


class Checkpointer:
    """The projection worker's periodic job: a checkpoint every ``every_events`` events
    projected or every ``minutes``, whichever comes first (and only if there is news)."""

    def __init__(
        self,
        take: Callable[[], list[Checkpoint]],
        *,
        every_events: int,
        minutes: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.take = take
        self.every_events = every_events
        self.seconds = minutes * 60
        self.clock = clock
        self.pending = 0
        self.last = clock()

    def tick(self, applied: int) -> list[Checkpoint]:
        self.pending += applied
        due = self.pending >= self.every_events or (
            self.pending > 0 and self.clock() - self.last >= self.seconds
        )
        if not due:
            return []
        made = self.take()
        self.pending, self.last = 0, self.clock()
        if made:
            log.info("signed %d checkpoint(s)", len(made))
        return made


def chain_walk(app: OpsApplication, up_to: int) -> Iterator[tuple[int, str]]:
    """(position, chain hash) of each event of ``app``'s store up to ``up_to``,
    recomputed from the stored events alone."""
    previous = GENESIS
    for page in log_pages(app, 0, up_to, WALK_PAGE):
        for notification in page:
            previous = chain_hash(previous, app.name, notification)
            yield notification.id, previous


def check_checkpoints(
    app: OpsApplication, checkpoints: list[Checkpoint], trusted: Ed25519PublicKey | None
) -> dict[str, Any] | None:
    """The first checkpoint of ``app``'s log the event store no longer bears out."""
    if not checkpoints:
        return None
    for checkpoint in checkpoints:
        if not checkpoint.holds_for(trusted):
            return _problem("bad_signature", checkpoint, checkpoint.position)
    pending = iter(checkpoints)
    current: Checkpoint | None = next(pending)
    last_good, last_seen = 0, 0
    for position, hash_ in chain_walk(app, checkpoints[-1].position):
        while current is not None and position >= current.position:
            if position != current.position or hash_ != current.chain_hash:
                return _problem("checkpoint_mismatch", current, current.position, last_good)
            last_good = current.position
            current = next(pending, None)
        last_seen = position
        if current is None:
            return None
    if current is None:
        return None
    return _problem("truncated", current, last_seen + 1, last_good)


def _problem(
    kind: str, checkpoint: Checkpoint, position: int, last_good: int = 0
) -> dict[str, Any]:
    details = {
        "bad_signature": "the checkpoint's signature does not hold under the audit key",
        "checkpoint_mismatch": (
            f"the chain recomputed from the event store differs from the one signed at "
            f"{checkpoint.log}:{checkpoint.position}; the change lies after position "
            f"{last_good} (the last checkpoint that holds)"
        ),
        "truncated": (
            f"the event store ends before {checkpoint.log}:{checkpoint.position}, "
            "which a checkpoint signed"
        ),
    }
    return {"kind": kind, "log": checkpoint.log, "position": position, "detail": details[kind]}
