"""Configuration, read from the environment in one place."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.logs import unknown_variables
from application.store import StoreConfig
from projections.delivery import DEFAULT_JITTER, RetryPolicy, WebhookConfig, parse_schedule
from projections.runner import Checkpointing
from projections.signing import Signer

log = logging.getLogger("opsledger")

OTHER_VARIABLES = {"OPSLEDGER_TEST_POSTGRES", "OPSLEDGER_BENCH_POSTGRES"}
"""Read by the test and benchmark suites, not by the service."""


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
    projection_round_ms: float = Field(default=20.0, ge=0, le=1000)
    """Milliseconds at least between two rounds of the projection runner and the webhook
    follower: the commands of a round share one transaction per projection. Longer
    saves work under load; reads with min_position wait up to this much longer."""
    scheduler_interval: float = 30.0
    """Seconds between the deadline scheduler's rounds (it runs where the projections
    run): a deadline is recorded within this of passing."""
    max_body_bytes: int = 1024 * 1024
    body_timeout_seconds: float = 30.0
    """A request body must have arrived this long after its headers, else 408."""
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    """Every line the process writes: one JSON object (``json``), or ``text`` for terminals."""
    auth_failures_per_minute: int = 30
    """Failed authentications (unknown, revoked, expired tokens) one client address may
    make per minute and worker; beyond, 429 with Retry-After."""
    max_waits_per_principal: int = 4
    min_position_wait_seconds: float = 5.0
    """How long a read waits for ``min_position`` before 503 projection-behind."""
    """Reads one principal may have waiting for ``min_position`` at once; beyond, 429."""
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
            round_interval=self.round_interval(),
        )

    def round_interval(self) -> float:
        """``projection_round_ms`` in seconds."""
        return self.projection_round_ms / 1000

    @classmethod
    def known_variables(cls) -> set[str]:
        """Every ``OPSLEDGER_*`` variable something reads: these settings, and the
        test and benchmark suites' own."""
        return {f"OPSLEDGER_{name.upper()}" for name in cls.model_fields} | OTHER_VARIABLES

    def warn_unknown_variables(self) -> None:
        for warning in unknown_variables(self.known_variables()):
            log.warning(warning)

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
