"""``lfadmin audit``: Typer only - parse, call ``lfadmin.core.audit.listing``, render.

docs/audit.md describes the trail; docs/json.md the ``--json`` shapes.
"""

from typing import Annotated

import typer

from lfadmin import output
from lfadmin.cli.options import Invocation, global_options, target

app = typer.Typer(no_args_is_help=True)


@app.callback()
def audit_group() -> None:
    """Read lfadmin's audit trail (merged with Langflow's own audit tables) and check its hash chain.

    \b
        lfadmin audit list --since 7d
        lfadmin audit verify
    """


@app.command("list")
@global_options
def list_(
    inv: Invocation,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Only events since WHEN: a duration back (7d, 12h) or an ISO date/time.",
            show_default=False,
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", metavar="NAME", help="Only events by this username (exact).", show_default=False),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            metavar="ACTION",
            help="Only this command or action: `user` matches `user promote`, `flow` matches `flow:write`; "
            "lfadmin's events (superuser.promote, secret.reveal) match too.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List audit events, oldest first: lfadmin's trail, and Langflow's audit tables where the database has them.

    Each event says its source: lfadmin (the trail beside Langflow's secret_key), langflow:audit_events
    (1.13) or langflow:authz_audit_log. Needs a superuser, like every admin read: the trail names
    users and hosts.

    \b
        lfadmin audit list --since 24h
        lfadmin audit list --actor admin --action user --json
    """
    from lfadmin.core.audit import events, listing

    filters = events.Filters(listing.parse_since(since) if since is not None else None, actor, action)
    found = listing.list_events(target(inv), filters)
    if inv.json:
        output.emit_json(found.to_json())
        return
    if not found.trail_exists:
        output.say(f"no audit trail at {found.trail} yet")
    output.table(
        ["time", "source", "actor", "action", "target", "outcome", output.Col("how", only="wide")],
        [
            (e.time, e.source, e.actor or "-", e.action or "-", ", ".join(e.target) or "-", e.shown_outcome,
             e.auth_method or "-")
            for e in found.events
        ],
    )
    output.say(f"{len(found.events)} event(s) from {', '.join(found.sources)}; trail: {found.trail}")


@app.command()
@global_options
def verify(inv: Invocation) -> None:
    """Check the trail's hash chain: exit 0 with a summary when intact, 12 naming the first broken line.

    Opens no database and needs no superuser: it reads only the trail (0600), and prints no record.
    The head hash it prints, kept somewhere else, also proves later that no line was cut off the end.

    \b
        lfadmin audit verify
        lfadmin audit verify --json
    """
    from lfadmin.core.audit import listing

    done = listing.verify(target(inv, with_creds=False))
    if inv.json:
        output.emit_json(done.to_json())
        return
    data = done.to_json()
    start = f"the chain starts at line {done.chain_starts}" if done.chain_starts else "no chained record yet"
    if data["unchained"]:
        start += f" ({data['unchained']} older unchained line(s) before it)"
    output.say(f"intact: {done.records} record(s) in {done.path}; {start}")
    output.emit_line(done.head)
