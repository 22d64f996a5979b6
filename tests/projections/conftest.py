"""Fixtures for the projection tests: a runner on the store under test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.services import Services
from application.store import StoreConfig
from projections import runner as runner_module
from projections.runner import ProjectionRunner
from tests.projections.support import make_runner, open_services


@pytest.fixture
def services(store_config: StoreConfig) -> Iterator[Services]:
    """Like the shared fixture, with small connection pools."""
    opened = open_services(store_config)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(runner_module, "PAGE_SIZE", 3)
    return 3


@pytest.fixture
def runner(services: Services, store_config: StoreConfig) -> Iterator[ProjectionRunner]:
    opened = make_runner(services, store_config)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def environment(store_config: StoreConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``OPSLEDGER_*`` variables that point the command line at the store under test."""
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(store_config.data_dir))
    monkeypatch.setenv("OPSLEDGER_POOL_SIZE", "1")
    if store_config.database_url:
        monkeypatch.setenv("OPSLEDGER_DATABASE_URL", store_config.database_url)
    else:
        monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)
