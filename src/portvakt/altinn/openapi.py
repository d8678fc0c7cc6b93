"""The OpenAPI 3.1 document of the Altinn endpoints (altinn.md §1, §4–§8) and the Swagger UI page.

`apprights` is marked deprecated: it is the legacy Altinn 2 service-owner API.
"""

from __future__ import annotations

from typing import Any

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_BOOL = {"type": "boolean"}
_ORGNR = {"type": "string", "pattern": r"^\d{9}$"}

SCHEMAS: dict[str, Any] = {
    "LegacyError": _object({"Message": _STRING}),
    "ProblemDetails": {
        "type": "object",
        "properties": {
            "type": _STRING,
            "title": _STRING,
            "status": {"type": "integer"},
            "detail": _STRING,
            "traceId": _STRING,
        },
        "required": ["type", "title", "status", "traceId"],
    },
    "ValidationProblemDetails": {
        "type": "object",
        "properties": {
            "type": _STRING,
            "title": _STRING,
            "status": {"type": "integer"},
            "errors": {"type": "object", "additionalProperties": {"type": "array", "items": _STRING}},
            "traceId": _STRING,
        },
        "required": ["type", "title", "status", "errors", "traceId"],
    },
    "AppRight": _object(
        {
            "RuleGuid": _STRING,
            "AltinnAppId": _STRING,
            "ResourceId": _STRING,
            "ResourceValue": _STRING,
            "Action": _STRING,
            "RightSourceType": {"type": "string", "enum": ["RoleTypeRight", "DirectlyDelegated"]},
            "IsDelegatable": _BOOL,
        }
    ),
    "AppRights": {
        "type": "object",
        "properties": {
            "Subject": {"type": "object"},
            "Reportee": {"type": "object"},
            "AppRights": {"type": "array", "items": _ref("AppRight")},
            "_links": {"type": "object"},
        },
        "required": ["Subject", "Reportee", "AppRights"],
    },
    "XacmlAttribute": {
        "type": "object",
        "properties": {
            "AttributeId": _STRING,
            "Value": _STRING,
            "DataType": _STRING,
            "IncludeInResult": _BOOL,
        },
        "required": ["AttributeId", "Value"],
    },
    "XacmlCategory": {
        "type": "object",
        "properties": {"Id": _STRING, "Attribute": {"type": "array", "items": _ref("XacmlAttribute")}},
        "required": ["Attribute"],
    },
    "XacmlJsonRequestRoot": _object(
        {
            "Request": {
                "type": "object",
                "properties": {
                    "ReturnPolicyIdList": _BOOL,
                    "CombinedDecision": _BOOL,
                    "AccessSubject": {"type": "array", "items": _ref("XacmlCategory")},
                    "Action": {"type": "array", "items": _ref("XacmlCategory")},
                    "Resource": {"type": "array", "items": _ref("XacmlCategory")},
                    "MultiRequests": {
                        "type": "object",
                        "properties": {
                            "RequestReference": {
                                "type": "array",
                                "items": _object({"ReferenceId": {"type": "array", "items": _STRING}}),
                            }
                        },
                    },
                },
                "required": ["AccessSubject", "Action", "Resource"],
            }
        }
    ),
    "XacmlJsonResponse": _object(
        {
            "Response": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "Decision": {"type": "string", "enum": ["Permit", "NotApplicable", "Indeterminate"]},
                        "Status": {"type": "object"},
                        "Obligations": {"type": "array"},
                        "Category": {"type": "array"},
                    },
                    "required": ["Decision", "Status"],
                },
            }
        }
    ),
    "AuthorizedPartiesInput": _object({"type": _STRING, "value": _STRING}),
    "AuthorizedParty": _object(
        {
            "partyUuid": _STRING,
            "name": _STRING,
            "organizationNumber": _NULLABLE_STRING,
            "personId": _NULLABLE_STRING,
            "dateOfBirth": _NULLABLE_STRING,
            "partyId": {"type": "integer"},
            "type": {"type": "string", "enum": ["Organization", "Person"]},
            "unitType": _NULLABLE_STRING,
            "isDeleted": _BOOL,
            "onlyHierarchyElementWithNoAccess": _BOOL,
            "authorizedAccessPackages": {"type": "array", "items": _STRING},
            "authorizedResources": {"type": "array", "items": _STRING},
            "authorizedRoles": {"type": "array", "items": _STRING},
            "authorizedInstances": {"type": "array"},
            "subunits": {"type": "array", "items": _ref("AuthorizedParty")},
        }
    ),
    "MPDelegationExternal": _object(
        {
            "consumer_org": _ORGNR,
            "supplier_org": _ORGNR,
            "delegation_scheme_Id": _STRING,
            "scopes": {"type": "array", "items": _STRING},
            "created": _STRING,
            "resourceid": _STRING,
        }
    ),
    "MPDelegationInput": {
        "type": "object",
        "properties": {"supplierOrg": _ORGNR, "resourceid": _STRING, "scope": _STRING},
        "required": ["supplierOrg"],
    },
}


def _json(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}}


def _problem(description: str, name: str = "ProblemDetails") -> dict[str, Any]:
    return {"description": description, **_json(_ref(name), "application/problem+json")}


_TOKEN_ERRORS = {
    "400": _problem("Validation error", "ValidationProblemDetails"),
    "401": {"description": "Missing or invalid Maskinporten token (empty body, WWW-Authenticate)"},
    "403": _problem("Missing scope or not allowed"),
}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or _STRING,
    }


_FLAG = {"type": "string", "enum": ["true", "false"]}


def openapi_document(base_url: str) -> dict[str, Any]:
    legacy_errors = {
        status: {"description": text, **_json(_ref("LegacyError"))}
        for status, text in (
            ("400", "Invalid subject or reportee"),
            ("401", "ApiKey header missing"),
            ("403", "API key not authorized"),
            ("404", "Subject or reportee not found"),
        )
    }
    paths: dict[str, Any] = {
        "/api/serviceowner/authorization/apprights": {
            "get": {
                "operationId": "getAppRights",
                "summary": "Legacy (Altinn 2): app rights a subject holds for a reportee",
                "description": "Legacy Altinn 2 service-owner API (Altinn switched it off in May 2023 and "
                "retires Altinn 2 by June 2026). Authenticated with the `ApiKey` header.",
                "deprecated": True,
                "tags": ["Legacy (Altinn 2)"],
                "security": [{"ApiKey": []}],
                "parameters": [
                    _query("ForceEIAuthentication", "Accepted, no effect"),
                    _query("subject", "Fødselsnummer or D-number of the person"),
                    _query("reportee", "Organisation number or national identity number"),
                ],
                "responses": {
                    "200": {
                        "description": "The subject's app rights for the reportee",
                        **_json(_ref("AppRights"), "application/hal+json"),
                    },
                    **legacy_errors,
                },
            }
        },
        "/authorization/api/v1/authorize": {
            "post": {
                "operationId": "authorize",
                "summary": "PDP decision (XACML 3.0 JSON profile, multi-requests)",
                "tags": ["Authorization"],
                "security": [{"Maskinporten": ["altinn:authorization/authorize"]}],
                "requestBody": {"required": True, **_json(_ref("XacmlJsonRequestRoot"))},
                "responses": {
                    "200": {"description": "Decisions", **_json(_ref("XacmlJsonResponse"))},
                    **_TOKEN_ERRORS,
                },
            }
        },
        "/accessmanagement/api/v1/resourceowner/authorizedparties": {
            "post": {
                "operationId": "authorizedParties",
                "summary": "Parties a person or organisation may act for, with the caller's resources",
                "tags": ["Access management"],
                "security": [{"Maskinporten": ["altinn:accessmanagement/authorizedparties.resourceowner"]}],
                "parameters": [
                    _query(name, f"default {str(default).lower()}", _FLAG)
                    for name, default in (
                        ("includeAltinn2", False),
                        ("includeAltinn3", True),
                        ("includeRoles", False),
                        ("includeResources", True),
                        ("includeAccessPackages", False),
                        ("includeInstances", False),
                        ("includePartiesViaKeyRoles", True),
                        ("includeSubParties", True),
                        ("includeInactiveParties", True),
                    )
                ],
                "requestBody": {"required": True, **_json(_ref("AuthorizedPartiesInput"))},
                "responses": {
                    "200": {
                        "description": "Authorized parties",
                        **_json({"type": "array", "items": _ref("AuthorizedParty")}),
                    },
                    **_TOKEN_ERRORS,
                },
            }
        },
        "/accessmanagement/api/v1/maskinporten/delegations": {
            "get": {
                "operationId": "getMaskinportenDelegations",
                "summary": "Look up active Maskinporten delegations",
                "tags": ["Maskinporten delegations"],
                "security": [{"Maskinporten": ["altinn:maskinporten/delegations"]}],
                "parameters": [
                    _query("supplierOrg", "Supplier organisation number"),
                    _query("consumerOrg", "Consumer organisation number"),
                    _query("scope", "A scope of the delegation scheme"),
                ],
                "responses": {
                    "200": {
                        "description": "Matching delegations",
                        **_json({"type": "array", "items": _ref("MPDelegationExternal")}),
                    },
                    **_TOKEN_ERRORS,
                },
            },
            "post": {
                "operationId": "createMaskinportenDelegation",
                "summary": "Delegate a scheme from the token's consumer to a supplier",
                "tags": ["Maskinporten delegations"],
                "security": [{"Maskinporten": ["altinn:maskinporten/delegations.write"]}],
                "requestBody": {"required": True, **_json(_ref("MPDelegationInput"))},
                "responses": {
                    "200": {"description": "Already delegated", **_json(_ref("MPDelegationExternal"))},
                    "201": {"description": "Delegated", **_json(_ref("MPDelegationExternal"))},
                    **_TOKEN_ERRORS,
                },
            },
            "delete": {
                "operationId": "revokeMaskinportenDelegation",
                "summary": "Revoke the consumer's delegation to a supplier",
                "tags": ["Maskinporten delegations"],
                "security": [{"Maskinporten": ["altinn:maskinporten/delegations.write"]}],
                "parameters": [
                    _query("supplierOrg", "Supplier organisation number"),
                    _query("resourceid", "Delegation scheme"),
                    _query("scope", "A scope of the delegation scheme"),
                ],
                "responses": {
                    "204": {"description": "Revoked"},
                    "404": _problem("No active delegation"),
                    **_TOKEN_ERRORS,
                },
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "portvakt Altinn authorization",
            "version": "1",
            "description": "Rights and delegations: the legacy (Altinn 2) service-owner apprights API, the "
            "PDP, authorized parties and Maskinporten delegations.",
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "ApiKey"},
                "Maskinporten": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }


def swagger_page(prefix: str) -> str:
    """Swagger UI with the vendored assets of `swagger-ui-bundle` (no CDN)."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Altinn authorization — API</title>
<link rel="stylesheet" href="{prefix}/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{prefix}/swagger-ui/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "{prefix}/v3/api-docs", dom_id: "#swagger-ui"}});</script>
</body></html>
"""
