"""``lfadmin config``: Typer only - parse options, one call to ``lfadmin.core.doctor.run``, render the report."""

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from lfadmin import output
from lfadmin.cli.options import Invocation, global_options, progress, target
from lfadmin.errors import InvalidInput, OutputFailed

app = typer.Typer(no_args_is_help=True)


@app.callback()
def config() -> None:
    """Check Langflow's settings and database for insecure configuration.

    \b
        lfadmin config doctor --env-file /srv/langflow/.env
        lfadmin config doctor --list-checks
    """

FORMATS = ("table", "json", "sarif")
SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}


@app.command()
@global_options
def doctor(
    inv: Invocation,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table (for people), json (stable schema) or sarif (2.1.0).")
    ] = "table",
    fail_on: Annotated[
        str,
        typer.Option("--fail-on", help="Exit 12 when a finding is at or above: low, medium, high, critical."),
    ] = "high",
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", metavar="CHECK_ID", help="Suppress a check (repeatable).", show_default=False),
    ] = None,
    ignore_file: Annotated[
        Path | None,
        typer.Option(
            "--ignore-file",
            help="Suppressions with reasons (default: ./.lfadmin-ignore when present).",
            show_default=False,
        ),
    ] = None,
    no_database: Annotated[
        bool, typer.Option("--no-database", help="Only check the settings, even if a database URL is set.")
    ] = False,
    output_file: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file instead of stdout.", show_default=False),
    ] = None,
    list_checks: Annotated[bool, typer.Option("--list-checks", help="List every check ID and exit.")] = False,
) -> None:
    """Check Langflow's settings (and database) for insecure configuration.

    Reads the settings as `langflow run --env-file` would, for the Langflow release of the
    database (or --langflow-version; else the newest known). Exit codes: 0 nothing at or
    above --fail-on, 12 findings at or above it, 13 the database part could not run,
    4 bad input.

    \b
        lfadmin config doctor --env-file /srv/langflow/.env
        lfadmin config doctor --env-file .env --database-url "$DB" --format sarif -o doctor.sarif
        lfadmin config doctor --env-file .env --fail-on medium --ignore LF-AUTH-006
    """
    from lfadmin.core import doctor as core

    if list_checks:
        _list_checks(inv, core)
        return
    fmt = "json" if inv.json and format == "table" else format
    if fmt not in FORMATS:
        raise InvalidInput(f"--format {format!r}: use one of {', '.join(FORMATS)}")
    try:
        threshold = core.Severity.parse(fail_on)
    except ValueError:
        raise InvalidInput(f"--fail-on {fail_on!r}: use one of low, medium, high, critical") from None
    if threshold is core.Severity.INFO:
        raise InvalidInput("--fail-on info: use one of low, medium, high, critical")
    with progress(inv, "doctor") if fmt == "table" else nullcontext(None) as bar:
        report = core.run(
            target(inv, with_creds=False),  # the doctor authenticates nobody: it only reads
            core.Options(
                use_database=not no_database,
                fail_on=threshold,
                ignore=list(ignore or []),
                ignore_file=ignore_file,
                progress=bar,
            )
        )
    for w in report.warnings:
        output.warn(w)
    if fmt == "table":
        for n in report.notes:
            output.say(f"note: {n}")
    if fmt == "json" or fmt == "sarif":
        import json

        data = report.to_json() if fmt == "json" else report.to_sarif()
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if output_file is not None:
            _write_report(output_file, text)
            output.say(f"wrote {output_file}")
        else:
            output.emit_line(text.rstrip("\n"))
    elif output_file is not None:
        _render(report, output_file)
    else:
        with output.writing():
            _render(report, None)
    raise typer.Exit(int(report.exit_code))


app.command("audit", hidden=True)(doctor)  # the specification's name; `lfadmin config-audit` too


def _write_report(path: Path, text: str) -> None:
    from lfadmin.files import write_output

    try:
        write_output(path, text.encode("utf-8"), "report file")
    except OSError as exc:  # a directory we may not write, a path through a file, a full disk
        raise OutputFailed(exc, str(path)) from None


def _list_checks(inv: Invocation, core: Any) -> None:
    rows = [(c.id, c.severity.label, c.scope, c.title) for c in core.checks()]
    if inv.json:
        output.emit_json({"checks": [dict(zip(("id", "severity", "scope", "title"), r, strict=True)) for r in rows]})
    else:
        output.table(["id", "severity", "scope", "title"], rows)


def _render(report: Any, output_file: Path | None) -> None:
    """The report for people. Every line goes through ``output.hanging``: on a terminal a line
    that wraps stays under its own indent (evidence under evidence, a fix under its text); in a
    pipe or an ``-o`` file nothing wraps."""
    import io

    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO() if output_file is not None else None
    console = output.out_console() if buffer is None else Console(file=buffer, no_color=True, width=120)

    def line(lead: str | Text, text: str | Text = "") -> None:
        output.hanging(lead, text, console=console)

    release = f"Langflow {report.langflow_version} ({report.version_source})"
    line(Text("Langflow config doctor  ", style="bold"), release)
    render_sources(line, report)
    by_sev: dict[str, list[Any]] = {}
    for f in report.findings:
        by_sev.setdefault(f.severity.label, []).append(f)
    for sev in ("critical", "high", "medium", "low", "info"):
        items = by_sev.get(sev)
        if not items:
            continue
        console.print()
        console.print(Text(f" {sev.upper()} ({len(items)}) ", style=SEVERITY_STYLE[sev]))
        for f in items:
            render_finding(line, f)
    if report.suppressed:
        console.print()
        console.print(Text(f" SUPPRESSED ({len(report.suppressed)}) ", style="dim"))
        for f in report.suppressed:
            s = f.suppression
            text = Text(f.check.title, style="dim")
            text.append(f"  — {s.reason} ({s.source}" + (f", until {s.expires}" if s.expires else "") + ")")
            line(Text(f"  {f.id}  {f.severity.label}  ", style="dim"), text)
    counts = report.counts()
    console.print()
    summary = ", ".join(f"{counts[k]} {k}" for k in ("critical", "high", "medium", "low", "info"))
    if counts["suppressed"]:
        summary += f", {counts['suppressed']} suppressed"
    render_summary(line, report, summary, report.fail_on.label)
    if buffer is not None and output_file is not None:
        _write_report(output_file, buffer.getvalue())
        output.say(f"wrote {output_file}")


def render_sources(line: Any, report: Any) -> None:
    """The line that says what was read: the env file and the database (the doctor's and
    ``upgrade check``'s reports share it)."""
    db = report.database
    line(
        "env file: ",
        f"{report.env_file or '(none: this shell environment)'}    database: {db.status}"
        + (f" {db.url}" if db.url else "")
        + (f" ({db.reason})" if db.reason and db.status == "failed" else ""),
    )


def render_summary(line: Any, report: Any, summary: str, threshold: str) -> None:
    """The last line: the counts, and what they mean for the exit code."""
    from rich.text import Text

    failing = len(report.failing())
    verdict = f"{failing or 'nothing'} at or above {threshold}"
    if report.database.could_not_run:
        verdict += "; database part failed"
    if report.exit_code:
        verdict += f": exit {int(report.exit_code)}"
    line(Text("Summary: ", style="bold"), Text(f"{summary}. {verdict}.", style="bold"))


def render_finding(line: Any, f: Any) -> None:
    from rich.text import Text

    lead = Text("  ")
    lead.append(f.id, style=SEVERITY_STYLE[f.severity.label])
    lead.append("  ")
    line(lead, Text(f.check.title, style="bold"))
    indent = " " * 6
    line(indent, f.message)
    for ev in f.evidence:
        line(indent, Text(f"{ev.variable} = {ev.value}   ({ev.source})", style="dim"))
    if f.details and f.details.get("examples"):
        for ex in f.details["examples"][:5]:
            line(indent + "- ", Text(str(ex), style="dim"))
    if f.fix:
        line(Text(indent + "fix: ", style="green"), Text(f.fix, style="green"))
    if f.hint:
        line(indent, Text(f.hint, style="green"))
