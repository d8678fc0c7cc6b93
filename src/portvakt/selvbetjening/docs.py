"""Swagger UI for the self-service API at `{S}/api/v1/docs`, on `{S}/api/v1/openapi.json`.

The assets come from the `swagger-ui-bundle` package and are served by this service (no CDN, no runtime
network); the page's Content-Security-Policy allows only them.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Final

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from portvakt.domain.errors import NotFound

DOCS_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ASSETS: Final = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
INIT_SCRIPT: Final = "swagger-init.js"

PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>portvakt selvbetjening API v1</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="openapi.json"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/swagger-init.js"></script>
</body>
</html>
"""


class AssetNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Not found")


def _bundle_dir() -> Path:
    # The package's `swagger_ui_path` names a version directory; use the one that is installed.
    vendor = Path(str(files("swagger_ui_bundle"))) / "vendor"
    return next(path for path in sorted(vendor.iterdir()) if (path / "swagger-ui-bundle.js").is_file())


@cache
def _asset(name: str) -> bytes:
    if name == INIT_SCRIPT:
        return (Path(__file__).parent / "static" / INIT_SCRIPT).read_bytes()
    return (_bundle_dir() / name).read_bytes()


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": DOCS_CSP, "Cache-Control": "public, max-age=3600"}


def build_router(api_prefix: str) -> APIRouter:
    router = APIRouter(prefix=api_prefix, include_in_schema=False)

    @router.get("/docs")
    async def swagger_ui() -> Response:
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"})

    @router.get("/docs/{name}")
    async def asset(name: str) -> Response:
        if name == INIT_SCRIPT:
            media_type = "text/javascript; charset=utf-8"
        elif name in ASSETS:
            media_type = ASSETS[name]
        else:
            raise AssetNotFound()
        return Response(_asset(name), media_type=media_type, headers=_headers())

    return router
