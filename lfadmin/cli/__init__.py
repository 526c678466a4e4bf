"""The ``lfadmin`` command: a thin Typer layer over ``lfadmin.core``.

``main()`` is the one place where an ``LfadminError`` becomes ``Error: ...`` on stderr and its
exit code; anything else is a bug, reported in one line (``--debug`` shows the traceback).
"""

import sys
from typing import Annotated

import typer

from lfadmin import __version__, output
from lfadmin.cli import common
from lfadmin.cli.api_keys import app as api_keys_app
from lfadmin.cli.common import STATE
from lfadmin.cli.config import app as config_app
from lfadmin.cli.secrets import app as secrets_app
from lfadmin.cli.superuser import superuser
from lfadmin.cli.users import app as users_app

app = typer.Typer(
    name="lfadmin",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(users_app, name="user")
app.add_typer(users_app, name="users", hidden=True)
app.add_typer(api_keys_app, name="api-key")
app.add_typer(api_keys_app, name="api-keys", hidden=True)
app.command("superuser")(superuser)
app.add_typer(secrets_app, name="secrets")
app.add_typer(config_app, name="config")


def _version_line() -> str:
    return f"lfadmin {__version__} (Python {sys.version.split()[0]}, {sys.executable})"


def _version(value: bool) -> None:
    if value:
        output.emit_line(_version_line())
        raise typer.Exit()


@app.callback()
@common.common
def root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """Administer a Langflow server through its own database (SQLite or PostgreSQL).

    \b
        lfadmin --env-file /srv/langflow/.env info
        lfadmin user list --json
        lfadmin config doctor --env-file /srv/langflow/.env
    """


@app.command()
@common.common
def info() -> None:
    """Show the database, the Langflow release that made it, and the settings in effect.

    \b
        lfadmin info --env-file /srv/langflow/.env
    """
    from lfadmin.core.info import gather

    tgt = common.target()
    with tgt.session(write=False) as s:
        data = {"database_url": tgt.db.url.masked, "database_source": tgt.db_source, **gather(s)}
    if STATE.json:
        output.emit_json(data)
        return
    rows = [
        ("database", f"{data['database_url']}  ({data['database_source']})"),
        ("backend", data["backend"]),
        ("alembic revision", data["alembic_revision"]),
        ("Langflow release", data["langflow_release"] + ("  (--langflow-version)" if data["release_pinned"] else "")),
        ("capabilities", ", ".join(k for k, v in data["capabilities"].items() if v) or "-"),
        ("users", "{users} ({active_users} active)".format(**data["counts"])),
        ("superusers", "{superusers} ({active_superusers} active)".format(**data["counts"])),
        ("API keys", data["counts"]["api_keys"]),
        ("variables", data["counts"]["variables"]),
        ("flows", data["counts"]["flows"]),
        (
            "AUTO_LOGIN",
            f"{data['auto_login']['value']}  ({data['auto_login']['source']})"
            + (f", acts as {data['auto_login']['acts_as']!r}" if data["auto_login"]["acts_as"] else ""),
        ),
        ("config dir", data["config_dir"]),
        ("secret key", data["secret_key_source"] or "none yet (Langflow would generate one)"),
    ]
    output.table(["", ""], rows, show_header=False)


def main() -> None:
    from lfadmin.errors import ExitCode, LfadminError

    if sys.argv[1:] == ["--version"]:  # the usual case, without building every command's parser
        output.emit_line(_version_line())
        return
    common.reset()
    common.reset_stdin()
    try:
        with common.no_color_for_typer():
            app()
    except LfadminError as exc:
        if STATE.debug:
            raise
        output.error(str(exc))
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        output.error("interrupted; nothing was changed")
        sys.exit(130)
    except Exception as exc:
        if STATE.debug:
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        output.error(f"internal error ({type(exc).__name__}: {first}); rerun with --debug for details")
        sys.exit(int(ExitCode.INTERNAL))
