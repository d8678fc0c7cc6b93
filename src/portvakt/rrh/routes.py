"""RRH HTTP routes (rrh.md §1): thin — authorize, negotiate, call the use case, audit, render."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse
from structlog.typing import FilteringBoundLogger

from portvakt.audit.keys import AuditKeys
from portvakt.audit.repository import LookupAuditEvent, write_event
from portvakt.domain.clock import Clock
from portvakt.resource_server import AsyncTokenValidator
from portvakt.rrh.access import RrhCaller, authorize
from portvakt.rrh.codelists import language_of
from portvakt.rrh.errors import InternalFailure, RrhError, TotalbestandNotReady
from portvakt.rrh.lookup import lookup, parse_path_orgnr
from portvakt.rrh.negotiation import check_zip_acceptable, lookup_content_type
from portvakt.rrh.totalbestand import CurrentBuild, open_current
from portvakt.storage.engine import Database
from portvakt.web.logging import get_logger
from portvakt.web.trace import current_trace_id


def log() -> FilteringBoundLogger:
    """Looked up at the call: a logger bound at import would predate `configure_logging`."""
    return get_logger("portvakt.rrh")


SERVICE = "rrh"
LOOKUP_ENDPOINT = "GET /api/virksomheter/{organisasjonsnummer}"
TOTALBESTAND_ENDPOINT = "GET /api/virksomheter/json"
NO_CACHE = "no-cache, no-store, max-age=0, must-revalidate"


@dataclass
class RrhContext:
    """What the routes need; `keys` is filled at start-up (the key file may have to be created)."""

    database: Database
    validator: AsyncTokenValidator
    clock: Clock
    directory: Path
    keys: AuditKeys | None = None
    write_gate: WriteGate = field(default_factory=lambda: WriteGate(serialize=False))


class WriteGate:
    """SQLite has one writer at a time: queueing this process's audit transactions on an asyncio lock
    avoids SQLite's busy-handler back-off (sleeps up to 100 ms). PostgreSQL writes concurrently."""

    def __init__(self, *, serialize: bool) -> None:
        self._lock = asyncio.Lock() if serialize else None

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        if self._lock is None:
            yield
            return
        async with self._lock:
            yield


def _event(  # noqa: PLR0917  # one positional per audit column, in column order
    context: RrhContext,
    caller: RrhCaller,
    endpoint: str,
    status: int,
    detail: Mapping[str, Any],
    subject_count: int,
    subjects: frozenset[str] = frozenset(),
) -> LookupAuditEvent:
    token = caller.token
    return LookupAuditEvent(
        occurred_at=context.clock.now(),
        service=SERVICE,
        endpoint=endpoint,
        http_status=status,
        trace_id=current_trace_id(),
        client_id=token.client_id,
        consumer_orgno=token.consumer_orgno,
        supplier_orgno=token.supplier_orgno,
        scopes=sorted(token.scopes),
        subject_count=subject_count,
        detail=detail,
        subjects=subjects,
    )


async def _audit_alone(context: RrhContext, event: LookupAuditEvent) -> None:
    """An audit event in a transaction of its own (error outcomes, downloads); failure → 500."""
    keys = context.keys
    if keys is None:
        raise InternalFailure(detail="audit keys not loaded")
    try:
        async with context.write_gate(), context.database.engine.begin() as connection:
            await write_event(connection, event, keys)
    except Exception as exc:
        log().error("lookup_audit_write_failed", error=type(exc).__name__)
        raise InternalFailure(detail="lookup audit write failed") from exc


def _http_date(build: CurrentBuild) -> str:
    return email.utils.format_datetime(build.last_modified_at.replace(microsecond=0), usegmt=True)


def _etag_matches(header: str, etag: str) -> bool:
    """`If-None-Match` with weak comparison: a list of (weak) entity tags, or `*`."""
    for candidate in header.split(","):
        value = candidate.strip()
        if value == "*":
            return True
        value = value.removeprefix("W/").strip()
        if value.strip('"') == etag and value.startswith('"'):
            return True
    return False


def _not_modified(request: Request, build: CurrentBuild) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, build.etag)
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return since >= build.last_modified_at.replace(microsecond=0)
    return False


def build_router(context: RrhContext) -> APIRouter:
    router = APIRouter()

    @router.api_route("/api/virksomheter/json", methods=["GET", "HEAD"], include_in_schema=False)
    async def totalbestand(request: Request) -> Response:
        caller = await authorize(context.validator, request)
        try:
            check_zip_acceptable(request.headers.get("accept"))
        except RrhError as error:
            await _audit_alone(
                context, _event(context, caller, TOTALBESTAND_ENDPOINT, error.status_code, {}, 0)
            )
            raise
        opened = open_current(context.directory)
        if opened is None:
            detail: dict[str, Any] = {"build_id": None, "etag": None}
            await _audit_alone(context, _event(context, caller, TOTALBESTAND_ENDPOINT, 503, detail, 0))
            raise TotalbestandNotReady()
        build = opened.current
        headers = {
            "ETag": f'"{build.etag}"',
            "Last-Modified": _http_date(build),
            "Cache-Control": "private, no-cache",
        }
        not_modified = _not_modified(request, build)
        status = 304 if not_modified else 200
        detail = {"build_id": build.build_id, "etag": build.etag}
        try:
            await _audit_alone(
                context, _event(context, caller, TOTALBESTAND_ENDPOINT, status, detail, build.entity_count)
            )
        except RrhError:
            opened.close()
            raise
        if not_modified:
            opened.close()
            return Response(status_code=304, headers=headers)
        headers |= {
            "Content-Length": str(opened.size),
            "Content-Disposition": 'attachment; filename="totalbestand.zip"',
            "Accept-Ranges": "none",
        }
        if request.method == "HEAD":
            opened.close()
            return Response(status_code=200, headers=headers, media_type="application/zip")
        return StreamingResponse(
            opened.chunks(), status_code=200, headers=headers, media_type="application/zip"
        )

    @router.get("/api/virksomheter/{organisasjonsnummer}", include_in_schema=False)
    async def virksomhet(organisasjonsnummer: str, request: Request) -> Response:
        caller = await authorize(context.validator, request)
        language = language_of(request.headers.get("accept-language"))
        # Only a value shaped like an organisation number is kept: anything else (e.g. a national
        # identity number sent by mistake) must not end up in the audit in clear text.
        shaped = (
            len(organisasjonsnummer) == 9 and organisasjonsnummer.isascii() and organisasjonsnummer.isdigit()
        )
        detail = {"organisasjonsnummer": organisasjonsnummer if shaped else None, "language": language}
        keys = context.keys
        if keys is None:
            raise InternalFailure(detail="audit keys not loaded")
        try:
            content_type = lookup_content_type(request.headers.get("accept"))
            orgnr = parse_path_orgnr(organisasjonsnummer)
            async with context.write_gate(), context.database.engine.begin() as connection:
                result = await lookup(connection, orgnr, language)
                event = _event(
                    context, caller, LOOKUP_ENDPOINT, 200, detail, len(result.subjects), result.subjects
                )
                try:
                    await write_event(connection, event, keys)
                except Exception as exc:
                    log().error("lookup_audit_write_failed", error=type(exc).__name__)
                    raise InternalFailure(detail="lookup audit write failed") from exc
        except InternalFailure:
            raise
        except RrhError as error:
            await _audit_alone(
                context, _event(context, caller, LOOKUP_ENDPOINT, error.status_code, detail, 0)
            )
            raise
        return Response(
            orjson.dumps(result.virksomhet),
            status_code=200,
            headers={"Cache-Control": NO_CACHE},
            media_type=content_type,
        )

    return router
