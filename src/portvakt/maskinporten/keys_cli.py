"""CLI: Issuer signing keys (maskinporten.md §12.3)."""

from __future__ import annotations

import typer

keys_app = typer.Typer(help="Issuer signing keys (maskinporten.md §12.3).", no_args_is_help=True)
