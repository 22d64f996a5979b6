"""The FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.consistency import Waits
from api.limits import FailureLimit
from api.logs import configure_logging
from api.methods import MethodsMiddleware
from api.middleware import RequestMiddleware
from api.openapi import finish_openapi
from api.problems import install_problem_handlers
from api.routes import (
    alerts,
    audit,
    budgets,
    budgets_reads,
    complaints,
    customers,
    dashboards,
    employees,
    employees_reads,
    health,
    inbox,
    metrics,
    risks,
    risks_reads,
    webhooks,
    working_calendar,
)
from api.settings import Settings
from api.tokens import TokenStore
from api.ui import mount as mount_console
from application.services import Services
from projections.catalog import all_projections
from projections.delivery import WebhookWorker
from projections.queries.read_models import ReadModels
from projections.runner import ProjectionRunner
from projections.scheduler import DeadlineScheduler

log = logging.getLogger("opsledger")

DESCRIPTION = """\
opsledger runs a company's operations policy as commands and immutable events.

Commands answer `{"id", "version", "position"}` with an `ETag`; send `If-Match`
to guard against concurrent changes and `Idempotency-Key` to retry safely.
Errors are `application/problem+json`. Every path but `/health`, `/ready`, `/docs`
and `/openapi.json` needs `Authorization: Bearer <token>`.
"""


def _nudge(runner: ProjectionRunner, webhooks: WebhookWorker) -> Callable[[], None]:
    def nudge() -> None:
        runner.nudge()
        webhooks.nudge()

    return nudge


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    settings.warn_unknown_variables()
    store = settings.store("opsledger-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("store: %s", store.describe())
        services = Services.open(store)
        runner = ProjectionRunner(
            services,
            store,
            all_projections(services),
            checkpointing=settings.checkpointing(),
            round_interval=settings.round_interval(),
        )
        services.webhooks.allow_link_local = settings.webhook_allow_link_local
        worker = WebhookWorker(
            services, store, settings.webhooks(), lock_session=runner.lock_session
        )
        for application in services.all():
            application.on_saved = _nudge(runner, worker)
        app.state.services, app.state.projections = services, runner
        app.state.webhooks = worker
        app.state.read_models = ReadModels.of(runner)
        app.state.tokens = TokenStore(store)
        scheduler = DeadlineScheduler(
            services,
            runner.stores,
            interval=settings.scheduler_interval,
            ready=lambda: all(lag.events == 0 for lag in runner.lag().values()),
        )
        app.state.scheduler = scheduler
        app.state.auth_failures = FailureLimit(settings.auth_failures_per_minute, 60.0)
        app.state.waits = Waits(
            settings.max_waits_per_principal, settings.min_position_wait_seconds
        )
        if settings.run_projections:
            runner.start()
            worker.start()
            scheduler.start()
        log.info("ready: %s", ", ".join(a.name for a in services.all()))
        try:
            yield
        finally:
            app.state.read_models.close()
            worker.close()
            scheduler.stop()
            runner.close()
            services.close()
            app.state.tokens.close()

    app = FastAPI(
        title="opsledger",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Operation ids are the route functions' names (register_customer, ...),
        # so that generated clients get readable method names.
        generate_unique_id_function=lambda route: route.name,
        # /docs and /redoc come with the console, their assets served by the app.
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    finish_openapi(app)
    app.add_middleware(MethodsMiddleware)  # inside RequestMiddleware: ids and logs for all
    app.add_middleware(
        RequestMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout_seconds,
    )
    for module in (
        health,
        metrics,
        customers,
        complaints,
        risks,
        risks_reads,
        employees,
        employees_reads,
        working_calendar,
        budgets,
        budgets_reads,
        dashboards,
        audit,
        webhooks,
        alerts,
        inbox,
    ):
        app.include_router(module.router)
    mount_console(app)
    return app
