"""The registry's errors, with the codes and texts of selvbetjening.md §6.

Every class is a `portvakt.domain.errors` subclass, so the OAuth JSON renderer and the CLI map them
without knowing this module. Constructors take the variable parts; the texts are built here only.
"""

from __future__ import annotations

from portvakt.domain.errors import Conflict, Forbidden, NotFound, ValidationError


class InvalidRequest(ValidationError):
    code = "invalid_request"


class InvalidOrganisationNumber(InvalidRequest):
    def __init__(self, value: str) -> None:
        super().__init__(f"Invalid organisation number: {value}")
        self.value = value


class ScopeDeactivated(InvalidRequest):
    def __init__(self, scope: str) -> None:
        super().__init__(f"Scope '{scope}' is deactivated")


class InvalidScopeMetadata(ValidationError):
    code = "invalid_scope_metadata"


class InvalidClientMetadata(ValidationError):
    code = "invalid_client_metadata"


class AccessDenied(Forbidden):
    code = "access_denied"


class InsufficientScope(Forbidden):
    code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(f"Token lacks required scope: {scope}")
        self.scope = scope


class RegistryNotFound(NotFound):
    code = "not_found"


class OrganisationNotFound(RegistryNotFound):
    def __init__(self) -> None:
        super().__init__("Organisation not found")


class ScopeNotFound(RegistryNotFound):
    def __init__(self) -> None:
        super().__init__("Scope not found")


class ScopeAccessNotFound(RegistryNotFound):
    def __init__(self) -> None:
        super().__init__("Scope access not found")


class ClientNotFound(RegistryNotFound):
    def __init__(self) -> None:
        super().__init__("Client not found")


class DelegationSourceNotFound(RegistryNotFound):
    def __init__(self) -> None:
        super().__init__("Delegation source not found")


class RegistryConflict(Conflict):
    code = "conflict"


__all__ = [
    "AccessDenied",
    "ClientNotFound",
    "DelegationSourceNotFound",
    "InsufficientScope",
    "InvalidClientMetadata",
    "InvalidOrganisationNumber",
    "InvalidRequest",
    "InvalidScopeMetadata",
    "OrganisationNotFound",
    "RegistryConflict",
    "RegistryNotFound",
    "ScopeAccessNotFound",
    "ScopeDeactivated",
    "ScopeNotFound",
]
