"""``lfadmin config doctor``: Langflow's security posture from its settings and its database.

``run(Options)`` returns a ``Report``; the CLI only renders it. The environment part reads the
settings exactly as ``langflow run`` would (``context.EnvContext``) and never imports
SQLAlchemy; the database part runs only when a URL is given (``--database-url`` or
``LANGFLOW_DATABASE_URL``) and, when it cannot run, is reported as failed with its own exit code
while the environment checks still stand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from lfadmin.core.doctor import db_checks as _db_checks
from lfadmin.core.doctor.context import NEWEST, EnvContext
from lfadmin.core.doctor.env_checks import ENV_CHECKS
from lfadmin.core.doctor.model import REGISTRY, Check, Finding, Severity, checks
from lfadmin.core.doctor.report import DatabasePart, Report
from lfadmin.core.doctor.suppress import DEFAULT_FILE
from lfadmin.core.doctor.suppress import load as load_suppressions
from lfadmin.errors import LfadminError
from lfadmin.langflow.env import Environment

if TYPE_CHECKING:
    from lfadmin.core.session import Progress

__all__ = ["REGISTRY", "Check", "Finding", "Options", "Report", "Severity", "checks", "run"]


@dataclass
class Options:
    env_file: Path | None = None
    database_url: str | None = None
    langflow_version: str | None = None
    use_database: bool = True
    fail_on: Severity = Severity.HIGH
    ignore: list[str] = field(default_factory=list)
    ignore_file: Path | None = None  # None: ./.lfadmin-ignore when it exists
    today: date | None = None
    progress: Progress | None = None  # hears of the database checks


def run(opts: Options) -> Report:
    from lfadmin.langflow.schema import fmt, parse_version

    env = Environment.load(opts.env_file)  # InvalidInput (exit 4) for a bad env file
    ignore_file = opts.ignore_file
    if ignore_file is None and Path(DEFAULT_FILE).is_file():
        ignore_file = Path(DEFAULT_FILE)
    sup = load_suppressions(ignore_file, opts.ignore, opts.today or date.today())

    pinned = parse_version(opts.langflow_version) if opts.langflow_version else None
    version = pinned or NEWEST
    label = fmt(version)
    source = "--langflow-version" if pinned else "assumed: the newest release lfadmin knows (pass --langflow-version)"
    warnings = list(sup.warnings)
    notes: list[str] = []
    if opts.env_file is None:
        notes.append(
            "no --env-file: checked this shell's environment; the server may see another one "
            "(pass the .env the server is started with)"
        )

    env_url = env.exact("LANGFLOW_DATABASE_URL")
    url = opts.database_url or (env_url.raw if env_url is not None else None)
    findings: list[Finding] = []
    ctx = EnvContext(env, version, label, database_url_option=opts.database_url)
    if not opts.use_database:
        db = DatabasePart("skipped", reason="--no-database")
    elif url is None:
        db = DatabasePart("not-configured", reason="no --database-url and no LANGFLOW_DATABASE_URL")
        notes.append("no database given: database checks not run (pass --database-url or set LANGFLOW_DATABASE_URL)")
    else:
        db, ctx, db_source = _database_part(opts, env, ctx, findings, warnings, notes)
        if db.status == "checked":
            label, source = ctx.version_label, db_source
    if db.status != "checked" and pinned is None:
        notes.append(f"Langflow release unknown: assuming {label}, the newest lfadmin knows (pass --langflow-version)")

    for checker in ENV_CHECKS:
        findings.extend(checker(ctx))

    report = Report(
        label, source, str(opts.env_file) if opts.env_file else None, db, opts.fail_on, warnings=warnings, notes=notes
    )
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
    opts: Options, env: Environment, ctx: EnvContext, findings: list[Finding], warnings: list[str], notes: list[str]
) -> tuple[DatabasePart, EnvContext, str]:
    from lfadmin.core.target import Target
    from lfadmin.langflow.schema import NEWEST_KNOWN

    target = Target(
        env_file=opts.env_file,
        database_url=opts.database_url,
        langflow_version=opts.langflow_version,
        warn=warnings.append,
    )
    masked = None
    try:
        db = target.db
        masked = db.url.masked
        with target.session(write=False, authenticate=False) as s:
            schema = s.schema
            version = min(schema.hi, NEWEST_KNOWN) if not schema.newer_unknown else NEWEST_KNOWN
            ctx = EnvContext(env, version, schema.release_label, database_url_option=opts.database_url)
            result = _db_checks.run(s, ctx, opts.progress)
            source = "--langflow-version" if schema.pinned else f"database (alembic revision {schema.revision})"
    except LfadminError as exc:
        warnings.append(f"database checks skipped: {exc}")
        return DatabasePart("failed", masked, str(exc)), ctx, ""
    ctx.facts.update(result.facts)
    findings.extend(result.findings)
    notes.extend(result.notes)
    return DatabasePart("checked", masked, None, schema.release_label), ctx, source
