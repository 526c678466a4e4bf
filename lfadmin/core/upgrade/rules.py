"""The rules of docs/langflow/upgrades.md as data: one ``Rule`` each (ID, severity, title, the
release window it applies to), the releases lfadmin knows, ``--to`` parsed, and the ``Jump`` a
check is about. Nothing here reads a database or a setting; ``settings_rules``, ``db_rules`` and
``value_rules`` apply these rules, ``check`` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lfadmin.core.doctor.model import Check, Severity
from lfadmin.errors import InvalidInput
from lfadmin.langflow.schema import KNOWN_HEADS, OLDEST_SUPPORTED, Version, fmt

ERROR, WARNING, INFO = Severity.HIGH, Severity.MEDIUM, Severity.INFO
LABELS = {ERROR: "error", WARNING: "warning", INFO: "info"}
FAIL_ON = {"error": ERROR, "warning": WARNING}
JSON_SCHEMA_VERSION = 1
SPEC = "docs/langflow/upgrades.md"
NOWHERE = "not set in the environment or the env file"
EXAMPLES = 10  # rows named per finding; the count says how many there are


def label(sev: Severity) -> str:
    return LABELS.get(sev, sev.label)


def any_patch(minor: tuple[int, int]) -> Version:
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
             any_patch((1, 12)), V1_13)
R002 = _rule("LF-UPG-002", ERROR, "AUTO_LOGIN turns off by default, and no superuser password is set",
             "AUTO_LOGIN defaults to false from 1.13.0; with no LANGFLOW_SUPERUSER_PASSWORD the server "
             "refuses to start (ValueError: Username and password must be set).",
             any_patch((1, 12)), V1_13)
R003 = _rule("LF-UPG-003", ERROR, "AUTO_LOGIN is off and no superuser password is set",
             "1.6-1.9 fall back to the password 'langflow'; from 1.10.0 the default is empty and the "
             "server refuses to start.",
             any_patch((1, 9)), V1_10)
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
             any_patch((1, 7)), V1_8)
R008 = _rule("LF-UPG-008", INFO, "Legacy plaintext API keys",
             "Every release accepts them and none encrypts them: the plaintext stays at rest.",
             any_patch((1, 7)), V1_8)
R009 = _rule("LF-UPG-009", WARNING, "Deactivated API keys start being refused",
             "1.6-1.9 ignore apikey.is_active; from 1.10.0 an inactive key is refused.",
             any_patch((1, 9)), V1_10)
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
             any_patch((1, 8)), V1_9)
R014 = _rule("LF-UPG-014", WARNING, "Knowledge bases are migrated at 1.13's first start",
             "1.13 copies legacy knowledge bases to a new store in the background, only with one worker "
             "on local disk; otherwise each base waits for an administrator.",
             any_patch((1, 12)), V1_13)
R015 = _rule("LF-UPG-015", ERROR, "Several workers without a shared job queue",
             "From 1.10.0 the server refuses to start with more than one worker and the in-memory job "
             "queue.",
             any_patch((1, 9)), V1_10)
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
             "LANGFLOW_WEBHOOK_AUTH_ENABLE defaults to true from 1.9.", any_patch((1, 8)), V1_9)
R022 = _rule("LF-UPG-022", WARNING, "SSRF protection turns on",
             "LANGFLOW_SSRF_PROTECTION_ENABLED defaults to true from 1.9: components may no longer "
             "call private or loopback hosts unless allowed.", any_patch((1, 8)), V1_9)
R023 = _rule("LF-UPG-023", WARNING, "Local file access is restricted",
             "LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS defaults to true from 1.12: components may not read "
             "arbitrary local paths.", any_patch((1, 11)), V1_12)
R024 = _rule("LF-UPG-024", WARNING, "Logins are rate-limited",
             "LANGFLOW_RATE_LIMIT_ENABLED (new in 1.10, default true) allows 5 logins a minute per "
             "address; scripted logins get HTTP 429.", any_patch((1, 9)), V1_10)
R025 = _rule("LF-UPG-025", INFO, "Other setting defaults that change",
             "Defaults that change between the two releases for settings not set here.")
R026 = _rule("LF-UPG-026", INFO, "A setting the new release ignores",
             "LANGFLOW_TELEMETRY_BASE_URL is gone from 1.13.0.", any_patch((1, 12)), V1_13)


R027 = _rule("LF-UPG-027", WARNING, "SSO configurations whose client secret 1.12 clears",
             "1.12's migration e9f2a3b4c5d6 clears every sso_config client secret that is not an encrypted "
             "envelope and disables that configuration; users of it cannot sign in until it is re-entered.",
             any_patch((1, 11)), V1_12)


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
