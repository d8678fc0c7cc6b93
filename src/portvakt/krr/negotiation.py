"""Content negotiation (krr.md §9), request headers and bodies (§6–§8, §10)."""

from __future__ import annotations

import json
from typing import Any, Final, Literal

import orjson
from starlette.requests import Request

from portvakt.krr.errors import BadRequest, NotAcceptable, UnsupportedContentType

Representation = Literal["json", "jose"]
JSON_TYPES: Final = frozenset({"*/*", "application/*", "application/json"})
JOSE: Final = "application/jose"
MAX_BODY: Final = 1_048_576
INVALID_JSON: Final = "Required request body is missing or is not valid JSON"


def _q_value(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def representation(accept: str | None) -> Representation:
    """Highest `q` wins, equal `q` → first listed, `q=0` excludes; nothing we offer → 406."""
    if accept is None or not accept.strip():
        return "json"
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept.split(",")):
        media_type, *parameters = item.split(";")
        media_type = media_type.strip().lower()
        if not media_type:
            continue
        q = _q_value(parameters)
        if q > 0:
            ranked.append((-q, position, media_type))
    for _q, _position, media_type in sorted(ranked):
        if media_type in JSON_TYPES:
            return "json"
        if media_type == JOSE:
            return "jose"
    raise NotAcceptable()


def check_content_type(request: Request) -> None:
    value = request.headers.get("content-type")
    if value is None or value.split(";", 1)[0].strip().lower() != "application/json":
        raise UnsupportedContentType(value or "")


async def json_body(request: Request) -> Any:
    """The body as JSON (≤ 1 MiB); stdlib `json` as the fallback for integers beyond 64 bits."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BadRequest(f"Request body exceeds {MAX_BODY} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise BadRequest(INVALID_JSON)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(INVALID_JSON) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
