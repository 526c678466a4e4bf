"""What the doctor reports: severities, checks (the registry), evidence and findings.

Every check is registered once, with a stable ID, a default severity and help text; the SARIF
rules, ``docs/doctor.md`` and the suppression file's "unknown check ID" warning all read this
registry. A check may report a finding at another severity than its default when the
circumstances call for it (e.g. AUTO_LOGIN is critical off-loopback, high on loopback).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(text) from None


@dataclass(frozen=True)
class Check:
    id: str
    severity: Severity  # the usual severity; a finding may carry another one
    title: str
    help: str  # why it matters, in a paragraph (SARIF rule help, docs)
    scope: str  # "env" | "database"
    references: tuple[str, ...] = ()  # docs/langflow/ sections, seed page


@dataclass(frozen=True)
class Evidence:
    """One variable (or database fact) behind a finding."""

    variable: str  # LANGFLOW_AUTO_LOGIN, or a database object such as user:langflow
    value: str  # effective value, secrets masked
    source: str  # "path:line", "environment", "default (Langflow 1.13.0)", "database"
    path: str | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "value": self.value,
            "source": self.source,
            "path": self.path,
            "line": self.line,
        }


@dataclass
class Finding:
    check: Check
    severity: Severity
    message: str
    evidence: list[Evidence] = field(default_factory=list)
    fix: str | None = None  # the exact line to put in .env, when there is one
    hint: str = ""  # what else to do
    details: dict[str, Any] = field(default_factory=dict)  # counts and samples (database checks)
    suppression: Suppression | None = None

    @property
    def id(self) -> str:
        return self.check.id

    def location(self) -> tuple[str, int] | None:
        """The first env-file line behind this finding, if any."""
        for ev in self.evidence:
            if ev.path is not None and ev.line is not None:
                return ev.path, ev.line
        return None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.check.id,
            "severity": self.severity.label,
            "title": self.check.title,
            "message": self.message,
            "evidence": [e.to_json() for e in self.evidence],
            "fix": self.fix,
            "hint": self.hint or None,
            "details": self.details or None,
        }
        if self.suppression is not None:
            data["suppression"] = self.suppression.to_json()
        return data


@dataclass(frozen=True)
class Suppression:
    check_id: str
    reason: str
    expires: str | None  # ISO date, inclusive
    source: str  # "path:line" or "--ignore"

    def to_json(self) -> dict[str, Any]:
        return {"reason": self.reason, "expires": self.expires, "source": self.source}


REGISTRY: dict[str, Check] = {}


def checks() -> list[Check]:
    """Every check in a stable order: settings checks, then database checks, each by ID."""
    return sorted(REGISTRY.values(), key=lambda c: (c.scope != "env", c.id))


def register(
    id: str,
    severity: Severity,
    title: str,
    help: str,
    *,
    scope: str = "env",
    references: tuple[str, ...] = (),
) -> Check:
    if id in REGISTRY:
        raise RuntimeError(f"check {id} registered twice")
    check = Check(id, severity, title, " ".join(help.split()), scope, references)
    REGISTRY[id] = check
    return check
