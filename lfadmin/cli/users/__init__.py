"""``lfadmin user``: Typer only - parse, prompt, call ``lfadmin.core.users``, render."""

from typing import Annotated, Any

import typer

from lfadmin import output
from lfadmin.cli.options import (
    BackupOpt,
    Invocation,
    PasswordEnv,
    PasswordStdin,
    backup_first,
    global_options,
    interactive,
    new_password,
    progress,
    target,
)
from lfadmin.cli.users import manifest as _manifest
from lfadmin.cli.users import transfer as _transfer
from lfadmin.errors import InvalidInput, Refused

app = typer.Typer(no_args_is_help=True)


@app.callback()
def users_group() -> None:
    """List, create, activate, promote, re-password, rename and delete Langflow users.

    \b
        lfadmin user list
        printf '%s' "$PW" | lfadmin user create alice --active --password-stdin
    """

Username = Annotated[str, typer.Argument(help="The username (exact, case-sensitive).", show_default=False)]


def _show_user(user: Any, extra: dict[str, Any] | None = None) -> None:
    rows: list[tuple[str, Any]] = [
        ("username", user.username),
        ("id", user.id),
        ("active", "yes" if user.is_active else "no"),
        ("superuser", "yes" if user.is_superuser else "no"),
        ("created", user.created_at),
        ("updated", user.updated_at),
        ("last login", user.last_login_at),
    ]
    if user.retired_at:
        rows.append(("retired", user.retired_at))
    for k, v in (extra or {}).items():
        rows.append((k, v))
    output.record(rows)


@app.command("list")
@global_options
def list_(
    inv: Invocation,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="Only active, or only inactive users.", show_default=False),
    ] = None,
    superusers: Annotated[bool, typer.Option("--superusers", help="Only superusers.")] = False,
) -> None:
    """List users.

    \b
        lfadmin user list
        lfadmin user list --inactive --json | jq -r '.users[].username'
    """
    from lfadmin.core import users

    rows = users.list_users(target(inv), active=active, superuser=True if superusers else None)
    if inv.json:
        output.emit_json({"users": [u.to_json() for u in rows]})
        return
    output.table(
        ["username", "active", "superuser", "created", "last login", output.Col("id", only="wide")],
        [
            (
                u.username,
                "yes" if u.is_active else ("retired" if u.retired_at else "no"),
                "yes" if u.is_superuser else "no",
                u.created_at,
                u.last_login_at,
                u.id,
            )
            for u in rows
        ],
    )
    output.say(f"{len(rows)} user{'s' if len(rows) != 1 else ''}")


@app.command()
@global_options
def show(inv: Invocation, username: Username) -> None:
    """Show one user, with what it owns.

    \b
        lfadmin user show alice
    """
    from lfadmin.core import users

    user, owned = users.show(target(inv), username)
    if inv.json:
        output.emit_json({"user": {**user.to_json(), "owns": owned}})
        return
    first = list(owned)[:4]  # API keys, variables, flows, projects: always; the rest when owned
    _show_user(user, {k: str(v) for k, v in owned.items() if v or k in first})


@app.command()
@global_options
def create(
    inv: Invocation,
    username: Username,
    superuser: Annotated[bool, typer.Option("--superuser", help="Make the user a superuser.")] = False,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive",
            help="Override LANGFLOW_NEW_USER_IS_ACTIVE (Langflow's default for new users: inactive).",
            show_default=False,
        ),
    ] = None,
    password_stdin: PasswordStdin = False,
    password_env: PasswordEnv = None,
) -> None:
    """Create a user (and its default project) as Langflow's API would.

    The password comes from a hidden prompt, stdin or an environment variable, never argv.

    \b
        printf '%s' "$PW" | lfadmin user create alice --active --password-stdin
        lfadmin user create bob --password-env BOB_PASSWORD
    """
    from lfadmin.core import users

    password = new_password(inv, password_stdin, password_env)
    made = users.create(target(inv), username, password, superuser=superuser, active=active)
    user = made.user
    _say_granted(made)
    if inv.json:
        output.emit_json({"user": user.to_json(), "created": True})
        return
    kind = "superuser" if user.is_superuser else "user"
    state = "active" if user.is_active else "inactive (activate with: lfadmin user activate)"
    output.say(f"Created {kind} {user.username!r}, {state}")


def _say_granted(change: Any) -> None:
    """Superuser rights granted: core.users wrote the audit record; say where."""
    g = change.granted
    if g is None:
        return
    who = g.actor.describe() if g.actor else "unknown"
    output.err_console().print(f"AUDIT {g.event} {change.user.username!r} by {who} -> {g.audit.path}", markup=False)


def _toggle(inv: Invocation, username: str, verb: str, done: str) -> None:
    from lfadmin.core import users

    change = getattr(users, verb)(target(inv), username)
    _say_granted(change)
    if inv.json:
        output.emit_json({"user": change.user.to_json(), "changed": change.changed})
        return
    output.say(f"{change.user.username!r} {'is now' if change.changed else 'was already'} {done}")


@app.command()
@global_options
def activate(inv: Invocation, username: Username) -> None:
    """Let a user sign in.

    \b
        lfadmin user activate alice
    """
    _toggle(inv, username, "activate", "active")


@app.command()
@global_options
def deactivate(inv: Invocation, username: Username) -> None:
    """Stop a user from signing in and from using its API keys.

    \b
        lfadmin user deactivate alice
    """
    _toggle(inv, username, "deactivate", "inactive")


@app.command()
@global_options
def promote(inv: Invocation, username: Username) -> None:
    """Make a user a superuser.

    \b
        lfadmin user promote alice
    """
    _toggle(inv, username, "promote", "a superuser")


@app.command()
@global_options
def demote(inv: Invocation, username: Username) -> None:
    """Take superuser rights away from a user.

    \b
        lfadmin user demote alice
    """
    _toggle(inv, username, "demote", "a regular user")


@app.command("set-password")
@global_options
def set_password(
    inv: Invocation,
    username: Username,
    password_stdin: PasswordStdin = False,
    password_env: PasswordEnv = None,
) -> None:
    """Set a user's password.

    \b
        printf '%s' "$PW" | lfadmin user set-password alice --password-stdin
    """
    from lfadmin.core import users

    password = new_password(inv, password_stdin, password_env)
    user = users.change_password(target(inv), username, password)
    if inv.json:
        output.emit_json({"user": user.to_json(), "changed": True})
        return
    output.say(f"Password changed for {user.username!r}")


@app.command()
@global_options
def rename(
    inv: Invocation,
    old: Annotated[str, typer.Argument(help="The user's name now (exact, case-sensitive).", show_default=False)],
    new: Annotated[str, typer.Argument(help="The new username.", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and show the rename; change nothing.")] = False,
) -> None:
    """Rename a user as Langflow's API does (and its knowledge-base folder).

    Refuses a name another user has in any case (alice/Alice are one user to Langflow 1.13):
    the fix for the case twins `upgrade check` reports.

    \b
        lfadmin user rename Alice alice2
        lfadmin user rename alice Alice --dry-run
    """
    from lfadmin.core import users

    inv.after_commit = f"{old!r} is now {new!r}"
    done = users.rename_user(target(inv), old, new, dry_run=dry_run)
    folder = done.kb_folder
    if inv.json:
        kb = None if folder is None else {
            "path": str(folder.path), "to": None if folder.to is None else str(folder.to), "action": folder.action
        }
        output.emit_json(
            {"user": done.user.to_json(), "old_username": old, "renamed": not dry_run, "dry_run": dry_run,
             "knowledge_base_folder": kb}
        )
        return
    if folder is not None and folder.action == "kept":
        output.say(f"Knowledge-base folder {folder.path} kept: Langflow 1.13 does not key it by username")
    elif folder is not None:
        output.say(f"{'Would move' if dry_run else 'Moved'} knowledge-base folder {folder.path} to {folder.to}")
    if dry_run:
        output.say(f"Dry run: {old!r} would be renamed to {new!r}; nothing was changed")
    else:
        output.say(f"Renamed {old!r} to {new!r}")


app.command("transfer")(_transfer.transfer)


@app.command()
@global_options
def delete(
    inv: Invocation,
    username: Username,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be deleted; change nothing.")] = False,
    transfer_to: Annotated[
        str | None,
        typer.Option("--transfer-to", metavar="NEW", help="First give what the user owns to NEW (`user transfer`).",
                     show_default=False),
    ] = None,
    allow_inactive: _transfer.AllowInactive = False,
    backup: BackupOpt = None,
) -> None:
    """Delete a user and everything it owns (flows, projects, keys, variables, ...), or,
    with --transfer-to, after giving it to another user, in the same transaction.

    \b
        lfadmin user delete bob --dry-run
        lfadmin user delete bob --yes --backup /backups/before-deleting-bob.db
        lfadmin user delete bob --transfer-to alice --yes
    """
    from lfadmin.core import users

    if allow_inactive and transfer_to is None:
        raise InvalidInput("--allow-inactive goes with --transfer-to")
    tgt = target(inv)
    if backup is not None and not dry_run:  # an unknown user must not leave a backup behind
        users.require(tgt, username, *([transfer_to] if transfer_to is not None else []))
    backup_first(inv, tgt, backup, dry_run=dry_run)
    if transfer_to is not None:
        _transfer.delete_to(inv, tgt, username, transfer_to, yes=yes, dry_run=dry_run, allow_inactive=allow_inactive)
        return

    def confirm(user: Any, steps: Any) -> None:
        # Show the exact plan, then ask - all inside the same transaction.
        _render_steps(inv, user, steps, planned=True)
        if not interactive():
            raise Refused("not deleting without confirmation", hint="pass --yes")
        if not typer.confirm(f"Delete {user.username!r} and all of the above?", err=True):
            raise Refused("nothing deleted")

    with progress(inv, "deleting" if not dry_run else "counting") as bar:
        user, steps = users.delete(
            tgt, username, dry_run=dry_run, confirm=None if yes else confirm, progress=bar
        )
    if inv.json:
        output.emit_json(
            {
                "user": user.to_json(),
                "deleted": not dry_run,
                "dry_run": dry_run,
                "steps": [
                    {"table": st.table, "column": st.column, "action": st.action, "rows": st.rows}
                    for st in steps
                ],
            }
        )
        return
    if dry_run or yes:
        _render_steps(inv, user, steps, planned=dry_run)
    if dry_run:
        output.say("Dry run: nothing was deleted")
    else:
        output.say(f"Deleted {user.username!r}")


def _render_steps(inv: Invocation, user: Any, steps: Any, *, planned: bool) -> None:
    if inv.json:
        return
    verb = "Would change" if planned else "Changed"
    output.table(
        ["table", "column", "action", "rows"],
        [(st.table, st.column, st.action, st.rows) for st in steps],
        title=f"{verb} for user {user.username!r}",
    )


# The manifest commands (`user export/diff/apply`) live in their own module.
app.command()(_manifest.export)
app.command()(_manifest.diff)
app.command()(_manifest.apply)
