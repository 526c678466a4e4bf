"""``lfadmin superuser``: Typer only - gate, read the password, call ``lfadmin.core.superuser``."""

from pathlib import Path
from typing import Annotated, Any

import typer

from lfadmin import output, redact
from lfadmin.cli.options import (
    Invocation,
    credentials,
    global_options,
    interactive,
    prompt_secret,
    read_stdin_secret,
    target,
)
from lfadmin.cli.users import PasswordEnv, PasswordStdin, _new_password
from lfadmin.errors import InvalidInput


def _username(given: str | None, settings: Any) -> str:
    if given is not None:
        return given
    configured = settings.env.setting("SUPERUSER")
    if configured is not None and configured.raw:
        output.say(f"Username {configured.raw!r} from {configured.describe()}")
        return str(configured.raw)
    if interactive():
        value: str = typer.prompt("Username", err=True)
        return value
    raise InvalidInput("no username given: pass --username NAME (or set LANGFLOW_SUPERUSER)")


def _password(inv: Invocation, stdin: bool, env_var: str | None, username: str, settings: Any) -> str:
    from lfadmin.langflow.crypto import check_password_acceptable

    if stdin or env_var:
        return _new_password(inv, stdin, env_var)
    configured = settings.superuser_name()
    env_pw = settings.superuser_password()
    # LANGFLOW_SUPERUSER_PASSWORD is the password of LANGFLOW_SUPERUSER, nobody else's: giving
    # it to another name would silently hand the bootstrap account's password to a second user.
    if env_pw is not None and username == configured.raw:
        check_password_acceptable(env_pw.raw)
        output.say(f"Password for {username!r} from {env_pw.describe()}")
        return str(env_pw.raw)
    if interactive():
        return prompt_secret(f"Password for new superuser {username!r}", confirm=True)
    hint = ""
    if env_pw is not None:
        hint = f" (LANGFLOW_SUPERUSER_PASSWORD is the password of {configured.raw!r} only)"
    raise InvalidInput(
        "no password given: pipe it to --password-stdin, name a variable with --password-env, "
        "or set LANGFLOW_SUPERUSER_PASSWORD with LANGFLOW_SUPERUSER=" + username + hint
    )


def _secret_key(inv: Invocation, path: Path) -> tuple[str, str]:
    if str(path) == "-":
        return read_stdin_secret(inv, "--secret-key-file -"), "read from stdin"
    from lfadmin.files import read_text

    # Verbatim, as Langflow reads secret_key; never through a link, at most 64 KiB, UTF-8.
    value = read_text(path, "--secret-key-file") or ""
    if not value.strip():
        raise InvalidInput(f"--secret-key-file {path} is empty")
    redact.register(value)
    return value, f"read from {path}"


@global_options
def superuser(
    inv: Invocation,
    username: Annotated[
        str | None,
        typer.Option(
            "--username",
            "-u",
            help="The new superuser (default: LANGFLOW_SUPERUSER, else a prompt).",
            show_default=False,
        ),
    ] = None,
    password_stdin: PasswordStdin = False,
    password_env: PasswordEnv = None,
    break_glass: Annotated[
        bool,
        typer.Option(
            "--break-glass",
            help="Recovery when every superuser password is lost: no superuser authenticates; "
            "needs LANGFLOW_ENABLE_SUPERUSER_CLI=true set explicitly, --reason and "
            "--secret-key-file. Loudly audited.",
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why break-glass is needed (goes to the audit trail).", show_default=False),
    ] = None,
    secret_key_file: Annotated[
        Path | None,
        typer.Option(
            "--secret-key-file",
            metavar="PATH",
            help="Break-glass proof: the server's secret key file (- reads stdin).",
            show_default=False,
            readable=False,  # lfadmin.files says why it cannot be read, in one line, exit 4
        ),
    ] = None,
) -> None:
    """Create a superuser. The first one needs no authentication; later ones need a superuser.

    The password comes from a hidden prompt, --password-stdin, --password-env, or
    LANGFLOW_SUPERUSER_PASSWORD when the name is LANGFLOW_SUPERUSER; never from argv.
    Refused when LANGFLOW_ENABLE_SUPERUSER_CLI is false. Every creation is audited
    (stderr and lfadmin-audit.jsonl in Langflow's config dir, or $LFADMIN_AUDIT_LOG).

    \b
        lfadmin --env-file /srv/langflow/.env superuser            # first-time setup
        printf '%s' "$PW" | lfadmin superuser --username ops --password-stdin
        LANGFLOW_ENABLE_SUPERUSER_CLI=true lfadmin superuser --username rescue \\
            --break-glass --reason "lost admin password" \\
            --secret-key-file ~/.cache/langflow/secret_key --password-env RESCUE_PW
    """
    from lfadmin.core import superuser as core

    tgt = target(inv, with_creds=False)
    # Unlike every other write, a failure after this commit has never been reported as one
    # (byte-identical behaviour kept; see the report of issue 12).
    tgt.on_commit = lambda: None
    settings = tgt.settings
    # The gate comes first: nothing is read, prompted or opened when the server forbids this.
    if break_glass:
        core.check_break_glass_allowed(settings)
    else:
        core.check_cli_enabled(settings)
    bg = None
    if break_glass:
        if inv.as_user or inv.auth_password_stdin or inv.api_key_stdin:
            raise InvalidInput(core.BREAK_GLASS_WITH_CREDENTIALS)
        if reason is None or not reason.strip():
            raise InvalidInput("--break-glass needs --reason TEXT (it goes to the audit trail)")
        if secret_key_file is None:
            raise InvalidInput(
                "--break-glass needs proof of access to the server: --secret-key-file PATH "
                "(the server's $LANGFLOW_CONFIG_DIR/secret_key, or - to read it from stdin)"
            )
        secret, source = _secret_key(inv, secret_key_file)
        bg = core.BreakGlass(secret, source, reason.strip())
    elif reason is not None or secret_key_file is not None:
        raise InvalidInput("--reason and --secret-key-file only go with --break-glass")

    name = _username(username, settings)
    password = _password(inv, password_stdin, password_env, name, settings)
    creds = None if break_glass else credentials(inv)
    with tgt.session(write=True, authenticate=False) as s:
        from lfadmin.core.auth import Credentials

        made = core.create_superuser(
            s, name, password, creds or Credentials(), database=tgt.db.url.masked, break_glass=bg
        )
    _audit_line(made)
    if inv.json:
        output.emit_json(made.to_json())
        return
    output.say(f"Superuser {made.user.username!r} created, active, with its default project")


def _audit_line(made: Any) -> None:
    """Printed even under --quiet: an audit line is not chatter."""
    console = output.err_console()
    when = made.user.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") if made.user.created_at else "-"
    who = made.actor.username or "nobody"
    line = (
        f"AUDIT {when} superuser {made.user.username!r} created by {who} "
        f"({made.actor.method}: {made.actor.rule}); recorded in {made.audit.path}"
    )
    if made.break_glass:
        console.print(
            "BREAK-GLASS: a superuser was created without any superuser authenticating.",
            markup=False,
            style="bold red",
        )
        console.print(line, markup=False, style="bold red")
        console.print(
            "BREAK-GLASS: review the audit trail; reset lost passwords with "
            "`lfadmin user set-password` as the new superuser.",
            markup=False,
            style="bold red",
        )
        return
    console.print(line, markup=False)
