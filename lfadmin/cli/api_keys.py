"""``lfadmin api-key``: Typer only (issue #4)."""

import typer

app = typer.Typer(help="Create, list and revoke Langflow API keys.", no_args_is_help=True)
