"""The audit bundle: the trail exported to one file an auditor verifies offline.

JSON Lines: a header, the checkpoints, the events (each log in position order),
and a signed manifest last. The format is documented in docs/audit-bundle.md;
``verify_bundle`` needs nothing but the file and the public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.signing import checkpoint_message, public_key_text, signature_holds

FORMAT, VERSION = "opsledger-audit-bundle", 1


def manifest_message(digest: str) -> bytes:
    """The exact bytes the manifest's signature covers."""
    return f"opsledger-bundle-v1|{digest}".encode()


def event_hash(previous: str, event: dict[str, Any], state: bytes) -> str:
    """The chain hash of an event line (``projections.audit.chain_hash`` on its fields)."""
    digest = hashlib.sha256(previous.encode())
    header = (
        f"|{event['log']}|{event['position']}|{event['aggregate_id']}"
        f"|{event['version']}|{event['topic']}|"
    )
    digest.update(header.encode())
    digest.update(hashlib.sha256(state).digest())
    return digest.hexdigest()


@dataclass
class BundleReport:
    events: dict[str, int] = field(default_factory=dict)
    checkpoints: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def add(self, line: int, kind: str, detail: str, **where: Any) -> None:
        self.problems.append({"line": line, "kind": kind, **where, "detail": detail})


@dataclass
class _Log:
    last_position: int = 0
    last_hash: str | None = None
    broken: bool = False


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as file:
        yield from enumerate(file, start=1)


def verify_bundle(path: Path, key: Ed25519PublicKey) -> BundleReport:
    """Check a bundle: chain continuity, checkpoint signatures, manifest digest and
    signature; every problem found, with the line it is on."""
    report = BundleReport()
    digest = hashlib.sha256()
    logs: dict[str, _Log] = {}
    signed: dict[tuple[str, int], str] = {}
    manifest: dict[str, Any] | None = None
    count = 0
    for number, raw in _lines(path):
        if manifest is not None:
            report.add(number, "trailing", "lines after the manifest")
            break
        try:
            record = json.loads(raw)
            kind = record["record"]
        except (ValueError, KeyError, TypeError):
            report.add(number, "unreadable", "not a bundle record")
            digest.update(raw)
            count += 1
            continue
        if kind == "manifest":
            manifest = record
            continue
        digest.update(raw)
        count += 1
        if number == 1:
            _header(record, key, report)
        elif kind == "checkpoint":
            _checkpoint(number, record, key, report, signed)
        elif kind == "event":
            _event(number, record, report, logs, signed)
        else:
            report.add(number, "unreadable", f"unknown record {kind!r}")
    _manifest(manifest, count, digest.hexdigest(), key, report)
    for (log, position), _ in signed.items():
        report.add(
            0,
            "checkpoint_unmatched",
            "no event in the bundle at a signed position",
            log=log,
            position=position,
        )
    return report


def _header(record: dict[str, Any], key: Ed25519PublicKey, report: BundleReport) -> None:
    if record.get("record") != "header" or record.get("format") != FORMAT:
        report.add(1, "unreadable", "the first line is not an opsledger bundle header")
    elif record.get("public_key") != public_key_text(key):
        report.add(1, "wrong_key", "the bundle names another public key than the one given")


def _checkpoint(
    number: int,
    record: dict[str, Any],
    key: Ed25519PublicKey,
    report: BundleReport,
    signed: dict[tuple[str, int], str],
) -> None:
    try:
        message = checkpoint_message(
            record["log"], int(record["position"]), record["chain_hash"], record["signed_at"]
        )
        holds = signature_holds(key, message, record["signature"])
    except (KeyError, TypeError, ValueError):
        holds = False
    report.checkpoints += 1
    if not holds:
        report.add(
            number,
            "bad_signature",
            "the checkpoint's signature does not hold",
            log=record.get("log"),
            position=record.get("position"),
        )
        return
    signed[record["log"], int(record["position"])] = record["chain_hash"]


def _event(
    number: int,
    record: dict[str, Any],
    report: BundleReport,
    logs: dict[str, _Log],
    signed: dict[tuple[str, int], str],
) -> None:
    try:
        name, position = str(record["log"]), int(record["position"])
        state = base64.b64decode(record["state"], validate=True)
        computed = event_hash(record["previous_hash"], record, state)
    except (KeyError, TypeError, ValueError):
        report.add(number, "unreadable", "an event line lacks a field the chain needs")
        return
    report.events[name] = report.events.get(name, 0) + 1
    chain = logs.setdefault(name, _Log())
    if chain.broken:
        return
    where = {"log": name, "position": position}
    problem = None
    if position <= chain.last_position:
        problem = ("reordered", "positions do not rise")
    elif chain.last_hash is not None and record["previous_hash"] != chain.last_hash:
        problem = ("broken_link", "previous_hash is not the hash of the event before")
    elif computed != record.get("chain_hash"):
        problem = ("altered", "the event's chain hash does not match its fields")
    elif signed.pop((name, position), computed) != computed:
        problem = ("checkpoint_mismatch", "the chain differs from what a checkpoint signed")
    if problem is not None:
        report.add(number, problem[0], problem[1], **where)
        chain.broken = True
        return
    chain.last_position, chain.last_hash = position, computed


def _manifest(
    manifest: dict[str, Any] | None,
    count: int,
    digest: str,
    key: Ed25519PublicKey,
    report: BundleReport,
) -> None:
    if manifest is None:
        report.add(0, "no_manifest", "the bundle ends without its manifest")
        return
    if manifest.get("sha256") != digest or manifest.get("lines") != count:
        report.add(0, "digest_mismatch", "the file's digest or line count is not the manifest's")
    if not signature_holds(key, manifest_message(digest), str(manifest.get("signature", ""))):
        report.add(0, "bad_signature", "the manifest's signature does not hold")
    if manifest.get("events") != report.events or manifest.get("checkpoints") != report.checkpoints:
        report.add(0, "count_mismatch", "the counts are not the manifest's")
