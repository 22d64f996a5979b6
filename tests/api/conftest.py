"""HTTP fixtures: the real app (lifespan included) on the store under test, and tokens.
(In a ``shared_app`` module the app and the token store are its tests' one, see
tests/support/app.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from api.tokens import TokenStore
from application.services import Services
from application.store import StoreConfig
from tests.api.support import Api, Tokens
from tests.support.sharing import ModuleShared, shares_app


@pytest.fixture
def client(
    settings: Settings, request: pytest.FixtureRequest, module_shared: ModuleShared
) -> Iterator[TestClient]:
    if shares_app(request):
        yield module_shared.entered(
            ("client", settings.data_dir), lambda: TestClient(create_app(settings))
        )
        return
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def tokens(
    store_config: StoreConfig, request: pytest.FixtureRequest, module_shared: ModuleShared
) -> Iterator[Tokens]:
    """Issues tokens through the real TokenStore: ``tokens[Role.SALES]``, ``tokens["cs-bo"]``."""
    if shares_app(request):
        yield module_shared.get(
            ("tokens", store_config.data_dir),
            lambda: Tokens(module_shared.stack.enter_context(closing(TokenStore(store_config)))),
        )
        return
    store = TokenStore(store_config)
    try:
        yield Tokens(store)
    finally:
        store.close()


@pytest.fixture
def api(client: TestClient, tokens: Tokens) -> Api:
    return Api(client, tokens)


@pytest.fixture
def clocked(client: TestClient) -> Services:
    """The ``clock`` drives the app's applications."""
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services
