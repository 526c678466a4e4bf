"""``lfadmin db``: Typer only - parse, call ``lfadmin.core.retention``, render.

``prune`` prints its rows per table on stdout (``--json``: the summary, docs/json.md) and its
summary line on stderr; ``vacuum`` says what it reclaimed on stderr. docs/retention.md says why
prune commits in batches and what the numbers mean.
"""

from typing import Annotated

import typer

from lfadmin import output
from lfadmin.cli.options import Invocation, global_options, progress, target

app = typer.Typer(no_args_is_help=True)


@app.callback()
def db_group() -> None:
    """Keep the database small: prune old run history, then vacuum.

    \b
        lfadmin db prune --older-than 30d --keep-last 100 --dry-run
        lfadmin db prune --older-than 30d --keep-last 100 && lfadmin db vacuum
    """


@app.command()
@global_options
def prune(
    inv: Invocation,
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help="Delete rows written before this long ago: whole hours, days or weeks (12h, 30d, 2w; 0d: up to now).",
            show_default=False,
        ),
    ],
    keep_last: Annotated[
        int | None,
        typer.Option(
            "--keep-last",
            metavar="N",
            min=0,
            help="Keep the newest N rows of each flow in each table, however old.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count per table; change nothing.")] = False,
) -> None:
    """Delete old run history: messages, transactions, vertex builds, traces and spans.

    Takes the run-history tables this database's release has, and the rows pointing at their
    rows (e.g. spans, message ingestion records). Deletes in short batches, each its own
    transaction, so a running Langflow keeps writing to the same SQLite file: a failure keeps the
    batches before it, and rerunning the same command continues. Then `lfadmin db vacuum` gives
    the space back to the file system.

    \b
        lfadmin db prune --older-than 30d --dry-run
        lfadmin db prune --older-than 2w --keep-last 50 --env-file /srv/langflow/.env
    """
    from lfadmin.core import retention

    inv.after_commit = (
        "every batch deleted before the failure stays deleted (each batch is whole); rerunning the same "
        "command deletes what is left, if anything"
    )
    with progress(inv, "deleting") as bar:
        done = retention.prune(target(inv), older_than, keep_last=keep_last, dry_run=dry_run, progress=bar)
    if inv.json:
        output.emit_json(done.to_json())
        return
    output.table(["table", "would delete" if done.dry_run else "deleted"], sorted(done.rows.items()))
    kept = f" (keeping the newest {done.keep_last} per flow)" if done.keep_last is not None else ""
    what = f"{done.total} rows older than {done.cutoff.strftime('%Y-%m-%d %H:%M UTC')}{kept}"
    if done.dry_run:
        output.say(f"Dry run: would delete {what}; nothing was changed")
    else:
        output.say(
            f"Deleted {what} in {done.batches} batches, {done.seconds:.1f} s; "
            f"the longest batch held the write lock {done.longest_lock * 1000:.0f} ms"
        )


@app.command()
@global_options
def vacuum(
    inv: Invocation,
    force: Annotated[
        bool, typer.Option("--force", help="SQLite: vacuum even while another process has the database open.")
    ] = False,
) -> None:
    """Give the space of deleted rows back: SQLite VACUUM, PostgreSQL VACUUM ANALYZE.

    SQLite rebuilds the file, holding the write lock throughout: it needs about the live data's
    size free beside the database and in the temp directory, and refuses while another process
    (a running Langflow) has the file open, unless --force. PostgreSQL's VACUUM ANALYZE blocks
    nobody; it makes the space reusable and refreshes statistics, but rarely shrinks the files.

    \b
        lfadmin db vacuum --env-file /srv/langflow/.env
    """
    from lfadmin.core import retention

    inv.after_commit = "the VACUUM ran (it changes no rows); rerunning it is harmless"
    done = retention.vacuum(target(inv), force=force)
    if inv.json:
        output.emit_json(done.to_json())
        return
    change = (
        f"reclaimed {output.size(done.reclaimed)}" if done.reclaimed >= 0 else f"grew by {output.size(-done.reclaimed)}"
    )
    output.say(
        f"Vacuumed {done.database} in {done.seconds:.1f} s: {output.size(done.before)} before, "
        f"{output.size(done.after)} after ({change})"
    )
    for note in done.notes:
        output.say(f"note: {note}")
