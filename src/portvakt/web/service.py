"""What the composition root hands each service, and what a service hands back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from portvakt.domain.clock import Clock
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.web.errors import ErrorRenderer, install_error_handlers, render_oauth_json
from portvakt.web.metrics import Metrics

Hook = Callable[[], Awaitable[None]]


@dataclass
class Platform:
    """Shared, process-wide parts built once by create_app(settings)."""

    settings: Settings
    database: Database
    clock: Clock
    metrics: Metrics
    # Cross-service ports and shared components (signing keys, replay store, ...) registered by the
    # services that own them, so another co-located service can use them in-process.
    components: dict[str, Any] = field(default_factory=dict)
    startup: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)


@dataclass
class MountedService:
    name: str
    app: FastAPI


def new_service_app(
    name: str,
    *,
    render: ErrorRenderer = render_oauth_json,
    openapi_url: str | None = None,
    docs_url: str | None = None,
    title: str | None = None,
    version: str = "1",
) -> FastAPI:
    """A service's own FastAPI app: its error family everywhere, `GET /health`, docs off unless asked."""
    app = FastAPI(
        title=title or f"portvakt {name}",
        version=version,
        openapi_url=openapi_url,
        docs_url=docs_url,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    install_error_handlers(app, render)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "UP", "service": name}

    return app
