"""The composition root: `create_app(settings)` builds every part of a portvakt process."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from portvakt.domain.clock import Clock, SystemClock
from portvakt.settings import SERVICES, Settings
from portvakt.storage.engine import Database
from portvakt.storage.migrate import head_revision
from portvakt.web.dispatch import ServiceDispatcher, ServiceRoute
from portvakt.web.logging import configure_logging, get_logger
from portvakt.web.metrics import Metrics
from portvakt.web.middleware import PlatformMiddleware
from portvakt.web.service import Platform

log = get_logger("portvakt.app")

ServiceBuilder = Callable[[Platform], ASGIApp]


def service_builder(name: str) -> ServiceBuilder:
    module = importlib.import_module(f"portvakt.{name}.app")
    builder: ServiceBuilder = module.build
    return builder


def parse_only(value: str | None) -> tuple[str, ...]:
    """`--only krr,rrh` → ("krr", "rrh"); unknown names are a usage error."""
    if not value:
        return SERVICES
    names = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [name for name in names if name not in SERVICES]
    if unknown or not names:
        raise ValueError(
            f"unknown service(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(SERVICES)}"
        )
    return names


class PortvaktApp:
    """The ASGI application of one process: lifespan, platform middleware, dispatch to the services."""

    def __init__(self, platform: Platform, services: Iterable[str]) -> None:
        self.platform = platform
        self.services = tuple(services)
        self.head = head_revision()
        routes = [
            ServiceRoute.from_base_url(
                name, platform.settings.base_url(name), service_builder(name)(platform)
            )
            for name in self.services
        ]
        platform_routes: dict[str, ASGIApp] = {
            "/healthz": self._endpoint(self.healthz),
            "/readyz": self._endpoint(self.readyz),
            "/metrics": self._endpoint(self.metrics),
        }
        self.dispatcher = ServiceDispatcher(routes, platform_routes)
        self.asgi = PlatformMiddleware(
            self.dispatcher,
            platform.metrics,
            https=platform.settings.public_base.startswith("https://"),
        )

    @staticmethod
    def _endpoint(handler: Callable[[Request], Any]) -> ASGIApp:
        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
            request = Request(scope, receive)
            if request.method not in ("GET", "HEAD"):
                response: Response = JSONResponse(
                    {"error": "method_not_allowed", "error_description": "Method not allowed"},
                    status_code=405,
                    headers={"Allow": "GET, HEAD"},
                )
            else:
                response = await handler(request)
            await response(scope, receive, send)

        return asgi

    async def healthz(self, _request: Request) -> Response:
        return JSONResponse({"status": "UP"})

    async def readyz(self, _request: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            async with self.platform.database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                checks["database"] = "UP"
                try:
                    current = (
                        await connection.execute(text("SELECT version_num FROM alembic_version"))
                    ).scalar_one_or_none()
                except Exception:  # no alembic_version table yet
                    current = None
                checks["migrations"] = (
                    "UP" if current == self.head else f"DOWN (at {current}, head {self.head})"
                )
        except Exception as exc:
            log.warning("readiness_database_unreachable", error=type(exc).__name__)
            checks["database"] = "DOWN"
            checks["migrations"] = "UNKNOWN"
        ready = all(value == "UP" for value in checks.values())
        return JSONResponse(
            {"status": "UP" if ready else "DOWN", "checks": checks}, status_code=200 if ready else 503
        )

    async def metrics(self, _request: Request) -> Response:
        return Response(generate_latest(self.platform.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        for hook in self.platform.startup:
            await hook()
        try:
            yield
        finally:
            for hook in reversed(self.platform.shutdown):
                await hook()
            await self.platform.database.dispose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self.asgi(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        context = self.lifespan()
        try:
            await context.__aenter__()
        except Exception as exc:
            log.exception("startup_failed")
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        assert message["type"] == "lifespan.shutdown"
        await context.__aexit__(None, None, None)
        await send({"type": "lifespan.shutdown.complete"})


def create_app(
    settings: Settings,
    *,
    only: Iterable[str] = SERVICES,
    clock: Clock | None = None,
    configure_logs: bool = True,
) -> PortvaktApp:
    """Build a process: refuses unsafe settings, then wires storage, clock, metrics and the services."""
    settings.check_startup()
    if configure_logs:
        configure_logging(settings.effective_log_format, settings.log_level)
    platform = Platform(
        settings=settings,
        database=Database.connect(settings.database_url),
        clock=clock or SystemClock(),
        metrics=Metrics(),
    )
    return PortvaktApp(platform, only)


def app_factory() -> PortvaktApp:
    """Entry point for `uvicorn --factory portvakt.app:app_factory` (used by `portvakt serve --workers N`)."""
    import os

    from portvakt.settings import load_settings

    only = parse_only(os.environ.get("PORTVAKT_SERVE_ONLY"))
    return create_app(load_settings(), only=only)
