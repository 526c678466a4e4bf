"""``lfadmin user export/diff/apply``: users as a manifest (Typer only; registered in the user
group, ``lfadmin.cli.users``)."""

from pathlib import Path
from typing import Annotated, Any

import typer

from lfadmin import output
from lfadmin.cli.options import Invocation, global_options, target
from lfadmin.errors import ExitCode

ManifestFile = Annotated[
    Path, typer.Argument(help="A users manifest (JSON, as `lfadmin user export` writes).", show_default=False)
]


@global_options
def export(inv: Invocation) -> None:
    """Write every user as a manifest (the `langflow admin export` shape; no passwords).

    \b
        lfadmin user export > users.json
    """
    from lfadmin.core import manifest

    doc = manifest.export(target(inv))
    output.emit_json(doc, versioned=False)


def _render_ops(inv: Invocation, ops: Any, dry_run: bool | None = None) -> None:
    if inv.json:
        doc: dict[str, Any] = {"changes": [op.to_json() for op in ops]}
        if dry_run is not None:
            doc["dry_run"] = dry_run
        output.emit_json(doc)
        return
    if not ops:
        output.say("No differences")
        return
    output.table(
        ["action", "user", "changes"],
        [(op.action, op.username, ", ".join(op.changes)) for op in ops],
    )


@global_options
def diff(inv: Invocation, file: ManifestFile) -> None:
    """Show how the database differs from a manifest; exit code 3 when it does.

    \b
        lfadmin user diff users.json || echo "drift"
    """
    from lfadmin.core import manifest

    desired = manifest.load(file)
    ops = manifest.diff(target(inv), desired)
    _render_ops(inv, ops)
    if ops:
        raise typer.Exit(code=int(ExitCode.DIFFERENCES))


@global_options
def apply(
    inv: Invocation,
    file: ManifestFile,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes; make none.")] = False,
) -> None:
    """Make the database match a manifest, in one transaction.

    New users need `password_env`: the name of an environment variable holding the password.

    \b
        ALICE_PW=... lfadmin user apply users.json --dry-run
        ALICE_PW=... lfadmin user apply users.json
    """
    from lfadmin.core import manifest

    desired = manifest.load(file)
    inv.after_commit = "the users were changed as the manifest says"  # a renamed user's folder left unmoved
    ops = manifest.apply(target(inv), desired, dry_run=dry_run)
    _render_ops(inv, ops, dry_run)
    if not inv.json and ops:
        output.say("Dry run: nothing was changed" if dry_run else f"Applied {len(ops)} change(s)")
