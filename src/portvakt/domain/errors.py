"""Typed error base classes. Raised deep, rendered in one place per error family (portvakt.web.errors)."""

from __future__ import annotations


class PortvaktError(Exception):
    """Base of every error portvakt raises on purpose. `message` is safe to show to the caller."""

    status_code: int = 400
    code: str = "error"

    def __init__(self, message: str = "", *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # logged only, never returned


class ValidationError(PortvaktError):
    """Input that breaks a rule (format, range, combination)."""

    code = "invalid_request"


class NotFound(PortvaktError):
    status_code = 404
    code = "not_found"


class Conflict(PortvaktError):
    status_code = 409
    code = "conflict"


class Forbidden(PortvaktError):
    status_code = 403
    code = "forbidden"


class Unauthenticated(PortvaktError):
    status_code = 401
    code = "unauthenticated"


class EnvironmentRefusal(PortvaktError):
    """An action the current environment does not allow (e.g. test data in prod). CLI exit 2."""

    status_code = 403
    code = "environment_refusal"


class Unavailable(PortvaktError):
    status_code = 503
    code = "temporarily_unavailable"
