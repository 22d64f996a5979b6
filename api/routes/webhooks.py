"""/webhooks: subscriptions to events and alerts, delivered per Standard Webhooks.

Management and technology subscribe, delete and ask for redeliveries; every
role reads the subscriptions (never their secrets) and their deliveries.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from api.answers import command_answer
from api.commands import roles_extra
from api.deps import Caller, ServicesDep, commanded_by
from api.paging import Cursor, Limit, decode_cursor, encode_cursor
from api.problems import Problem
from api.schemas.common import PROBLEM_RESPONSES, CommandOut, EmptyRequest
from api.schemas.webhooks import (
    DeliveriesOut,
    DeliveryOut,
    WebhookCreatedOut,
    WebhookOut,
    WebhooksOut,
    WebhookSubscribeRequest,
)
from application.context import CommandContext
from application.webhooks import new_secret
from domain.vocabulary import Role
from projections.delivery import WebhookWorker, deliveries_of, delivery_exists, iso

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=PROBLEM_RESPONSES)

ADMINS = (Role.MANAGEMENT, Role.TECHNOLOGY)
Admin = Annotated[CommandContext, Depends(commanded_by(*ADMINS))]


async def get_worker(request: Request) -> WebhookWorker:
    worker: WebhookWorker = request.app.state.webhooks
    return worker


WorkerDep = Annotated[WebhookWorker, Depends(get_worker)]


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreatedOut,
    openapi_extra=roles_extra(*ADMINS),
)
def subscribe_webhook(
    body: WebhookSubscribeRequest,
    request: Request,
    response: Response,
    ctx: Admin,
    services: ServicesDep,
) -> WebhookCreatedOut:
    """Subscribe a URL to event types and alert kinds; the answer holds the signing
    secret, this once. Unknown names: 422 `unknown-event-type`; link-local or metadata
    addresses: 422 `webhook-url-refused`."""
    secret = new_secret()
    result = services.webhooks.subscribe_webhook(
        url=body.url, events=body.events, secret=secret, ctx=ctx
    )
    answer = command_answer(result, request, response)
    # A retry with the same Idempotency-Key answers the first answer, but not the secret.
    first = services.webhooks.secrets.get(result.id) == secret
    return WebhookCreatedOut(**answer.model_dump(), secret=secret if first else None)


@router.get("", response_model=WebhooksOut)
def list_webhooks(_: Caller, services: ServicesDep) -> WebhooksOut:
    """Every subscription not deleted (no secrets)."""
    return WebhooksOut(items=[WebhookOut.of(h) for h in services.webhooks.list_webhooks()])


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(
    webhook_id: UUID, _: Caller, services: ServicesDep, response: Response
) -> WebhookOut:
    hook = services.webhooks.get_webhook(webhook_id)
    response.headers["ETag"] = f'"{hook.version}"'
    return WebhookOut.of(hook)


@router.delete("/{webhook_id}", response_model=CommandOut, openapi_extra=roles_extra(*ADMINS))
def delete_webhook(
    webhook_id: UUID, request: Request, response: Response, ctx: Admin, services: ServicesDep
) -> CommandOut:
    """Delete the subscription and its secret; deliveries not yet made are cancelled."""
    result = services.webhooks.delete_webhook(webhook_id, ctx=ctx)
    return command_answer(result, request, response)


@router.get("/{webhook_id}/deliveries", response_model=DeliveriesOut)
def list_deliveries(
    webhook_id: UUID,
    _: Caller,
    services: ServicesDep,
    worker: WorkerDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> DeliveriesOut:
    """The subscription's deliveries, latest first, each attempt with its outcome,
    response status, timing and error (from the outbox: may lag the events a little)."""
    services.webhooks.get_webhook(webhook_id)  # 404 for an unknown id
    after = decode_cursor(cursor, float, str)
    rows = deliveries_of(
        worker.store, webhook_id, limit, None if after is None else (after[0], after[1])
    )
    last = rows[-1] if len(rows) == limit else None
    return DeliveriesOut(
        items=[DeliveryOut.of(row, iso) for row in rows],
        next_cursor=encode_cursor(None if last is None else (last["queued_at"], last["id"])),
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliveries",
    response_model=CommandOut,
    openapi_extra=roles_extra(*ADMINS),
)
def redeliver_webhook(
    webhook_id: UUID,
    delivery_id: str,
    body: EmptyRequest,
    request: Request,
    response: Response,
    ctx: Admin,
    services: ServicesDep,
    worker: WorkerDep,
) -> CommandOut:
    """Send a delivery again (same `webhook-id`), with the whole retry schedule anew."""
    services.webhooks.get_webhook(webhook_id)
    if not delivery_exists(worker.store, webhook_id, delivery_id):
        raise Problem(
            404,
            "not-found",
            "No such resource",
            f"webhook {webhook_id} has no delivery {delivery_id}",
        )
    result = services.webhooks.redeliver_webhook(webhook_id, delivery_id=delivery_id, ctx=ctx)
    return command_answer(result, request, response)
