"""CLI: Synthetic test population"""

from __future__ import annotations

import typer

testdata_app = typer.Typer(help="Synthetic test population", no_args_is_help=True)
