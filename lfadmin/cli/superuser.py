"""``lfadmin superuser``: Typer only - parse, call ``lfadmin.core.superuser.create``, render.

The rules (the gate, break-glass, which name and password) are core's; the CLI hands it ways to
read stdin, files and the terminal, which core calls only when its rules get that far.
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from lfadmin import output, redact
from lfadmin.cli.options import (
    Invocation,
    PasswordEnv,
    PasswordStdin,
    credentials,
    global_options,
    interactive,
    new_password,
    prompt_secret,
    read_stdin_secret,
    target,
)
from lfadmin.errors import InvalidInput


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
    made_what = f"superuser {username!r}" if username else "the new superuser"
    inv.after_commit = f"{made_what} was created; check it with `lfadmin user show`"
    made = core.create(
        tgt,
        core.Request(
            username=username,
            password=(lambda: new_password(inv, password_stdin, password_env))
            if password_stdin or password_env
            else None,
            break_glass=break_glass,
            reason=reason,
            secret_key=(lambda: _secret_key(inv, secret_key_file)) if secret_key_file is not None else None,
            credentials_given=bool(inv.as_user or inv.auth_password_stdin or inv.api_key_stdin),
            credentials=lambda: credentials(inv),
            ask_username=(lambda: str(typer.prompt("Username", err=True))) if interactive() else None,
            ask_password=(lambda label: prompt_secret(label, confirm=True)) if interactive() else None,
        ),
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
