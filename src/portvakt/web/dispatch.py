"""Routes a request to a service by path prefix, and by Host when base URLs use different hosts (§1.1)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from portvakt.web.middleware import SERVICE_SCOPE_KEY


@dataclass(frozen=True)
class ServiceRoute:
    name: str
    host: str  # host[:port] of the service's base URL, lower case
    prefix: str  # path of the base URL without trailing slash ("" for a host of its own)
    app: ASGIApp

    @classmethod
    def from_base_url(cls, name: str, base_url: str, app: ASGIApp) -> ServiceRoute:
        parts = urlsplit(base_url)
        return cls(name=name, host=parts.netloc.lower(), prefix=parts.path.rstrip("/"), app=app)

    def matches_path(self, path: str) -> bool:
        return not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")


def _request_host(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"host":
            return str(value.decode("latin-1")).lower()
    return ""


class ServiceDispatcher:
    def __init__(self, routes: list[ServiceRoute], platform: dict[str, ASGIApp]) -> None:
        self.routes = routes
        self.platform = platform
        self.host_routing = len({route.host for route in routes}) > 1

    def select(self, scope: Scope) -> ServiceRoute | None:
        path: str = scope["path"]
        candidates = [route for route in self.routes if route.matches_path(path)]
        if not candidates:
            return None
        if self.host_routing:
            host = _request_host(scope)
            return max(candidates, key=lambda r: (r.host == host, len(r.prefix)))
        return max(candidates, key=lambda r: len(r.prefix))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("the dispatcher does not take lifespan events")
        path: str = scope["path"]
        platform_app = self.platform.get(path)
        if platform_app is not None:
            await platform_app(scope, receive, send)
            return
        route = self.select(scope)
        if route is None:
            await JSONResponse(
                {"error": "not_found", "error_description": "No service at this path"}, status_code=404
            )(scope, receive, send)
            return
        scope[SERVICE_SCOPE_KEY] = route.name
        if path == route.prefix:
            scope["path"] = path + "/"
            scope["raw_path"] = scope["path"].encode()
        scope["root_path"] = scope.get("root_path", "") + route.prefix
        await route.app(scope, receive, send)
