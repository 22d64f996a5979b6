"""FastAPI dependencies: the services, the read models, the caller, and a command's context.

No `from __future__ import annotations` here: FastAPI must see the real
annotations of the nested dependency functions, which close over local roles.
"""

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.limits import FailureLimit
from api.problems import Problem
from api.tokens import TokenExpired, TokenStore
from application.context import Actor, CommandContext, Idempotency
from application.services import Services
from domain.vocabulary import Role
from projections.queries.read_models import ReadModels
from projections.runner import ProjectionRunner

ETAG_PATTERN = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')
MAX_IDEMPOTENCY_KEY = 255

# Declares the bearer scheme in the OpenAPI document (so /docs has Authorize) on
# every operation that needs a caller; the answers to a missing or bad token stay ours.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token from `opsledger token create`: `Authorization: Bearer <token>`",
)


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_read_models(request: Request) -> ReadModels:
    read_models: ReadModels = request.app.state.read_models
    return read_models


async def get_runner(request: Request) -> ProjectionRunner:
    runner: ProjectionRunner = request.app.state.projections
    return runner


async def get_tokens(request: Request) -> TokenStore:
    tokens: TokenStore = request.app.state.tokens
    return tokens


def current_actor(
    request: Request,
    tokens: Annotated[TokenStore, Depends(get_tokens)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Actor:
    """The principal named by the bearer token; 401 without a valid one, 429 for an
    address that failed too often lately."""
    token = credentials.credentials if credentials is not None else ""
    if not token.strip():
        raise Problem(
            401,
            "unauthenticated",
            "Authentication required",
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    failures: FailureLimit = request.app.state.auth_failures
    address = request.client.host if request.client else "unknown"
    if (wait := failures.retry_after(address)) is not None:
        raise Problem(
            429,
            "too-many-failed-authentications",
            "Too many failed authentications",
            f"this address sent more than {failures.limit} unknown, revoked or expired tokens "
            f"within {failures.window:g} seconds; retry after {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    try:
        principal = tokens.principal(token.strip())
    except TokenExpired as expired:
        failures.failed(address)
        raise Problem(
            401,
            "token-expired",
            "The token has expired",
            f"the bearer token expired at {expired}; ask for a new one",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    if principal is None:
        failures.failed(address)
        raise Problem(
            401,
            "invalid-token",
            "The token is not valid",
            "the bearer token is unknown or revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request.scope["state"]["principal"] = principal.name
    return Actor(principal=principal.name, roles=principal.roles, employee_id=principal.employee_id)


Caller = Annotated[Actor, Depends(current_actor)]
ServicesDep = Annotated[Services, Depends(get_services)]
ReadModelsDep = Annotated[ReadModels, Depends(get_read_models)]


async def get_now() -> datetime:
    """The moment read answers judge "now"-dependent figures at (tests override it)."""
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(get_now)]
RunnerDep = Annotated[ProjectionRunner, Depends(get_runner)]


def allow(*roles: Role) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency that admits callers holding any of ``roles``; 403 otherwise."""
    names = ", ".join(sorted(r.value for r in roles))

    async def check(actor: Caller) -> Actor:
        if not actor.has_any(*roles):
            raise Problem(
                403,
                "role-not-allowed",
                "Your roles do not allow this command",
                f"this command needs one of the roles: {names}",
                required_roles=sorted(r.value for r in roles),
            )
        return actor

    return check


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    match = ETAG_PATTERN.match(if_match)
    if match is None:
        raise Problem(
            400,
            "malformed-if-match",
            "If-Match is not a version",
            'If-Match must be a version ETag such as "3"',
        )
    return int(match.group(1))


async def _fingerprint(request: Request) -> str:
    body = await request.body()
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True).encode()
    except (ValueError, RecursionError):  # not JSON, or nested too deep to canonicalise
        canonical = body
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), canonical):
        digest.update(part + b"\0")
    return digest.hexdigest()


IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The version the command expects, as its ETag (`"3"`, `W/"3"` or `3`): '
        "412 version-mismatch (with current_version and the current ETag) if the aggregate "
        "has another; `*` or no header: no check; anything else: 400 malformed-if-match",
        examples=['"3"'],
    ),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=f"1 to {MAX_IDEMPOTENCY_KEY} characters (else 400 "
        "malformed-idempotency-key): a retry with the same key and body answers the first "
        "result; the same key with another body is refused (422 idempotency-key-reused)",
        examples=["call-2291"],
    ),
]


def commanded_by(*roles: Role) -> Callable[..., Awaitable[CommandContext]]:
    """The dependency that turns a request into a CommandContext, for callers with ``roles``."""

    async def build(
        request: Request,
        actor: Annotated[Actor, Depends(allow(*roles))],
        if_match: IfMatchHeader = None,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> CommandContext:
        idempotency = None
        if idempotency_key is not None:
            key = idempotency_key.strip()
            if not key or len(key) > MAX_IDEMPOTENCY_KEY:
                raise Problem(
                    400,
                    "malformed-idempotency-key",
                    "Idempotency-Key is empty or too long",
                    f"Idempotency-Key must have 1 to {MAX_IDEMPOTENCY_KEY} characters",
                )
            idempotency = Idempotency(key=key, fingerprint=await _fingerprint(request))
        return CommandContext(
            actor=actor,
            request_id=request.scope["state"]["request_id"],
            expected_version=_expected_version(if_match),
            idempotency=idempotency,
        )

    return build
