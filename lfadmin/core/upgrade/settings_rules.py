"""The rules that read settings only (no database): the superuser password and AUTO_LOGIN, the
secret key, workers, and setting defaults that change between two releases."""

from __future__ import annotations

from lfadmin.core.doctor.model import Evidence
from lfadmin.core.upgrade.model import Found, Settings, make_finding, setting_ev
from lfadmin.core.upgrade.rules import (
    NOWHERE,
    R002,
    R003,
    R004,
    R013,
    R015,
    R020,
    R022,
    R023,
    R024,
    R025,
    R026,
    Jump,
    Rule,
)
from lfadmin.langflow.crypto import MINIMUM_KEY_LENGTH, Derivation, key_usable
from lfadmin.langflow.env import Value
from lfadmin.langflow.schema import Version, fmt
from lfadmin.langflow.settings import LEGACY_DEFAULT_PASSWORD


def _password_shown(val: Value | None) -> str:
    if val is None:
        return "(not set)"
    return "langflow (the legacy default)" if val.raw == LEGACY_DEFAULT_PASSWORD else "(set, not shown)"


def settings_rules(st: Settings, jump: Jump, superusers: int | None = None) -> Found:
    """The rules that need no database (``superusers``: active superusers, when it was read)."""
    to = jump.to_label
    pw_ev = setting_ev("SUPERUSER_PASSWORD", st.password, NOWHERE, _password_shown(st.password))
    if R002.applies(jump) and st.auto_login is None and st.password is None:
        who = [] if superusers is None else [
            Evidence("user:*", f"{superusers} active superuser{'s' if superusers != 1 else ''} today", "database")]
        yield make_finding(
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
        yield make_finding(
            R003,
            f"AUTO_LOGIN is off and LANGFLOW_SUPERUSER_PASSWORD is not set: today's release falls back "
            f"to the password 'langflow', Langflow {to} refuses to start.",
            [setting_ev("AUTO_LOGIN", st.auto_login, ""), pw_ev],
            "LANGFLOW_SUPERUSER_PASSWORD=<a new password, not langflow>",
            f"then `lfadmin user set-password {st.superuser.raw}` so the account matches",
        )
    if (R004.applies(jump) and st.password is not None and st.password.raw == LEGACY_DEFAULT_PASSWORD
            and st.auto_login_off_on(jump.to)):
        yield make_finding(
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
        yield make_finding(
            R013,
            f"the secret key only works because today's release pads it; Langflow {jump.to_label} "
            "refuses it (Fernet key must be 32 url-safe base64-encoded bytes) and can decrypt nothing.",
            [ev], fix, "the key bytes stay the same: nothing needs re-encrypting",
        )
    if R020.applies(jump) and key.path is not None and st.unset("CONFIG_DIR"):
        yield make_finding(
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
        yield make_finding(
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
            yield make_finding(
                rule, f"LANGFLOW_{name} is not set: Langflow {jump.to_label} uses {new}.",
                [setting_ev(name, None, f"default (Langflow {jump.to_label}: {new})")], fix, hint,
            )
    crossed = [
        setting_ev(name, None, f"default from Langflow {fmt(first)}: {change}")
        for name, change, first in _OTHER_DEFAULTS
        if jump.source_lo < first <= jump.to and st.unset(name)
    ]
    if crossed:
        yield make_finding(R025, f"{len(crossed)} other settings not set here change their default.", crossed, None)
    telemetry = st.value("TELEMETRY_BASE_URL")
    if R026.applies(jump) and telemetry is not None:
        yield make_finding(
            R026, f"LANGFLOW_TELEMETRY_BASE_URL is set, and Langflow {jump.to_label} ignores it.",
            [setting_ev("TELEMETRY_BASE_URL", telemetry, "")],
            f"remove {telemetry.name} ({telemetry.origin.where()})",
        )

