"""Routes for commands and reads, declared one line per command.

Every command route has the same shape: check the caller's roles, build the
command's context, call one application method with the body's fields, and
answer id/version/position with an ETag. ``CommandRoutes`` writes that shape
once; a collection's router lists its commands.

The endpoints take their path parameters by the names a collection chooses
(``{id}``, ``{budget_id}``, ``{cycle}`` ...), so they are written as
``endpoint(**values)`` and show FastAPI a signature built per route.

No ``from __future__ import annotations``: FastAPI reads the endpoints'
annotations, which name the body model chosen per route.
"""

import inspect
import re
from collections.abc import Callable, Mapping
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
from api.schemas.common import CommandOut, EmptyRequest, EventsOut
from application.base import OpsApplication
from application.context import CommandContext
from application.services import Services
from domain.vocabulary import Role

PATH_PARAM = re.compile(r"{(\w+)}")


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def roles_extra(*roles: Role) -> dict[str, Any]:
    """The OpenAPI extension naming the roles allowed to send a command
    (``api.openapi`` also ends the operation's description with them)."""
    return {"x-roles": [role.value for role in roles]}


def _signed(endpoint: Callable[..., Any], *params: inspect.Parameter) -> Callable[..., Any]:
    """``endpoint(**values)`` as FastAPI sees it: taking ``params``."""
    endpoint.__signature__ = inspect.Signature(list(params))  # type: ignore[attr-defined]
    return endpoint


class CommandRoutes:
    """Adds command routes for one collection, each calling a method of its Application.

    ``id_name`` names the aggregate id's path parameter; ``path_params`` gives the
    types of other path parameters that are not UUIDs (``{"cycle": CyclePath}``).
    A route's description is its ``doc`` if given, else (with ``describe``) the
    application method's docstring; the roles allowed are the operation's ``x-roles``.
    """

    def __init__(
        self,
        router: APIRouter,
        app_type: type[OpsApplication],
        app: Callable[[Services], OpsApplication],
        *,
        id_name: str = "id",
        path_params: Mapping[str, Any] | None = None,
        describe: bool = True,
    ) -> None:
        self.router = router
        self.app_type = app_type
        self.app = app
        self.id_name = id_name
        self.path_params = dict(path_params or {})
        self.describe = describe

    def _method(self, services: Services, name: str) -> Callable[..., Any]:
        method: Callable[..., Any] = getattr(self.app(services), name)
        return method

    def _describe(self, method: str, doc: str | None) -> str:
        if not callable(getattr(self.app_type, method, None)):
            raise AttributeError(f"{self.app_type.__name__} has no command {method}")
        if doc is None:
            doc = getattr(self.app_type, method).__doc__ if self.describe else None
        return inspect.cleandoc(doc or "")

    def _path(self, path: str) -> tuple[str, list[inspect.Parameter]]:
        """The route's template under the aggregate's id, and its path parameters."""
        template = "/{" + self.id_name + "}" + path
        names = PATH_PARAM.findall(template)
        return template, [_param(name, self.path_params.get(name, UUID)) for name in names]

    def create(
        self, method: str, *roles: Role, body: type[BaseModel], doc: str | None = None
    ) -> None:
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
            description=self._describe(method, doc),
            openapi_extra=roles_extra(*roles),
        )

    def on(
        self,
        path: str,
        method: str,
        *roles: Role,
        body: type[BaseModel] = EmptyRequest,
        status_code: int = 200,
        name: str | None = None,
        doc: str | None = None,
        location: str | None = None,
    ) -> None:
        """``POST /{collection}/{id}{path}``: a command on an existing aggregate.

        Path parameters after the id go to the method by name, and so do the body's
        fields. ``name`` is the route's name when it is not the method's; ``location``
        a Location header to answer, formatted with the path parameters, the result's
        extra ids and ``path``, the request's path.
        """
        Context = Annotated[CommandContext, Depends(commanded_by(*roles))]
        # A command whose fields are all optional may be sent with no body at all:
        # the body is then not required, its schema the model's (not "model or null",
        # which generated clients send as a JSON null or fail to send at all).
        optional = not any(field.is_required() for field in body.model_fields.values())
        template, path_params = self._path(path)

        def endpoint(
            ctx: CommandContext,
            services: Services,
            request: Request,
            response: Response,
            body: BaseModel | None = None,
            **params: Any,
        ) -> CommandOut:
            fields: dict[str, Any] = body.model_dump() if body is not None else {}
            others = {name: value for name, value in params.items() if name != self.id_name}
            command = self._method(services, method)
            result = command(params[self.id_name], **others, **fields, ctx=ctx)
            answer = command_answer(result, request, response)
            if location is not None:
                path = request.url.path.rstrip("/")
                values = {**params, **result.extra, "path": path}
                response.headers["Location"] = location.format_map(values)
            return answer

        self.router.add_api_route(
            template,
            _signed(
                endpoint,
                *path_params,
                _param("ctx", Context),
                _param("services", ServicesDep),
                _param("request", Request),
                _param("response", Response),
                _param("body", body, None) if optional else _param("body", body),
            ),
            methods=["POST"],
            status_code=status_code,
            response_model=CommandOut,
            name=name or method,
            description=self._describe(method, doc),
            openapi_extra=roles_extra(*roles),
        )

    def reads(
        self,
        kind: type[Aggregate],
        out: Callable[[Any], BaseModel],
        out_model: type[BaseModel],
    ) -> None:
        """``GET /{collection}/{id}`` (current, ``?version``, ``?as_of``) and ``/{id}/events``."""
        noun = kind.__name__.lower()
        template, (id_param,) = self._path("")

        def get_state(
            services: Services,
            response: Response,
            version: int | None,
            as_of: datetime | None,
            **params: Any,
        ) -> BaseModel:
            id = params[self.id_name]
            app = self.app(services)

            def at_moment(moment: datetime) -> Aggregate:
                return app.get_as_of(id, kind, moment)

            aggregate = read_state(version, as_of, lambda v: app.get(id, kind, v), at_moment)
            return read_answer(out(app.readable(aggregate)), aggregate.version, response)

        def get_events(services: Services, response: Response, **params: Any) -> EventsOut:
            id = params[self.id_name]
            return events_answer(id, self.app(services).history(id, kind), response)

        caller = _param("_", Caller)
        self.router.add_api_route(
            template,
            _signed(
                get_state,
                id_param,
                caller,
                _param("services", ServicesDep),
                _param("response", Response),
                _param("version", VersionQuery, None),
                _param("as_of", AsOfQuery, None),
            ),
            methods=["GET"],
            response_model=out_model,
            name=f"get_{noun}",
        )
        self.router.add_api_route(
            template + "/events",
            _signed(
                get_events,
                id_param,
                caller,
                _param("services", ServicesDep),
                _param("response", Response),
            ),
            methods=["GET"],
            response_model=EventsOut,
            name=f"{noun}_events",
        )
