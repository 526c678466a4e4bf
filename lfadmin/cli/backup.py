"""``lfadmin backup``: Typer only - parse, call ``lfadmin.core.backup``, render.

``create`` prints the backup's path alone on stdout (``B=$(lfadmin backup create)``), the rest
on stderr; ``--json`` prints the manifest. docs/backup.md describes the format and the checks.
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from lfadmin import output
from lfadmin.cli.options import Invocation, global_options, target

app = typer.Typer(no_args_is_help=True)


@app.callback()
def backup_group() -> None:
    """Back up Langflow's database before an upgrade, and restore it, verified.

    \b
        lfadmin backup create --env-file /srv/langflow/.env
        lfadmin backup restore /srv/langflow/langflow.backup-1.13.0-20261204T120000Z.db --yes
    """


_NOUNS = {"users": "user", "flows": "flow", "variables": "variable", "api_keys": "API key", "folders": "folder"}


def _rows(counts: dict[str, Any]) -> str:
    return ", ".join(f"{n} {_NOUNS.get(k, k)}{'' if n == 1 else 's'}" for k, n in counts.items())


@app.command()
@global_options
def create(
    inv: Invocation,
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Where to write the backup (default: beside the SQLite file, or in Langflow's config "
            "dir for PostgreSQL, named with the release and the time). PATH.manifest.json goes beside it.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Back up the database: SQLite's online backup API (safe while Langflow runs), or pg_dump -Fc.

    Writes PATH (0600, never over an existing file or through a link) and PATH.manifest.json:
    the Langflow release, alembic revision, source database (masked), size, SHA-256 and row
    counts. Prints PATH on stdout. PostgreSQL needs pg_dump on PATH (package postgresql-client).

    \b
        lfadmin backup create --env-file /srv/langflow/.env
        lfadmin backup create /backups/langflow-pre-upgrade.db --json
    """
    from lfadmin.core import backup as core

    done = core.create(target(inv), path)
    m = done.manifest
    if inv.json:
        output.emit_json({"path": str(done.path), "manifest_path": str(done.manifest_path), "manifest": m.to_json()})
        return
    output.say(
        f"Backed up {m.database} (Langflow {m.langflow_release}, alembic revision {m.alembic_revision}; "
        f"{_rows(m.counts)}): {output.size(m.size)}, sha256 {m.sha256[:12]}, manifest {done.manifest_path}"
    )
    output.emit_line(str(done.path))


@app.command()
@global_options
def restore(
    inv: Invocation,
    path: Annotated[Path, typer.Argument(help="The backup file (its PATH.manifest.json must be beside it).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Replace a database that holds data.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Restore even while another process uses the database.")
    ] = False,
    other_database: Annotated[
        bool,
        typer.Option("--other-database", help="Restore a backup made of another database (file, server or name)."),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run every check; change nothing.")] = False,
) -> None:
    """Replace the database with a backup made by `lfadmin backup create`, after checking it.

    Refuses (nothing changed) a backup without its manifest, with a wrong size or SHA-256 (exit
    4), of a newer Langflow than lfadmin knows (6), of another backend (4) or another database
    (10, unless --other-database); a database in use (10, unless --force) or holding data (10,
    unless --yes). Stop Langflow first. SQLite is restored in place through SQLite's backup API
    (one transaction); PostgreSQL with pg_restore --clean --if-exists --single-transaction.

    \b
        lfadmin backup restore /srv/langflow/langflow.backup-1.13.0-20261204T120000Z.db --dry-run
        lfadmin backup restore /backups/langflow-pre-upgrade.db --yes --env-file /srv/langflow/.env
    """
    from lfadmin.core import backup as core

    inv.after_commit = f"it was replaced with the backup {path}; check it before rerunning the command"
    done = core.restore(target(inv), path, yes=yes, force=force, other_database=other_database, dry_run=dry_run)
    m = done.manifest
    if inv.json:
        output.emit_json({
            "restored": not done.dry_run,
            "dry_run": done.dry_run,
            "database_url": done.database,
            "path": str(done.path),
            "replaced": done.replaced,
            "left_in_place": done.left_in_place,
            "manifest": m.to_json(),
        })
        return
    what = f"{done.path} (Langflow {m.langflow_release}, made {m.created_at}; {_rows(m.counts)})"
    if done.dry_run:
        output.say(f"Dry run: {done.database} can be restored from {what}; nothing was changed")
    else:
        output.say(f"Restored {done.database} from {what}")
