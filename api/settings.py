"""Configuration, read from the environment in one place."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from application.store import StoreConfig


class Settings(BaseSettings):
    """Every ``OPSLEDGER_*`` variable the service reads."""

    model_config = SettingsConfigDict(env_prefix="OPSLEDGER_", extra="ignore")

    database_url: str | None = None
    """``postgresql://user:password@host:port/db``; absent = embedded SQLite."""
    data_dir: Path = Path("var")
    """Where the embedded SQLite files live."""
    pool_size: int = 2
    """PostgreSQL connections kept open per aggregate type and worker."""
    max_overflow: int = 8
    """Further connections per aggregate type and worker opened under load."""
    aggregate_cache: int = 1000
    """Aggregates kept in memory per aggregate type and worker (0: none)."""
    run_projections: bool = True
    """Run the projection workers inside the server; false where `opsledger projections run`
    runs them apart (the server still serves the read models)."""
    max_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"

    def store(self) -> StoreConfig:
        return StoreConfig(
            database_url=self.database_url or None,
            data_dir=self.data_dir,
            pool_size=self.pool_size,
            max_overflow=self.max_overflow,
            aggregate_cache=self.aggregate_cache,
        )
