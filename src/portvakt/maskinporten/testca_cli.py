"""CLI: The built-in test CA (maskinporten.md §6.3)."""

from __future__ import annotations

import typer

testca_app = typer.Typer(help="The built-in test CA (maskinporten.md §6.3).", no_args_is_help=True)
testcert_app = typer.Typer(help="Test enterprise certificates issued by the built-in test CA (§6.3).", no_args_is_help=True)
