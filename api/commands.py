"""Routes for commands and reads, declared one line per command.

Every command route has the same shape: check the caller's roles, build the
command's context, call one application method with the body's fields, and
answer id/version/position with an ETag. ``CommandRoutes`` writes that shape
once; a collection's router lists its commands.

No ``from __future__ import annotations``: FastAPI reads the endpoints'
annotations, which name the body model chosen per route.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from api.answers import (
    AsOfQuery,
    VersionQuery,
    command_answer,
    events_answer,
    read_answer,
    read_state,
)
from api.deps import Caller, ServicesDep, commanded_by
from api.schemas.common import CommandOut, EmptyIn, EventsOut
from application.base import OpsApplication
from application.context import CommandContext
from application.services import Services
from domain.vocabulary import Role


class CommandRoutes:
    """Adds command routes for one collection, each calling a method of its Application."""

    def __init__(
        self,
        router: APIRouter,
        app_type: type[OpsApplication],
        app: Callable[[Services], OpsApplication],
    ) -> None:
        self.router = router
        self.app_type = app_type
        self.app = app

    def _method(self, services: Services, name: str) -> Callable[..., Any]:
        method: Callable[..., Any] = getattr(self.app(services), name)
        return method

    def _describe(self, method: str, roles: tuple[Role, ...]) -> str:
        if not callable(getattr(self.app_type, method, None)):
            raise AttributeError(f"{self.app_type.__name__} has no command {method}")
        doc = (getattr(self.app_type, method).__doc__ or "").strip()
        allowed = ", ".join(role.value for role in roles)
        return f"{doc}\n\nRoles: {allowed}.".strip()

    def create(self, method: str, *roles: Role, body: type[BaseModel]) -> None:
        """``POST /{collection}``: creates an aggregate, 201 with Location."""
        Context = Annotated[CommandContext, Depends(commanded_by(*roles))]

        def endpoint(
            body: body,  # type: ignore[valid-type]
            ctx: Context,
            services: ServicesDep,
            request: Request,
            response: Response,
        ) -> CommandOut:
            fields: dict[str, Any] = body.model_dump()  # type: ignore[attr-defined]
            result = self._method(services, method)(**fields, ctx=ctx)
            return command_answer(result, request, response)

        self.router.add_api_route(
            "",
            endpoint,
            methods=["POST"],
            status_code=201,
            response_model=CommandOut,
            name=method,
            description=self._describe(method, roles),
        )

    def on(
        self,
        path: str,
        method: str,
        *roles: Role,
        body: type[BaseModel] = EmptyIn,
        status_code: int = 200,
    ) -> None:
        """``POST /{collection}/{id}{path}``: a command on an existing aggregate."""
        Context = Annotated[CommandContext, Depends(commanded_by(*roles))]
        # A command whose fields are all optional may be sent with no body at all.
        optional = not any(field.is_required() for field in body.model_fields.values())
        Body = body | None if optional else body
        default = None if optional else ...

        def endpoint(
            id: UUID,
            ctx: Context,
            services: ServicesDep,
            request: Request,
            response: Response,
            body: Body = default,  # type: ignore[valid-type]
        ) -> CommandOut:
            fields: dict[str, Any] = body.model_dump() if body is not None else {}
            result = self._method(services, method)(id, **fields, ctx=ctx)
            return command_answer(result, request, response)

        self.router.add_api_route(
            "/{id}" + path,
            endpoint,
            methods=["POST"],
            status_code=status_code,
            response_model=CommandOut,
            name=method,
            description=self._describe(method, roles),
        )

    def reads(
        self,
        kind: type[Aggregate],
        out: Callable[[Any], BaseModel],
        out_model: type[BaseModel],
    ) -> None:
        """``GET /{collection}/{id}`` (current, ``?version``, ``?as_of``) and ``/{id}/events``."""
        noun = kind.__name__.lower()

        def get_state(
            id: UUID,
            _: Caller,
            services: ServicesDep,
            response: Response,
            version: VersionQuery = None,
            as_of: AsOfQuery = None,
        ) -> BaseModel:
            app = self.app(services)

            def at_moment(moment: datetime) -> Aggregate:
                return app.get_as_of(id, kind, moment)

            aggregate = read_state(version, as_of, lambda v: app.get(id, kind, v), at_moment)
            return read_answer(out(aggregate), aggregate.version, response)

        def get_events(id: UUID, _: Caller, services: ServicesDep, response: Response) -> EventsOut:
            return events_answer(id, self.app(services).history(id, kind), response)

        self.router.add_api_route(
            "/{id}", get_state, methods=["GET"], response_model=out_model, name=f"get_{noun}"
        )
        self.router.add_api_route(
            "/{id}/events",
            get_events,
            methods=["GET"],
            response_model=EventsOut,
            name=f"{noun}_events",
        )
