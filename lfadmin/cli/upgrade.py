"""``lfadmin upgrade``: Typer only. ``check``: parse ``--to``/``--fail-on``, call
``lfadmin.core.upgrade.check`` once, render its report (the doctor's layout and exit codes: 12
findings, 13 database part failed). ``repair``: the backup first (``options.backup_first``), one
``lfadmin.core.upgrade.repair.repair`` call, its receipt rendered as ``secrets rotate``'s."""

from typing import Annotated, Any

import typer

from lfadmin import output
from lfadmin.cli.options import BackupOpt, Invocation, backup_first, global_options, progress, target, warn_once
from lfadmin.errors import InvalidInput

app = typer.Typer(no_args_is_help=True)


@app.callback()
def upgrade() -> None:
    """Check what a Langflow upgrade will break, before installing it; repair what it left.

    \b
        lfadmin upgrade check --to 1.13.0 --env-file /srv/langflow/.env
        lfadmin upgrade repair --env-file /srv/langflow/.env --dry-run
    """


@app.command()
@global_options
def check(
    inv: Invocation,
    to: Annotated[
        str,
        typer.Option(
            "--to", metavar="VERSION", help="The Langflow release you are about to install.", show_default=False
        ),
    ],
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Exit 12 when a finding is at or above: error, warning.")
    ] = "error",
) -> None:
    """Report what breaks or changes when this database and these settings meet Langflow VERSION.

    Run it against today's database and the server's env file BEFORE installing the new release:
    some of its migrations abort half-way, and its first start may delete data. Each finding has
    a stable ID (docs/langflow/upgrades.md), a severity, the evidence and the command that fixes
    it. Read-only. Exit codes: 0 nothing at or above --fail-on, 12 findings at or above it, 13
    the database part could not run, 10 VERSION is older than the database's release, 4 bad input.

    \b
        lfadmin upgrade check --to 1.13.0 --env-file /srv/langflow/.env
        lfadmin upgrade check --to 1.13.0 --env-file .env --database-url "$DB" --json
        lfadmin upgrade check --to 1.10.3 --env-file .env --fail-on warning
    """
    from lfadmin.core import upgrade as core

    threshold = core.FAIL_ON.get(fail_on.strip().lower())
    if threshold is None:
        raise InvalidInput(f"--fail-on {fail_on!r}: use one of error, warning")
    report = core.check(target(inv, with_creds=False), to=to, fail_on=threshold)
    for w in report.warnings:
        output.warn(w)
    if inv.json:
        output.emit_json(report.to_json())
    else:
        for n in report.notes:
            output.say(f"note: {n}")
        with output.writing():
            _render(report)
    raise typer.Exit(int(report.exit_code))


def _render(report: Any) -> None:
    """The report for people, laid out as the doctor's (``lfadmin.cli.config``)."""
    from rich.text import Text

    from lfadmin.cli.config import SEVERITY_STYLE, render_finding, render_sources, render_summary
    from lfadmin.core.upgrade import label

    console = output.out_console()

    def line(lead: str | Text, text: str | Text = "") -> None:
        output.hanging(lead, text, console=console)

    jump = f"{report.langflow_version} -> {report.to_version}"
    line(Text("Langflow upgrade check  ", style="bold"), f"{jump} (from: {report.version_source})")
    render_sources(line, report)
    for sev in ("error", "warning", "info"):
        items = [f for f in report.findings if label(f.severity) == sev]
        if not items:
            continue
        console.print()
        console.print(Text(f" {sev.upper()} ({len(items)}) ", style=SEVERITY_STYLE[items[0].severity.label]))
        for f in items:
            render_finding(line, f)
    counts = report.counts()
    console.print()
    summary = ", ".join(f"{counts[k]} {k}" for k in ("error", "warning", "info"))
    render_summary(line, report, summary, label(report.fail_on))


@app.command()
@global_options
def repair(
    inv: Invocation,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    keep_default_superuser: Annotated[
        bool,
        typer.Option("--keep-default-superuser", help="Give a never-signed-in superuser 'langflow' a "
                     "last-login time, so no start with AUTO_LOGIN off removes it (LF-UPG-006)."),
    ] = False,
    drop_orphans: Annotated[
        bool,
        typer.Option("--drop-orphans", help="Delete the rows whose parent is gone where ON DELETE CASCADE would "
                     "have deleted them, clear the keys where SET NULL would have (LF-UPG-016), as Langflow's "
                     "convert-sqlite-to-postgres --drop-orphans does."),
    ] = False,
    backup: BackupOpt = None,
    no_backup: Annotated[
        bool, typer.Option("--no-backup", help="SQLite: skip the automatic backup taken before changes.")
    ] = False,
) -> None:
    """Make every stored value readable the way the release in place reads it; keep the secret key.

    Run it AFTER the new release has migrated the database (it started once), with the server's
    env file. In one transaction: 1.6/1.7's encrypted Generic variables become plaintext (1.8+),
    values only the old short-key derivation opens are re-encrypted under the current one with
    the same key, and plaintext API keys are encrypted (1.8+, as api-key encrypt-legacy). Values
    no derivation of the key opens are listed and left alone. A second run finds nothing to do.
    On SQLite a verified backup is taken first, beside the database, when something will change
    (--backup PATH to choose where, --no-backup to skip).

    \b
        lfadmin upgrade repair --env-file /srv/langflow/.env --dry-run
        lfadmin upgrade repair --env-file /srv/langflow/.env --json
        lfadmin upgrade repair --env-file /srv/langflow/.env --drop-orphans --dry-run
    """
    from lfadmin.core.upgrade import repair as core

    if backup is not None and no_backup:
        raise InvalidInput("use either --backup PATH or --no-backup, not both")
    tgt = target(inv)
    auto = backup is None and not no_backup and not dry_run and tgt.db.url.backend == "sqlite"
    if auto:  # back up only when something will change: a second run leaves no second file
        warn_once(tgt)
        auto = core.repair(tgt, dry_run=True, keep_default_superuser=keep_default_superuser,
                           drop_orphans=drop_orphans).changed > 0
    taken = backup_first(inv, tgt, backup, dry_run=dry_run, auto=auto)
    with progress(inv, "repairing") as bar:
        receipt = core.repair(tgt, dry_run=dry_run, keep_default_superuser=keep_default_superuser,
                              drop_orphans=drop_orphans, progress=bar)
    if inv.json:
        output.emit_json({**receipt.to_json(), "backup": str(taken) if taken else None})
    else:
        _render_receipt(receipt)
    for row in receipt.undecryptable_rows:
        output.warn(f"left undecryptable (no derivation of the key in effect opens it): {row}")
    if receipt.undecryptable > len(receipt.undecryptable_rows):
        output.warn(f"... {receipt.undecryptable - len(receipt.undecryptable_rows)} more undecryptable")
    for k in receipt.api_keys_skipped:
        output.warn(f"API key {k}")
    for line in receipt.left:
        output.say(f"left: {line}")


def _render_receipt(receipt: Any) -> None:
    from lfadmin.cli.secrets import store_receipt

    rows = [(r.store, r.rows, r.healed_legacy, r.generic_decrypted, r.already_new, r.plaintext_left,
             r.undecryptable, r.verified) for r in receipt.stores if r.present]
    columns = ["store", "rows", "healed legacy", "generic → plain", "current", "plaintext left",
               "undecryptable", "verified"]
    if receipt.changed:
        store_receipt(columns, rows, title="dry run (nothing written)" if receipt.dry_run else None)
    verb = "Would encrypt" if receipt.dry_run else "Encrypted"
    if receipt.api_keys_encrypted:
        output.say(f"{verb} {len(receipt.api_keys_encrypted)} plaintext API key(s): "
                   + ", ".join(receipt.api_keys_encrypted))
    if receipt.default_superuser_kept:
        output.say(("Would give" if receipt.dry_run else "Gave") + " the never-signed-in superuser 'langflow' a "
                   "last-login time: no start removes it now")
    for line in receipt.orphans:
        output.say(f"{'Would settle' if receipt.dry_run else 'Settled'} orphans: {line}")
    if not receipt.changed:
        if receipt.undecryptable:
            output.say(f"Nothing to repair with key {receipt.key_fingerprint}: {receipt.undecryptable} value(s) "
                       "no derivation of it opens are left as they are (lfadmin secrets check)")
        else:
            output.say(f"Nothing to repair: every stored value is readable by Langflow {receipt.release} "
                       f"with key {receipt.key_fingerprint}")
        return
    output.say(f"{'Would repair' if receipt.dry_run else 'Repaired'} {receipt.changed} value(s) for Langflow "
               f"{receipt.release}, key {receipt.key_fingerprint} unchanged, in {receipt.duration_s:.2f} s")
