"""The corpus of ``scripts/corpus.py``: which lfadmin invocations it runs, on which databases.

Why a module of its own: this is the data (some hundreds of invocations), ``corpus.py`` is the
harness that runs and normalises them; adding a case should not mean reading the harness.
A case is a fresh copy of one fixture database plus steps; a step is one ``lfadmin ARGS`` with
the environment, stdin and way of authenticating it runs with. ``@@name@@`` in arguments, env
values, stdin and files is filled in per case (``@@tmp@@`` the case's directory, ``@@secret_key@@``
the fixture's key, ``@@apikey:USER@@``/``@@pw:USER@@`` what the fixture's manifest records), so
no secret is ever written into a transcript or a file name.
"""

# ruff: noqa: S106  (the fake passwords of the fixtures and of the corpus)

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
FIXTURES = HERE / "tests" / "fixtures"

# -- what a case is -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stdin:
    """What a step pipes to stdin: ``label`` goes in the transcript, ``text`` (with @@refs@@) does not."""

    label: str
    text: str | bytes


@dataclass(frozen=True)
class Step:
    args: tuple[str, ...]
    stdin: Stdin | None = None
    env: tuple[tuple[str, str], ...] = ()
    auth: str = "key"  # key | key-stdin | pw | pw-stdin | auto | none
    as_user: str = "admin"


@dataclass(frozen=True)
class Case:
    id: str
    db: str | None  # "sqlite-1.13.0", "pg-1.6.9", or None (no database)
    steps: tuple[Step, ...]
    files: tuple[tuple[str, str], ...] = ()  # (relative path, content with @@refs@@) written first
    sql: tuple[str, ...] = ()  # statements run on the copy before the steps
    show: tuple[str, ...] = ()  # files (relative to the case dir) whose content goes in the transcript
    modes: tuple[tuple[str, int], ...] = ()  # chmod before the steps
    links: tuple[tuple[str, str], ...] = ()  # (relative link path, relative target) made before the steps


def step(*args: str, stdin: Stdin | None = None, auth: str = "key", as_user: str = "admin", **env: str) -> Step:
    return Step(tuple(args), stdin, tuple(sorted(env.items())), auth, as_user)


# Fixed keys the corpus passes in (deterministic, so not normalised).
NEW_KEY = "Zq7d1Hk3Vx9Lm2Np4Rt6Wy8Ab0Cd2Ef4Gh6Ij8Kl0M"  # 43 url-safe chars: a valid Fernet key
OTHER_KEY = "Wrong0Key1Wrong2Key3Wrong4Key5Wrong6Key7Abc"
KNOWN_INPUT_KEYS = {NEW_KEY, OTHER_KEY}
PW_NEW = Stdin("a new password (strong)", "Zed-pass-12345\n")


# -- the fixtures -------------------------------------------------------------------------------


def manifest(db: str) -> dict[str, Any]:
    backend, version = db.split("-", 1)
    suffix = ".pg.json" if backend == "pg" else ".json"
    found: dict[str, Any] = json.loads((FIXTURES / f"langflow-{version}{suffix}").read_text())
    return found


def fixture_file(db: str) -> Path:
    backend, version = db.split("-", 1)
    return FIXTURES / (f"langflow-{version}.pg.sql" if backend == "pg" else f"langflow-{version}.db")


# -- the corpus ---------------------------------------------------------------------------------

SQLITE = ("sqlite-1.6.9", "sqlite-1.8.4", "sqlite-1.10.3", "sqlite-1.13.0")
PG = ("pg-1.6.9", "pg-1.8.4", "pg-1.13.0")
ALL_DBS = SQLITE + PG
FULL = ("sqlite-1.13.0", "pg-1.13.0")  # every read case
WRITES_ALL = ("sqlite-1.13.0",)  # every write case
WRITES_CORE = ("sqlite-1.6.9",)  # the write cases that differ by release
# Elsewhere (1.8.4, PostgreSQL): the writes whose SQL or storage differs by release or backend
PG_CORE = (
    "api-key/expiry",
    "api-key/revoke",
    "secrets/rotate-write-env",
    "secrets/reveal",
    "user/create",
    "user/delete",
    "api-key/create-json-for-alice",
    "api-key/encrypt-legacy",
    "secrets/set",
    "secrets/rotate-new-key",
    "superuser/first-setup",
)
AUDIT = "config/lfadmin-audit.jsonl"

# The seed's "authentication enabled" .env with real values (tests/test_doctor_env.py's BASE).
DOCTOR_KEY = "0Yrsve58l0Aw_aDs0xGJy8qySwRCYUpk7rQ4EqRhvTo"
KNOWN_INPUT_KEYS.add(DOCTOR_KEY)
DOCTOR_BASE = f"""LANGFLOW_AUTO_LOGIN=False
LANGFLOW_SUPERUSER=administrator
LANGFLOW_SUPERUSER_PASSWORD=Vq3-xT9!mR2#pL7@wZ5
LANGFLOW_SECRET_KEY={DOCTOR_KEY}
LANGFLOW_NEW_USER_IS_ACTIVE=False
LANGFLOW_ENABLE_SUPERUSER_CLI=False
"""
# (release, lines added to DOCTOR_BASE): one trigger per check, as in tests/test_doctor_env.py.
DOCTOR_TRIGGERS = [
    ("1.13.0", ""),
    ("1.6.9", ""),
    ("1.10.3", ""),
    ("1.13.0", "LANGFLOW_AUTO_LOGIN=enabled"),
    ("1.13.0", "LANGFLOW_NEW_USER_IS_ACTIVE="),
    ("1.13.0", "LANGFLOW_REFRESH_SAME_SITE=None"),
    ("1.13.0", "LANGFLOW_API_KEY_SOURCE=ENV"),
    ("1.13.0", "LANGFLOW_ALGORITHM=HS512"),
    ("1.13.0", "LANGFLOW_DB_CONNECTION_SETTINGS=pool_size=5"),
    ("1.13.0", "LANGFLOW_PORT=eighty"),
    ("1.13.0", "LANGFLOW_EXTERNAL_AUTH_JWKS_URL=http://idp/jwks"),
    ("1.13.0", "LANGFLOW_DATABASE_URL=postgres://lf:pw@db/langflow"),
    ("1.13.0", "LANGFLOW_SUPERUSER_PASSWORD="),
    ("1.10.3", "LANGFLOW_SUPERUSER_PASSWORD=langflow"),
    ("1.13.0", "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_HOST=0.0.0.0"),
    ("1.13.0", "LANGFLOW_AUTO_LOGIN=true"),
    ("1.13.0", "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_CORS_ORIGINS=https://lf.example.com"),
    ("1.13.0", "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_SKIP_AUTH_AUTO_LOGIN=true\nLANGFLOW_HOST=10.0.0.5"),
    ("1.6.9", "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_SKIP_AUTH_AUTO_LOGIN=true"),
    ("1.6.9", "LANGFLOW_SUPERUSER_PASSWORD="),
    ("1.6.9", "LANGFLOW_SUPERUSER_PASSWORD=langflow"),
    ("1.13.0", "LANGFLOW_SUPERUSER_PASSWORD=securepassword"),
    ("1.13.0", "LANGFLOW_SUPERUSER_PASSWORD=short-pw"),
    ("1.13.0", "LANGFLOW_NEW_USER_IS_ACTIVE=true"),
    ("1.6.9", "LANGFLOW_NEW_USER_IS_ACTIVE=true"),
    ("1.13.0", "LANGFLOW_ENABLE_SIGNUP=false"),
    ("1.13.0", "LANGFLOW_ENABLE_SUPERUSER_CLI=true"),
    ("1.13.0", "LANGFLOW_WEBHOOK_AUTH_ENABLE=false"),
    ("1.13.0", "LANGFLOW_API_KEY_SOURCE=env\nLANGFLOW_API_KEY=sk-short"),
    ("1.13.0", "LANGFLOW_EXTERNAL_AUTH_ENABLED=true\nLANGFLOW_EXTERNAL_AUTH_TRUSTED_JWT_DECODE=true"),
    ("1.6.9", "LANGFLOW_ALGORITHM=none"),
    ("1.13.0", "LANGFLOW_ACCESS_TOKEN_EXPIRE_SECONDS=31536000"),
    ("1.13.0", "LANGFLOW_SECRET_KEY="),
    ("1.13.0", "LANGFLOW_SECRET_KEY=short-secret"),
    ("1.13.0", "LANGFLOW_SECRET_KEY=" + "ab" * 32),
    ("1.6.9", "LANGFLOW_SECRET_KEY=a-long-passphrase-that-is-not-base64-at-all-ok"),
    ("1.6.9", "LANGFLOW_CORS_ORIGINS=https://lf.example.com"),
    ("1.13.0", "LANGFLOW_CORS_ALLOW_CREDENTIALS=false"),
    ("1.13.0", "LANGFLOW_CORS_ALLOW_HEADERS=Content-Type,Authorization"),
    ("1.13.0", "LANGFLOW_ACCESS_HTTPONLY=false"),
    ("1.6.9", "LANGFLOW_ACCESS_HTTPONLY=true"),
    ("1.13.0", "LANGFLOW_HOST=0.0.0.0"),
    ("1.13.0", "LANGFLOW_REFRESH_SAME_SITE=none"),
    ("1.13.0", "LANGFLOW_CUSTOM_COMPONENT_ADMIN_ONLY=true"),
    ("1.10.3", "LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS=true"),
    ("1.13.0", "LANGFLOW_SSRF_PROTECTION_ENABLED=false"),
    ("1.13.0", "LANGFLOW_SSRF_ALLOWED_HOSTS=api.internal, 10.0.0.0/8"),
    ("1.13.0", "LANGFLOW_FALLBACK_TO_ENV_VAR=false"),
    ("1.13.0", "LANGFLOW_RATE_LIMIT_ENABLED=false"),
    ("1.13.0", "LANGFLOW_RATE_LIMIT_TRUST_PROXY=true"),
    ("1.13.0", "LANGFLOW_DEV=true"),
    ("1.13.0", "LANGFLOW_DEVELOPER_API_ENABLED=true"),
    ("1.13.0", "LANGFLOW_REMOVE_API_KEYS=true"),
    ("1.13.0", "AUTO_LOGIN=true"),
    ("1.13.0", "langflow_database_url=sqlite:////srv/lf.db"),
    ("1.13.0", "LANGFLOW_SECRET_KEY=${OTHER}\nOTHER=x"),
    ("1.13.0", "export LANGFLOW_DEV=true"),
]

COMMANDS = [
    (),
    ("superuser",),
    ("info",),
    ("user",),
    ("users",),
    ("api-key",),
    ("api-keys",),
    ("secrets",),
    ("config",),
    *[
        ("user", c)
        for c in (
            "list",
            "show",
            "create",
            "activate",
            "deactivate",
            "promote",
            "demote",
            "set-password",
            "delete",
            "export",
            "diff",
            "apply",
        )
    ],
    *[("api-key", c) for c in ("create", "list", "revoke", "prune", "encrypt-legacy")],
    *[("secrets", c) for c in ("list", "set", "show", "delete", "generate", "check", "rotate", "scan-flows")],
    ("config", "doctor"),
]


def _slug(*parts: str) -> str:
    s = "-".join(p for p in parts if p)
    s = re.sub(r"[^A-Za-z0-9._=-]+", "_", s).strip("_")
    return s[:90]


def help_cases() -> list[Case]:
    out = [Case(f"nodb/help/{_slug('lfadmin', *c) or 'lfadmin'}-help", None, (step(*c, "--help"),)) for c in COMMANDS]
    out += [
        Case("nodb/help/lfadmin-h", None, (step("-h"),)),
        Case("nodb/help/version", None, (step("--version"),)),
        Case("nodb/help/no-args", None, (step(),)),
        Case("nodb/help/group-no-args", None, (step("user"), step("secrets"), step("config"))),
        Case("nodb/usage/unknown-command", None, (step("frobnicate"), step("user", "rename", "a", "b"))),
        Case("nodb/usage/unknown-option", None, (step("user", "list", "--bogus"), step("--bogus", "info"))),
        Case(
            "nodb/usage/missing-argument",
            None,
            (step("user", "show"), step("user", "create"), step("secrets", "set", "X"), step("api-key", "prune")),
        ),
        Case("nodb/usage/option-needs-value", None, (step("--env-file"), step("user", "list", "--as"))),
        Case("nodb/usage/help-after-bad-option", None, (step("user", "list", "--json", "--help"),)),
        Case("nodb/completion", None, (step("--show-completion", SHELL="/bin/bash"),)),
    ]
    return out


def _doctor_groups() -> list[tuple[str, list[str]]]:
    """The triggers packed into as few env files as possible: one release a file, no variable twice
    (a later line would override an earlier one), at most five a file so one cannot hide another."""
    groups: list[tuple[str, list[str], set[str]]] = []
    for n, (version, lines) in enumerate(DOCTOR_TRIGGERS):
        names = {ln.split("=")[0].removeprefix("export ").strip().upper() for ln in lines.splitlines()}
        solo = n < 12  # values Langflow refuses (LF-CONF-*): each alone, so they mask nothing
        for gv, glines, gnames in groups[12:] if not solo else []:
            if gv == version and not names & gnames and len(glines) < 5:
                glines.append(lines)
                gnames |= names
                break
        else:
            groups.append((version, [lines], names))
    return [(v, ls) for v, ls, _ in groups]


def doctor_cases() -> list[Case]:
    out = []
    for i, (version, lines) in enumerate(_doctor_groups()):
        text = DOCTOR_BASE + "".join(ln + "\n" for ln in lines if ln)
        doc = ("config", "doctor", "--env-file", "@@tmp@@/.env", "--no-database", "--langflow-version", version)
        out.append(
            Case(
                f"nodb/doctor/group-{i:02d}-{version}",
                None,
                (step(*doc, "--format", "json", "--fail-on", "low"), *((step(*doc),) if i % 3 == 0 else ())),
                files=((".env", text),),
                modes=((".env", 0o600),),
            )
        )
    env = ((".env", DOCTOR_BASE + "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_HOST=0.0.0.0\n"),)
    doc = ("config", "doctor", "--env-file", "@@tmp@@/.env", "--no-database", "--langflow-version", "1.13.0")
    out += [
        Case("nodb/doctor/sarif", None, (step(*doc, "--format", "sarif"),), files=env),
        Case(
            "nodb/doctor/list-checks",
            None,
            (step("config", "doctor", "--list-checks"), step("--json", "config", "doctor", "--list-checks")),
        ),
        Case(
            "nodb/doctor/fail-on",
            None,
            tuple(step(*doc, "--fail-on", lvl, "--quiet") for lvl in ("low", "medium", "high", "critical", "bogus")),
            files=env,
        ),
        Case(
            "nodb/doctor/ignore",
            None,
            (step(*doc, "--ignore", "LF-AUTH-001", "--ignore", "LF-AUTH-006"), step(*doc, "--ignore", "LF-NOPE-999")),
            files=env,
        ),
        Case(
            "nodb/doctor/ignore-file",
            None,
            (step(*doc, "--format", "json"), step(*doc, "--ignore-file", "@@tmp@@/ign")),
            files=(
                *env,
                ("work/.lfadmin-ignore", "LF-AUTH-006  sign-up is open for the workshop\n"),
                ("ign", "LF-AUTH-001  exp:2031-03-31  lab machine\nLF-BOGUS\n"),
            ),
        ),
        Case(
            "nodb/doctor/ignore-expired",
            None,
            (step(*doc),),
            files=(*env, ("work/.lfadmin-ignore", "LF-AUTH-001  exp:2020-01-01  expired long ago\n")),
        ),
        Case(
            "nodb/doctor/output-file",
            None,
            (
                step(*doc, "--format", "json", "--output", "@@tmp@@/r.json"),
                step(*doc, "--format", "sarif", "-o", "@@tmp@@/r.sarif"),
            ),
            files=env,
            show=("r.json", "r.sarif"),
        ),
        Case(
            "nodb/doctor/output-unwritable",
            None,
            (step(*doc, "--output", "@@tmp@@/nodir/r.txt"), step(*doc, "--output", "@@tmp@@/work")),
            files=env,
        ),
        Case("nodb/doctor/bad-format", None, (step(*doc, "--format", "xml"),), files=env),
        Case(
            "nodb/doctor/env-missing",
            None,
            (step("config", "doctor", "--env-file", "@@tmp@@/nope.env", "--no-database"),),
        ),
        Case(
            "nodb/doctor/env-is-dir", None, (step("config", "doctor", "--env-file", "@@tmp@@/work", "--no-database"),)
        ),
        Case(
            "nodb/doctor/env-bad-line",
            None,
            (step(*doc),),
            files=((".env", DOCTOR_BASE + "this is not a line\nLANGFLOW_X='unterminated\n"),),
        ),
        Case("nodb/doctor/env-not-utf8", None, (step(*doc),), files=((".env", "LANGFLOW_DEV=\udcff\n"),)),
        Case("nodb/doctor/env-world-readable", None, (step(*doc),), files=env, modes=((".env", 0o644),)),
        Case(
            "nodb/doctor/no-env-file",
            None,
            (step("config", "doctor", "--no-database", "--langflow-version", "1.13.0"),),
        ),
        Case(
            "nodb/doctor/no-version",
            None,
            (step("config", "doctor", "--env-file", "@@tmp@@/.env", "--no-database"),),
            files=env,
        ),
        Case(
            "nodb/doctor/db-unreachable",
            None,
            (
                step(
                    *doc[:-3],
                    "--langflow-version",
                    "1.13.0",
                    "--database-url",
                    "postgresql://postgres:postgres@127.0.0.1:1/nope",
                ),
                step(
                    "config",
                    "doctor",
                    "--env-file",
                    "@@tmp@@/.env",
                    "--format",
                    "json",
                    "--database-url",
                    "sqlite:///@@tmp@@/missing.db",
                ),
            ),
            files=env,
        ),
    ]
    return out


def nodb_cases() -> list[Case]:
    gen = ("secrets", "generate")
    return [
        Case("nodb/generate/stdout", None, (step(*gen), step("--json", *gen), step("--quiet", *gen))),
        Case("nodb/generate/write-env-new", None, (step(*gen, "--write-env", "@@tmp@@/new.env"),), show=("new.env",)),
        Case(
            "nodb/generate/write-env-existing",
            None,
            (
                step(*gen, "--write-env", "@@tmp@@/a.env"),
                step(*gen, "--write-env", "@@tmp@@/b.env"),
                step("--json", *gen, "--write-env", "@@tmp@@/b.env", "--force"),
            ),
            files=(("a.env", "# keep me\nLANGFLOW_DEV=false\n"), ("b.env", f"LANGFLOW_SECRET_KEY={NEW_KEY}\nX=1\n")),
            modes=(("a.env", 0o640),),
            show=("a.env", "b.env"),
        ),
        Case(
            "nodb/generate/write-config-dir",
            None,
            (step(*gen, "--write-config-dir"),),
            show=("config/secret_key",),
        ),
        # A generated key is normalised by what the transcript shows of it: one that a later step
        # replaced would leave its fingerprint unexplained, so the key already there is a fixed one.
        Case(
            "nodb/generate/write-config-dir-existing",
            None,
            (step(*gen, "--write-config-dir"), step(*gen, "--write-config-dir", "--force")),
            files=(("config/secret_key", NEW_KEY),),
            show=("config/secret_key",),
        ),
        Case(
            "nodb/generate/write-env-symlink",
            None,
            (step(*gen, "--write-env", "@@tmp@@/link.env"),),
            files=(("real.env", "X=1\n"),),
            links=(("link.env", "real.env"),),
            show=("real.env", "link.env"),
        ),
        Case(
            "nodb/db/missing-sqlite-file",
            None,
            (
                step("info", "--database-url", "sqlite:///@@tmp@@/missing.db"),
                step("user", "list", "--database-url", "sqlite:///@@tmp@@/missing.db"),
            ),
        ),
        Case(
            "nodb/db/not-langflow",
            None,
            (
                step("info", "--database-url", "sqlite:///@@tmp@@/empty.db"),
                step("--json", "user", "list", "--database-url", "sqlite:///@@tmp@@/plain.txt"),
            ),
            files=(("plain.txt", "not a database\n"),),
        ),
        Case(
            "nodb/db/bad-urls",
            None,
            tuple(
                step("info", "--database-url", u)
                for u in (
                    "mysql://u:p@h/db",
                    "not a url",
                    "postgresql://postgres:secret-pw@127.0.0.1:1/x",
                    "postgres://u:secret-pw@127.0.0.1:1/x",
                    "sqlite://",
                    "sqlite+aiosqlite:///@@tmp@@/missing.db",
                )
            ),
        ),
        Case("nodb/db/no-url", None, (step("info"), step("user", "list"))),
        Case(
            "nodb/env/missing-file",
            None,
            (step("--env-file", "@@tmp@@/nope.env", "info"), step("info", "--env-file", "@@tmp@@/nope.env")),
        ),
        Case(
            "nodb/env/bad-values",
            None,
            tuple(step("--env-file", f"@@tmp@@/{n}.env", "info") for n in ("a", "b", "c", "d")),
            files=(
                ("a.env", "LANGFLOW_AUTO_LOGIN=maybe\n"),
                ("b.env", "LANGFLOW_DATABASE_URL=\n"),
                ("c.env", "= no name\n"),
                ("d.env", "LANGFLOW_CONFIG_DIR=@@tmp@@/a.env\n"),
            ),
        ),
    ]


def read_cases(db: str) -> list[Case]:
    """Read-only commands: every form on the 1.13.0 databases, text and JSON on the other SQLite
    releases, JSON alone on the other PostgreSQL ones (rendering does not depend on the backend;
    the SQL does)."""
    level = "full" if db in FULL else "json" if db.startswith("pg-") or db == "sqlite-1.10.3" else "std"
    var = manifest(db)["variables"][0]
    full, std = level == "full", level in ("full", "std")

    def pick(*steps: tuple[str, Step]) -> tuple[Step, ...]:
        return tuple(st for lvl, st in steps if lvl == "json" or (lvl == "std" and std) or (lvl == "full" and full))

    cases = [
        Case(
            f"{db}/read/info",
            db,
            pick(
                ("std", step("info", auth="none")),
                ("json", step("--json", "info", auth="none")),
                ("full", step("-q", "info", "--wide", auth="none")),
                ("full", step("info", auth="key")),
                ("full", step("info", "--langflow-version", "1.6.9", auth="none")),
                ("full", step("info", "--langflow-version", "9.9.9", auth="none")),
            ),
        ),
        Case(
            f"{db}/read/users",
            db,
            pick(
                ("std", step("user", "list")),
                ("json", step("--json", "user", "list")),
                ("full", step("user", "list", "--active", "--quiet")),
                ("full", step("user", "list", "--inactive", "--json")),
                ("full", step("users", "list", "--superusers")),
                ("std", step("user", "show", "alice")),
                ("json", step("user", "show", "alice", "--json")),
                ("std", step("user", "show", "ALICE")),
                ("std", step("user", "show", "nobody")),
                ("full", step("--json", "user", "show", "nobody")),
                ("json", step("user", "export")),
            ),
        ),
        Case(
            f"{db}/read/api-keys",
            db,
            pick(
                ("std", step("api-key", "list")),
                ("std", step("api-key", "list", "--all")),
                ("json", step("--json", "api-key", "list", "--all")),
                ("full", step("api-keys", "list", "--user", "alice")),
                ("full", step("api-key", "list", "--user", "nobody")),
                ("full", step("api-key", "list", "--all", "--user", "alice")),
            ),
        ),
        Case(
            f"{db}/read/secrets",
            db,
            pick(
                ("std", step("secrets", "list")),
                ("json", step("--json", "secrets", "list")),
                ("full", step("secrets", "list", "--user", "alice")),
                ("full", step("secrets", "list", "--type", "credential")),
                ("std", step("secrets", "list", "--type", "generic", "--json")),
                ("full", step("secrets", "list", "--type", "bogus")),
                ("std", step("secrets", "show", var["name"], "--user", var["owner"])),
                ("json", step("--json", "secrets", "show", var["name"], "--user", var["owner"])),
                ("full", step("secrets", "show", "NOPE", "--user", "admin")),
                ("full", step("secrets", "show", var["name"], "--user", "nobody")),
            ),
        ),
        Case(
            f"{db}/read/check-scan",
            db,
            pick(
                ("std", step("secrets", "check")),
                ("json", step("--json", "secrets", "check")),
                ("full", step("-q", "secrets", "check")),
                ("std", step("secrets", "scan-flows")),
                ("json", step("--json", "secrets", "scan-flows")),
                ("full", step("secrets", "scan-flows", "--user", "alice")),
                ("full", step("secrets", "scan-flows", "--dry-run")),
            ),
        ),
        Case(
            f"{db}/read/doctor",
            db,
            pick(
                ("std", step("config", "doctor", auth="none")),
                ("json", step("config", "doctor", "--format", "json", auth="none")),
                ("full", step("config", "doctor", "--format", "sarif", "--fail-on", "critical", auth="none")),
            ),
        ),
    ]
    if level == "json":
        cases.append(
            Case(
                f"{db}/read/auth",
                db,
                (
                    step("user", "list", "--quiet", auth="key-stdin"),
                    step("user", "list", "--quiet", auth="pw-stdin"),
                    step("user", "list", auth="pw-stdin", as_user="alice"),
                    step("user", "list", auth="auto"),
                ),
            )
        )
        return cases
    cases.append(
        Case(
            f"{db}/read/auth",
            db,
            pick(
                ("json", step("user", "list", "--quiet", auth="key-stdin")),
                ("full", step("user", "list", "--quiet", auth="pw")),
                ("json", step("user", "list", "--quiet", auth="pw-stdin")),
                ("full", step("user", "list", "--quiet", auth="pw-stdin", as_user="root2")),
                ("json", step("user", "list", auth="pw-stdin", as_user="alice")),
                ("full", step("user", "list", auth="pw-stdin", as_user="nobody")),
                ("full", step("user", "list", auth="key-stdin", as_user="alice")),
                (
                    "std",
                    step(
                        "user",
                        "list",
                        auth="none",
                        LANGFLOW_AUTO_LOGIN="False",
                        LANGFLOW_SUPERUSER="admin",
                        LANGFLOW_SUPERUSER_PASSWORD="Wrong-pass-123",
                    ),
                ),
                (
                    "full",
                    step("user", "list", auth="none", LANGFLOW_AUTO_LOGIN="False", LANGFLOW_API_KEY="sk-" + "x" * 43),
                ),
                ("full", step("user", "list", auth="none", LANGFLOW_AUTO_LOGIN="False")),
                ("json", step("user", "list", "--quiet", auth="auto")),
                ("full", step("user", "list", auth="auto", as_user="alice")),
                ("std", step("user", "list", auth="none")),
                ("full", step("user", "list", auth="none", LANGFLOW_AUTO_LOGIN="maybe")),
                ("std", step("user", "list", auth="key", LANGFLOW_API_KEY_SOURCE="env")),
                ("full", step("user", "list", "--api-key-stdin", auth="pw-stdin")),
                ("full", step("user", "list", "--as", "root2", auth="key")),
                ("full", step("--json", "user", "list", auth="pw-stdin", as_user="bob")),
                (
                    "full",
                    step(
                        "user",
                        "list",
                        "--auth-password-stdin",
                        auth="none",
                        stdin=Stdin("non-UTF-8 bytes", b"\xff\xfe"),
                    ),
                ),
            ),
        )
    )
    return cases


def write_cases(db: str) -> list[Case]:
    full = db in WRITES_ALL
    man = manifest(db)
    alice_key = next(k for k in man["api_keys"] if k["owner"] == "alice")
    admin_id = next(u["id"] for u in man["users"] if u["username"] == "admin")
    create = ("user", "create", "zed", "--password-stdin")
    core: list[Case] = [
        Case(f"{db}/user/create", db, (step(*create, stdin=PW_NEW), step("user", "show", "zed", "--json"))),
        Case(
            f"{db}/user/create-superuser",
            db,
            (step(*create, "--superuser", "--active", stdin=PW_NEW), step("user", "list", "--superusers")),
            show=(AUDIT,),
        ),
        Case(
            f"{db}/user/create-conflict",
            db,
            (
                step("user", "create", "alice", "--password-stdin", stdin=PW_NEW),
                step("user", "create", "ALICE", "--password-stdin", stdin=PW_NEW),
            ),
        ),
        Case(
            f"{db}/user/activate-promote",
            db,
            (
                step("user", "activate", "bob"),
                step("user", "promote", "alice"),
                step("--json", "user", "demote", "root2"),
                step("user", "deactivate", "carol"),
                step("user", "list"),
            ),
            show=(AUDIT,),
        ),
        Case(
            f"{db}/user/delete",
            db,
            (
                step("user", "delete", "alice", "--yes"),
                step("user", "list"),
                step("api-key", "list", "--all"),
                step("secrets", "list"),
            ),
        ),
        Case(
            f"{db}/user/transfer",
            db,
            (
                step("user", "transfer", "alice", "bob"),
                step("user", "transfer", "alice", "carol", "--dry-run"),
                step("user", "transfer", "alice", "carol"),
                step("user", "delete", "carol", "--transfer-to", "root2", "--yes", "--json"),
                step("user", "show", "root2"),
            ),
        ),
        Case(
            f"{db}/user/set-password",
            db,
            (
                step("user", "set-password", "root2", "--password-stdin", stdin=PW_NEW),
                step(
                    "user",
                    "list",
                    "--quiet",
                    auth="none",
                    LANGFLOW_AUTO_LOGIN="False",
                    LANGFLOW_SUPERUSER="root2",
                    LANGFLOW_SUPERUSER_PASSWORD="Zed-pass-12345",
                ),
            ),
        ),
        Case(f"{db}/api-key/create", db, (step("api-key", "create"), step("api-key", "list"))),
        Case(
            f"{db}/api-key/create-json-for-alice",
            db,
            (
                step("--json", "api-key", "create", "--user", "alice", "--name", "ci"),
                step("api-key", "list", "--user", "alice", "--json"),
            ),
        ),
        Case(
            f"{db}/api-key/expiry",
            db,
            (
                step("api-key", "create", "--expires-in", "30d"),
                step("api-key", "create", "--expires-at", "2031-01-01T12:00:00"),
                step("api-key", "create", "--expires-in", "soon"),
                step("--json", "api-key", "list"),
            ),
        ),
        Case(
            f"{db}/api-key/revoke",
            db,
            (
                step("api-key", "revoke", "alice-key", "--user", "alice"),
                step("api-key", "revoke", alice_key["id"]),
                step("api-key", "revoke", "nope"),
                step("api-key", "list", "--all"),
            ),
        ),
        Case(
            f"{db}/api-key/encrypt-legacy",
            db,
            (
                step("api-key", "encrypt-legacy", "--dry-run"),
                step("--json", "api-key", "encrypt-legacy"),
                step("api-key", "list", "--all"),
            ),
        ),
        Case(
            f"{db}/superuser/authenticated",
            db,
            (
                step("superuser", "--username", "newroot", "--password-stdin", stdin=PW_NEW),
                step("user", "show", "newroot"),
            ),
            show=(AUDIT,),
        ),
        Case(
            f"{db}/superuser/first-setup",
            db,
            (
                step("superuser", "--username", "first", "--password-stdin", stdin=PW_NEW, auth="none"),
                step(
                    "--json",
                    "user",
                    "list",
                    "--superusers",
                    auth="none",
                    LANGFLOW_AUTO_LOGIN="False",
                    LANGFLOW_SUPERUSER="first",
                    LANGFLOW_SUPERUSER_PASSWORD="Zed-pass-12345",
                ),
            ),
            sql=('UPDATE "user" SET is_superuser = false',),
            show=(AUDIT,),
        ),
        Case(
            f"{db}/secrets/set",
            db,
            (
                step("secrets", "set", "NEWVAR", "--user", "alice", "--value-stdin", stdin=Stdin("a value", "v-123\n")),
                step(
                    "--json",
                    "secrets",
                    "set",
                    "OPENAI_API_KEY",
                    "--user",
                    "alice",
                    "--value-stdin",
                    stdin=Stdin("a value", "v-456"),
                ),
                step("secrets", "list", "--user", "alice"),
            ),
        ),
        Case(
            f"{db}/secrets/reveal",
            db,
            (
                step("secrets", "show", "ADMIN_CRED", "--user", "admin", "--reveal"),
                step("--json", "secrets", "show", "ADMIN_CRED", "--user", "admin", "--reveal"),
            ),
            show=(AUDIT,),
        ),
        Case(
            f"{db}/secrets/check-wrong-key",
            db,
            (
                step("secrets", "check", LANGFLOW_SECRET_KEY=OTHER_KEY),
                step("--json", "secrets", "check", LANGFLOW_SECRET_KEY=OTHER_KEY),
            ),
        ),
        Case(
            f"{db}/secrets/rotate-new-key",
            db,
            (
                step("secrets", "rotate", "--new-key-stdin", stdin=Stdin("a fixed new key", "@@new_key@@\n")),
                step("secrets", "check", LANGFLOW_SECRET_KEY=NEW_KEY),
                step("secrets", "list", LANGFLOW_SECRET_KEY=NEW_KEY),
                step("api-key", "list", "--all", LANGFLOW_SECRET_KEY=NEW_KEY),
            ),
        ),
        Case(
            f"{db}/secrets/rotate-generate-dry-run",
            db,
            (
                step("secrets", "rotate", "--generate", "--dry-run"),
                step("--json", "secrets", "rotate", "--generate", "--dry-run"),
            ),
        ),
        Case(
            f"{db}/secrets/rotate-write-env",
            db,
            (
                step("secrets", "rotate", "--generate", "--write-env", "@@tmp@@/server.env", "--verify-all"),
                step("--env-file", "@@tmp@@/server.env", "secrets", "check", "--quiet"),
            ),
            files=(("server.env", "LANGFLOW_DEV=false\nLANGFLOW_SECRET_KEY=@@secret_key@@\n"),),
            modes=(("server.env", 0o640),),
            show=("server.env",),
        ),
        Case(
            f"{db}/secrets/scan-strip",
            db,
            (
                step("secrets", "scan-flows", "--strip", "--dry-run"),
                step("--json", "secrets", "scan-flows", "--strip"),
                step("secrets", "scan-flows"),
            ),
        ),
    ]
    if db not in WRITES_ALL + WRITES_CORE:
        return [c for c in core if c.id.split("/", 1)[1] in PG_CORE]
    if not full:
        return core
    more = [
        Case(f"{db}/user/create-json-active", db, (step("--json", *create, "--active", stdin=PW_NEW),)),
        Case(f"{db}/user/create-quiet", db, (step("-q", *create, stdin=PW_NEW),)),
        Case(
            f"{db}/user/create-password-env",
            db,
            (
                step("user", "create", "zed", "--password-env", "ZPW", ZPW="Zed-pass-12345"),
                step("user", "create", "zoe", "--password-env", "MISSING"),
                step("user", "create", "zoe", "--password-env", "ZPW", "--password-stdin", ZPW="x", stdin=PW_NEW),
            ),
        ),
        Case(
            f"{db}/user/create-bad-input",
            db,
            (
                step(*create, stdin=Stdin("a weak password", "short\n")),
                step(*create),
                step(*create, stdin=Stdin("empty", "")),
                step(*create, stdin=Stdin("non-UTF-8 bytes", b"Zq7\xff\xfeVx9")),
                step("user", "create", "bad name/x", "--password-stdin", stdin=PW_NEW),
                step("user", "create", "", "--password-stdin", stdin=PW_NEW),
                step(*create, stdin=Stdin("a password of 100 characters", "Aa1-" * 25)),
            ),
        ),
        Case(
            f"{db}/user/create-superuser-disabled",
            db,
            (
                step(*create, "--superuser", stdin=PW_NEW, LANGFLOW_ENABLE_SUPERUSER_CLI="false"),
                step("user", "promote", "alice", LANGFLOW_ENABLE_SUPERUSER_CLI="false"),
                step(
                    "superuser",
                    "--username",
                    "x",
                    "--password-stdin",
                    stdin=PW_NEW,
                    LANGFLOW_ENABLE_SUPERUSER_CLI="false",
                ),
            ),
        ),
        Case(
            f"{db}/user/create-new-user-active",
            db,
            (step(*create, stdin=PW_NEW, LANGFLOW_NEW_USER_IS_ACTIVE="true"), step("user", "show", "zed")),
        ),
        Case(
            f"{db}/user/refusals",
            db,
            (
                step("user", "demote", "admin"),
                step("user", "deactivate", "admin"),
                step("user", "delete", "admin", "--yes"),
                step("user", "delete", "carol"),
                step("user", "delete", "nobody", "--yes"),
                step("user", "activate", "alice"),
                step("user", "promote", "root2"),
                step("user", "demote", "carol"),
                step("user", "activate", "nobody"),
                step("--json", "user", "promote", "nobody"),
            ),
        ),
        Case(
            f"{db}/user/last-superuser",
            db,
            (
                step("user", "demote", "root2"),
                step("user", "delete", "root2", "--yes"),
                step("user", "demote", "admin"),
            ),
        ),
        Case(
            f"{db}/user/delete-dry-run",
            db,
            (
                step("user", "delete", "alice", "--dry-run"),
                step("--json", "user", "delete", "alice", "--dry-run"),
                step("--json", "user", "delete", "carol", "--yes"),
            ),
        ),
        Case(
            f"{db}/user/set-password-bad",
            db,
            (
                step("user", "set-password", "alice", "--password-stdin", stdin=Stdin("a weak password", "pw\n")),
                step("user", "set-password", "nobody", "--password-stdin", stdin=PW_NEW),
                step("user", "set-password", "alice"),
                step("--json", "user", "set-password", "alice", "--password-stdin", stdin=PW_NEW),
            ),
        ),
        Case(
            f"{db}/user/manifest",
            db,
            (
                step("user", "diff", "@@tmp@@/m.json"),
                step("--json", "user", "diff", "@@tmp@@/m.json"),
                step("user", "apply", "@@tmp@@/m.json", "--dry-run"),
                step("user", "apply", "@@tmp@@/m.json"),
                step("user", "diff", "@@tmp@@/m.json"),
                step("user", "list"),
            ),
            files=(
                (
                    "m.json",
                    json.dumps(
                        {
                            "apiVersion": "langflow.ai/v1",
                            "kind": "AdminState",
                            "users": [
                                {"id": admin_id, "username": "admin", "state": "active", "superuser": True},
                                {"username": "alice", "state": "active", "superuser": True},
                                {"username": "bob", "state": "active", "superuser": False},
                                {"username": "carol", "state": "disabled", "superuser": False},
                                {"username": "root2", "state": "active", "superuser": True},
                            ],
                        },
                        indent=2,
                    ),
                ),
            ),
            show=(AUDIT,),
        ),
        Case(
            f"{db}/user/manifest-bad",
            db,
            (
                step("user", "diff", "@@tmp@@/bad.json"),
                step("user", "apply", "@@tmp@@/missing.json"),
                step("user", "diff", "@@tmp@@/wrong.json"),
                step("user", "apply", "@@tmp@@/work"),
            ),
            files=(("bad.json", "{not json"), ("wrong.json", '{"apiVersion": "v0", "users": 3}')),
        ),
        Case(
            f"{db}/api-key/create-quiet-named",
            db,
            (
                step("-q", "api-key", "create", "--name", "ci-42"),
                step("api-key", "create", "--user", "nobody"),
                step("api-key", "create", "--expires-in", "30d", "--expires-at", "2031-01-01"),
                step("api-key", "create", "--expires-at", "2001-01-01"),
                step("api-key", "revoke", "ci-42"),
                step("api-key", "revoke", "admin-key", "--user", "nobody"),
            ),
        ),
        Case(
            f"{db}/api-key/prune",
            db,
            (
                step("api-key", "prune", "--unused-for", "3650d", "--dry-run"),
                step("api-key", "prune", "--unused-for", "1d", "--dry-run"),
                step("--json", "api-key", "prune", "--unused-for", "1d", "--dry-run"),
                step("api-key", "prune", "--unused-for", "1d", LANGFLOW_DISABLE_TRACK_APIKEY_USAGE="true"),
                step("api-key", "prune", "--unused-for", "forever"),
                step("api-key", "prune", "--unused-for", "1d"),
                step("api-key", "list", "--all", auth="pw"),
            ),
        ),
        Case(
            f"{db}/superuser/conflicts",
            db,
            (
                step("superuser", "--username", "alice", "--password-stdin", stdin=PW_NEW),
                step("superuser", "--password-stdin", stdin=PW_NEW),
                step(
                    "superuser",
                    "--password-stdin",
                    stdin=PW_NEW,
                    LANGFLOW_SUPERUSER="viaenv",
                    LANGFLOW_API_KEY="@@apikey:admin@@",
                ),
                step("superuser", "--username", "x", auth="none"),
            ),
        ),
        Case(
            f"{db}/superuser/break-glass",
            db,
            (
                step(
                    "superuser", "--break-glass", "--username", "rescue", "--password-stdin", stdin=PW_NEW, auth="none"
                ),
                step(
                    "superuser",
                    "--break-glass",
                    "--reason",
                    "every password lost",
                    "--secret-key-file",
                    "@@tmp@@/sk",
                    "--username",
                    "rescue",
                    "--password-stdin",
                    stdin=PW_NEW,
                    auth="none",
                    LANGFLOW_ENABLE_SUPERUSER_CLI="true",
                    LANGFLOW_AUTO_LOGIN="False",
                ),
                step(
                    "superuser",
                    "--break-glass",
                    "--reason",
                    "lost",
                    "--secret-key-file",
                    "@@tmp@@/wrong",
                    "--username",
                    "rescue2",
                    "--password-stdin",
                    stdin=PW_NEW,
                    auth="none",
                    LANGFLOW_ENABLE_SUPERUSER_CLI="true",
                    LANGFLOW_AUTO_LOGIN="False",
                ),
            ),
            files=(("sk", "@@secret_key@@"), ("wrong", "@@other_key@@")),
            show=(AUDIT,),
        ),
        Case(
            f"{db}/secrets/set-generic-fields",
            db,
            (
                step(
                    "secrets",
                    "set",
                    "G1",
                    "--user",
                    "bob",
                    "--type",
                    "generic",
                    "--field",
                    "api_key",
                    "--field",
                    "token",
                    "--value-stdin",
                    stdin=Stdin("a value", "g\n"),
                ),
                step("--json", "secrets", "show", "G1", "--user", "bob"),
                step("secrets", "set", "G2", "--user", "nobody", "--value-stdin", stdin=Stdin("a value", "g\n")),
                step("secrets", "set", "G3", "--user", "bob"),
                step(
                    "secrets",
                    "set",
                    "G4",
                    "--user",
                    "bob",
                    "--type",
                    "bogus",
                    "--value-stdin",
                    stdin=Stdin("a value", "g\n"),
                ),
                step("secrets", "set", "G5", "--user", "bob", "--value-stdin", stdin=Stdin("empty", "")),
            ),
        ),
        Case(
            f"{db}/secrets/delete",
            db,
            (
                step("secrets", "delete", "MY_GEN", "--user", "alice"),
                step("--json", "secrets", "delete", "ADMIN_CRED", "--user", "admin"),
                step("secrets", "delete", "MY_GEN", "--user", "alice"),
                step("secrets", "list"),
            ),
        ),
        Case(
            f"{db}/secrets/no-key",
            db,
            (
                step("secrets", "check", LANGFLOW_SECRET_KEY="@@unset@@"),
                step("secrets", "list", LANGFLOW_SECRET_KEY="@@unset@@"),
                step("secrets", "check", LANGFLOW_SECRET_KEY="@@unset@@"),
                step("info", auth="none", LANGFLOW_SECRET_KEY="@@unset@@"),
            ),
            files=(("config/secret_key", "@@secret_key@@"),),
        ),
        Case(
            f"{db}/secrets/rotate-json-old-key",
            db,
            (
                step(
                    "--json",
                    "secrets",
                    "rotate",
                    "--old-key-stdin",
                    "--new-key-stdin",
                    stdin=Stdin("old key then new key", "@@secret_key@@\n@@new_key@@\n"),
                ),
                step("--json", "secrets", "check", LANGFLOW_SECRET_KEY=NEW_KEY),
            ),
        ),
        Case(
            f"{db}/secrets/rotate-bad",
            db,
            (
                step("secrets", "rotate"),
                step("secrets", "rotate", "--new-key-stdin", stdin=Stdin("a short key", "short\n")),
                step(
                    "secrets",
                    "rotate",
                    "--generate",
                    "--new-key-stdin",
                    stdin=Stdin("a fixed new key", "@@new_key@@\n"),
                ),
                step(
                    "secrets",
                    "rotate",
                    "--old-key-stdin",
                    "--new-key-stdin",
                    stdin=Stdin("wrong old key then new key", "@@other_key@@\n@@new_key@@\n"),
                ),
                step(
                    "secrets",
                    "rotate",
                    "--new-key-stdin",
                    stdin=Stdin("a fixed new key", "@@new_key@@\n"),
                    LANGFLOW_SECRET_KEY=OTHER_KEY,
                ),
                step(
                    "secrets",
                    "rotate",
                    "--new-key-stdin",
                    "--skip-undecryptable",
                    "--dry-run",
                    stdin=Stdin("a fixed new key", "@@new_key@@\n"),
                    LANGFLOW_SECRET_KEY=OTHER_KEY,
                ),
            ),
        ),
        Case(
            f"{db}/secrets/rotate-config-dir",
            db,
            (
                step("secrets", "rotate", "--generate", "--write-config-dir"),
                step("secrets", "check", "--quiet", LANGFLOW_SECRET_KEY="@@unset@@"),
            ),
            files=(("config/secret_key", "@@secret_key@@"),),
            show=("config/secret_key",),
        ),
        Case(f"{db}/secrets/rotate-generate-stdout", db, (step("secrets", "rotate", "--generate"),)),
        Case(
            f"{db}/secrets/generate-with-db",
            db,
            (
                step("secrets", "generate", "--write-config-dir"),
                step("--env-file", "@@tmp@@/e.env", "secrets", "generate", "--write-env", "@@tmp@@/e.env"),
            ),
            files=(("config/secret_key", "@@secret_key@@"), ("e.env", "LANGFLOW_SECRET_KEY=@@secret_key@@\n")),
            show=("config/secret_key", "e.env"),
        ),
        Case(
            f"{db}/secrets/scan-strip-user",
            db,
            (
                step("secrets", "scan-flows", "--strip", "--user", "bob"),
                step("secrets", "scan-flows", "--user", "nobody"),
            ),
        ),
        Case(
            f"{db}/env/env-file-auth",
            db,
            (
                step("--env-file", "@@tmp@@/lf.env", "user", "list", "--quiet", auth="none"),
                step("user", "list", "--env-file", "@@tmp@@/lf.env", "--json", auth="none", LANGFLOW_SUPERUSER="alice"),
                step("--env-file", "@@tmp@@/bad.env", "user", "list", auth="none"),
            ),
            files=(
                (
                    "lf.env",
                    "LANGFLOW_AUTO_LOGIN=False\nLANGFLOW_SUPERUSER=root2\nLANGFLOW_SUPERUSER_PASSWORD=@@pw:root2@@\n",
                ),
                ("bad.env", "LANGFLOW_AUTO_LOGIN=False\nLFADMIN_AUDIT_LOG=/tmp/x\nbroken line\n"),
            ),
        ),
        Case(
            f"{db}/env/audit-log-env",
            db,
            (
                step("user", "promote", "alice", LFADMIN_AUDIT_LOG="@@tmp@@/audit.jsonl"),
                step("user", "promote", "carol", LFADMIN_AUDIT_LOG="@@tmp@@/work"),
            ),
            show=("audit.jsonl",),
        ),
        Case(
            f"{db}/db/schema-pins",
            db,
            (
                step("user", "create", "zed", "--password-stdin", "--langflow-version", "1.6.9", stdin=PW_NEW),
                step("user", "list", "--langflow-version", "2.0.0"),
                step("--force-unknown-schema", "user", "list"),
                step("user", "list", "--langflow-version", "banana"),
            ),
        ),
    ]
    return core + more


def build_cases() -> list[Case]:
    cases = help_cases() + doctor_cases() + nodb_cases()
    for db in ALL_DBS:
        cases += read_cases(db)
        if db != "sqlite-1.10.3":
            cases += write_cases(db)
    ids = [c.id for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate case ids: {sorted(dupes)}")
    return cases
