"""HTTP fixtures: the real app (lifespan included) on the store under test, and tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from api.tokens import TokenStore
from application.store import StoreConfig
from tests.api.support import Api, Tokens


@pytest.fixture
def settings(store_config: StoreConfig) -> Settings:
    return Settings(
        database_url=store_config.database_url,
        data_dir=store_config.data_dir,
        pool_size=2,  # connections per application: several test sessions share one server
        log_level="WARNING",
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def tokens(store_config: StoreConfig) -> Iterator[Tokens]:
    """Issues tokens through the real TokenStore: ``tokens[Role.SALES]``, ``tokens["cs-bo"]``."""
    store = TokenStore(store_config)
    try:
        yield Tokens(store)
    finally:
        store.close()


@pytest.fixture
def api(client: TestClient, tokens: Tokens) -> Api:
    return Api(client, tokens)
