"""``lfadmin secrets``: Typer only - parse, read stdin, call ``lfadmin.core``, render (issue #6).

Exit codes: 0 ok; 4 bad key / env file / input; 8 no such user or variable; 9 duplicate
variable names; 10 refused (Langflow running, a key would be overwritten, pending rotation);
11 something does not decrypt (``check``; ``rotate`` with the wrong old key).
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from lfadmin import output, redact
from lfadmin.cli.options import (
    BackupOpt,
    Invocation,
    backup_first,
    global_options,
    progress,
    read_stdin_secret,
    target,
)
from lfadmin.errors import InvalidInput

app = typer.Typer(no_args_is_help=True)


@app.callback()
def secrets_group() -> None:
    """Component credentials and the secret key: generate, check, rotate, scan flows.

    \b
        lfadmin secrets check --env-file /srv/langflow/.env
        lfadmin secrets rotate --generate --write-env /srv/langflow/.env --write-config-dir
    """

UserOpt = Annotated[
    str | None, typer.Option("--user", help="The variable's owner (exact username).", show_default=False)
]
NameArg = Annotated[str, typer.Argument(help="The global variable's name.", show_default=False)]
WriteEnvOpt = Annotated[
    Path | None,
    typer.Option(
        "--write-env",
        metavar="FILE",
        help="Set LANGFLOW_SECRET_KEY in this env file in place (atomic, other lines, owner and mode kept; new: 0600).",
        show_default=False,
        readable=False,  # lfadmin.files says why it cannot be used, in one line
    ),
]
WriteCfgOpt = Annotated[
    bool,
    typer.Option(
        "--write-config-dir",
        help="Write <config dir>/secret_key the way Langflow does (new: 0600; owner and mode kept).",
    ),
]

_ENV = {True: "yes", False: "no", None: None}


def store_receipt(columns: list[str], rows: list[tuple[Any, ...]], title: str | None = None) -> None:
    """A store receipt: on a terminal a row per store with only its non-zero counts (``14 ok, 1
    legacy``), which fits 80 columns; --wide and piped output: a column per count."""
    summary = [
        (*row[:2], ", ".join(f"{n} {name}" for name, n in zip(columns[2:], row[2:], strict=True) if n) or None)
        for row in rows
    ]
    output.table(
        [columns[0], columns[1], output.Col("counts", only="narrow"),
         *(output.Col(c, only="wide") for c in columns[2:])],
        [(*short, *row[2:]) for short, row in zip(summary, rows, strict=True)],
        title=title,
    )


# == variables ==================================================================================


@app.command("list")
@global_options
def list_(
    inv: Invocation,
    user: UserOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Every user's variables (the default).")] = False,
    type_: Annotated[
        str | None, typer.Option("--type", help="Only credential or generic.", show_default=False)
    ] = None,
) -> None:
    """List global variables: owner, type, fields, status and a fingerprint — never the value.

    Status: ok; legacy (opens only with the other short-key derivation); undecryptable;
    plaintext (a credential stored in clear); encrypted-generic (1.6-era Generic that 1.10+
    hides); plain-expected (a Generic in clear, as 1.8+ store it).

    \b
        lfadmin secrets list --user alice
        lfadmin secrets list --json | jq '.variables[] | select(.status != "ok")'
    """
    from lfadmin.core.secrets import variables

    if user and all_:
        raise InvalidInput("use either --user or --all")
    rows = variables.list_variables(target(inv), username=user, vtype=type_)
    if inv.json:
        output.emit_json({"variables": [v.to_json() for v in rows]})
        return
    output.table(
        ["name", "owner", "type", "status", "fields", "fingerprint", "updated", "created",
         output.Col("env", only="wide")],
        [
            (
                v.name, v.owner, v.type, v.status, ",".join(v.default_fields) or None, v.fingerprint,
                v.updated_at, v.created_at, _ENV[v.environment_managed],
            )
            for v in rows
        ],
    )
    output.say(f"{len(rows)} variable{'s' if len(rows) != 1 else ''}")


@app.command("set")
@global_options
def set_(
    inv: Invocation,
    name: NameArg,
    user: Annotated[str, typer.Option("--user", help="The owner (exact username).", show_default=False)],
    value_stdin: Annotated[bool, typer.Option("--value-stdin", help="Read the value from stdin (required).")] = False,
    type_: Annotated[
        str | None, typer.Option("--type", help="credential (default on create) or generic.", show_default=False)
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option("--field", help="A field name the variable applies to (repeatable).", show_default=False),
    ] = None,
) -> None:
    """Create or update a global variable the way Langflow's variable service does.

    \b
        printf '%s' "$OPENAI_KEY" | lfadmin secrets set OPENAI_API_KEY --user alice --value-stdin
    """
    from lfadmin.core.secrets import variables

    if not value_stdin:
        raise InvalidInput("pipe the value to --value-stdin (values are never accepted as arguments)")
    value = read_stdin_secret(inv, "--value-stdin")
    res = variables.set_variable(target(inv), name, user, value, vtype=type_, fields=field)
    if inv.json:
        output.emit_json({"created": res.created, "variable": res.info.to_json()})
        return
    verb = "Created" if res.created else "Updated"
    output.say(f"{verb} {res.info.type} variable {name!r} for {user!r} (fingerprint {res.info.fingerprint})")


@app.command()
@global_options
def show(
    inv: Invocation,
    name: NameArg,
    user: Annotated[str, typer.Option("--user", help="The owner (exact username).", show_default=False)],
    reveal: Annotated[bool, typer.Option("--reveal", help="Print the decrypted value on stdout (audited).")] = False,
) -> None:
    """Show a global variable's metadata; its value only with --reveal.

    \b
        lfadmin secrets show OPENAI_API_KEY --user alice
        lfadmin secrets show OPENAI_API_KEY --user alice --reveal
    """
    from lfadmin.core.secrets import variables

    if reveal:
        revealed = variables.reveal_variable(target(inv), name, user)
        for w in revealed.warnings:
            output.warn(w)
        output.emit_secret(revealed.value)
        return
    info = variables.show_variable(target(inv), name, user)
    if inv.json:
        output.emit_json(info.to_json())
        return
    output.record(
        [
            ("name", info.name), ("owner", info.owner), ("id", info.id), ("type", info.type),
            ("fields", ", ".join(info.default_fields) or None), ("created", info.created_at),
            ("updated", info.updated_at), ("environment-managed", _ENV[info.environment_managed]),
            ("status", info.status), ("fingerprint", info.fingerprint),
        ]
    )


@app.command()
@global_options
def delete(
    inv: Invocation,
    name: NameArg,
    user: Annotated[str, typer.Option("--user", help="The owner (exact username).", show_default=False)],
) -> None:
    """Delete a global variable.

    \b
        lfadmin secrets delete OPENAI_API_KEY --user alice
    """
    from lfadmin.core.secrets import variables

    info = variables.delete_variable(target(inv), name, user)
    if inv.json:
        output.emit_json({"deleted": info.to_json()})
    output.say(f"Deleted variable {name!r} of {user!r}.")
    if info.type != "Generic":
        output.warn(
            "the provider's key itself is still valid until you revoke or rotate it at the "
            "provider; deleting it here only removes Langflow's copy"
        )


# == the secret key =============================================================================


@app.command()
@global_options
def generate(
    inv: Invocation,
    write_env: WriteEnvOpt = None,
    write_config_dir: WriteCfgOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a key already in the file.")] = False,
) -> None:
    """Generate a new secret key (token_urlsafe(32), like Langflow).

    Printed alone on stdout unless written to a file. Refuses to replace a key a file already
    holds (that would make every stored credential unreadable): use `secrets rotate`.

    \b
        lfadmin secrets generate
        lfadmin secrets generate --write-env /srv/langflow/.env
    """
    from lfadmin.core.secrets import key

    inv.changed = "the key file"
    inv.after_commit = "the new key was written as asked; do not rerun with --force (that would replace it again)"
    new = key.generate(
        target(inv, with_creds=False), write_env=write_env, write_config_dir=write_config_dir, force=force
    )
    if not new.files:
        output.emit_secret(new.key)
        return
    if inv.json:
        output.emit_json(new.to_json())
    for f in new.files:
        output.say(f"Wrote a new secret key ({new.fingerprint}) to {f['path']}"
                   + (f" (backup {f['backup']})" if f["backup"] else ""))


@app.command()
@global_options
def check(inv: Invocation) -> None:
    """Check the secret key in effect against every encrypted value in the database.

    Counts per store: ok, legacy (short-key derivation), undecryptable,
    plaintext where Langflow would encrypt, encrypted Generic variables. Also the embedding
    keys in knowledge-base sidecars under LANGFLOW_KNOWLEDGE_BASES_DIR (default
    ~/.langflow/knowledge_bases). Exit code 11 when anything does not decrypt.

    \b
        lfadmin secrets check --env-file /srv/langflow/.env
    """
    from lfadmin.core.secrets import inventory, sidecars

    with progress(inv, "checking") as bar:
        report = inventory.check(target(inv), progress=bar)
    if inv.json:
        output.emit_json(report.to_json())
    else:
        k = report.key
        output.say_hanging(
            "secret key: ",
            f"{k.fingerprint or 'none'} from {k.source or '-'} ({k.length} characters, "
            f"derivation {k.derivation or '-'}), Langflow {report.release}",
        )
        rows = []
        for r in report.stores:
            if not r.present:
                continue
            c = r.counts
            rows.append((r.store, r.values, c["ok"], c["legacy"], c["undecryptable"], c["plaintext"],
                         c["encrypted-generic"], c["plain-expected"]))
        store_receipt(
            ["store", "values", "ok", "legacy", "undecryptable", "plaintext", "encrypted-generic",
             "plain-expected"],
            rows,
        )
        # A missing knowledge-bases directory is the usual case, not a schema's: not listed.
        absent = [r.store for r in report.stores if not r.present and r.store != sidecars.STORE]
        if absent:
            output.say_hanging("not in this schema: ", ", ".join(absent))
        for r in report.stores:
            for status, labels in r.examples.items():
                output.say_hanging(f"  {r.store} {status}: ", "; ".join(labels))
            for note in r.notes:
                output.warn(f"{r.store}: {note}")
            if r.advisory and r.values:
                output.say_hanging(
                    f"  {r.store}: ",
                    f"Langflow {report.release} never decrypts these legacy keys; "
                    "counted for a downgrade only, not in the exit code",
                )
    for p in report.key.problems:
        output.warn(f"secret key: {p}")
    for w in report.key.warnings:
        output.warn(f"secret key: {w}")
    if report.pending_rotation:
        output.warn(f"an interrupted rotation left {report.pending_rotation}: rerun `lfadmin secrets rotate` to finish")
    error = report.error()
    if error is not None:
        raise error


def _read_keys(inv: Invocation, new_stdin: bool, old_stdin: bool) -> tuple[str | None, str | None]:
    """--old-key-stdin and --new-key-stdin share stdin: old key on line 1, new key on line 2."""
    if new_stdin and old_stdin:
        raw = read_stdin_secret(inv, "--old-key-stdin/--new-key-stdin")
        lines = raw.split("\n")
        if len(lines) != 2:
            raise InvalidInput(
                "with --old-key-stdin and --new-key-stdin, stdin must hold exactly two lines: "
                "the old key, then the new key"
            )
        return lines[1].rstrip("\r"), lines[0].rstrip("\r")
    if new_stdin:
        return read_stdin_secret(inv, "--new-key-stdin"), None
    if old_stdin:
        return None, read_stdin_secret(inv, "--old-key-stdin")
    return None, None


@app.command()
@global_options
def rotate(
    inv: Invocation,
    new_key_stdin: Annotated[bool, typer.Option("--new-key-stdin", help="Read the new key from stdin.")] = False,
    generate: Annotated[bool, typer.Option("--generate", help="Generate the new key (token_urlsafe(32)).")] = False,
    old_key_stdin: Annotated[
        bool,
        typer.Option("--old-key-stdin", help="Read the old key from stdin (default: the key in effect). "
                     "With --new-key-stdin: old key on line 1, new key on line 2."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decrypt and re-encrypt everything; write nothing.")
    ] = False,
    skip_undecryptable: Annotated[
        bool, typer.Option("--skip-undecryptable", help="Leave values no key opens as they are (listed).")
    ] = False,
    verify_all: Annotated[
        bool, typer.Option("--verify-all", help="Before commit, re-read every rewritten value (default: a sample).")
    ] = False,
    write_env: WriteEnvOpt = None,
    write_config_dir: WriteCfgOpt = False,
    force: Annotated[
        bool, typer.Option("--force", help="Rotate even though something else has the database open.")
    ] = False,
    backup: BackupOpt = None,
) -> None:
    """Re-encrypt every stored secret under a new key in one transaction, then switch key files.

    After the commit, knowledge-base sidecar keys are rewritten in place (atomic per file;
    not on 1.13, which ignores them), then the new key is written to --write-env /
    --write-config-dir (owner, group and mode kept, new files 0600; backups of the old ones
    beside them; never through a symbolic link); without either it is printed on stdout.
    An interrupted run is finished by rerunning it. Every session and JWT dies, and every
    Langflow instance sharing the database needs the new key.

    \b
        lfadmin secrets rotate --generate --write-env /srv/langflow/.env --write-config-dir
        printf '%s\\n%s\\n' "$OLD" "$NEW" | lfadmin secrets rotate --old-key-stdin --new-key-stdin --dry-run
    """
    from lfadmin.core.secrets import rotation

    if not (new_key_stdin or generate):
        raise InvalidInput("say where the new key comes from: --new-key-stdin or --generate")
    if new_key_stdin and generate:
        raise InvalidInput("use either --new-key-stdin or --generate, not both")
    new_key, old_key = _read_keys(inv, new_key_stdin, old_key_stdin)
    req = rotation.RotationRequest(
        new_key=new_key,
        generate=generate,
        old_keys=[old_key] if old_key is not None else None,
        dry_run=dry_run,
        skip_undecryptable=skip_undecryptable,
        write_env=write_env,
        write_config_dir=write_config_dir,
        force=force,
        verify_all=verify_all,
    )
    tgt = target(inv)
    if backup is not None and rotation.journal_path(tgt.settings).exists():
        # Rerunning the command that was interrupted: its backup was taken before its transaction.
        output.say(f"note: an interrupted rotation's journal is there: no new backup (the first run's is {backup})")
    else:
        backup_first(inv, tgt, backup, dry_run=dry_run)
    inv.after_commit = (
        f"the rotation is committed; rerun the same command: it finds {rotation.journal_path(tgt.settings)} "
        "and finishes"
    )
    with progress(inv, "rotating") as bar:
        receipt = rotation.rotate(tgt, req, progress=bar)
    key = receipt.new_key
    if receipt.journal is not None:
        inv.after_commit = (
            f"the rotation is committed and the new key is kept only in {receipt.journal}; rerun "
            "the same command to print it (it finishes the rotation and removes that file)"
        )
    elif receipt.files:
        inv.after_commit = (
            "the rotation is complete and the new key is in "
            + ", ".join(str(f["path"]) for f in receipt.files)
            + "; do not rerun it (that would rotate again)"
        )
    if inv.json:
        data = receipt.to_json()
        shown = []
        if receipt.journal is not None:
            data["new_key"] = key  # no file got it: this is the only place it is shown
            shown.append(key)
        with redact.reveal(*shown):
            output.emit_json(data)
    else:
        rows = [
            (r.store, r.rows, r.reencrypted, r.healed_legacy, r.generic_decrypted, r.already_new,
             r.plaintext_left, r.undecryptable, r.verified)
            for r in receipt.stores if r.present
        ]
        columns = ["store", "rows", "re-encrypted", "healed legacy", "generic → plain", "already new",
                   "plaintext left", "undecryptable", "verified"]
        if receipt.journal is not None:
            # The key is this run's data: alone on stdout, so `KEY=$(lfadmin secrets rotate
            # --generate)` captures the key and nothing else; the receipt is talk, on stderr.
            for store_row in rows:
                counts = ", ".join(f"{n} {name}" for name, n in zip(columns[1:], store_row[1:], strict=True) if n)
                output.say_hanging(f"  {store_row[0]}: ", counts or "0 rows")
            output.emit_secret(key)
        else:
            store_receipt(columns, rows, title="dry run (nothing written)" if receipt.dry_run else None)
    olds = ", ".join(receipt.old_fingerprints) or "-"
    output.say(
        f"{'Would rotate' if receipt.dry_run else 'Rotated'} {olds} → {receipt.new_fingerprint}: "
        f"{receipt.changed} value(s) in {receipt.duration_s:.2f} s"
        + (" (finished an interrupted rotation)" if receipt.resumed else "")
    )
    for row in receipt.undecryptable_rows:
        output.warn(f"left undecryptable: {row}")
    for f in receipt.files:
        output.say(f"wrote the new key to {f['path']}" + (f" (old one kept in {f['backup']})" if f["backup"] else ""))
    for w in receipt.warnings:
        output.warn(w)
    if not receipt.dry_run:
        output.warn(
            "every Langflow session and JWT is now invalid (users log in again), and every Langflow "
            "instance sharing this database must get the new key before it starts"
        )
        if receipt.journal is not None:
            rotation.drop_journal(Path(receipt.journal))


@app.command("scan-flows")
@global_options
def scan_flows(
    inv: Invocation,
    user: UserOpt = None,
    strip: Annotated[bool, typer.Option("--strip", help="Set every found value to null.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --strip: report what would change.")] = False,
) -> None:
    """Find literal secrets in flows (and flow versions, and group nodes); never shows values.

    \b
        lfadmin secrets scan-flows
        lfadmin secrets scan-flows --user alice --strip
    """
    from lfadmin.core.secrets import flow_scan

    if dry_run and not strip:
        raise InvalidInput("--dry-run goes with --strip")
    res = flow_scan.scan(target(inv), user, strip=strip, dry_run=dry_run)
    findings = res.findings
    if inv.json:
        output.emit_json(res.to_json())
    else:
        output.table(
            ["table", "flow", "owner", "node", "field", "where", "reason", "fingerprint"],
            [(f.table, f.flow_name or f.flow_id, f.owner, f.node, f.field, f.location,
              f.reason, f.fingerprint) for f in findings],
        )
    for row in res.unscannable:
        output.warn(f"not scanned: {row}")
    n = len(findings)
    output.say(f"{n} literal secret{'s' if n != 1 else ''} found")
    if strip:
        verb = "would be nulled" if dry_run else "nulled"
        output.say(f"{n} value(s) in {res.rows_changed} row(s) {verb}")
        if n and not dry_run:
            output.warn("nulled values are gone from Langflow; revoke or rotate those keys at their provider")
