"""The app's settings on the store under test, and what a ``shared_app`` module's
tests share (see tests/support/sharing.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from api.settings import Settings
from application.store import StoreConfig
from tests.support.sharing import ModuleShared


@pytest.fixture(scope="module")
def module_shared() -> Iterator[ModuleShared]:
    with ExitStack() as stack:
        yield ModuleShared(stack)


@pytest.fixture
def settings(store_config: StoreConfig) -> Settings:
    """One pooled connection per application: the PostgreSQL server is shared."""
    return Settings(
        database_url=store_config.database_url,
        data_dir=store_config.data_dir,
        pool_size=1,
        # A loose bound on waiting for a pooled connection: two test processes share
        # 2 cores (the outage tests set their own, tight one).
        pool_timeout=15.0,
        log_level="WARNING",
        # The deadline scheduler's first round comes when the app's read models are
        # caught up (nothing is due in a new store); tests tick it themselves.
        scheduler_interval=3600,
        # Every test client is the one address "testclient", and many tests send bad
        # tokens on purpose: the limit on failed authentications has its own tests.
        auth_failures_per_minute=1_000_000,
    )
