"""RRH errors and their one body (rrh.md §9): `{type,status,error,message,path,timestamp}`, never zipped."""

from __future__ import annotations

from typing import ClassVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from structlog.typing import FilteringBoundLogger

from portvakt.domain.clock import Clock
from portvakt.domain.errors import PortvaktError
from portvakt.rrh.render import timestamp
from portvakt.web.errors import ErrorRenderer, MethodNotAllowed
from portvakt.web.logging import get_logger
from portvakt.web.trace import current_trace_id

ERROR_CONTENT_TYPE = "application/json;charset=UTF-8"


def log() -> FilteringBoundLogger:
    """Looked up at the call: a logger bound at import would predate `configure_logging`."""
    return get_logger("portvakt.rrh")


class RrhError(PortvaktError):
    """An error with the §9 `type` and `error` texts."""

    kind: ClassVar[str] = "Ugyldig respons"
    reason: ClassVar[str] = "Bad Request"


class InvalidOrgnrFormat(RrhError):
    status_code = 400
    code = "invalid_orgnr_format"

    def __init__(self) -> None:
        super().__init__("Organisasjonsnummer må være et nummer med nøyaktig ni siffer")


class InvalidOrgnrCheckDigit(RrhError):
    status_code = 400
    code = "invalid_orgnr_check_digit"

    def __init__(self) -> None:
        super().__init__("Organisasjonsnummeret er ikke gyldig (feil kontrollsiffer)")


class Forbidden(RrhError):
    status_code = 403
    code = "forbidden"
    kind = "Ugyldig token"
    reason = "Forbidden"

    def __init__(self, detail: str) -> None:
        super().__init__("Du har ikke tilgang til dette APIet", detail=detail)


class NotRegistrable(RrhError):
    status_code = 404
    code = "not_registrable"
    kind = "Ikke funnet"
    reason = "Not Found"

    def __init__(self) -> None:
        super().__init__("Virksomheten er ikke registreringspliktig i register over reelle rettighetshavere")


class ResourceNotFound(RrhError):
    status_code = 404
    code = "not_found"
    kind = "Ikke funnet"
    reason = "Not Found"

    def __init__(self) -> None:
        super().__init__("Ressursen finnes ikke")


class MethodRefused(RrhError):
    status_code = 405
    code = "method_not_allowed"
    kind = "Metode ikke tillatt"
    reason = "Method Not Allowed"

    def __init__(self, method: str, allow: str) -> None:
        super().__init__(f"HTTP-metoden {method} støttes ikke for denne ressursen")
        self.allow = allow


class NotAcceptable(RrhError):
    status_code = 406
    code = "not_acceptable"
    kind = "Ikke akseptert"
    reason = "Not Acceptable"

    def __init__(self, accept: str) -> None:
        super().__init__(f"Medietypen i Accept-headeren støttes ikke: {accept}")


class InternalFailure(RrhError):
    status_code = 500
    code = "server_error"
    kind = "Intern feil"
    reason = "Internal Server Error"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            "Uventet feil på tjenesten. Vennligst prøv igjen senere, eller kontakt oss om problemet vedvarer",
            detail=detail,
        )


class TotalbestandNotReady(RrhError):
    status_code = 503
    code = "not_ready"
    kind = "Ikke tilgjengelig"
    reason = "Service Unavailable"

    def __init__(self) -> None:
        super().__init__("Totalbestanden er ikke klar ennå. Prøv igjen senere")


def as_rrh_error(request: Request, error: PortvaktError) -> RrhError:
    """Errors from the framework or shared layers, in the RRH family."""
    if isinstance(error, RrhError):
        return error
    if isinstance(error, MethodNotAllowed):
        return MethodRefused(request.method, error.allow)
    if error.status_code == 404:
        return ResourceNotFound()
    if error.status_code == 405:
        return MethodRefused(request.method, "GET")
    return InternalFailure(detail=f"{type(error).__name__}: {error.code}")


def error_response(request: Request, error: RrhError, clock: Clock) -> Response:
    body = {
        "type": error.kind,
        "status": error.status_code,
        "error": error.reason,
        "message": error.message,
        "path": request.url.path,
        "timestamp": timestamp(clock.now()),
    }
    headers = {"Cache-Control": "no-store"}
    if isinstance(error, MethodRefused):
        headers["Allow"] = error.allow
    if isinstance(error, TotalbestandNotReady):
        headers["Retry-After"] = "300"
    return Response(
        orjson.dumps(body), status_code=error.status_code, headers=headers, media_type=ERROR_CONTENT_TYPE
    )


def rrh_renderer(clock: Clock) -> ErrorRenderer:
    def render(request: Request, error: PortvaktError) -> Response:
        rrh_error = as_rrh_error(request, error)
        if rrh_error.status_code >= 500 or rrh_error.detail:
            log().info(
                "rrh_error",
                status=rrh_error.status_code,
                code=rrh_error.code,
                detail=rrh_error.detail,
                trace_id=current_trace_id(),
            )
        return error_response(request, rrh_error, clock)

    return render
