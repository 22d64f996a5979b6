"""Export the audit trail as a bundle (see ``projections.bundle``), streamed: a page of
events at a time, so the memory it takes does not grow with the history."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from application.base import OpsApplication
from projections.audit import GENESIS, chain_hash, log_pages
from projections.bundle import FORMAT, VERSION, manifest_message
from projections.checkpoints import CheckpointStore
from projections.projection import utc_text
from projections.queries.audit import trail_event
from projections.signing import Signer
from projections.store import ReadModelStore

EXPORT_PAGE = 1000


class ExportRefused(RuntimeError):
    """The event store no longer matches the trail: export nothing, verify first."""


@dataclass(frozen=True)
class ExportRange:
    since: datetime | None = None
    until: datetime | None = None
    log: str | None = None


@dataclass
class _Writer:
    file: IO[bytes]
    digest: Any = field(default_factory=hashlib.sha256)
    lines: int = 0

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n"
        self.digest.update(line)
        self.lines += 1
        self.file.write(line)


def export_bundle(
    out: Path,
    apps: Sequence[OpsApplication],
    trail: ReadModelStore,
    checkpoints: CheckpointStore,
    signer: Signer,
    where: ExportRange,
) -> dict[str, Any]:
    """Write the bundle to ``out``; its manifest."""
    chosen = [app for app in apps if where.log in (None, app.name)]
    ranges = {app.name: _positions(trail, app.name, where) for app in chosen}
    with out.open("wb") as file:
        writer = _Writer(file)
        writer.write(
            {
                "record": "header",
                "format": FORMAT,
                "version": VERSION,
                "public_key": signer.public_key,
                "fingerprint": signer.fingerprint,
                "exported_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "since": utc_text(where.since),
                "until": utc_text(where.until),
                "log": where.log,
            }
        )
        signed = 0
        for name, (first, last) in ranges.items():
            for checkpoint in checkpoints.all(name):
                if first <= checkpoint.position <= last:
                    writer.write({"record": "checkpoint", **checkpoint.as_dict()})
                    signed += 1
        counts = {}
        for app in chosen:
            first, last = ranges[app.name]
            if first <= last:
                counts[app.name] = _events(writer, app, trail, first, last)
        digest = writer.digest.hexdigest()
        manifest = {
            "record": "manifest",
            "events": counts,
            "checkpoints": signed,
            "lines": writer.lines,
            "sha256": digest,
            "signature": signer.sign(manifest_message(digest)),
        }
        file.write(json.dumps(manifest, sort_keys=True).encode() + b"\n")
    return manifest


def _positions(trail: ReadModelStore, log: str, where: ExportRange) -> tuple[int, int]:
    """The first and last position of ``log`` in the range (first > last: none)."""
    clauses, params = ["log = ?"], [log]
    if where.since is not None:
        clauses.append("occurred_at >= ?")
        params.append(str(utc_text(where.since)))
    if where.until is not None:
        clauses.append("occurred_at < ?")
        params.append(str(utc_text(where.until)))
    row = trail.read(
        f"SELECT MIN(position) AS first, MAX(position) AS last FROM audit_events "
        f"WHERE {' AND '.join(clauses)}",
        params,
    )[0]
    if row["first"] is None:
        return 1, 0
    return int(row["first"]), int(row["last"])


def _events(
    writer: _Writer, app: OpsApplication, trail: ReadModelStore, first: int, last: int
) -> int:
    before = trail.read(
        "SELECT chain_hash FROM audit_events WHERE log = ? AND position < ? "
        "ORDER BY position DESC LIMIT 1",
        (app.name, first),
    )
    previous = str(before[0]["chain_hash"]) if before else GENESIS
    count = 0
    for page in log_pages(app, first - 1, last, EXPORT_PAGE):
        rows = trail.read(
            "SELECT * FROM audit_events WHERE log = ? AND position >= ? AND position <= ? "
            "ORDER BY position",
            (app.name, page[0].id, page[-1].id),
        )
        if [int(r["position"]) for r in rows] != [n.id for n in page]:
            raise ExportRefused(f"{app.name}: the event store and the trail disagree; verify")
        for notification, row in zip(page, rows, strict=True):
            hash_ = chain_hash(previous, app.name, notification)
            if hash_ != row["chain_hash"]:
                raise ExportRefused(f"{app.name}:{notification.id} is altered; verify")
            writer.write(_event(row, previous, bytes(notification.state)))
            previous, count = hash_, count + 1
    return count


def _event(row: dict[str, Any], previous: str, state: bytes) -> dict[str, Any]:
    return {
        **trail_event(row),
        "record": "event",
        "position": int(row["position"]),
        "state": base64.b64encode(state).decode(),
        "previous_hash": previous,
    }
