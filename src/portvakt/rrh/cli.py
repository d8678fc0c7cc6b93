"""CLI: RRH administration (rrh.md §14)."""

from __future__ import annotations

import typer

rrh_app = typer.Typer(help="The register of beneficial owners (rrh.md §14).", no_args_is_help=True)
