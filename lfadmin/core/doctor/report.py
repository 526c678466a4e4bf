"""The doctor's report, its JSON form (stable, documented in docs/doctor.md) and SARIF 2.1.0."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lfadmin import __version__
from lfadmin.core.doctor.model import Check, Finding, Severity, checks
from lfadmin.errors import ExitCode

JSON_SCHEMA_VERSION = 1
INFORMATION_URI = "https://github.com/langflow-ai/langflow"  # the product the rules are about


@dataclass
class DatabasePart:
    status: str  # "checked" | "not-configured" | "skipped" | "failed"
    url: str | None = None  # masked
    reason: str | None = None
    release: str | None = None

    @property
    def could_not_run(self) -> bool:
        return self.status == "failed"

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "url": self.url, "reason": self.reason, "release": self.release}


@dataclass
class Report:
    langflow_version: str
    version_source: str
    env_file: str | None
    database: DatabasePart
    fail_on: Severity
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def sort(self) -> None:
        order = [c.id for c in checks()]

        def key(f: Finding) -> tuple[int, int]:
            return (-int(f.severity), order.index(f.check.id))

        self.findings.sort(key=key)
        self.suppressed.sort(key=key)

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            out[f.severity.label] += 1
        out["suppressed"] = len(self.suppressed)
        return out

    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.severity >= self.fail_on]

    @property
    def exit_code(self) -> ExitCode:
        """A database part that could not run wins over findings (13 before 12): the report is
        incomplete, so 12 would pass it off as the whole list; both fail CI, and the findings
        are in the report either way."""
        if self.database.could_not_run:
            return ExitCode.PARTIAL
        if self.failing():
            return ExitCode.FINDINGS
        return ExitCode.OK

    # -- JSON ---------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "tool": {"name": "lfadmin", "version": __version__},
            "langflow_version": self.langflow_version,
            "version_source": self.version_source,
            "env_file": self.env_file,
            "database": self.database.to_json(),
            "fail_on": self.fail_on.label,
            "exit_code": int(self.exit_code),
            "summary": self.counts(),
            "findings": [f.to_json() for f in self.findings],
            "suppressed": [f.to_json() for f in self.suppressed],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }

    # -- SARIF 2.1.0 --------------------------------------------------------------------------
    def to_sarif(self, base: Path | None = None) -> dict[str, Any]:
        base = base or Path.cwd()
        rules = checks()
        index = {c.id: i for i, c in enumerate(rules)}
        results = [self._sarif_result(f, index[f.check.id], base) for f in self.findings]
        results += [self._sarif_result(f, index[f.check.id], base) for f in self.suppressed]
        notifications = [{"level": "warning", "message": {"text": w}} for w in self.warnings]
        if self.database.could_not_run:
            notifications.append(
                {"level": "error", "message": {"text": f"database checks skipped: {self.database.reason}"}}
            )
        return {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "lfadmin config doctor",
                            "version": __version__,
                            "informationUri": INFORMATION_URI,
                            "rules": [_sarif_rule(c) for c in rules],
                        }
                    },
                    "invocations": [
                        {
                            "executionSuccessful": not self.database.could_not_run,
                            "toolExecutionNotifications": notifications,
                        }
                    ],
                    "properties": {
                        "langflowVersion": self.langflow_version,
                        "versionSource": self.version_source,
                        "database": self.database.to_json(),
                    },
                    "results": results,
                }
            ],
        }

    def _sarif_result(self, f: Finding, rule_index: int, base: Path) -> dict[str, Any]:
        loc = f.location()
        if loc is not None:
            uri, line = _uri(loc[0], base), loc[1]
        else:
            # GitHub code scanning needs a location on every result: point at the env file
            # where the fix goes (line 1), or at a .env the operator would create.
            uri, line = (_uri(self.env_file, base) if self.env_file else ".env"), 1
        text = f.message + (f" Fix: {f.fix}" if f.fix else "") + (f" ({f.hint})" if f.hint else "")
        result: dict[str, Any] = {
            "ruleId": f.check.id,
            "ruleIndex": rule_index,
            "level": _level(f.severity),
            "message": {"text": text},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {"startLine": line},
                    }
                }
            ],
            "partialFingerprints": {"lfadminFinding/v1": f"{f.check.id}:{_fingerprint(f)}"},
            "properties": {"severity": f.severity.label, "security-severity": _security_severity(f.severity)},
        }
        if f.suppression is not None:
            result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.suppression.reason}]
        return result


def _level(sev: Severity) -> str:
    return "error" if sev >= Severity.HIGH else "warning" if sev == Severity.MEDIUM else "note"


def _security_severity(sev: Severity) -> str:
    # GitHub maps >= 9.0 critical, >= 7.0 high, >= 4.0 medium, > 0 low.
    return {
        Severity.CRITICAL: "9.5",
        Severity.HIGH: "8.0",
        Severity.MEDIUM: "5.5",
        Severity.LOW: "3.0",
        Severity.INFO: "0.5",
    }[sev]


def _sarif_rule(c: Check) -> dict[str, Any]:
    refs = "; ".join(c.references)
    return {
        "id": c.id,
        "name": "".join(w.capitalize() for w in c.id.lower().split("-")),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.help},
        "help": {
            "text": c.help + (f" References: {refs}." if refs else ""),
            "markdown": f"**{c.title}**\n\n{c.help}" + (f"\n\nReferences: {refs}." if refs else ""),
        },
        "defaultConfiguration": {"level": _level(c.severity)},
        "properties": {
            "tags": ["security", "langflow", c.scope],
            "security-severity": _security_severity(c.severity),
            "precision": "high",
        },
    }


def _uri(path: str, base: Path) -> str:
    p = Path(path)
    try:
        rel = os.path.relpath(p.resolve(), base.resolve())
    except ValueError:
        return p.resolve().as_uri()
    if rel.startswith(".."):
        return p.resolve().as_uri()
    return Path(rel).as_posix()


def _fingerprint(f: Finding) -> str:
    return ",".join(sorted(e.variable for e in f.evidence)) or "-"
