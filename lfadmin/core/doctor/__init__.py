"""``lfadmin config doctor``: Langflow's security posture from its settings and its database.

``run(target, options)`` returns a ``Report``; the CLI only renders it. The environment part reads
the settings exactly as ``langflow run`` would (``lfadmin.langflow.settings.ReleaseSettings``) and
never imports SQLAlchemy; the database part runs only when a URL is given (``--database-url`` or
``LANGFLOW_DATABASE_URL``) and, when it cannot run, is reported as failed with its own exit code
while the environment checks still stand. Warnings are part of the report (``Report.warnings``),
so ``target.warn`` is not called; nobody is authenticated (the doctor only reads).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lfadmin.core.doctor import db_checks as _db_checks
from lfadmin.core.doctor.context import EnvContext
from lfadmin.core.doctor.env_checks import ENV_CHECKS
from lfadmin.core.doctor.model import REGISTRY, Check, Finding, Severity, checks
from lfadmin.core.doctor.report import DatabasePart, Report
from lfadmin.core.doctor.suppress import DEFAULT_FILE
from lfadmin.core.doctor.suppress import load as load_suppressions
from lfadmin.core.session import Progress
from lfadmin.core.target import Target
from lfadmin.errors import LfadminError
from lfadmin.langflow.schema import NEWEST_KNOWN, fmt, parse_version
from lfadmin.langflow.settings import LangflowSettings

__all__ = ["REGISTRY", "Check", "Finding", "Options", "Report", "Severity", "checks", "run"]


@dataclass
class Options:
    use_database: bool = True
    fail_on: Severity = Severity.HIGH
    ignore: list[str] = field(default_factory=list)
    ignore_file: Path | None = None  # None: ./.lfadmin-ignore when it exists
    today: date | None = None
    progress: Progress | None = None  # hears of the database checks


def run(target: Target, opts: Options) -> Report:
    """Check the settings ``target`` reads (its env file, else this process's environment) and,
    unless ``opts.use_database`` is False, the database they point at."""
    settings = target.settings  # reads the env file: InvalidInput (exit 4) for a bad one
    ignore_file = opts.ignore_file
    if ignore_file is None and Path(DEFAULT_FILE).is_file():
        ignore_file = Path(DEFAULT_FILE)
    sup = load_suppressions(ignore_file, opts.ignore, opts.today or date.today())

    pinned = parse_version(target.langflow_version) if target.langflow_version else None
    version = pinned or NEWEST_KNOWN
    label = fmt(version)
    source = "--langflow-version" if pinned else "assumed: the newest release lfadmin knows (pass --langflow-version)"
    warnings = list(sup.warnings)
    notes: list[str] = []
    if target.env_file is None:
        notes.append(
            "no --env-file: checked this shell's environment; the server may see another one "
            "(pass the .env the server is started with)"
        )

    findings: list[Finding] = []
    ctx = EnvContext(settings, version, label)
    if not opts.use_database:
        db = DatabasePart("skipped", reason="--no-database")
    elif settings.configured_database_url() is None:
        db = DatabasePart("not-configured", reason="no --database-url and no LANGFLOW_DATABASE_URL")
        notes.append("no database given: database checks not run (pass --database-url or set LANGFLOW_DATABASE_URL)")
    else:
        db, ctx, db_source = _database_part(target, settings, opts, ctx, findings, warnings, notes)
        if db.status == "checked":
            label, source = ctx.version_label, db_source
    if db.status != "checked" and pinned is None:
        notes.append(f"Langflow release unknown: assuming {label}, the newest lfadmin knows (pass --langflow-version)")

    for checker in ENV_CHECKS:
        findings.extend(checker(ctx))

    env_file = str(target.env_file) if target.env_file else None
    report = Report(label, source, env_file, db, opts.fail_on, warnings=warnings, notes=notes)
    for f in findings:
        s = sup.active.get(f.check.id)
        if s is not None:
            f.suppression = s
            report.suppressed.append(f)
        else:
            report.findings.append(f)
    report.sort()
    return report


def _database_part(
    target: Target,
    settings: LangflowSettings,
    opts: Options,
    ctx: EnvContext,
    findings: list[Finding],
    warnings: list[str],
    notes: list[str],
) -> tuple[DatabasePart, EnvContext, str]:
    target = dataclasses.replace(target, warn=warnings.append)  # its warnings go in the report
    masked = None
    try:
        db = target.db
        masked = db.url.masked
        with target.session(write=False, authenticate=False) as s:
            schema = s.schema
            version = min(schema.hi, NEWEST_KNOWN) if not schema.newer_unknown else NEWEST_KNOWN
            ctx = EnvContext(settings, version, schema.release_label)
            result = _db_checks.run(s, ctx, opts.progress)
            source = "--langflow-version" if schema.pinned else f"database (alembic revision {schema.revision})"
    except LfadminError as exc:
        warnings.append(f"database checks skipped: {exc}")
        return DatabasePart("failed", masked, str(exc)), ctx, ""
    ctx.facts.update(result.facts)
    findings.extend(result.findings)
    notes.extend(result.notes)
    return DatabasePart("checked", masked, None, schema.release_label), ctx, source
