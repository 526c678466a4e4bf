"""What an upgrade check produces and reads: the report (the doctor's, with upgrades.md's three
severities), the settings as the new server will take them, and the one way a rule becomes a
``Finding`` (``make_finding``) with a setting as evidence (``setting_ev``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lfadmin import __version__, redact
from lfadmin.core.doctor.model import Evidence, Finding, Severity
from lfadmin.core.doctor.report import Report
from lfadmin.core.upgrade.rules import JSON_SCHEMA_VERSION, V1_13, Rule, label
from lfadmin.langflow.env import Value
from lfadmin.langflow.schema import Version
from lfadmin.langflow.settings import LangflowSettings, SecretKey


@dataclass
class UpgradeReport(Report):
    """The doctor's report (exit codes, failing(), findings) for one jump."""

    to_version: str = ""
    to_known: bool = True
    source_revision: str | None = None
    rules_checked: list[str] = field(default_factory=list)

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (-int(f.severity), f.check.id))

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[label(f.severity)] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        def finding(f: Finding) -> dict[str, Any]:
            data = f.to_json()
            data["severity"] = label(f.severity)
            return data

        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "tool": {"name": "lfadmin", "version": __version__},
            "from": {"release": self.langflow_version, "source": self.version_source,
                     "alembic_revision": self.source_revision},
            "to": {"release": self.to_version, "known": self.to_known},
            "env_file": self.env_file,
            "database": self.database.to_json(),
            "fail_on": label(self.fail_on),
            "exit_code": int(self.exit_code),
            "summary": self.counts(),
            "rules_checked": list(self.rules_checked),
            "findings": [finding(f) for f in self.findings],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }


# -- settings ---------------------------------------------------------------------------------


@dataclass
class Settings:
    """The settings the rules read, each with where it came from, resolved up front so that a
    value Langflow would refuse fails the run (exit 4) and not the database part."""

    settings: LangflowSettings
    auto_login: Value | None
    auto_login_on: bool | None  # None: not set
    password: Value | None
    superuser: Value
    secret: SecretKey | None

    @classmethod
    def load(cls, settings: LangflowSettings, to: Version) -> Settings:
        """As the new server will take them: ``langflow run``'s second pass included (an
        unprefixed ``AUTO_LOGIN=false`` counts), the same resolution lfadmin authenticates by."""
        password = settings.served("SUPERUSER_PASSWORD", to)
        if password is not None and password.raw:
            redact.register(password.raw)
        superuser = settings.served("SUPERUSER", to)
        return cls(
            settings,
            settings.served("AUTO_LOGIN", to),
            settings.served_boolean("AUTO_LOGIN", to),
            password if password is not None and password.raw else None,
            superuser if superuser is not None and superuser.raw else settings.superuser_name(),
            settings.secret_key(),
        )

    def auto_login_off_on(self, to: Version) -> bool:
        """Will the target run with AUTO_LOGIN off (explicitly, or by 1.13's default)?"""
        if self.auto_login_on is not None:
            return not self.auto_login_on
        return to >= V1_13

    def unset(self, name: str) -> bool:
        return self.settings.env.setting(name) is None

    def value(self, name: str) -> Value | None:
        return self.settings.env.setting(name)


def setting_ev(name: str, val: Value | None, unset: str, shown: str | None = None) -> Evidence:
    """A setting as evidence: where it is set (``path:line``), or what its absence means."""
    if val is None:
        return Evidence(f"LANGFLOW_{name}", "(not set)", unset)
    o = val.origin
    return Evidence(val.name, val.raw if shown is None else shown, str(o), o.path, o.line)


def make_finding(rule: Rule, message: str, evidence: list[Evidence], fix: str | None, hint: str = "",
             severity: Severity | None = None, **details: Any) -> Finding:
    return Finding(rule.check, severity if severity is not None else rule.check.severity, message,
                   evidence, fix, hint, {k: v for k, v in details.items() if v is not None})


Found = Iterator[Finding]
