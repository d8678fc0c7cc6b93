"""`portvakt token`: get a Maskinporten token with the consumer client (maskinporten.md §1.5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from portvakt.client.client import MaskinportenClient, TokenResponse
from portvakt.client.errors import TokenRequestError
from portvakt.client.keys import SIGNING_ALGS, KeyConfigError, SigningKey, b64url_decode
from portvakt.commandline import EXIT_ERROR, EXIT_USAGE, JsonOption, emit_json, fail, settings_or_exit, stdout


def decode_unverified(jwt: str) -> dict[str, Any]:
    """Header and claims of a compact JWS, without verifying anything (for display only)."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return {"verified": False, "error": "not a compact JWS"}
    try:
        header, claims = (json.loads(b64url_decode(part)) for part in parts[:2])
    except ValueError:
        return {"verified": False, "error": "not a compact JWS"}
    return {"verified": False, "header": header, "claims": claims}


def _load_key(key: Path, kid: str | None, x5c: Path | None, alg: str) -> SigningKey:
    if alg not in SIGNING_ALGS:
        fail(f"portvakt token: --alg must be one of {', '.join(SIGNING_ALGS)}", EXIT_USAGE)
    for path, option in ((key, "--key"), (x5c, "--x5c")):
        if path is not None and not path.is_file():
            fail(f"portvakt token: {option} {path}: no such file", EXIT_USAGE)
    try:
        return SigningKey.from_file(key, kid=kid, chain_path=x5c, alg=alg)
    except (KeyConfigError, OSError) as exc:
        fail(f"portvakt token: {exc}", EXIT_USAGE)


def _print(response: TokenResponse, decode: bool, json_output: bool) -> None:
    decoded = decode_unverified(response.access_token) if decode else None
    if json_output:
        emit_json(response.raw | ({"decoded_access_token": decoded} if decoded is not None else {}))
        return
    stdout.print_json(data=response.raw)
    if decoded is not None:
        stdout.print("Decoded access token (NOT verified):", markup=False, highlight=False)
        stdout.print_json(data=decoded)


def token(  # noqa: PLR0917 (one parameter per CLI option)
    client_id: str = typer.Option(..., "--client-id", help="The client's client_id."),
    key: Path = typer.Option(..., "--key", help="Private key: a JWK file (with kid) or a PEM file."),
    scope: list[str] = typer.Option(
        ..., "--scope", help="Scope to ask for (repeatable, or space-separated)."
    ),
    kid: str | None = typer.Option(None, "--kid", help="kid of the registered key (PEM keys)."),
    x5c: Path | None = typer.Option(
        None, "--x5c", help="PEM certificate chain, leaf first: sent as x5c instead of a kid."
    ),
    resource: list[str] | None = typer.Option(None, "--resource", help="Audience of the token (repeatable)."),
    consumer_org: str | None = typer.Option(
        None, "--consumer-org", help="Act for this consumer (delegation)."
    ),
    pid: str | None = typer.Option(
        None, "--pid", help="National identity number for a pid-restricted token."
    ),
    issuer: str | None = typer.Option(
        None,
        "--issuer",
        help="Maskinporten issuer (default: the platform's, PORTVAKT_MASKINPORTEN_BASE_URL/).",
    ),
    alg: str = typer.Option("RS256", "--alg", help="Grant signing algorithm: RS256, RS384 or RS512."),
    decode: bool = typer.Option(False, "--decode", help="Also show the access token's header and claims."),
    json_output: bool = JsonOption,
) -> None:
    """Get a Maskinporten token with the JWT grant and print the token response."""
    signing_key = _load_key(key, kid, x5c, alg)
    target = issuer if issuer is not None else settings_or_exit().maskinporten_issuer
    try:
        with MaskinportenClient(target, client_id, signing_key) as client:
            response = client.get_token(scope, resource=resource, consumer_org=consumer_org, pid=pid)
    except TokenRequestError as exc:
        fail(f"{exc.error}: {exc.error_description}" if exc.error_description else exc.error, EXIT_ERROR)
    except ValueError as exc:
        fail(f"portvakt token: {exc}", EXIT_USAGE)
    _print(response, decode, json_output)
