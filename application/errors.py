"""Errors the application raises around the domain's own rules."""

from __future__ import annotations

from domain.errors import NamedError


class ApplicationError(NamedError):
    slug = "application-error"
    title = "The command could not be handled"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class AggregateNotFound(ApplicationError):
    slug = "not-found"
    title = "No such resource"


class VersionMismatch(ApplicationError):
    """If-Match named a version the aggregate has moved on from."""

    slug = "version-mismatch"
    title = "The resource has changed since the version given in If-Match"

    def __init__(self, detail: str, current_version: int) -> None:
        super().__init__(detail)
        self.current_version = current_version


class ConcurrentWriteConflict(ApplicationError):
    slug = "concurrent-write"
    title = "Another command changed this resource at the same time; retry"


class IdempotencyKeyReused(ApplicationError):
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was used with a different request"


class ReferencedAggregateNotFound(ApplicationError):
    """A command names another aggregate (by id) that does not exist."""

    slug = "referenced-resource-not-found"
    title = "A resource named in the request does not exist"

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail)
        self.field = field
