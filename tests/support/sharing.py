"""One store and app per module for modules marked ``shared_app``
(``pytestmark = pytest.mark.shared_app``): starting the whole app takes about a
second, and tests that only make new aggregates need no empty store. A test of such
a module marked ``fresh_app`` gets its own store and app anyway. (The fixtures that
use this: ``store_config`` in tests/conftest.py, ``client`` and ``tokens`` in
tests/api/conftest.py.)"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


def shares_app(request: pytest.FixtureRequest) -> bool:
    """Whether this test uses its module's store and app instead of its own."""
    node = request.node
    return bool(node.get_closest_marker("shared_app")) and not node.get_closest_marker("fresh_app")


class ModuleShared:
    """What the tests of one module share, by key; closed when the module is done."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.items: dict[Any, Any] = {}

    def get(self, key: Any, make: Callable[[], T]) -> T:
        if key not in self.items:
            self.items[key] = make()
        value: T = self.items[key]
        return value

    def close(self) -> None:
        """Close what is shared (a test with a store of its own empties PostgreSQL's)."""
        self.stack.close()
        self.items.clear()

    def entered(self, key: Any, make: Callable[[], AbstractContextManager[T]]) -> T:
        return self.get(key, lambda: self.stack.enter_context(make()))
