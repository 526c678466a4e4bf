"""``lfadmin upgrade check``: what breaks or changes when this database and these settings meet
a newer Langflow - asked *before* the new release is installed, because several of its
migrations abort half-way (LF-UPG-001) or its first start deletes data (LF-UPG-006).

The rules are docs/langflow/upgrades.md, one ``Rule`` each with the ID, severity and release
window given there (every rule cites the Langflow code it comes from on that page). ``check`` is
the one core call: it reads the settings the way every lfadmin command does (the environment,
``--env-file`` over it), detects the source release from the database, and returns a report that
reuses the doctor's ``Finding``/``Evidence``/``Report`` - so ``--fail-on``, exit 12 (findings at
or above it) and 13 (the database part could not run) mean what they mean for the doctor.

Severities are upgrades.md's words mapped onto the doctor's scale: error = high, warning =
medium, info = info (``LABELS``). It never writes, and authenticates nobody
(``authenticate=False``, as the doctor): it reports no stored value, only names, counts and
where settings come from, and the operator who most needs it is the one whose login the
upgrade is about to change (AUTO_LOGIN, the default superuser).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfadmin import __version__, redact
from lfadmin.core.doctor.model import Check, Evidence, Finding, Severity
from lfadmin.core.doctor.report import DatabasePart, Report
from lfadmin.core.secrets.stores import STORES, table_columns, where
from lfadmin.db import execute
from lfadmin.errors import InvalidInput, LfadminError, Refused
from lfadmin.langflow.crypto import (
    MINIMUM_KEY_LENGTH,
    Derivation,
    derive_key,
    is_sso_envelope,
    key_usable,
    looks_encrypted,
    verify_password,
)
from lfadmin.langflow.env import Value
from lfadmin.langflow.schema import KNOWN_HEADS, NEWEST_KNOWN, OLDEST_SUPPORTED, Version, fmt, parse_version
from lfadmin.langflow.settings import DEFAULT_SUPERUSER, LEGACY_DEFAULT_PASSWORD, LangflowSettings, SecretKey

if TYPE_CHECKING:
    from lfadmin.core.session import Session
    from lfadmin.core.target import Target

ERROR, WARNING, INFO = Severity.HIGH, Severity.MEDIUM, Severity.INFO
LABELS = {ERROR: "error", WARNING: "warning", INFO: "info"}
FAIL_ON = {"error": ERROR, "warning": WARNING}
JSON_SCHEMA_VERSION = 1
SPEC = "docs/langflow/upgrades.md"
PLANNED = "(planned command, being built)"
NOWHERE = "not set in the environment or the env file"
EXAMPLES = 10  # rows named per finding; the count says how many there are


def label(sev: Severity) -> str:
    return LABELS.get(sev, sev.label)


def _last(minor: tuple[int, int]) -> Version:
    """Any patch of a minor release (``≤1.12`` in upgrades.md)."""
    return (minor[0], minor[1], 99)


# -- the releases lfadmin knows ---------------------------------------------------------------

KNOWN_RELEASES: frozenset[Version] = frozenset(
    (lo[0], lo[1], patch) for lo, hi in KNOWN_HEADS.values() for patch in range(lo[2], hi[2] + 1)
)


def parse_target(text: str) -> Version:
    """``--to``: a version like 1.13.0 (any release, known or not; 1.13 means 1.13.0)."""
    parts = text.strip().lstrip("v").split(".")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise InvalidInput(f"--to {text!r} is not a release like 1.13.0") from None
    if not 1 <= len(nums) <= 3 or any(n < 0 for n in nums):
        raise InvalidInput(f"--to {text!r} is not a release like 1.13.0")
    nums += [0] * (3 - len(nums))
    version = (nums[0], nums[1], nums[2])
    if version < OLDEST_SUPPORTED:
        raise InvalidInput(
            f"--to {fmt(version)}: lfadmin supports Langflow {fmt(OLDEST_SUPPORTED)} and later"
        )
    return version


# -- the rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule of upgrades.md: it applies to a jump whose source may be at most ``source_max``
    and whose target is in ``[target_min, target_max]``."""

    check: Check
    source_max: Version | None = None  # None: any source
    target_min: Version | None = None  # None: any target
    target_max: Version | None = None  # None: every later release (open window)

    def applies(self, jump: Jump) -> bool:
        if self.source_max is not None and jump.source_lo > self.source_max:
            return False
        if self.target_min is not None and jump.to < self.target_min:
            return False
        if self.target_max is not None:
            # A release lfadmin does not know may or may not be inside a closed window.
            return jump.to_known and jump.to <= self.target_max
        return True


RULES: dict[str, Rule] = {}


def _rule(
    id: str,
    severity: Severity,
    title: str,
    help: str,
    source_max: Version | None = None,
    target_min: Version | None = None,
    target_max: Version | None = None,
) -> Rule:
    anchor = id.lower()
    check = Check(id, severity, title, " ".join(help.split()), "upgrade", (f"{SPEC}#{anchor}",))
    RULES[id] = rule = Rule(check, source_max, target_min, target_max)
    return rule


V1_8, V1_9, V1_10, V1_10_2, V1_11, V1_12, V1_13 = (
    (1, 8, 0), (1, 9, 0), (1, 10, 0), (1, 10, 2), (1, 11, 0), (1, 12, 0), (1, 13, 0),
)

R001 = _rule("LF-UPG-001", ERROR, "Usernames that differ only in case",
             "1.13's migration 1d28fd31a982 refuses usernames equal under lower() and aborts the "
             "upgrade with the migrations before it committed: the database is left half-migrated.",
             _last((1, 12)), V1_13)
R002 = _rule("LF-UPG-002", ERROR, "AUTO_LOGIN turns off by default, and no superuser password is set",
             "AUTO_LOGIN defaults to false from 1.13.0; with no LANGFLOW_SUPERUSER_PASSWORD the server "
             "refuses to start (ValueError: Username and password must be set).",
             _last((1, 12)), V1_13)
R003 = _rule("LF-UPG-003", ERROR, "AUTO_LOGIN is off and no superuser password is set",
             "1.6-1.9 fall back to the password 'langflow'; from 1.10.0 the default is empty and the "
             "server refuses to start.",
             _last((1, 9)), V1_10)
R004 = _rule("LF-UPG-004", ERROR, "LANGFLOW_SUPERUSER_PASSWORD is the legacy default 'langflow'",
             "From 1.10.2 setup_superuser refuses the legacy default password with AUTO_LOGIN off.",
             (1, 10, 1), V1_10_2)
R005 = _rule("LF-UPG-005", WARNING, "Accounts whose password is still 'langflow'",
             "From 1.10.2 login refuses 'langflow' for the default and configured superuser, and the "
             "first start re-hashes it: whoever signs in with it cannot any more.",
             (1, 10, 1), V1_10_2)
R006 = _rule("LF-UPG-006", ERROR, "The default superuser the new release removes",
             "With AUTO_LOGIN off, teardown_superuser removes a superuser 'langflow' that never signed in "
             "at every start: up to 1.12 with everything it owns (issue #9187), on 1.13 it is retired.")
R007 = _rule("LF-UPG-007", ERROR, "Generic variables encrypted by 1.6/1.7",
             "From 1.8.0 Generic values are read as stored: flows get the Fernet token instead of the "
             "value, and from 1.10.3 the listing skips them. No migration converts them.",
             _last((1, 7)), V1_8)
R008 = _rule("LF-UPG-008", INFO, "Legacy plaintext API keys",
             "Every release accepts them and none encrypts them: the plaintext stays at rest.",
             _last((1, 7)), V1_8)
R009 = _rule("LF-UPG-009", WARNING, "Deactivated API keys start being refused",
             "1.6-1.9 ignore apikey.is_active; from 1.10.0 an inactive key is refused.",
             _last((1, 9)), V1_10)
R010 = _rule("LF-UPG-010", ERROR, "Encrypted values the new server cannot open",
             "Values that do not decrypt with the secret key in effect decrypt to an empty string on "
             "1.10+: credentials silently become blank.")
R011 = _rule("LF-UPG-011", ERROR, "Short secret key: values only the old derivation opens",
             "1.10.1-1.10.3 derive a short key with SHA-256 and cannot read values written with the "
             "random.Random derivation of 1.6-1.10.0; 1.11+ read both.",
             (1, 10, 0), (1, 10, 1), (1, 10, 3))
R012 = _rule("LF-UPG-012", INFO, "Short secret key: values written with the old derivation",
             "1.11+ read both derivations and write SHA-256, so the database ends up mixed; 1.13 warns "
             "about the short key at every start.",
             (1, 10, 0), V1_11)
R013 = _rule("LF-UPG-013", ERROR, "A secret key only 1.6-1.8 accept",
             "1.6-1.8 always append '=' padding, which hides a trailing newline or space; from 1.9.0 "
             "the key must be exact and every encrypt/decrypt fails.",
             _last((1, 8)), V1_9)
R014 = _rule("LF-UPG-014", WARNING, "Knowledge bases are migrated at 1.13's first start",
             "1.13 copies legacy knowledge bases to a new store in the background, only with one worker "
             "on local disk; otherwise each base waits for an administrator.",
             _last((1, 12)), V1_13)
R015 = _rule("LF-UPG-015", ERROR, "Several workers without a shared job queue",
             "From 1.10.0 the server refuses to start with more than one worker and the in-memory job "
             "queue.",
             _last((1, 9)), V1_10)
R016 = _rule("LF-UPG-016", ERROR, "Rows whose foreign key names a missing parent",
             "PostgreSQL validates the file.user_id key that 1.9.0's migration re-creates; 1.13's "
             "convert-sqlite-to-postgres refuses every orphan.")
R017 = _rule("LF-UPG-017", ERROR, "Going back to an older release",
             "An older release drops alembic_version and replays its migrations over the newer schema.")
R018 = _rule("LF-UPG-018", INFO, "1.10.3's migrations are not in 1.11+",
             "The new release logs 'Wrong revision in DB' and replays its migrations; that is expected.",
             (1, 10, 3), V1_11)
R019 = _rule("LF-UPG-019", WARNING, "The SQLite database lives inside the Langflow package",
             "A new virtual environment or container starts with an empty database (issue #3066).")
R020 = _rule("LF-UPG-020", WARNING, "The secret key is not carried over",
             "The key lives only in the default cache directory; a new container or user gets a new "
             "key and every stored credential decrypts to an empty string.")
R021 = _rule("LF-UPG-021", WARNING, "Webhooks will need an API key",
             "LANGFLOW_WEBHOOK_AUTH_ENABLE defaults to true from 1.9.", _last((1, 8)), V1_9)
R022 = _rule("LF-UPG-022", WARNING, "SSRF protection turns on",
             "LANGFLOW_SSRF_PROTECTION_ENABLED defaults to true from 1.9: components may no longer "
             "call private or loopback hosts unless allowed.", _last((1, 8)), V1_9)
R023 = _rule("LF-UPG-023", WARNING, "Local file access is restricted",
             "LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS defaults to true from 1.12: components may not read "
             "arbitrary local paths.", _last((1, 11)), V1_12)
R024 = _rule("LF-UPG-024", WARNING, "Logins are rate-limited",
             "LANGFLOW_RATE_LIMIT_ENABLED (new in 1.10, default true) allows 5 logins a minute per "
             "address; scripted logins get HTTP 429.", _last((1, 9)), V1_10)
R025 = _rule("LF-UPG-025", INFO, "Other setting defaults that change",
             "Defaults that change between the two releases for settings not set here.")
R026 = _rule("LF-UPG-026", INFO, "A setting the new release ignores",
             "LANGFLOW_TELEMETRY_BASE_URL is gone from 1.13.0.", _last((1, 12)), V1_13)


R027 = _rule("LF-UPG-027", WARNING, "SSO configurations whose client secret 1.12 clears",
             "1.12's migration e9f2a3b4c5d6 clears every sso_config client secret that is not an encrypted "
             "envelope and disables that configuration; users of it cannot sign in until it is re-entered.",
             _last((1, 11)), V1_12)


# The rules that read the database (or its file): not checked when the database part failed.
DATABASE_RULES = frozenset(r.check.id for r in (R001, R005, R006, R007, R008, R009, R010, R011, R012, R014,
                                                R016, R018, R019, R021, R027))


def rules() -> list[Check]:
    return [r.check for r in sorted(RULES.values(), key=lambda r: r.check.id)]


# -- the jump ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Jump:
    source_lo: Version
    source_hi: Version
    source_label: str
    source: str  # how the source release was learnt
    to: Version
    to_known: bool
    backend: str | None = None
    revision: str | None = None

    @property
    def to_label(self) -> str:
        return fmt(self.to)


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


def _password_shown(val: Value | None) -> str:
    if val is None:
        return "(not set)"
    return "langflow (the legacy default)" if val.raw == LEGACY_DEFAULT_PASSWORD else "(set, not shown)"


def _finding(rule: Rule, message: str, evidence: list[Evidence], fix: str | None, hint: str = "",
             severity: Severity | None = None, **details: Any) -> Finding:
    return Finding(rule.check, severity if severity is not None else rule.check.severity, message,
                   evidence, fix, hint, {k: v for k, v in details.items() if v is not None})


Found = Iterator[Finding]


def settings_rules(st: Settings, jump: Jump, superusers: int | None = None) -> Found:
    """The rules that need no database (``superusers``: active superusers, when it was read)."""
    to = jump.to_label
    pw_ev = setting_ev("SUPERUSER_PASSWORD", st.password, NOWHERE, _password_shown(st.password))
    if R002.applies(jump) and st.auto_login is None and st.password is None:
        who = [] if superusers is None else [
            Evidence("user:*", f"{superusers} active superuser{'s' if superusers != 1 else ''} today", "database")]
        yield _finding(
            R002,
            f"LANGFLOW_AUTO_LOGIN is not set, so Langflow {to} runs with AUTO_LOGIN off, and no "
            "LANGFLOW_SUPERUSER_PASSWORD is set: the new server refuses to start "
            "(ValueError: Username and password must be set).",
            [setting_ev("AUTO_LOGIN", None, f"default (Langflow {to}: false)"), pw_ev, *who],
            "LANGFLOW_AUTO_LOGIN=true",
            "to keep auto-login; or leave it: set LANGFLOW_SUPERUSER and LANGFLOW_SUPERUSER_PASSWORD "
            "(then `lfadmin user set-password USER` so the account matches), and see LF-UPG-006",
        )
    if R003.applies(jump) and st.auto_login_on is False and st.password is None:
        yield _finding(
            R003,
            f"AUTO_LOGIN is off and LANGFLOW_SUPERUSER_PASSWORD is not set: today's release falls back "
            f"to the password 'langflow', Langflow {to} refuses to start.",
            [setting_ev("AUTO_LOGIN", st.auto_login, ""), pw_ev],
            "LANGFLOW_SUPERUSER_PASSWORD=<a new password, not langflow>",
            f"then `lfadmin user set-password {st.superuser.raw}` so the account matches",
        )
    if (R004.applies(jump) and st.password is not None and st.password.raw == LEGACY_DEFAULT_PASSWORD
            and st.auto_login_off_on(jump.to)):
        yield _finding(
            R004,
            f"LANGFLOW_SUPERUSER_PASSWORD is 'langflow' with AUTO_LOGIN off: Langflow {to} refuses to "
            "start (cannot use the legacy default password).",
            [pw_ev, setting_ev("AUTO_LOGIN", st.auto_login, f"default (Langflow {to}: false)")],
            "LANGFLOW_SUPERUSER_PASSWORD=<a new password, not langflow>",
            f"then `lfadmin user set-password {st.superuser.raw}` so the account matches",
        )
    yield from _secret_key_rules(st, jump)
    yield from _workers_rule(st, jump)
    yield from _default_rules(st, jump)


def _secret_key_rules(st: Settings, jump: Jump) -> Found:
    key = st.secret
    if key is None:
        return
    if (R013.applies(jump) and len(key.value) >= MINIMUM_KEY_LENGTH
            and key_usable(key.value, Derivation.DIRECT_ALWAYS_PAD)
            and not key_usable(key.value, Derivation.DIRECT)):
        why = "it ends with a newline" if key.value.endswith("\n") else (
            "it has trailing characters" if key.value != key.value.strip() else "its length is not exact")
        if key.path is not None:
            ev = Evidence(str(key.path), f"{len(key.value)} characters ({why})", str(key.path), str(key.path), 1)
            fix = f"printf '%s' \"$(cat {key.path})\" > {key.path}"
        else:
            o = key.origin
            ev = Evidence("LANGFLOW_SECRET_KEY", f"{len(key.value)} characters ({why})", str(o), o.path, o.line)
            fix = f"remove the trailing whitespace from LANGFLOW_SECRET_KEY ({o.where()})"
        yield _finding(
            R013,
            f"the secret key only works because today's release pads it; Langflow {jump.to_label} "
            "refuses it (Fernet key must be 32 url-safe base64-encoded bytes) and can decrypt nothing.",
            [ev], fix, "the key bytes stay the same: nothing needs re-encrypting",
        )
    if R020.applies(jump) and key.path is not None and st.unset("CONFIG_DIR"):
        yield _finding(
            R020,
            f"no LANGFLOW_SECRET_KEY, and the key is only in the default cache directory "
            f"{key.path.parent}: a new container or service user starts with a new key.",
            [setting_ev("SECRET_KEY", None, NOWHERE), Evidence(str(key.path), "the key in effect", str(key.path))],
            f"LANGFLOW_CONFIG_DIR={key.path.parent}",
            "and carry that directory (or the key, as LANGFLOW_SECRET_KEY) to the new server",
        )


def _workers_rule(st: Settings, jump: Jump) -> Found:
    if not R015.applies(jump):
        return
    workers = st.value("WORKERS")
    try:
        count = int(workers.raw) if workers is not None else 1
    except ValueError:
        return
    queue = st.value("JOB_QUEUE_TYPE")
    bypass = st.settings.env.boolean("DANGEROUSLY_ALLOW_MULTI_WORKER_WITHOUT_SHARED_QUEUE", False)
    if count > 1 and (queue is None or queue.raw.lower() != "redis") and not bypass:
        yield _finding(
            R015,
            f"{count} workers with the in-memory job queue: Langflow {jump.to_label} refuses to start.",
            [setting_ev("WORKERS", workers, ""), setting_ev("JOB_QUEUE_TYPE", queue, "default (memory)")],
            "LANGFLOW_JOB_QUEUE_TYPE=redis",
            "with LANGFLOW_REDIS_QUEUE_* for the shared queue; or LANGFLOW_WORKERS=1 "
            "(a --workers flag on the command line is invisible to lfadmin)",
        )


# (rule, setting, what the target does by default, the line that keeps today's behaviour, hint)
_FLIPS: tuple[tuple[Rule, str, str, str, str], ...] = (
    (R022, "SSRF_PROTECTION_ENABLED", "true", "LANGFLOW_SSRF_ALLOWED_HOSTS=<hosts your flows call>",
     "or LANGFLOW_SSRF_PROTECTION_ENABLED=false, knowingly"),
    (R023, "RESTRICT_LOCAL_FILE_ACCESS", "true", "LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS=false",
     "knowingly; better: allow-list the roots your flows read"),
    (R024, "RATE_LIMIT_ENABLED", "true (5 logins a minute)", "LANGFLOW_RATE_LIMIT_PER_MINUTE=60",
     "if scripts sign in often; or LANGFLOW_RATE_LIMIT_ENABLED=false, knowingly"),
)

# LF-UPG-025: (setting, old -> new default, first release with the new default)
_OTHER_DEFAULTS: tuple[tuple[str, str, Version], ...] = (
    ("SQLITE_PRAGMAS", "+ busy_timeout 30000", (1, 7, 0)),
    ("MAX_VERTEX_BUILDS_PER_VERTEX", "2 -> 50", (1, 8, 0)),
    ("WEBHOOK_POLLING_INTERVAL", "5000 -> 0", (1, 8, 0)),
    ("ACCESS_HTTPONLY", "false -> true", (1, 10, 0)),
    ("ENABLE_SIGNUP", "(new) true", (1, 10, 0)),
    ("REFRESH_SAME_SITE", "none -> lax", (1, 11, 0)),
    ("REFRESH_SECURE", "true -> false", (1, 11, 0)),
    ("AGENTIC_EXPERIENCE", "false -> true", (1, 11, 0)),
    ("MCP_SERVER_TIMEOUT", "20 -> 60", (1, 12, 0)),
    ("AUTO_SAVING_INTERVAL", "1000 -> 5000", (1, 13, 0)),
)


def _default_rules(st: Settings, jump: Jump) -> Found:
    for rule, name, new, fix, hint in _FLIPS:
        if rule.applies(jump) and st.unset(name):
            yield _finding(
                rule, f"LANGFLOW_{name} is not set: Langflow {jump.to_label} uses {new}.",
                [setting_ev(name, None, f"default (Langflow {jump.to_label}: {new})")], fix, hint,
            )
    crossed = [
        setting_ev(name, None, f"default from Langflow {fmt(first)}: {change}")
        for name, change, first in _OTHER_DEFAULTS
        if jump.source_lo < first <= jump.to and st.unset(name)
    ]
    if crossed:
        yield _finding(R025, f"{len(crossed)} other settings not set here change their default.", crossed, None)
    telemetry = st.value("TELEMETRY_BASE_URL")
    if R026.applies(jump) and telemetry is not None:
        yield _finding(
            R026, f"LANGFLOW_TELEMETRY_BASE_URL is set, and Langflow {jump.to_label} ignores it.",
            [setting_ev("TELEMETRY_BASE_URL", telemetry, "")],
            f"remove {telemetry.name} ({telemetry.origin.where()})",
        )


# -- database rules ---------------------------------------------------------------------------


def _when(value: Any) -> str:
    if value is None:
        return "never"
    return str(value)[:19]


def _ident(value: Any) -> str:
    text = value.hex if hasattr(value, "hex") and not isinstance(value, str) else str(value)
    return text.replace("-", "")


def database_rules(s: Session, st: Settings, jump: Jump) -> Found:
    yield from _case_twins(s, jump)
    yield from _default_password(s, st, jump)
    yield from _default_superuser(s, st, jump)
    yield from _generic_variables(s, st, jump)
    yield from _api_keys(s, jump)
    yield from _encrypted_values(s, st, jump)
    yield from _knowledge_bases(s, st, jump)
    yield from _orphans(s, jump)
    yield from _webhooks(s, st, jump)
    yield from _sso_secrets(s, jump)
    if R018.applies(jump) and jump.revision == "d49cbced8696":
        yield _finding(
            R018, f"the database is at 1.10.3's head d49cbced8696, which Langflow {jump.to_label} does not "
            "know: it logs 'Wrong revision in DB' and replays its migrations. That is expected.",
            [Evidence("alembic_version", "d49cbced8696", "database")], None,
        )


def _case_twins(s: Session, jump: Jump) -> Found:
    if not R001.applies(jump) or s.schema.usernames_case_insensitive:
        return
    # The migration's own query, on the database's own backend: SQLite's lower() folds ASCII
    # only, PostgreSQL's follows the locale - what collides is what the migration will see.
    rows = execute(
        s.conn,
        'SELECT u.username, u.id, u.last_login_at, g.name FROM "user" u JOIN ('
        '  SELECT lower(username) AS name FROM "user" GROUP BY lower(username) HAVING count(*) > 1'
        ") g ON lower(u.username) = g.name "
        "ORDER BY g.name, u.last_login_at IS NULL, u.last_login_at DESC, u.username",
    ).all()
    if not rows:
        return
    groups: dict[str, list[Any]] = {}
    for r in rows:
        groups.setdefault(r[3], []).append(r)
    evidence = [
        Evidence(f"user:{r[0]}", f"id {_ident(r[1])}, last login {_when(r[2])}, owns {_owns(s, r[1])}", "database")
        for r in rows[:EXAMPLES]
    ]
    # Keep the name of the most recently used account; rename the others.
    renames = [r[0] for group in groups.values() for r in group[1:]]
    names = "; ".join("/".join(r[0] for r in g) for g in groups.values())
    first = renames[0]
    yield _finding(
        R001,
        f"{len(groups)} group{'s' if len(groups) > 1 else ''} of usernames differ only in case ({names}): "
        f"Langflow {jump.to_label}'s migration 1d28fd31a982 aborts the upgrade and leaves the database "
        "half-migrated.",
        evidence,
        f"lfadmin user rename {first} NEW-NAME",
        f"{PLANNED}; or `lfadmin user delete {first}`; before the upgrade"
        + (f", for each of: {', '.join(renames)}" if len(renames) > 1 else ""),
        groups=len(groups), users=len(rows),
    )


def _default_password(s: Session, st: Settings, jump: Jump) -> Found:
    if not R005.applies(jump):
        return
    names = sorted({DEFAULT_SUPERUSER, st.superuser.raw})
    rows = execute(
        s.conn, 'SELECT username, password FROM "user" WHERE username IN (' +
        ", ".join(f":n{i}" for i in range(len(names))) + ") ORDER BY username",
        **{f"n{i}": n for i, n in enumerate(names)},
    ).all()
    weak = [r[0] for r in rows if verify_password(LEGACY_DEFAULT_PASSWORD, r[1])]
    if weak:
        yield _finding(
            R005,
            f"{', '.join(weak)} still sign{'s' if len(weak) == 1 else ''} in with 'langflow': Langflow "
            f"{jump.to_label} refuses that password and replaces it at its first start.",
            [Evidence(f"user:{n}", "password verifies 'langflow'", "database") for n in weak],
            f"lfadmin user set-password {weak[0]}",
            "before the upgrade" + (f"; also for {', '.join(weak[1:])}" if weak[1:] else ""),
        )


# Tables whose rows belong to a user (user_id), present in 1.6.9 and every later release.
_OWNED = ("folder", "flow", "apikey", "variable", "file")


def _owned(s: Session, user_id: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for table in _OWNED:
        if table in s.schema.tables:
            n = execute(s.conn, f'SELECT count(*) FROM "{table}" WHERE user_id = :u', u=user_id).scalar_one()
            if n:
                out[table] = int(n)
    return out


def _owns(s: Session, user_id: Any) -> str:
    owned = _owned(s, user_id)
    return ", ".join(f"{n} {t}" for t, n in owned.items()) or "nothing"


def _default_superuser(s: Session, st: Settings, jump: Jump) -> Found:
    if not st.auto_login_off_on(jump.to):
        return
    row = execute(
        s.conn,
        'SELECT id FROM "user" WHERE username = :n AND is_superuser = :t AND last_login_at IS NULL',
        n=DEFAULT_SUPERUSER, t=True,
    ).first()
    if row is None:
        return
    owned = _owned(s, row[0])
    total = sum(owned.values())
    what = _owns(s, row[0])
    ev = [Evidence(f"user:{DEFAULT_SUPERUSER}", f"superuser, never signed in, owns {what}", "database"),
          setting_ev("AUTO_LOGIN", st.auto_login, f"default (Langflow {jump.to_label}: false)")]
    keep = "lfadmin upgrade repair --keep-default-superuser"
    keep_hint = (f"{PLANNED}; it sets last_login_at as Langflow's own preflight advises, before the new "
                 "release starts")
    if jump.to < V1_13:
        if total:
            yield _finding(
                R006, f"Langflow {jump.to_label} deletes the superuser 'langflow' at its first start, and with "
                f"it what it owns ({what}); on PostgreSQL the start may fail instead "
                "(Could not remove default superuser).", ev, keep, keep_hint, owned=owned)
        else:
            yield _finding(R006, f"Langflow {jump.to_label} deletes the unused superuser 'langflow' (it owns "
                           "nothing).", ev, None, severity=INFO)
        return
    claimed = st.superuser.raw == DEFAULT_SUPERUSER and st.password is not None
    if not total:
        yield _finding(R006, f"Langflow {jump.to_label} deletes the unused superuser 'langflow' (it owns "
                       "nothing).", ev, None, severity=INFO)
    elif not claimed:
        yield _finding(
            R006, f"with AUTO_LOGIN off, Langflow {jump.to_label} retires the superuser 'langflow' (deactivated; its "
            f"API keys stop working) unless LANGFLOW_SUPERUSER=langflow with a password claims it; it owns {what}.",
            ev, "LANGFLOW_SUPERUSER=langflow",
            "with LANGFLOW_SUPERUSER_PASSWORD to claim it instead; or " + keep + f" {PLANNED}",
            severity=WARNING, owned=owned)


def _generic_variables(s: Session, st: Settings, jump: Jump) -> Found:
    if not R007.applies(jump):
        return
    rows = execute(
        s.conn,
        'SELECT v.name, u.username, v.value FROM variable v LEFT JOIN "user" u ON u.id = v.user_id '
        "WHERE v.type = 'Generic' AND v.value LIKE 'gAAAAA%' ORDER BY u.username, v.name",
    ).all()
    if not rows:
        return
    ring = _Ring(st.secret.value) if st.secret is not None else None
    opened = sum(1 for r in rows if ring is not None and ring.opens(r[2]))
    lost = len(rows) - opened
    yield _finding(
        R007,
        f"{len(rows)} Generic variable{'s are' if len(rows) > 1 else ' is'} stored encrypted: from Langflow "
        f"1.8.0 flows get the Fernet token instead of the value ({opened} open with the key in effect"
        + (f", {lost} do not" if lost else "") + ").",
        [Evidence(f"variable:{r[0]}", f"owner {r[1]}", "database") for r in rows[:EXAMPLES]],
        "lfadmin upgrade repair",
        f"{PLANNED}; run it AFTER the upgrade: 1.6/1.7 read only encrypted values",
        count=len(rows), undecryptable=lost or None,
    )


def _api_keys(s: Session, jump: Jump) -> Found:
    if R008.applies(jump):
        rows = execute(
            s.conn, 'SELECT k.name, u.username FROM apikey k LEFT JOIN "user" u ON u.id = k.user_id '
            "WHERE k.api_key NOT LIKE 'gAAAAA%' ORDER BY u.username, k.name",
        ).all()
        if rows:
            yield _finding(
                R008, f"{len(rows)} API key{'s are' if len(rows) > 1 else ' is'} stored in plaintext; every "
                "release accepts them and none encrypts them.",
                [Evidence(f"apikey:{r[0]}", f"owner {r[1]}", "database") for r in rows[:EXAMPLES]],
                "lfadmin api-key encrypt-legacy", "AFTER the upgrade: 1.6/1.7 never accept encrypted keys",
                count=len(rows),
            )
    if R009.applies(jump):
        rows = execute(
            s.conn, 'SELECT k.name, u.username FROM apikey k LEFT JOIN "user" u ON u.id = k.user_id '
            "WHERE k.is_active = :f ORDER BY u.username, k.name", f=False,
        ).all()
        if rows:
            first = rows[0]
            yield _finding(
                R009, f"{len(rows)} deactivated API key{'s work' if len(rows) > 1 else ' works'} today and "
                f"stop{'s' if len(rows) == 1 else ''} working on Langflow {jump.to_label}.",
                [Evidence(f"apikey:{r[0]}", f"owner {r[1]}, inactive", "database") for r in rows[:EXAMPLES]],
                f"lfadmin api-key revoke {first[0]} --user {first[1]}",
                "if nothing should use them (for each); a caller that still does will be refused",
                count=len(rows),
            )


class _Ring:
    """One Fernet per derivation of the secret, to tell which derivation opens a token."""

    def __init__(self, secret: str) -> None:
        from cryptography.fernet import Fernet

        self.fernets: dict[Derivation, Any] = {}
        for d in Derivation:
            try:
                self.fernets[d] = Fernet(derive_key(secret, d))
            except (ValueError, TypeError):
                continue

    def which(self, token: str) -> set[Derivation]:
        from cryptography.fernet import InvalidToken

        found = set()
        for d, f in self.fernets.items():
            try:
                f.decrypt(token.encode())
            except (InvalidToken, ValueError, UnicodeDecodeError):
                continue
            found.add(d)
        return found

    def opens(self, token: str) -> bool:
        return bool(self.which(token))


def _encrypted_values(s: Session, st: Settings, jump: Jump) -> Found:
    if st.secret is None:
        return
    secret = st.secret.value
    short = len(secret) < MINIMUM_KEY_LENGTH
    ring = _Ring(secret)
    lost: list[str] = []
    legacy: list[str] = []
    counts: dict[str, int] = {}
    for store in STORES:
        if store.kind == "sso" or not store.present(s):
            continue
        for batch in store.rows(s):
            for row in batch:
                for cell in store.cells(row):
                    if cell.sso or not looks_encrypted(cell.value):
                        continue
                    found = ring.which(cell.value)
                    if not found:
                        lost.append(f"{store.name} {where(row, cell)}")
                        counts[store.name] = counts.get(store.name, 0) + 1
                    elif short and found == {Derivation.LEGACY_RANDOM}:
                        legacy.append(f"{store.name} {where(row, cell)}")
    key_ev = Evidence("secret key", f"{len(secret)} characters", st.secret.source,
                      st.secret.origin.path, st.secret.origin.line)
    if lost and R010.applies(jump):
        yield _finding(
            R010, f"{len(lost)} encrypted value{'s do' if len(lost) > 1 else ' does'} not open with the secret "
            "key in effect: Langflow 1.10+ reads them as empty strings.",
            [key_ev] + [Evidence(x, "undecryptable", "database") for x in lost[:EXAMPLES]],
            "lfadmin secrets check", "to list them all; run the new server with the key that wrote them",
            count=len(lost), stores=counts,
        )
    if legacy and R011.applies(jump):
        yield _finding(
            R011, f"the secret key is short and {len(legacy)} value{'s open' if len(legacy) > 1 else ' opens'} "
            f"only with the old derivation: Langflow {jump.to_label} reads them as empty strings.",
            [key_ev] + [Evidence(x, "legacy derivation", "database") for x in legacy[:EXAMPLES]],
            "lfadmin upgrade repair",
            f"{PLANNED}, after the upgrade; or upgrade to 1.11.0 or later, which reads both; or before: "
            "`lfadmin secrets rotate` to a 43-character key (ends every session)",
            count=len(legacy),
        )
    elif legacy and R012.applies(jump):
        yield _finding(
            R012, f"the secret key is short and {len(legacy)} value{'s were' if len(legacy) > 1 else ' was'} "
            f"written with the old derivation: Langflow {jump.to_label} reads both and writes the new one.",
            [key_ev], "lfadmin secrets rotate", "to a 43-character key, when convenient (ends every session)",
            count=len(legacy),
        )


def _knowledge_bases(s: Session, st: Settings, jump: Jump) -> Found:
    if not R014.applies(jump):
        return
    found = st.settings.knowledge_bases_dir()
    legacy: list[str] = []
    root = found[0] if found is not None else None
    if root is not None and root.is_dir():
        for user_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
            for kb in sorted(p for p in user_dir.iterdir() if p.is_dir()):
                if (kb / "chroma.sqlite3").exists() or (kb / "embedding_metadata.json").exists():
                    legacy.append(f"{user_dir.name}/{kb.name}")
    rows = 0
    if "knowledge_base" in s.schema.tables:
        rows = int(execute(s.conn, "SELECT count(*) FROM knowledge_base").scalar_one())
    if not legacy and not rows:
        return
    assert found is not None or rows
    workers = st.value("WORKERS")
    ev = [Evidence(f"kb:{x}", "legacy knowledge base", str(root)) for x in legacy[:EXAMPLES]]
    if rows:
        ev.append(Evidence("knowledge_base", f"{rows} rows", "database"))
    ev.append(setting_ev("WORKERS", workers, "default (1)"))
    where_ = str(root) if root is not None else "the knowledge-bases directory"
    yield _finding(
        R014, f"{len(legacy) or rows} knowledge base{'s' if (len(legacy) or rows) > 1 else ''} "
        f"will be migrated by Langflow {jump.to_label}'s first start, only with one worker on local disk; "
        "the legacy folders stay as the rollback source and must not change afterwards.",
        ev, f"cp -a {where_} {where_}.pre-{jump.to_label}",
        "and start the new release the first time with LANGFLOW_WORKERS=1, on local disk",
        count=len(legacy), rows=rows or None,
    )


def _orphans(s: Session, jump: Jump) -> Found:
    from sqlalchemy import inspect

    insp = inspect(s.conn)
    found: list[tuple[str, str, str, str, int]] = []
    for table in sorted(s.schema.tables):
        if table == "alembic_version":
            continue
        with warnings.catch_warnings():  # SQLite: keys Langflow's batch migrations left unnamed
            warnings.simplefilter("ignore")
            keys = insp.get_foreign_keys(table)
        for fk in keys:
            cols, ref, refcols = fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]
            if len(cols) != 1 or len(refcols) != 1 or ref not in s.schema.tables:
                continue
            col, refcol = cols[0], refcols[0]
            n = execute(
                s.conn,
                f'SELECT count(*) FROM "{table}" c WHERE c."{col}" IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM "{ref}" p WHERE p."{refcol}" = c."{col}")',
            ).scalar_one()
            if n:
                found.append((table, col, ref, refcol, int(n)))
    if not found:
        return
    blocking = (jump.backend == "postgresql" and jump.source_lo <= _last((1, 8)) and jump.to >= V1_9
                and any(f[0] == "file" and f[1] == "user_id" for f in found))
    total = sum(f[4] for f in found)
    why = (f"Langflow {jump.to_label}'s migration 0e6138e7a0c2 re-creates file.user_id's key and PostgreSQL "
           "refuses the orphaned rows: the upgrade aborts" if blocking else
           "Langflow's convert-sqlite-to-postgres refuses them, and the new release's foreign keys may too")
    yield _finding(
        R016, f"{total} row{'s' if total > 1 else ''} name{'s' if total == 1 else ''} a parent that does not "
        f"exist; {why}.",
        [Evidence(f"{t}.{c}", f"{n} orphan{'s' if n > 1 else ''} (-> {r}.{rc})", "database")
         for t, c, r, rc, n in found[:EXAMPLES]],
        "lfadmin upgrade repair --orphans", PLANNED,
        severity=ERROR if blocking else WARNING, count=total,
    )


def _sso_secrets(s: Session, jump: Jump) -> Found:
    """LF-UPG-027, its data part: 1.13.0 ``e9f2a3b4c5d6_allow_multiple_sso_identities_per_user``
    ``_sanitize_legacy_client_secrets`` (any non-NULL value that is not an envelope). The protocol
    check of ``7c8e9f0a1b2d`` is not applied: which protocol 1.12 fills in for older rows was not
    verified (upgrades.md)."""
    if not R027.applies(jump) or not s.schema.has("sso_config"):
        return
    columns = table_columns(s, "sso_config")
    if not {"id", "client_secret_encrypted"} <= columns:
        return
    name = "provider_name" if "provider_name" in columns else "id"
    rows = [r for r in execute(s.conn, f"SELECT {name}, client_secret_encrypted FROM sso_config ORDER BY {name}")
            if r[1] is not None and not is_sso_envelope(r[1])]
    if rows:
        yield _finding(
            R027, f"{len(rows)} SSO configuration{'s' if len(rows) > 1 else ''} store{'s' if len(rows) == 1 else ''} "
            f"the client secret in plaintext: Langflow {jump.to_label}'s migration clears "
            f"{'them' if len(rows) > 1 else 'it'} and disables the configuration.",
            [Evidence(f"sso_config:{r[0]}", "client secret not an encrypted envelope", "database")
             for r in rows[:EXAMPLES]],
            None, "after the upgrade, re-enter the client secret in the admin UI and re-enable the configuration",
            count=len(rows),
        )


def _webhooks(s: Session, st: Settings, jump: Jump) -> Found:
    if not R021.applies(jump) or not st.unset("WEBHOOK_AUTH_ENABLE"):
        return
    rows = execute(
        s.conn, 'SELECT f.name, u.username FROM flow f LEFT JOIN "user" u ON u.id = f.user_id '
        "WHERE CAST(f.data AS TEXT) LIKE :w ORDER BY u.username, f.name", w='%"Webhook%',
    ).all()
    if rows:
        yield _finding(
            R021, f"{len(rows)} flow{'s have' if len(rows) > 1 else ' has'} a Webhook component and "
            "LANGFLOW_WEBHOOK_AUTH_ENABLE is not set: from 1.9 every webhook call needs an API key.",
            [Evidence(f"flow:{r[0]}", f"owner {r[1]}", "database") for r in rows[:EXAMPLES]]
            + [setting_ev("WEBHOOK_AUTH_ENABLE", None, f"default (Langflow {jump.to_label}: true)")],
            "LANGFLOW_WEBHOOK_AUTH_ENABLE=false",
            "to keep unauthenticated webhooks, knowingly; better: give each caller an API key (x-api-key)",
            count=len(rows),
        )


def packaged_sqlite(path: Path | None, source: str, jump: Jump) -> Found:
    """LF-UPG-019: a SQLite file inside an installed package goes away with the old venv."""
    if path is None or not R019.applies(jump) or "site-packages" not in path.resolve().parts:
        return
    yield _finding(
        R019, f"the database {path} is inside the installed Langflow package ({source}): a new virtual "
        "environment or container starts with an empty one.",
        [Evidence("database", str(path), source)],
        f"cp -p {path} /var/lib/langflow/langflow.db && LANGFLOW_DATABASE_URL=sqlite:////var/lib/langflow/langflow.db",
        "any directory outside the package will do; copy the -wal/-shm files too if they exist, with the "
        "server stopped (or `lfadmin backup create`, planned)",
    )


# -- the one core call ------------------------------------------------------------------------


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


__all__ = ["FAIL_ON", "LABELS", "RULES", "UpgradeReport", "check", "label", "parse_target", "rules"]
