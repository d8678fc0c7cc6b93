"""KRR HTTP routes (krr.md §1, §6–§11): thin — authenticate, gate, negotiate, validate, call, audit, render.

Order of checks (§10): method/path → authentication (401) → scope and consumer gates (403) → `Accept`
(406) → `Content-Type` (415) → body (400) → data (404). Every request that passed authentication writes one
lookup-audit event before the response; if that write fails the request fails (500, no data).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response
from structlog.typing import FilteringBoundLogger

from portvakt.audit.keys import AuditKeys
from portvakt.audit.repository import LookupAuditEvent, write_event
from portvakt.krr import store
from portvakt.krr.access import Caller, TokenGate, parties, require_any
from portvakt.krr.errors import (
    HSTS,
    NO_CACHE_HEADERS,
    AccessDenied,
    BadRequest,
    InternalFailure,
    KrrError,
    PersonNotRegistered,
)
from portvakt.krr.model import (
    FEED_SCOPE,
    LANGUAGES,
    PERSONER_SCOPES,
    SPRAAK_WRITE_SCOPE,
    USER_READ_SCOPES,
    FieldGroups,
)
from portvakt.krr.negotiation import Representation, check_content_type, json_body, representation
from portvakt.krr.service import KrrService, NotActive
from portvakt.krr.signing import SigningMaterial
from portvakt.web.logging import get_logger
from portvakt.web.trace import current_trace_id

SERVICE: Final = "krr"
MAX_IDS: Final = 1000
MAX_CHANGE_ID: Final = 9_223_372_036_854_775_807
IDS_NOT_ARRAY: Final = "personidentifikatorer: must be an array of 1 to 1000 strings"
IDS_SIZE: Final = "personidentifikatorer: size must be between 1 and 1000"
INCLUDE_NOT_BOOLEAN: Final = "inkluderIkkeRegistrerte: must be a boolean"
CHANGE_ID_RANGE: Final = f"fraEndringsId: must be an integer between 0 and {MAX_CHANGE_ID}"
INVALID_JSON: Final = "Required request body is missing or is not valid JSON"


def log() -> FilteringBoundLogger:
    return get_logger("portvakt.krr")


@dataclass
class KrrContext:
    """What the routes need; `keys` and `signing` are filled at start-up."""

    service: KrrService
    maskinporten: TokenGate
    idporten: TokenGate
    feed_page_size: int
    https: bool
    keys: AuditKeys | None = None
    signing: SigningMaterial | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    """A successful answer: the JSON document and what the audit event records."""

    document: Any
    subjects: Collection[str]
    subject_count: int
    representation: Representation


# -- validation of the bodies --------------------------------------------------------------------------


def _is_identifier(value: object) -> bool:
    return isinstance(value, str) and len(value) == 11 and value.isascii() and value.isdigit()


def _all_identifiers(values: list[Any]) -> bool:
    """`_is_identifier` for every item, with the loops in C (the common, valid case)."""
    if set(map(type, values)) != {str} or set(map(len, values)) != {11}:
        return False
    joined = "".join(values)
    return joined.isascii() and joined.isdigit()


def parse_personer(body: object, *, v2: bool) -> tuple[list[str], bool]:
    """§6 body rules in table order; returns the de-duplicated ids (first seen) and the v2 flag."""
    if not isinstance(body, dict):
        raise BadRequest(INVALID_JSON)
    identifiers = body.get("personidentifikatorer")
    if not isinstance(identifiers, list):
        raise BadRequest(IDS_NOT_ARRAY)
    if not 1 <= len(identifiers) <= MAX_IDS:
        raise BadRequest(IDS_SIZE)
    if not _all_identifiers(identifiers):  # the per-item loop only to name the first bad index
        for index, value in enumerate(identifiers):
            if not _is_identifier(value):
                raise BadRequest(f"personidentifikatorer[{index}]: must be a string of exactly 11 digits")
    include = False
    if v2 and "inkluderIkkeRegistrerte" in body:
        include = body["inkluderIkkeRegistrerte"]
        if not isinstance(include, bool):
            raise BadRequest(INCLUDE_NOT_BOOLEAN)
    return list(dict.fromkeys(identifiers)), include


def parse_feed(body: object) -> int:
    if not isinstance(body, dict):
        raise BadRequest(INVALID_JSON)
    value = body.get("fraEndringsId")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CHANGE_ID:
        raise BadRequest(CHANGE_ID_RANGE)
    return value


def parse_patch(body: object) -> str:
    """§7.2 step 3–4: exactly the key `spraak`, one of nb, nn, en, se (lower case)."""
    if not isinstance(body, dict):
        raise BadRequest(INVALID_JSON)
    for name in body:
        if name != "spraak":
            raise BadRequest(f"Unknown field: {name}")
    value = body.get("spraak")
    if value is None:
        raise BadRequest("spraak: must not be null")
    if not isinstance(value, str) or value not in LANGUAGES:
        raise BadRequest("spraak: must be one of nb, nn, en, se")
    return value


# -- the pipeline --------------------------------------------------------------------------------------

Handler = Callable[[Request, Caller], Awaitable[Outcome]]


def build_router(context: KrrContext) -> APIRouter:  # one closure per endpoint
    router = APIRouter()

    def _event(  # noqa: PLR0917  # one positional per audit column
        caller: Caller,
        endpoint: str,
        status: int,
        detail: Mapping[str, Any],
        count: int,
        subjects: Collection[str],
    ) -> LookupAuditEvent:
        token = caller.token
        return LookupAuditEvent(
            occurred_at=context.service.clock.now(),
            service=SERVICE,
            endpoint=endpoint,
            http_status=status,
            trace_id=current_trace_id(),
            client_id=token.client_id,
            consumer_orgno=token.consumer_orgno,
            supplier_orgno=token.supplier_orgno,
            scopes=sorted(token.scopes),
            subject_count=count,
            detail=detail,
            subjects=subjects,
        )

    async def _audit(event: LookupAuditEvent) -> None:
        keys = context.keys
        if keys is None:
            raise InternalFailure(detail="audit keys not loaded")
        try:
            async with context.service.gate(), context.service.database.engine.begin() as connection:
                await write_event(connection, event, keys)
        except Exception as exc:
            log().error("lookup_audit_write_failed", error=type(exc).__name__)
            raise InternalFailure(detail="lookup audit write failed") from exc

    async def _blocked(caller: Caller) -> None:
        orgnrs = parties(caller.token)
        if not orgnrs:
            return
        async with context.service.database.engine.connect() as connection:
            if await store.blocked_among(connection, orgnrs):
                raise AccessDenied("consumer or supplier is blocked")

    def _respond(outcome: Outcome) -> Response:
        payload = orjson.dumps(outcome.document)
        headers = dict(context.headers)
        if outcome.representation == "jose":
            signing = context.signing
            if signing is None:
                raise InternalFailure(detail="signing material not loaded")
            return Response(signing.sign(payload), headers=headers, media_type="application/jose")
        return Response(payload, headers=headers, media_type="application/json")

    async def run(
        request: Request,
        endpoint: str,
        gate: TokenGate,
        detail: dict[str, Any],
        handler: Handler,
    ) -> Response:
        try:
            caller = await gate.authenticate(request)
        except KrrError as error:
            log().info(
                "krr_unauthenticated", endpoint=endpoint, status=error.status_code, detail=error.detail
            )
            raise
        try:
            outcome = await handler(request, caller)
        except InternalFailure:
            raise
        except KrrError as error:
            await _audit(_event(caller, endpoint, error.status_code, detail, 0, ()))
            raise
        except Exception as exc:  # unexpected: still one audit event for the authenticated call
            log().error("krr_unexpected_error", endpoint=endpoint, error=type(exc).__name__)
            await _audit(_event(caller, endpoint, 500, detail, 0, ()))
            raise InternalFailure(detail=type(exc).__name__) from exc
        await _audit(_event(caller, endpoint, 200, detail, outcome.subject_count, outcome.subjects))
        return _respond(outcome)

    async def personer(request: Request, *, v2: bool) -> Response:
        api = "v2" if v2 else "v1"
        detail: dict[str, Any] = {"api": api, "inkluderIkkeRegistrerte": not v2}

        async def handle(request: Request, caller: Caller) -> Outcome:
            require_any(caller, PERSONER_SCOPES)
            await _blocked(caller)
            wanted = representation(request.headers.get("accept"))
            check_content_type(request)
            identifiers, include = parse_personer(await json_body(request), v2=v2)
            detail["inkluderIkkeRegistrerte"] = include or not v2
            persons = await context.service.lookup(
                identifiers, FieldGroups.of(caller.scopes), include_unregistered=include or not v2
            )
            return Outcome({"personer": persons}, identifiers, len(identifiers), wanted)

        return await run(request, f"POST /rest/{api}/personer", context.maskinporten, detail, handle)

    @router.post("/rest/v1/personer", include_in_schema=False)
    async def personer_v1(request: Request) -> Response:
        return await personer(request, v2=False)

    @router.post("/rest/v2/personer", include_in_schema=False)
    async def personer_v2(request: Request) -> Response:
        return await personer(request, v2=True)

    @router.api_route("/rest/v1/person", methods=["GET", "PATCH"], include_in_schema=False)
    async def person_route(request: Request) -> Response:
        if request.method == "PATCH":
            return await patch_person(request)
        return await person(request)

    async def person(request: Request) -> Response:
        async def handle(request: Request, caller: Caller) -> Outcome:
            require_any(caller, USER_READ_SCOPES)
            wanted = representation(request.headers.get("accept"))
            pid = caller.token.pid
            assert pid is not None
            document = await context.service.own(pid, FieldGroups.of(caller.scopes))
            return Outcome(document, (pid,), 1, wanted)

        return await run(request, "GET /rest/v1/person", context.idporten, {"api": "v1"}, handle)

    async def patch_person(request: Request) -> Response:
        async def handle(request: Request, caller: Caller) -> Outcome:
            require_any(caller, (SPRAAK_WRITE_SCOPE,))
            wanted = representation(request.headers.get("accept"))
            check_content_type(request)
            spraak = parse_patch(await json_body(request))
            pid = caller.token.pid
            assert pid is not None
            try:
                document = await context.service.set_language(pid, spraak, FieldGroups.of(caller.scopes))
            except NotActive:
                raise PersonNotRegistered() from None
            return Outcome(document, (pid,), 1, wanted)

        return await run(request, "PATCH /rest/v1/person", context.idporten, {"api": "v1"}, handle)

    @router.post("/rest/v2/krr/hentEndringer", include_in_schema=False)
    async def changes(request: Request) -> Response:
        detail: dict[str, Any] = {"api": "v2"}

        async def handle(request: Request, caller: Caller) -> Outcome:
            require_any(caller, (FEED_SCOPE,))
            await _blocked(caller)
            wanted = representation(request.headers.get("accept"))
            check_content_type(request)
            after = parse_feed(await json_body(request))
            detail["fraEndringsId"] = after
            body, persons = await context.service.feed(
                after, FieldGroups.of(caller.scopes), context.feed_page_size
            )
            return Outcome(body, set(persons), len(body["list"]), wanted)

        return await run(request, "POST /rest/v2/krr/hentEndringer", context.maskinporten, detail, handle)

    return router


def response_headers(https: bool) -> dict[str, str]:
    headers = dict(NO_CACHE_HEADERS)
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers
