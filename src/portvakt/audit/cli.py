"""CLI: the lookup audit (krr.md §11)."""

from __future__ import annotations

import typer

lookup_audit_app = typer.Typer(help="The lookup audit of KRR and RRH (krr.md §11).", no_args_is_help=True)
