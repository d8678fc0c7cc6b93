"""The OpenAPI 3.1 document of the RRH API (rrh.md §1, §5, §9, §10) and the self-hosted Swagger UI page."""

from __future__ import annotations

from typing import Any

from portvakt.rrh.negotiation import VENDOR_V1

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


_TIMESTAMP = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"}
_DATE = {"type": "string", "format": "date"}

SCHEMAS: dict[str, Any] = {
    "Kode": _object({"kode": {"type": "string"}, "kodenavn": {"type": "string"}}, ["kode", "kodenavn"]),
    "Land": _object(
        {"landkode": {"type": "string", "pattern": "^[A-Z]{3}$"}, "navn": {"type": "string"}},
        ["landkode", "navn"],
    ),
    "Navn": _object(
        {"fornavn": {"type": "string"}, "mellomnavn": {"type": "string"}, "etternavn": {"type": "string"}},
        ["fornavn", "etternavn"],
    ),
    "FolkeregistrertPerson": _object(
        {
            "foedselsEllerDNummer": {"type": "string", "pattern": r"^\d{11}$"},
            "foedselsdato": _DATE,
            "foedselsaar": {"type": "string", "pattern": r"^\d{4}$"},
            "navn": _ref("Navn"),
            "erDoed": {"type": "boolean"},
            "bostedsland": _ref("Land"),
            "statsborgerskap": {"type": "array", "items": _ref("Land"), "minItems": 1},
        },
        ["erDoed", "bostedsland", "statsborgerskap"],
    ),
    "UtenlandskPerson": _object(
        {
            "foedselsdato": _DATE,
            "foedselsaar": {"type": "string", "pattern": r"^\d{4}$"},
            "fulltNavn": {"type": "string"},
            "bostedsland": _ref("Land"),
            "statsborgerskap": {"type": "array", "items": _ref("Land"), "minItems": 1},
        },
        ["bostedsland", "statsborgerskap"],
    ),
    "MellomliggendeVirksomhet": {
        "oneOf": [
            _object(
                {
                    "norskVirksomhet": _object(
                        {"organisasjonsnummer": {"type": "string", "pattern": r"^\d{9}$"}},
                        ["organisasjonsnummer"],
                    )
                },
                ["norskVirksomhet"],
            ),
            _object(
                {
                    "utenlandskVirksomhet": _object(
                        {
                            "registreringsnummerIHjemlandet": {"type": "string"},
                            "navn": {"type": "string"},
                            "adresse": _object(
                                {"friAdressetekst": {"type": "string"}, "land": _ref("Land")},
                                ["friAdressetekst", "land"],
                            ),
                        },
                        ["registreringsnummerIHjemlandet", "navn", "adresse"],
                    )
                },
                ["utenlandskVirksomhet"],
            ),
        ]
    },
    "Posisjon": _object(
        {
            "posisjonstype": _ref("Kode"),
            "stoerrelsesintervall": _ref("Kode"),
            "beskrivelseAvPosisjonenKontrollPaaAnnenMaate": {"type": "string", "maxLength": 2000},
            "grunnlagstyper": {"type": "array", "items": _ref("Kode")},
            "mellomliggendeVirksomheter": {"type": "array", "items": _ref("MellomliggendeVirksomhet")},
        },
        ["posisjonstype", "grunnlagstyper", "mellomliggendeVirksomheter"],
    ),
    "ReellRettighetshaver": _object(
        {
            "folkeregistrertPerson": _ref("FolkeregistrertPerson"),
            "utenlandskPerson": _ref("UtenlandskPerson"),
            "erUnntattFraInnsyn": {"type": "boolean"},
            "foerstRegistrert": _TIMESTAMP,
            "endret": _TIMESTAMP,
            "posisjoner": {"type": "array", "items": _ref("Posisjon"), "minItems": 1},
        },
        ["erUnntattFraInnsyn", "foerstRegistrert", "endret", "posisjoner"],
    ),
    "RegulertMarked": _object(
        {
            "markedstype": _ref("Kode"),
            "navn": {"type": "string"},
            "land": _ref("Land"),
            "internettadresse": {"type": "string"},
        },
        ["markedstype", "navn", "land", "internettadresse"],
    ),
    "UtenlandskRegister": _object(
        {"registertype": _ref("Kode"), "land": _ref("Land"), "internettadresse": {"type": "string"}},
        ["registertype", "land", "internettadresse"],
    ),
    "Registrering": _object(
        {
            "registreringsid": {"type": "string", "format": "uuid"},
            "registreringsstatus": _ref("Kode"),
            "registrert": _TIMESTAMP,
            "erGjeldendeRegistrering": {"type": "boolean"},
            "reelleRettighetshaverestatus": _ref("Kode"),
            "regulertMarked": _ref("RegulertMarked"),
            "utenlandskRegister": _ref("UtenlandskRegister"),
            "reelleRettighetshavere": {"type": "array", "items": _ref("ReellRettighetshaver")},
        },
        [
            "registreringsid",
            "registreringsstatus",
            "registrert",
            "erGjeldendeRegistrering",
            "reelleRettighetshavere",
        ],
    ),
    "Virksomhet": _object(
        {
            "organisasjonsnummer": {"type": "string", "pattern": r"^\d{9}$"},
            "foerstRegistrertIRegisterOverReelleRettighetshavere": _TIMESTAMP,
            "slettetIRegisterOverReelleRettighetshavere": _TIMESTAMP,
            "registreringer": {"type": "array", "items": _ref("Registrering"), "minItems": 1},
        },
        ["organisasjonsnummer", "foerstRegistrertIRegisterOverReelleRettighetshavere", "registreringer"],
    ),
    "Feilmelding": _object(
        {
            "type": {"type": "string"},
            "status": {"type": "integer"},
            "error": {"type": "string"},
            "message": {"type": "string"},
            "path": {"type": "string"},
            "timestamp": _TIMESTAMP,
        },
        ["type", "status", "error", "message", "path", "timestamp"],
    ),
}

_ERROR = {"application/json": {"schema": _ref("Feilmelding")}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "Ugyldig organisasjonsnummer",
        403: "Ugyldig token eller manglende scope",
        404: "Virksomheten er ikke registreringspliktig, eller ressursen finnes ikke",
        406: "Medietypen i Accept-headeren støttes ikke",
        500: "Intern feil",
        503: "Totalbestanden er ikke klar ennå",
    }
    return {str(status): {"description": texts[status], "content": _ERROR} for status in statuses}


def openapi_document(server_url: str) -> dict[str, Any]:
    virksomhet = {"schema": _ref("Virksomhet")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Register over reelle rettighetshavere",
            "version": "1",
            "description": "Tilgangsstyrt API for Register over reelle rettighetshavere (Maskinporten).",
        },
        "servers": [{"url": server_url}],
        "security": [{"maskinporten": []}],
        "paths": {
            "/api/virksomheter/{organisasjonsnummer}": {
                "get": {
                    "operationId": "hentVirksomhet",
                    "summary": "Hent opplysninger om reelle rettighetshavere for en virksomhet",
                    "parameters": [
                        {
                            "name": "organisasjonsnummer",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {"name": "Accept-Language", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "Virksomheten med gjeldende og tidligere registreringer",
                            "content": {VENDOR_V1: virksomhet, "application/json": virksomhet},
                        },
                        **_errors(400, 403, 404, 406, 500),
                    },
                }
            },
            "/api/virksomheter/json": {
                "get": {
                    "operationId": "hentTotalbestand",
                    "summary": "Hent totalbestand (ZIP med én JSON-fil, kun gjeldende registreringer)",
                    "responses": {
                        "200": {
                            "description": "ZIP med totalbestand.json",
                            "content": {
                                "application/zip": {"schema": {"type": "string", "format": "binary"}}
                            },
                        },
                        "304": {"description": "Uendret siden If-None-Match / If-Modified-Since"},
                        **_errors(403, 406, 500, 503),
                    },
                }
            },
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"maskinporten": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def swagger_page(prefix: str) -> str:
    """Swagger UI with the vendored assets of `swagger-ui-bundle` (no CDN)."""
    return f"""<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Register over reelle rettighetshavere — API</title>
<link rel="stylesheet" href="{prefix}/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{prefix}/swagger-ui/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "{prefix}/v3/api-docs", dom_id: "#swagger-ui"}});</script>
</body></html>
"""
