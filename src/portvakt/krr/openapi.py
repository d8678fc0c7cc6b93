"""The OpenAPI 3.1 document of the KRR API (krr.md §4–§10, §14) and the self-hosted Swagger UI page."""

from __future__ import annotations

from typing import Any

_REF = "#/components/schemas/"
_TIMESTAMP = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}$"}
_ID = {"type": "string", "pattern": r"^[0-9]{11}$"}
_JA_NEI = {"type": "string", "enum": ["JA", "NEI"]}
_LANGUAGE = {"type": "string", "enum": ["nb", "nn", "en", "se"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _object(properties: dict[str, Any], required: list[str], *, closed: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if closed:
        schema["additionalProperties"] = False
    return schema


_IDS = {"type": "array", "items": _ID, "minItems": 1, "maxItems": 1000}

SCHEMAS: dict[str, Any] = {
    "GetUsersRequest": _object({"personidentifikatorer": _IDS}, ["personidentifikatorer"], closed=False),
    "GetUsersRequestV2": _object(
        {"personidentifikatorer": _IDS, "inkluderIkkeRegistrerte": {"type": "boolean"}},
        ["personidentifikatorer"],
        closed=False,
    ),
    "ContactInfoResource": _object(
        {
            "epostadresse": {"type": "string"},
            "epostadresse_oppdatert": _TIMESTAMP,
            "epostadresse_sist_verifisert": _TIMESTAMP,
            "epostadresse_duplisert": _JA_NEI,
            "mobiltelefonnummer": {"type": "string"},
            "mobiltelefonnummer_oppdatert": _TIMESTAMP,
            "mobiltelefonnummer_sist_verifisert": _TIMESTAMP,
            "mobiltelefonnummer_duplisert": _JA_NEI,
        },
        [],
    ),
    "DigitalPostResource": _object(
        {
            "postkasseadresse": {"type": "string"},
            "postkasseleverandoeradresse": {"type": "string", "pattern": r"^[0-9]{9}$"},
        },
        ["postkasseadresse", "postkasseleverandoeradresse"],
    ),
    "UserResource": _object(
        {
            "personidentifikator": _ID,
            "reservasjon": _JA_NEI,
            "reservasjonstidspunkt": _TIMESTAMP,
            "reservasjon_oppdatert": _TIMESTAMP,
            "status": {"type": "string", "enum": ["AKTIV", "SLETTET", "IKKE_REGISTRERT"]},
            "varslingsstatus": {"type": "string", "enum": ["KAN_VARSLES", "KAN_IKKE_VARSLES"]},
            "kontaktinformasjon": _ref("ContactInfoResource"),
            "digital_post": _ref("DigitalPostResource"),
            "sertifikat": {"type": "string", "contentEncoding": "base64"},
            "spraak": _LANGUAGE,
            "spraak_oppdatert": _TIMESTAMP,
        },
        ["personidentifikator", "status"],
    ),
    "GetUsersResource": _object({"personer": {"type": "array", "items": _ref("UserResource")}}, ["personer"]),
    "PatchUserRequest": _object({"spraak": _LANGUAGE}, ["spraak"]),
    "ChangesRequest": _object(
        {"fraEndringsId": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}},
        ["fraEndringsId"],
        closed=False,
    ),
    "ChangesResource": _object(
        {
            "list": {"type": "array", "items": _ref("UserResource"), "maxItems": 1000},
            "fraEndringsId": {"type": "integer"},
            "tilEndringsId": {"type": "integer"},
            "sisteEndringsId": {"type": "integer"},
        },
        ["list", "fraEndringsId", "tilEndringsId", "sisteEndringsId"],
    ),
    "ErrorResponse": _object(
        {
            "timestamp": {"type": "string"},
            "status": {"type": "integer"},
            "error": {"type": "string"},
            "message": {"type": "string"},
            "path": {"type": "string"},
        },
        ["timestamp", "status", "error", "message", "path"],
    ),
}

_TEXTS = {
    400: "Ugyldig forespørsel",
    401: "Mangler eller ugyldig token",
    403: "Mangler scope, eller konsumenten er sperret",
    404: "Personen er ikke aktiv i registeret",
    406: "Ingen akseptabel representasjon",
    415: "Content-Type støttes ikke",
    500: "Intern feil",
}


def _errors(*statuses: int) -> dict[str, Any]:
    content = {"application/json": {"schema": _ref("ErrorResponse")}}
    return {str(status): {"description": _TEXTS[status], "content": content} for status in statuses}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "content": {
                "application/json": {"schema": _ref(schema)},
                "application/jose": {"schema": {"type": "string", "description": "compact JWS (RS256)"}},
            },
        }
    }


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _personer(version: str, request_schema: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"hentPersoner{version.upper()}",
            "summary": f"Oppslag på inntil 1000 personer ({version})",
            "security": [{"maskinporten": []}],
            "requestBody": _body(request_schema),
            "responses": _ok("GetUsersResource", "Personene") | _errors(400, 401, 403, 406, 415, 500),
        }
    }


def openapi_document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kontakt- og reservasjonsregisteret",
            "version": "1",
            "description": "Oppslag i kontakt- og reservasjonsregisteret (Maskinporten og ID-porten).",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/rest/v1/personer": _personer("v1", "GetUsersRequest"),
            "/rest/v2/personer": _personer("v2", "GetUsersRequestV2"),
            "/rest/v1/person": {
                "get": {
                    "operationId": "hentPerson",
                    "summary": "Den innloggede personens egne opplysninger",
                    "security": [{"idporten": []}],
                    "responses": _ok("UserResource", "Personen") | _errors(401, 403, 406, 500),
                },
                "patch": {
                    "operationId": "endreSpraak",
                    "summary": "Endre foretrukket språk (endringen gjøres i det nasjonale registeret)",
                    "security": [{"idporten": []}],
                    "requestBody": _body("PatchUserRequest"),
                    "responses": _ok("UserResource", "Den oppdaterte personen")
                    | _errors(400, 401, 403, 404, 406, 415, 500),
                },
            },
            "/rest/v2/krr/hentEndringer": {
                "post": {
                    "operationId": "hentEndringer",
                    "summary": "Endringslogg (lokal kopi)",
                    "security": [{"maskinporten": []}],
                    "requestBody": _body("ChangesRequest"),
                    "responses": _ok("ChangesResource", "En side med endringer")
                    | _errors(400, 401, 403, 406, 415, 500),
                }
            },
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "maskinporten": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "idporten": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }


def swagger_page(prefix: str) -> str:
    """Swagger UI with the vendored assets of `swagger-ui-bundle` (no CDN)."""
    return f"""<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Kontakt- og reservasjonsregisteret — API</title>
<link rel="stylesheet" href="{prefix}/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{prefix}/swagger-ui/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "{prefix}/v3/api-docs", dom_id: "#swagger-ui"}});</script>
</body></html>
"""
