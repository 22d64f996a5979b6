"""Configuration, read from the environment in one place."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from application.store import StoreConfig
from projections.runner import Checkpointing
from projections.signing import Signer


class Settings(BaseSettings):
    """Every ``OPSLEDGER_*`` variable the service reads."""

    model_config = SettingsConfigDict(env_prefix="OPSLEDGER_", extra="ignore")

    database_url: str | None = None
    """``postgresql://user:password@host:port/db``; absent = embedded SQLite."""
    data_dir: Path = Path("var")
    """Where the embedded SQLite files live."""
    pool_size: int = 2
    """PostgreSQL connections of the one shared pool each process keeps open."""
    max_overflow: int = 4
    """Further connections that pool opens under load, per process."""
    pool_timeout: float = 3.0
    """Seconds a request waits for a PostgreSQL connection; then 503 store-unavailable."""
    connect_timeout: float = 3.0
    """Seconds to open one PostgreSQL connection."""
    statement_timeout: float = 10.0
    """Seconds one PostgreSQL statement may run (0: no limit); then 503."""
    aggregate_cache: int = 1000
    """Aggregates kept in memory per aggregate type and worker (0: none)."""
    run_projections: bool = True
    """Run the projection workers inside the server; false where `opsledger projections run`
    runs them apart (the server still serves the read models)."""
    max_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    audit_key: Path | None = None
    """The Ed25519 private key file that signs checkpoints and bundles
    (`opsledger audit keygen` makes one); absent = no signing."""
    checkpoint_every_events: int = 1000
    """The projection worker signs the chain heads after this many new events..."""
    checkpoint_minutes: float = 60.0
    """... or after this many minutes with new events, whichever comes first."""

    def signer(self) -> Signer | None:
        return Signer.from_file(self.audit_key) if self.audit_key else None

    def checkpointing(self) -> Checkpointing | None:
        signer = self.signer()
        if signer is None:
            return None
        return Checkpointing(
            signer, every_events=self.checkpoint_every_events, minutes=self.checkpoint_minutes
        )

    def store(self, application_name: str = "opsledger") -> StoreConfig:
        """The store, for a process that PostgreSQL lists as ``application_name``."""
        return StoreConfig(
            database_url=self.database_url or None,
            data_dir=self.data_dir,
            pool_size=self.pool_size,
            max_overflow=self.max_overflow,
            aggregate_cache=self.aggregate_cache,
            pool_timeout=self.pool_timeout,
            connect_timeout=self.connect_timeout,
            statement_timeout=self.statement_timeout,
            application_name=application_name,
        )
