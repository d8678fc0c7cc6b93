"""CLI: Platform administration (selvbetjening.md §7)."""

from __future__ import annotations

import typer

admin_app = typer.Typer(help="Platform administration (selvbetjening.md §7).", no_args_is_help=True)
