"""``opsledger audit keygen | checkpoint | export | verify`` on the store under test."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from application.services import Services
from application.store import StoreConfig
from tests.projections.support import alter_event, mixed_history, positions_in_store


@pytest.fixture
def public_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    key_file = tmp_path / "audit.key"
    assert main(["audit", "keygen", "--out", str(key_file)]) == 0
    out = capsys.readouterr()
    assert "fingerprint" in out.err
    monkeypatch.setenv("OPSLEDGER_AUDIT_KEY", str(key_file))
    return out.out.strip()


@pytest.mark.usefixtures("environment")
def test_keygen_never_overwrites_a_key(public_key: str, tmp_path: Path) -> None:
    assert public_key.startswith("ed25519:")
    assert main(["audit", "keygen", "--out", str(tmp_path / "audit.key")]) == 2


@pytest.mark.usefixtures("environment")
def test_checkpoint_then_verify_the_live_store(
    services: Services,
    store_config: StoreConfig,
    public_key: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mixed_history(services, customers=2)
    assert main(["audit", "checkpoint"]) == 0
    signed = capsys.readouterr().out.splitlines()
    head = positions_in_store(services)["customers"][-1]
    assert any(line.startswith(f"customers:{head} ") for line in signed), signed
    assert main(["audit", "verify", "--public-key", public_key]) == 0
    assert "customers: intact" in capsys.readouterr().out

    alter_event(store_config, "customers", head)
    assert main(["audit", "verify"]) == 1
    said = capsys.readouterr().out
    assert f"customers:{head} altered" in said
    assert f"customers:{head} checkpoint_mismatch" in said
    # A broken chain is not signed.
    assert main(["audit", "checkpoint"]) == 2


@pytest.mark.usefixtures("environment")
def test_export_then_verify_the_bundle_offline(
    services: Services,
    public_key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mixed_history(services, customers=2)
    assert main(["audit", "checkpoint"]) == 0
    out = tmp_path / "bundle.jsonl"
    assert main(["audit", "export", "--out", str(out), "--log", "customers"]) == 0
    assert "events" in capsys.readouterr().out
    # Offline: no database, no key file; the public key as text or in a file.
    monkeypatch.setenv("OPSLEDGER_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.delenv("OPSLEDGER_AUDIT_KEY")
    key_file = tmp_path / "audit.pub"
    key_file.write_text(public_key + "\n")
    for key in (public_key, str(key_file)):
        assert main(["audit", "verify", str(out), "--public-key", key]) == 0
        assert "intact" in capsys.readouterr().out
    out.write_bytes(out.read_bytes().replace(b'"customers"', b'"customerz"', 1))
    assert main(["audit", "verify", str(out), "--public-key", public_key]) == 1
    assert "ALTERED" in capsys.readouterr().out
    assert main(["audit", "verify", str(out)]) == 2


@pytest.mark.usefixtures("environment")
def test_export_and_checkpoint_need_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPSLEDGER_AUDIT_KEY", raising=False)
    assert main(["audit", "checkpoint"]) == 2
    assert main(["audit", "export", "--out", str(tmp_path / "b.jsonl")]) == 2
    assert "OPSLEDGER_AUDIT_KEY" in capsys.readouterr().err
