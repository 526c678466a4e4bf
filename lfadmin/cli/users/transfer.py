"""``lfadmin user transfer`` and ``user delete --transfer-to``: Typer only - parse, confirm,
call ``lfadmin.core.transfer``, render (registered in the user group, ``lfadmin.cli.users``)."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from lfadmin import output
from lfadmin.cli.options import Invocation, global_options, interactive, progress, target
from lfadmin.errors import Refused

if TYPE_CHECKING:
    from lfadmin.core.target import Target

AllowInactive = Annotated[
    bool, typer.Option("--allow-inactive", help="Transfer to an inactive user too (it cannot sign in to use it).")
]


@global_options
def transfer(
    inv: Invocation,
    old: Annotated[str, typer.Argument(help="The user whose things move (exact, case-sensitive).", show_default=False)],
    new: Annotated[str, typer.Argument(help="The user who receives them.", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")] = False,
    allow_inactive: AllowInactive = False,
) -> None:
    """Give everything a user owns to another user: flows, projects, files, knowledge bases,
    variables, MCP servers... (not its API keys: those are personal).

    Names the new owner already uses are renamed the way Langflow renames an import, and listed.

    \b
        lfadmin user transfer alice bob --dry-run
        lfadmin user transfer alice bob
    """
    from lfadmin.core import transfer as core

    inv.after_commit = f"{new!r} owns what {old!r} owned; its files were not all moved"
    done = core.transfer(target(inv), old, new, dry_run=dry_run, allow_inactive=allow_inactive)
    if inv.json:
        output.emit_json({**done.to_json(), "transferred": not dry_run})
        return
    render(done)
    if dry_run:
        output.say("Dry run: nothing was changed")
    else:
        output.say(f"Transferred what {old!r} owned to {new!r}")


def delete_to(
    inv: Invocation, tgt: "Target", username: str, new: str, *, yes: bool, dry_run: bool, allow_inactive: bool) -> None:
    """``user delete OLD --transfer-to NEW``: the transfer, then the deletion, in one transaction."""
    from lfadmin.core import transfer as core

    def confirm(plan: Any) -> None:
        if not inv.json:
            render(plan)
        if not interactive():
            raise Refused("not deleting without confirmation", hint="pass --yes")
        if not typer.confirm(f"Give the above to {new!r}, then delete {username!r}?", err=True):
            raise Refused("nothing deleted")

    inv.after_commit = f"{username!r} is deleted and {new!r} owns what it owned; its files were not all moved"
    with progress(inv, "deleting" if not dry_run else "counting") as bar:
        done = core.transfer(
            tgt, username, new, dry_run=dry_run, allow_inactive=allow_inactive, delete=True,
            confirm=None if yes else confirm, progress=bar,
        )
    if inv.json:
        output.emit_json({**done.to_json(), "transferred": not dry_run, "deleted_user": not dry_run})
        return
    if dry_run or yes:
        render(done)
    if dry_run:
        output.say("Dry run: nothing was changed")
    else:
        output.say(f"Transferred what {username!r} owned to {new!r} and deleted {username!r}")


def render(done: Any) -> None:
    """The plan or the outcome: a table of what moves, one of what was renamed, then what stays."""
    verb = "Would move" if done.dry_run else "Moved"
    pair = f"from {done.old.username!r} to {done.new.username!r}"
    if done.moved:
        output.table(
            ["kind", "table", "column", "rows"],
            [(m.label, m.table, m.column, m.rows) for m in done.moved],
            title=f"{verb} {pair}",
        )
    else:
        output.say(f"Nothing to move {pair}: {done.old.username!r} owns nothing but its account")
    if done.renamed:
        output.table(
            ["kind", "column", "old name", "new name"],
            [(r.label, r.column, r.old, r.new) for r in done.renamed],
            title=f"{'Would rename' if done.dry_run else 'Renamed'}: names {done.new.username!r} already uses",
        )
    for k in done.kept:
        output.say(f"Kept by {done.old.username!r}: {_count(k.rows, k.label)} ({k.why})")
    for m in done.disk:
        if m.action == "kept":
            output.say(f"Kept {m.what} folder {m.path}: Langflow 1.13 ties it to its owner by its upgrade ledger")
        else:
            output.say(f"{'Would move' if m.action == 'to move' else 'Moved'} {m.what} {m.path} to {m.to}")
    if done.deleted is not None:
        output.table(
            ["table", "column", "action", "rows"],
            [(st.table, st.column, st.action, st.rows) for st in done.deleted],
            title=f"{'Would change' if done.dry_run else 'Changed'} deleting {done.old.username!r}",
        )


def _count(n: int, label: str) -> str:
    """``1 API key``, ``2 projects``: a kind's label (``api_keys``) with its count."""
    words = label.replace("_", " ").replace("api key", "API key")
    return f"{n} {words[:-1] if n == 1 and words.endswith('s') else words}"
