"""``opsledger audit export`` and offline verification: the bundle is verified by the
built-in verifier and by an independent one written from docs/audit-bundle.md; any
edit of the file is caught; the export streams."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.services import Services
from application.store import StoreConfig
from demo import load_demo
from projections import export as export_module
from projections.bundle import event_hash, manifest_message, verify_bundle
from projections.export import ExportRange, ExportRefused, export_bundle
from projections.runner import ProjectionRunner
from projections.signing import Signer, generate_key_file, parse_public_key
from tests.projections.support import (
    alter_event,
    customer_story,
    mixed_history,
    positions_in_store,
)

VERIFIER = Path(__file__).parents[1] / "audit" / "independent_verifier.py"


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer(generate_key_file(tmp_path / "audit.key"))


def export(
    runner: ProjectionRunner, services: Services, signer: Signer, out: Path, **where: object
) -> dict[str, object]:
    return export_bundle(
        out,
        services.all(),
        runner.store("audit"),
        runner.checkpoints,
        signer,
        ExportRange(**where),  # type: ignore[arg-type]
    )


@pytest.fixture
def bundle(services: Services, runner: ProjectionRunner, signer: Signer, tmp_path: Path) -> Path:
    mixed_history(services, customers=3)
    runner.catch_up()
    runner.signer = signer
    runner.checkpoint()
    customer_story(services, 9)  # after the checkpoint: in the bundle, unsigned
    runner.catch_up()
    out = tmp_path / "audit.jsonl"
    export(runner, services, signer, out)
    return out


def independent(path: Path, key: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(VERIFIER), str(path), key], capture_output=True, text=True
    )
    return done.returncode, done.stdout.strip()


def test_a_bundle_verifies_offline_with_both_verifiers(
    bundle: Path, services: Services, signer: Signer
) -> None:
    report = verify_bundle(bundle, parse_public_key(signer.public_key))
    assert report.problems == []
    in_store = {log: len(ids) for log, ids in positions_in_store(services).items() if ids}
    assert report.events == in_store
    assert report.checkpoints == len(in_store)
    assert independent(bundle, signer.public_key) == (0, "OK")


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _edit_event(field: str, change: Callable[[object], object]) -> Callable[[list[bytes]], None]:
    def edit(lines: list[bytes]) -> None:
        index = next(i for i, line in enumerate(lines) if b'"record": "event"' in line) + 3
        record = json.loads(lines[index])
        record[field] = change(record[field])
        lines[index] = json.dumps(record, sort_keys=True).encode() + b"\n"

    return edit


def _state_edit(state: object) -> str:
    return base64.b64encode(base64.b64decode(str(state)) + b" ").decode()


EDITS: dict[str, Callable[[list[bytes]], None]] = {
    "payload": _edit_event("payload", lambda p: {**p, "note": "x"}),  # type: ignore[dict-item]
    "metadata": _edit_event("metadata", lambda m: {**m, "principal": "someone.else"}),  # type: ignore[dict-item]
    "state": _edit_event("state", _state_edit),
    "deleted event": lambda lines: lines.__delitem__(5),
    "swapped events": lambda lines: lines.insert(5, lines.pop(6)),
    "duplicated event": lambda lines: lines.insert(5, lines[5]),
    "truncated tail": lambda lines: lines.__delitem__(-2),
    "no manifest": lambda lines: lines.__delitem__(-1),
    "one byte": lambda lines: lines.__setitem__(2, lines[2].replace(b":", b": ", 1)),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_any_edit_of_the_file_is_detected(bundle: Path, signer: Signer, edit: str) -> None:
    lines = _lines(bundle)
    EDITS[edit](lines)
    bundle.write_bytes(b"".join(lines))
    report = verify_bundle(bundle, parse_public_key(signer.public_key))
    assert not report.intact
    code, said = independent(bundle, signer.public_key)
    assert code == 1 and said.startswith("BAD"), said


def _forge(lines: list[bytes], forger: Signer) -> bytes:
    """Re-chain every event after an edit, re-digest and re-sign with ``forger``."""
    records = [json.loads(line) for line in lines]
    records[0]["public_key"] = forger.public_key
    heads: dict[str, str] = {}
    for record in records:
        if record["record"] == "event":
            record["previous_hash"] = heads.get(record["log"], record["previous_hash"])
            state = base64.b64decode(record["state"])
            record["chain_hash"] = heads[record["log"]] = event_hash(
                record["previous_hash"], record, state
            )
    body = b"".join(json.dumps(r, sort_keys=True).encode() + b"\n" for r in records[:-1])
    digest = hashlib.sha256(body).hexdigest()
    manifest = {**records[-1], "sha256": digest, "signature": forger.sign(manifest_message(digest))}
    return body + json.dumps(manifest, sort_keys=True).encode() + b"\n"


def test_a_forgery_without_the_key_is_caught(bundle: Path, signer: Signer, tmp_path: Path) -> None:
    lines = _lines(bundle)
    EDITS["state"](lines)
    forger = Signer(generate_key_file(tmp_path / "forger.key"))
    forged = tmp_path / "forged.jsonl"
    forged.write_bytes(_forge(lines, forger))
    # Consistent in itself: the chain links and the digest holds ...
    own = {p["kind"] for p in verify_bundle(forged, parse_public_key(forger.public_key)).problems}
    assert not own & {"altered", "broken_link", "digest_mismatch"}
    # ... but not under the audit key: the checkpoints and the manifest were not signed by it.
    report = verify_bundle(forged, parse_public_key(signer.public_key))
    kinds = {p["kind"] for p in report.problems}
    assert {"wrong_key", "bad_signature", "checkpoint_mismatch"} <= kinds
    assert independent(forged, signer.public_key)[0] == 1


def test_the_wrong_key_is_refused(bundle: Path, tmp_path: Path) -> None:
    other = Signer(generate_key_file(tmp_path / "other.key"))
    report = verify_bundle(bundle, parse_public_key(other.public_key))
    assert {"wrong_key", "bad_signature"} <= {p["kind"] for p in report.problems}
    assert independent(bundle, other.public_key)[0] == 1


def test_export_one_log_and_a_time_range(
    services: Services, runner: ProjectionRunner, signer: Signer, tmp_path: Path
) -> None:
    mixed_history(services, customers=2)
    runner.catch_up()
    middle = datetime.now(UTC)
    mixed_history(services, customers=2, start=2)
    runner.catch_up()
    out = tmp_path / "customers.jsonl"
    manifest = export(runner, services, signer, out, log="customers", since=middle)
    events = [json.loads(line) for line in _lines(out) if b'"record": "event"' in line]
    assert {e["log"] for e in events} == {"customers"}
    assert all(e["occurred_at"] >= middle.isoformat()[:19] for e in events)
    assert 0 < len(events) < len(positions_in_store(services)["customers"])
    assert manifest["events"] == {"customers": len(events)}
    assert verify_bundle(out, parse_public_key(signer.public_key)).intact
    assert independent(out, signer.public_key) == (0, "OK")


def test_export_refuses_a_store_that_no_longer_matches_the_trail(
    services: Services,
    store_config: StoreConfig,
    runner: ProjectionRunner,
    signer: Signer,
    tmp_path: Path,
) -> None:
    mixed_history(services, customers=2)
    runner.catch_up()
    alter_event(store_config, "customers", positions_in_store(services)["customers"][1])
    with pytest.raises(ExportRefused):
        export(runner, services, signer, tmp_path / "out.jsonl")


def test_export_streams_in_bounded_memory(
    services: Services,
    runner: ProjectionRunner,
    signer: Signer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export_module, "EXPORT_PAGE", 20)
    for n in range(200):
        customer_story(services, n)
    runner.catch_up()
    out = tmp_path / "big.jsonl"
    tracemalloc.start()
    try:
        export(runner, services, signer, out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 800 events: holding them all would take several times the file's size.
    assert peak < out.stat().st_size / 3, (peak, out.stat().st_size)


def test_a_bundle_of_the_demo_company_verifies_and_fails_after_a_one_byte_edit(
    services: Services, runner: ProjectionRunner, signer: Signer, tmp_path: Path
) -> None:
    load_demo(services, now=datetime(2026, 11, 30, tzinfo=UTC), scale=0.2)
    runner.catch_up()
    runner.signer = signer
    runner.checkpoint()
    out = tmp_path / "demo.jsonl"
    export(runner, services, signer, out)
    key = parse_public_key(signer.public_key)
    report = verify_bundle(out, key)
    assert report.problems == []
    assert sum(report.events.values()) == sum(
        len(ids) for ids in positions_in_store(services).values()
    )
    assert independent(out, signer.public_key) == (0, "OK")

    data = bytearray(out.read_bytes())
    middle = data.index(b'"state"', len(data) // 2) + len(b'"state": "')
    data[middle] = ord("A") if data[middle] != ord("A") else ord("B")  # one byte of a payload
    out.write_bytes(bytes(data))
    assert verify_bundle(out, key).problems
    assert independent(out, signer.public_key)[0] != 0
