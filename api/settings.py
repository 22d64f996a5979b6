"""Configuration, read from the environment in one place."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from application.store import StoreConfig
from projections.delivery import DEFAULT_JITTER, RetryPolicy, WebhookConfig, parse_schedule
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
    """PostgreSQL connections kept open per aggregate type and worker."""
    max_overflow: int = 8
    """Further connections per aggregate type and worker opened under load."""
    aggregate_cache: int = 1000
    """Aggregates kept in memory per aggregate type and worker (0: none)."""
    run_projections: bool = True
    """Run the projection workers inside the server; false where `opsledger projections run`
    runs them apart (the server still serves the read models)."""
    scheduler_interval: float = 30.0
    """Seconds between the deadline scheduler's rounds (it runs where the projections
    run): a deadline is recorded within this of passing."""
    max_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    audit_key: Path | None = None
    """The Ed25519 private key file that signs checkpoints and bundles
    (`opsledger audit keygen` makes one); absent = no signing."""
    checkpoint_every_events: int = 1000
    """The projection worker signs the chain heads after this many new events..."""
    checkpoint_minutes: float = 60.0
    """... or after this many minutes with new events, whichever comes first."""

    webhook_retry_schedule: str = ""
    """Delays after each failed delivery attempt, `5s,30s,2m,...` (empty: the default,
    12 attempts over ~31.7 h; see docs/webhooks.md); after the last, the delivery fails."""
    webhook_retry_jitter: float = DEFAULT_JITTER
    """Each retry delay is stretched or shrunk at random by up to this fraction."""
    webhook_timeout: float = 5.0
    """Seconds a receiver has to answer a delivery."""
    webhook_lease_seconds: float = 60.0
    """How long a sender holds the deliveries it took (another takes them after it dies)."""
    webhook_poll_seconds: float = 0.5
    """How often the webhook worker looks for new events and due retries."""
    webhook_allow_link_local: bool = False
    """Deliver to link-local and cloud metadata addresses too (refused by default)."""

    def webhooks(self) -> WebhookConfig:
        schedule = (
            parse_schedule(self.webhook_retry_schedule) if self.webhook_retry_schedule else None
        )
        policy = RetryPolicy(jitter=self.webhook_retry_jitter)
        if schedule is not None:
            policy = RetryPolicy(schedule=schedule, jitter=self.webhook_retry_jitter)
        return WebhookConfig(
            policy=policy,
            timeout=self.webhook_timeout,
            lease_seconds=self.webhook_lease_seconds,
            poll_interval=self.webhook_poll_seconds,
            allow_link_local=self.webhook_allow_link_local,
        )

    def signer(self) -> Signer | None:
        return Signer.from_file(self.audit_key) if self.audit_key else None

    def checkpointing(self) -> Checkpointing | None:
        signer = self.signer()
        if signer is None:
            return None
        return Checkpointing(
            signer, every_events=self.checkpoint_every_events, minutes=self.checkpoint_minutes
        )

    def store(self) -> StoreConfig:
        return StoreConfig(
            database_url=self.database_url or None,
            data_dir=self.data_dir,
            pool_size=self.pool_size,
            max_overflow=self.max_overflow,
            aggregate_cache=self.aggregate_cache,
        )
