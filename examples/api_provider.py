"""An API provider protected by Maskinporten tokens, with portvakt.resource_server.

Run:  MASKINPORTEN_ISSUER=http://localhost:8080/maskinporten/ uvicorn examples.api_provider:app --port 9000
Call: curl -H "Authorization: Bearer $(portvakt token ... --json | jq -r .access_token)" localhost:9000/orders
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from portvakt.resource_server import AsyncTokenValidator, TokenError, ValidatedToken, www_authenticate
from portvakt.resource_server.dependency import require_token

READ_SCOPE = "example:orders.read"


def create_app(validator: AsyncTokenValidator) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await validator.aclose()

    app = FastAPI(title="Example API provider", lifespan=lifespan)
    reader = Annotated[ValidatedToken, Depends(require_token(validator, [READ_SCOPE]))]

    @app.exception_handler(TokenError)
    async def token_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TokenError)
        status, challenge = www_authenticate(exc, realm="example")
        return JSONResponse(
            {"error": exc.reason}, status_code=status, headers={"WWW-Authenticate": challenge}
        )

    @app.get("/orders")
    async def orders(token: reader) -> dict[str, object]:
        # Decide on the consumer organisation, never on client_id.
        return {"consumer": token.consumer_orgno, "supplier": token.supplier_orgno, "orders": []}

    return app


app = create_app(
    AsyncTokenValidator(
        os.environ.get("MASKINPORTEN_ISSUER", "http://localhost:8080/maskinporten/"),
        audience=os.environ.get("API_AUDIENCE") or None,
    )
)
