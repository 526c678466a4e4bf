"""``upgrade check``'s one core call: the settings resolved, the source release detected, every
rule whose window the jump crosses applied, the report sorted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lfadmin.core.doctor.model import Finding, Severity
from lfadmin.core.doctor.report import DatabasePart
from lfadmin.core.upgrade.db_rules import database_rules, packaged_sqlite
from lfadmin.core.upgrade.model import Settings, UpgradeReport
from lfadmin.core.upgrade.rules import DATABASE_RULES, ERROR, KNOWN_RELEASES, R017, RULES, Jump, parse_target
from lfadmin.core.upgrade.settings_rules import settings_rules
from lfadmin.db import execute
from lfadmin.errors import LfadminError, Refused
from lfadmin.langflow.schema import NEWEST_KNOWN, OLDEST_SUPPORTED, Version, fmt, parse_version

if TYPE_CHECKING:
    from lfadmin.core.session import Session
    from lfadmin.core.target import Target


def check(target: Target, *, to: str, fail_on: Severity = ERROR) -> UpgradeReport:
    """Everything that breaks or changes when the database and settings of ``target`` meet
    Langflow ``to``. Read-only. Raises ``InvalidInput`` (4) for a bad ``--to`` or env file,
    ``Refused`` (10) for a ``--to`` older than the database's release (LF-UPG-017)."""
    to_v = parse_target(to)
    known = to_v in KNOWN_RELEASES
    st = Settings.load(target.settings, to_v)  # a value Langflow would refuse: exit 4, before anything
    warnings: list[str] = []
    notes: list[str] = []
    if not known:
        newer = to_v > NEWEST_KNOWN
        warnings.append(
            f"Langflow {fmt(to_v)} is not a release lfadmin knows ("
            + (f"newer than {fmt(NEWEST_KNOWN)}" if newer else "not among the releases it has read")
            + "): whatever it changes beyond what lfadmin knows cannot be reported; only the rules that "
            "hold for every later release are checked"
        )
    if target.env_file is None:
        notes.append("no --env-file: checked this shell's environment; the new server may see another one "
                      "(pass the .env the server is started with)")
    pinned = parse_version(target.langflow_version) if target.langflow_version else None
    findings: list[Finding] = []
    masked: str | None = None
    jump: Jump | None = None
    superusers: int | None = None
    try:
        db = target.db
        masked = db.url.masked
        with target.session(write=False, authenticate=False) as s:
            jump = _jump(s, to_v, known)
            findings.extend(database_rules(s, st, jump))
            superusers = int(execute(s.conn, 'SELECT count(*) FROM "user" WHERE is_superuser = :t AND is_active = :t',
                                     t=True).scalar_one())
        findings.extend(packaged_sqlite(db.url.sqlite_path, target.db_source, jump))
        db_part = DatabasePart("checked", masked, None, jump.source_label)
    except Refused:
        raise
    except LfadminError as exc:
        warnings.append(f"database checks skipped: {exc}")
        db_part = DatabasePart("failed", masked, str(exc))
        findings.clear()
        superusers = None
        lo = pinned or OLDEST_SUPPORTED
        if pinned is not None and to_v < pinned:
            raise _backwards(to_v, fmt(pinned), "--langflow-version") from None
        jump = Jump(lo, pinned or NEWEST_KNOWN, fmt(lo) if pinned else f"{fmt(lo)} – {fmt(NEWEST_KNOWN)}",
                    "--langflow-version" if pinned else "unknown (the database could not be read)", to_v, known)
        if pinned is None:
            notes.append(f"source release unknown: assuming {fmt(OLDEST_SUPPORTED)}, so every rule the jump "
                         "could cross is checked (pass --langflow-version)")
    assert jump is not None
    findings.extend(settings_rules(st, jump, superusers))
    checked = [r.check.id for r in sorted(RULES.values(), key=lambda r: r.check.id)
               if r.check.id != R017.check.id and r.applies(jump)
               and (db_part.status == "checked" or r.check.id not in DATABASE_RULES)]
    report = UpgradeReport(
        jump.source_label, jump.source, str(target.env_file) if target.env_file else None, db_part, fail_on,
        warnings=warnings, notes=notes, to_version=fmt(to_v), to_known=known, source_revision=jump.revision,
        rules_checked=checked,
    )
    report.findings = findings
    report.sort()
    return report


def _backwards(to: Version, source: str, how: str) -> Refused:
    return Refused(
        f"--to {fmt(to)} is older than Langflow {source}, this database's release ({how}): Langflow cannot "
        "go back (LF-UPG-017)",
        hint="restore the backup taken before the upgrade",
    )


def _jump(s: Session, to: Version, known: bool) -> Jump:
    schema = s.schema
    how = "--langflow-version" if schema.pinned else f"database (alembic revision {schema.revision})"
    if schema.newer_unknown:
        raise Refused(
            f"this database's schema is newer than any Langflow lfadmin knows (alembic revision "
            f"{schema.revision}): it cannot tell what an upgrade from it changes (LF-UPG-017)",
            hint="upgrade lfadmin",
        )
    if to < schema.lo:
        raise _backwards(to, schema.release_label, "--langflow-version" if schema.pinned else
                         f"alembic revision {schema.revision}")
    return Jump(schema.lo, schema.hi, schema.release_label, how, to, known, schema.backend, schema.revision)
