"""``lfadmin upgrade``: Typer only - parse ``--to``/``--fail-on``, call ``lfadmin.core.upgrade.check``
once, render its report (the doctor's layout and exit codes: 12 findings, 13 database part failed)."""

from typing import Annotated, Any

import typer

from lfadmin import output
from lfadmin.cli.options import Invocation, global_options, target
from lfadmin.errors import InvalidInput

app = typer.Typer(no_args_is_help=True)


@app.callback()
def upgrade() -> None:
    """Check what a Langflow upgrade will break, before installing it.

    \b
        lfadmin upgrade check --to 1.13.0 --env-file /srv/langflow/.env
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
