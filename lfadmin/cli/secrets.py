"""``lfadmin secrets``: Typer only (issue #6)."""

import typer

app = typer.Typer(
    help="Component credentials and the secret key: generate, check, rotate, scan flows.",
    no_args_is_help=True,
)
