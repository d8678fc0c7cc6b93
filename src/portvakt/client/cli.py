"""`portvakt token`: get a Maskinporten token with the consumer client (maskinporten.md §1.5)."""

from __future__ import annotations

import typer

from portvakt.commandline import fail


def token(client_id: str = typer.Option(..., "--client-id")) -> None:
    """Print a Maskinporten token response."""
    fail("portvakt token is being built", 2)
