"""``lfadmin config``: Typer only (issue #3)."""

import typer

app = typer.Typer(help="Check Langflow's settings and database for insecure configuration.", no_args_is_help=True)
