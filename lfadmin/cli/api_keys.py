"""``lfadmin api-key``: Typer only - parse, call ``lfadmin.core.api_keys``, render.

A created key is printed exactly once: alone on stdout (``KEY=$(lfadmin api-key create)``) or
inside the ``--json`` object, and only while its transaction is still open, so a failed write
to stdout rolls the key back instead of leaving an orphan nobody ever saw.
"""

from typing import Annotated, Any

import typer

from lfadmin import output, redact
from lfadmin.cli.options import BackupOpt, Invocation, backup_first, global_options, progress, target

app = typer.Typer(no_args_is_help=True)


@app.callback()
def api_keys_group() -> None:
    """Create, list, revoke and prune Langflow API keys; encrypt legacy plaintext keys.

    \b
        KEY=$(lfadmin api-key create --name ci-deploy --expires-in 30d)
        lfadmin api-key list --all
    """

UserOpt = Annotated[
    str | None,
    typer.Option("--user", metavar="NAME", help="The key owner (default: you).", show_default=False),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")]


def _fmt_time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _table(keys: list[Any], *, title: str | None = None) -> None:
    # By importance: which key, whose, does it work; then its history; "active" only with
    # --wide (the status already says "inactive" when it matters).
    output.table(
        ["id", "name", "owner", "status", output.Col("key", masked_key=True), "last used", "expires", "uses",
         "created", output.Col("active", only="wide")],
        [
            (
                k.id,
                k.name,
                k.owner or "(deleted)",
                k.status,
                k.masked,
                k.last_used_at,
                k.expires_at,
                k.total_uses,
                k.created_at,
                "yes" if k.is_active else "no",
            )
            for k in keys
        ],
        title=title,
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@app.command()
@global_options
def create(
    inv: Invocation,
    user: UserOpt = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="A label for the key (default: lfadmin).", show_default=False),
    ] = None,
    expires_in: Annotated[
        str | None,
        typer.Option(
            "--expires-in",
            metavar="DURATION",
            help="Expire after e.g. 30d, 12h, 2w (Langflow 1.10+).",
            show_default=False,
        ),
    ] = None,
    expires_at: Annotated[
        str | None,
        typer.Option(
            "--expires-at",
            metavar="TIME",
            help="Expire at an ISO date/time, UTC unless it has an offset (Langflow 1.10+).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create an API key for you, or for another user, stored as the server's release does.

    The key is printed once, alone on stdout (or inside --json); lfadmin keeps no copy.

    \b
        KEY=$(lfadmin api-key create --name ci --expires-in 90d)
        lfadmin api-key create --user alice --json | jq -r .key
    """
    from lfadmin.core import api_keys

    expiry = api_keys.resolve_expiry(expires_in, expires_at)

    def show(made: Any) -> None:  # inside the transaction: a key not shown is not stored
        if inv.json:
            with redact.reveal(made.key):  # asked for: shown this once
                output.emit_json({"key": made.key, "api_key": made.record.to_json()})
        else:
            output.emit_secret(made.key)

    made = api_keys.create(target(inv), owner=user, name=name, expires_at=expiry, show=show)
    rec = made.record
    until = f", expires {_fmt_time(rec.expires_at)} UTC" if rec.expires_at else ""
    output.say(f"Created API key {rec.name!r} ({rec.id}) for {rec.owner!r}{until}; it is shown only this once")


@app.command("list")
@global_options
def list_(
    inv: Invocation,
    user: Annotated[
        str | None,
        typer.Option("--user", metavar="NAME", help="Keys of this user.", show_default=False),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Keys of every user.")] = False,
) -> None:
    """List API keys (yours by default), masked the way Langflow masks them.

    Status is one of: ok, expired, inactive, owner inactive, ambiguous, undecryptable,
    legacy plaintext.

    \b
        lfadmin api-key list --all
        lfadmin api-key list --user alice --json | jq '.api_keys[] | select(.status != "ok")'
    """
    from lfadmin.core import api_keys

    found = api_keys.listing(target(inv), owner=user, all_users=all_)
    keys, tracked, setting = found.keys, found.usage_tracked, found.setting
    if not tracked:
        output.warn(
            f"{setting} is true: Langflow does not update total uses and last used, so these figures may be frozen"
        )
    if inv.json:
        output.emit_json({"api_keys": [k.to_json() for k in keys], "usage_tracked": tracked})
        return
    _table(keys)
    for k in keys:
        if k.status != api_keys.OK:
            output.say_hanging(f"{k.id}: ", f"{k.status}: {k.detail}")
    output.say(_plural(len(keys), "API key"))


@app.command()
@global_options
def revoke(
    inv: Invocation,
    key: Annotated[
        str,
        typer.Argument(
            metavar="KEY_ID_OR_NAME",
            help="The key's name, its id, or a unique start of its id (as the list shows it).",
            show_default=False,
        ),
    ],
    user: Annotated[
        str | None,
        typer.Option("--user", metavar="NAME", help="Look the name up among this user's keys.", show_default=False),
    ] = None,
) -> None:
    """Revoke an API key: its row is deleted, which every Langflow release honours.

    \b
        lfadmin api-key revoke ci
        lfadmin api-key revoke 3f0c9a4e
    """
    from lfadmin.core import api_keys

    rec = api_keys.revoke(target(inv), key, owner=user)
    if inv.json:
        output.emit_json({"api_key": rec.to_json(), "revoked": True})
        return
    output.say(f"Revoked API key {rec.name!r} ({rec.id}) of {rec.owner!r}")


@app.command()
@global_options
def prune(
    inv: Invocation,
    unused_for: Annotated[
        str,
        typer.Option(
            "--unused-for",
            metavar="DURATION",
            help="Revoke keys not used for this long (never-used keys count from creation), e.g. 90d.",
            show_default=False,
        ),
    ],
    dry_run: DryRunOpt = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Prune even when LANGFLOW_DISABLE_TRACK_APIKEY_USAGE means usage is not recorded.",
        ),
    ] = False,
    backup: BackupOpt = None,
) -> None:
    """Revoke every key unused (or never used) for a period.

    \b
        lfadmin api-key prune --unused-for 90d --dry-run
        lfadmin api-key prune --unused-for 90d
    """
    from lfadmin.core import api_keys

    period = api_keys.parse_duration(unused_for, "--unused-for")
    tgt = target(inv)
    backup_first(inv, tgt, backup, dry_run=dry_run)
    with progress(inv, "revoking") as bar:
        keys = api_keys.prune(tgt, period, dry_run=dry_run, force=force, progress=bar)
    if inv.json:
        output.emit_json(
            {"api_keys": [k.to_json() for k in keys], "revoked": 0 if dry_run else len(keys), "dry_run": dry_run}
        )
        return
    if keys:
        _table(keys, title="Would revoke" if dry_run else "Revoked")
    if dry_run:
        output.say(f"Dry run: {_plural(len(keys), 'API key')} would be revoked")
    else:
        output.say(f"Revoked {_plural(len(keys), 'API key')} unused for {unused_for}")


@app.command("encrypt-legacy")
@global_options
def encrypt_legacy(inv: Invocation, dry_run: DryRunOpt = False) -> None:
    """Encrypt plaintext keys left by Langflow 1.7 or older (no release ever does this).

    Needs a schema with apikey.api_key_hash (Langflow 1.9+) and the server's secret key.
    Each key keeps working: it is stored as a Fernet token plus its SHA-256 hash.

    \b
        lfadmin api-key encrypt-legacy --dry-run
        lfadmin api-key encrypt-legacy
    """
    from lfadmin.core import api_keys

    result = api_keys.encrypt_legacy(target(inv), dry_run=dry_run)
    for k, why in result.skipped:
        output.warn(f"API key {k.name!r} ({k.id}) of {k.owner!r} skipped: {why}")
    if inv.json:
        output.emit_json(
            {
                "api_keys": [k.to_json() for k in result.encrypted],
                "encrypted": 0 if dry_run else len(result.encrypted),
                "skipped": [{"api_key": k.to_json(), "reason": why} for k, why in result.skipped],
                "dry_run": dry_run,
            }
        )
        return
    if result.encrypted:
        _table(result.encrypted, title="Would encrypt" if dry_run else "Encrypted")
    n = _plural(len(result.encrypted), "plaintext API key")
    output.say(f"Dry run: {n} would be encrypted" if dry_run else f"Encrypted {n}")
