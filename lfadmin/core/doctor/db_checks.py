"""Checks on the database (read-only, one transaction): users, API keys, secrets, flows.

Bounded work: bcrypt (~0.25 s a verification at cost 12) runs only for the configured
superuser, users named ``langflow`` and superusers, at most ``MAX_BCRYPT`` verifications, in a
thread pool (bcrypt releases the GIL); everything else is one aggregate query per check, so
100k users and keys cost a few seconds. Findings carry counts and a few examples, never values.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lfadmin.core.doctor.context import EnvContext, evidence
from lfadmin.core.doctor.history_checks import run_history
from lfadmin.core.doctor.key_checks import VerifyingKeyring
from lfadmin.core.doctor.model import Evidence, Finding, Severity, register
from lfadmin.core.secrets.flow_scan import scan_flows
from lfadmin.core.secrets.inventory import counted, inventory
from lfadmin.db import execute
from lfadmin.langflow.codec import utcnow
from lfadmin.langflow.crypto import verify_password
from lfadmin.langflow.settings import DEFAULT_SUPERUSER, LEGACY_DEFAULT_PASSWORD

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

    from lfadmin.core.session import Progress, Session

C, H, M, L, INFO = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO
MAX_BCRYPT = 8
MAX_CANDIDATES = 200
UNUSED_DAYS = 90
SAMPLE = 10

DB_DEFAULT_PASSWORD = register(
    "LF-DB-001",
    C,
    "An active user still has the password `langflow`",
    """An active user (typically the auto-login account `langflow` of a 1.6-born database) whose
    bcrypt hash verifies `langflow`. It survives switching AUTO_LOGIN off once the UI was opened,
    and survives upgrades. Checked for the configured superuser, users named langflow and all
    superusers only.""",
    scope="database",
    references=("docs/langflow/auth.md §3",),
)
DB_SHARED_PASSWORD = register(
    "LF-DB-002",
    H,
    "Another privileged user has the configured superuser password",
    """A superuser or `langflow` account other than LANGFLOW_SUPERUSER whose password is
    LANGFLOW_SUPERUSER_PASSWORD: whoever reads the .env can sign in as it too.""",
    scope="database",
)
DB_NO_SUPERUSER = register(
    "LF-DB-003",
    M,
    "No active superuser",
    """Nobody can administer users in multi-user mode. From 1.10 Langflow creates
    LANGFLOW_SUPERUSER at its next start; `lfadmin superuser` can create one now.""",
    scope="database",
)
DB_EXTRA_SUPERUSERS = register(
    "LF-DB-004",
    L,
    "Active superusers besides the configured one",
    """Every superuser can read and change everything. Superusers other than LANGFLOW_SUPERUSER
    (and `langflow` under AUTO_LOGIN) should be deliberate.""",
    scope="database",
)
DB_DEFAULT_USER_DELETED = register(
    "LF-DB-005",
    M,
    "Langflow will delete or retire the never-used default superuser",
    """With AUTO_LOGIN off, Langflow removes a superuser named exactly `langflow` that never
    logged in at every start (1.6/1.10 delete it with its API keys and variables; 1.13 deletes
    it if it owns nothing, else deactivates it).""",
    scope="database",
    references=("docs/langflow/auth.md §3",),
)
DB_DEFAULT_USER_KEPT = register(
    "LF-DB-006",
    M,
    "The default superuser `langflow` survives with AUTO_LOGIN off",
    """A `langflow` superuser that ever logged in (auto-login sets last_login_at) is never
    removed by Langflow: it stays active with its old password and API keys. 1.13 retired
    accounts are reported as info.""",
    scope="database",
    references=("docs/langflow/auth.md §3",),
)
DB_UNUSED_KEYS = register(
    "LF-DB-007",
    L,
    f"API keys unused for {UNUSED_DAYS} days",
    """Keys nobody used for a quarter (or never) are forgotten credentials; revoke them.""",
    scope="database",
)
DB_INACTIVE_OWNER_KEYS = register(
    "LF-DB-008",
    L,
    "API keys of inactive users",
    """Langflow refuses keys of inactive users, but they work again the moment the user is
    reactivated.""",
    scope="database",
)
DB_PLAINTEXT_KEYS = register(
    "LF-DB-009",
    M,
    "API keys stored in plaintext",
    """Langflow ≤1.7 stores API keys in plaintext, and no migration encrypts them later: anyone
    who reads the database or a backup can use them.""",
    scope="database",
    references=("docs/langflow/crypto.md §5",),
)
DB_INACTIVE_KEYS_WORK = register(
    "LF-DB-010",
    H,
    "Deactivated API keys still authenticate",
    """Before 1.10 Langflow ignores apikey.is_active: a key marked inactive still works. Delete
    such keys instead.""",
    scope="database",
    references=("docs/langflow/crypto.md §4",),
)
DB_UNDECRYPTABLE = register(
    "LF-DB-011",
    H,
    "Stored secrets do not decrypt under the current key",
    """Values Langflow encrypted with another secret key: the server reads them as blank
    credentials (1.10+) or errors (1.6). Same inventory as `lfadmin secrets check`, knowledge-base
    sidecar keys included (not on 1.13, which never decrypts them).""",
    scope="database",
    references=("docs/langflow/crypto.md §2", "docs/langflow/crypto.md §7"),
)
DB_FLOW_SECRETS = register(
    "LF-DB-012",
    M,
    "Literal secrets in flows",
    """API keys, passwords and tokens typed into component fields are stored in the flow JSON
    (and exported with it in some paths). Same heuristics as `lfadmin secrets scan-flows`.""",
    scope="database",
    references=("docs/langflow/flows.md §3",),
)
DB_USERNAME_TWINS = register(
    "LF-DB-013",
    H,
    "Usernames that differ only in case",
    """Langflow 1.13 adds a unique index on lower(username) and aborts its startup migration
    when such twins exist ("Cannot enforce case-insensitive username uniqueness").""",
    scope="database",
    references=("docs/langflow/schema.md §3",),
)
DB_ORPHANS = register(
    "LF-DB-014",
    L,
    "Rows pointing at deleted users",
    """SQLite never enforces Langflow's foreign keys: API keys, variables, folders, flows or
    files can outlive their user.""",
    scope="database",
    references=("docs/langflow/schema.md §9",),
)


@dataclass
class DbResult:
    findings: list[Finding]
    facts: dict[str, Any]
    notes: list[str]


def _db(variable: str, value: str) -> Evidence:
    return Evidence(variable, value, "database")


def run(s: Session, ctx: EnvContext, progress: Progress | None = None) -> DbResult:
    """Every database check; ``progress`` hears after each part (the password checks last)."""
    from concurrent.futures import ThreadPoolExecutor

    res = DbResult([], {}, [])
    t = s.codec.boolean(True)
    res.facts["active_non_superusers"] = int(
        execute(s.conn, 'SELECT COUNT(*) FROM "user" WHERE is_active = :t AND is_superuser <> :t', t=t).scalar_one()
    )
    # bcrypt releases the GIL: the password checks run in threads while the queries run here.
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        pending = _password_jobs(s, ctx, res, pool)
        parts = (_superusers, _default_user, _api_keys, _secrets, _flows, _twins, _orphans, _run_history)
        for done, part in enumerate(parts, 1):
            res.findings.extend(part(s, ctx, res))
            if progress:
                progress("database checks", done, len(parts) + 1)
        res.findings.extend(_password_findings(ctx, pending))
        if progress:
            progress("database checks", len(parts) + 1, len(parts) + 1)
    return res


# -- users ------------------------------------------------------------------------------------


@dataclass
class _Pending:
    jobs: list[tuple[str, str]]  # (username, "legacy" | "shared")
    outcome: dict[tuple[str, str], Future[bool]]  # (hash, which) -> verification
    hashes: dict[str, str]  # username -> hash


def _password_jobs(s: Session, ctx: EnvContext, res: DbResult, pool: Executor) -> _Pending:
    c = s.codec
    configured = str(ctx.value("SUPERUSER"))
    found = execute(
        s.conn,
        'SELECT username, password FROM "user" '
        "WHERE is_active = :t AND (is_superuser = :t OR lower(username) = :lf OR username = :su) "
        "ORDER BY username",
        t=c.boolean(True),
        lf=DEFAULT_SUPERUSER,
        su=configured,
    )
    rows = list(found.fetchmany(MAX_CANDIDATES))
    pw = ctx.get("SUPERUSER_PASSWORD")
    shared = pw.value if not pw.is_default and pw.value not in ("", LEGACY_DEFAULT_PASSWORD) else None
    # Priority: `langflow` on every candidate first (critical), then the shared password; the
    # configured superuser, then users named langflow, then the other superusers.
    rows.sort(key=lambda r: (r[0] != configured, r[0].lower() != DEFAULT_SUPERUSER, r[0]))
    jobs = [(r[0], "legacy") for r in rows]
    if shared is not None:
        jobs += [(r[0], "shared") for r in rows if r[0] != configured]
    if len(jobs) > MAX_BCRYPT:
        res.notes.append(
            f"password checks limited to {MAX_BCRYPT} bcrypt verifications "
            f"({len(jobs)} candidates: {len(rows)} privileged users)"
        )
        jobs = jobs[:MAX_BCRYPT]
    hashes = {r[0]: r[1] for r in rows}
    outcome: dict[tuple[str, str], Future[bool]] = {}
    for name, which in jobs:
        key = (hashes[name], which)
        if key not in outcome:  # the same hash verified once (copied accounts share hashes)
            password = LEGACY_DEFAULT_PASSWORD if which == "legacy" else str(shared)
            outcome[key] = pool.submit(verify_password, password, hashes[name])
    return _Pending(jobs, outcome, hashes)


def _password_findings(ctx: EnvContext, pending: _Pending) -> Iterator[Finding]:
    auto = ctx.auto_login()
    configured = str(ctx.value("SUPERUSER"))
    pw = ctx.get("SUPERUSER_PASSWORD")
    for name, which in pending.jobs:
        if not pending.outcome[(pending.hashes[name], which)].result():
            continue
        if which == "legacy":
            yield Finding(
                DB_DEFAULT_PASSWORD,
                H if auto else C,
                f"active user {name!r} signs in with the password `langflow`"
                + (
                    " (AUTO_LOGIN is on, so the server is open anyway)"
                    if auto
                    else "; AUTO_LOGIN is off, so this is the way in"
                ),
                [_db(f"user:{name}", "active, password `langflow`")],
                hint=f"lfadmin user set-password {name} --password-stdin  (or lfadmin user deactivate {name})",
            )
        else:
            yield Finding(
                DB_SHARED_PASSWORD,
                H,
                f"user {name!r} has the same password as LANGFLOW_SUPERUSER_PASSWORD (superuser {configured!r})",
                [_db(f"user:{name}", "active, password = LANGFLOW_SUPERUSER_PASSWORD"), evidence(pw)],
                hint=f"lfadmin user set-password {name} --password-stdin",
            )


def _superusers(s: Session, ctx: EnvContext, res: DbResult) -> Iterator[Finding]:
    t = s.codec.boolean(True)
    names = [
        r[0]
        for r in execute(
            s.conn, 'SELECT username FROM "user" WHERE is_active = :t AND is_superuser = :t ORDER BY username', t=t
        )
    ]
    res.facts["active_superusers"] = len(names)
    configured = str(ctx.value("SUPERUSER"))
    if not names:
        if ctx.auto_login():
            return  # Langflow creates the auto-login superuser at its next start
        yield Finding(
            DB_NO_SUPERUSER,
            M,
            "the database has no active superuser"
            + ("; Langflow creates LANGFLOW_SUPERUSER at its next start" if ctx.tier >= 1 else ""),
            [_db("user", "0 active superusers")],
            hint=f"lfadmin superuser {configured} --password-stdin",
        )
        return
    expected = {configured} | ({DEFAULT_SUPERUSER} if ctx.auto_login() else set())
    extra = [n for n in names if n not in expected]
    if extra and len(names) > 1:
        yield Finding(
            DB_EXTRA_SUPERUSERS,
            L,
            f"{len(names)} active superusers; besides {configured!r}: {', '.join(extra[:SAMPLE])}"
            + (" …" if len(extra) > SAMPLE else ""),
            [_db("user", f"{len(names)} active superusers")],
            details={"active_superusers": len(names), "unexpected": extra[:SAMPLE]},
            hint="demote the ones that should not be: lfadmin user demote NAME",
        )


def _default_user(s: Session, ctx: EnvContext, res: DbResult) -> Iterator[Finding]:
    if ctx.auto_login():
        return
    retired = ", retired_at" if s.schema.user_retired_at else ""
    row = execute(
        s.conn,
        f'SELECT id, is_active, is_superuser, last_login_at{retired} FROM "user" WHERE username = :u',
        u=DEFAULT_SUPERUSER,
    ).first()
    if row is None or not s.codec.read_bool(row[2]):
        return
    active, last_login = s.codec.read_bool(row[1]), s.codec.read_datetime(row[3])
    retired_at = s.codec.read_datetime(row[4]) if retired else None
    keys = int(execute(s.conn, "SELECT COUNT(*) FROM apikey WHERE user_id = :i", i=row[0]).scalar_one())
    state = "active" if active else "inactive"
    ev = [_db("user:langflow", f"superuser, {state}, last login {_fmt(last_login)}")]
    if retired_at is not None:
        yield Finding(
            DB_DEFAULT_USER_KEPT,
            INFO,
            f"the default superuser 'langflow' was retired by Langflow on {retired_at:%Y-%m-%d} "
            f"(inactive, {keys} API key(s) kept)",
            ev,
            hint="delete it once its data is handed over: lfadmin user delete langflow",
        )
        return
    if last_login is None:
        claim = ctx.tier >= 2 and ctx.value("SUPERUSER") == DEFAULT_SUPERUSER and ctx.value("SUPERUSER_PASSWORD")
        if claim:
            return  # 1.13 claims it for LANGFLOW_SUPERUSER=langflow (§6.3 step 2)
        what = "delete it (or, on 1.13, deactivate it if it owns rows)" if ctx.tier >= 2 else "delete it"
        yield Finding(
            DB_DEFAULT_USER_DELETED,
            M,
            f"'langflow' is a superuser that never logged in and AUTO_LOGIN is off: Langflow will {what} "
            f"at its next start, with its {keys} API key(s)",
            ev,
            hint="if it is in use, sign in once as it or move its flows and keys to a real account first",
        )
        return
    if active:
        yield Finding(
            DB_DEFAULT_USER_KEPT,
            M,
            f"'langflow' is an active superuser that logged in before (last {last_login:%Y-%m-%d}); "
            "with AUTO_LOGIN off "
            f"Langflow keeps it, with its password and {keys} API key(s)",
            ev,
            hint="lfadmin user deactivate langflow  (or set a strong password for it)",
        )


# -- API keys ---------------------------------------------------------------------------------


def _key_sample(s: Session, where: str, **params: Any) -> list[str]:
    rows = execute(
        s.conn,
        'SELECT apikey.name, "user".username FROM apikey LEFT JOIN "user" ON "user".id = apikey.user_id '
        f"WHERE {where} LIMIT {SAMPLE}",  # any ten: sorting 100k rows for examples is not worth it
        **params,
    )
    return [f"{r[0] or '(unnamed)'} ({r[1] or 'no owner'})" for r in rows]


def _api_keys(s: Session, ctx: EnvContext, res: DbResult) -> Iterator[Finding]:
    c = s.codec
    t, f = c.boolean(True), c.boolean(False)
    cutoff = c.datetime(utcnow() - timedelta(days=UNUSED_DAYS))
    unused_where = "(apikey.last_used_at < :cut OR (apikey.last_used_at IS NULL AND apikey.created_at < :cut))"
    n = int(execute(s.conn, f"SELECT COUNT(*) FROM apikey WHERE {unused_where}", cut=cutoff).scalar_one())
    if n:
        yield Finding(
            DB_UNUSED_KEYS,
            L,
            f"{n} API key(s) not used for {UNUSED_DAYS} days or never used",
            [_db("apikey", f"{n} unused keys")],
            details={"count": n, "examples": _key_sample(s, unused_where, cut=cutoff)},
            hint="list them with `lfadmin api-key list` and revoke what nobody needs",
        )
    inactive_owner = 'apikey.user_id IN (SELECT id FROM "user" WHERE is_active = :f)'
    n = int(execute(s.conn, f"SELECT COUNT(*) FROM apikey WHERE {inactive_owner}", f=f).scalar_one())
    if n:
        yield Finding(
            DB_INACTIVE_OWNER_KEYS,
            L,
            f"{n} API key(s) belong to inactive users",
            [_db("apikey", f"{n} keys of inactive users")],
            details={"count": n, "examples": _key_sample(s, inactive_owner, f=f)},
            hint="revoke them, or they work again when the user is reactivated",
        )
    plain = "apikey.api_key NOT LIKE 'gAAAAA%'"
    n = int(execute(s.conn, f"SELECT COUNT(*) FROM apikey WHERE {plain}").scalar_one())
    if n:
        by_design = not s.schema.api_keys_hashed and s.schema.hi < (1, 8, 0)
        yield Finding(
            DB_PLAINTEXT_KEYS,
            M,
            f"{n} API key(s) are stored in plaintext in apikey.api_key"
            + (
                f" (Langflow {s.schema.release_label} stores them that way)"
                if by_design
                else " (legacy rows from Langflow ≤1.7; no migration encrypts them)"
            ),
            [_db("apikey.api_key", f"{n} plaintext values")],
            details={"count": n, "examples": _key_sample(s, plain)},
            hint="restrict access to the database and its backups"
            + (
                "; upgrading Langflow does not encrypt them: re-issue the keys after upgrading"
                if by_design
                else "; re-issue these keys (lfadmin api-key create / revoke)"
            ),
        )
    if not s.schema.api_key_expiry:
        n = int(execute(s.conn, "SELECT COUNT(*) FROM apikey WHERE is_active = :f", f=f).scalar_one())
        if n:
            yield Finding(
                DB_INACTIVE_KEYS_WORK,
                H,
                f"{n} API key(s) are marked inactive, but Langflow {s.schema.release_label} ignores "
                "is_active: they still authenticate",
                [_db("apikey.is_active", f"{n} inactive keys")],
                details={"count": n, "examples": _key_sample(s, "apikey.is_active = :f", f=f)},
                hint="delete them: lfadmin api-key revoke ...",
            )
    del t


# -- secrets and flows ------------------------------------------------------------------------


def _secrets(s: Session, ctx: EnvContext, res: DbResult) -> Iterator[Finding]:
    key = s.settings.secret_key()
    if key is None:
        res.notes.append("stored secrets not checked: no secret key (LF-SECRET-001)")
        return
    # `lfadmin secrets check`'s inventory (every store of docs/langflow/crypto.md §7, judged as the release
    # reads it), with a keyring that verifies tokens instead of decrypting them (key_checks.py).
    reports = counted(inventory(s, VerifyingKeyring(key.value, s.schema.encrypt_derivation(key.value))))
    stores = {r.store: r.counts["undecryptable"] for r in reports if r.counts.get("undecryptable")}
    bad = sum(stores.values())
    if not bad:
        return
    examples = [e for r in reports for e in r.examples.get("undecryptable", [])][:SAMPLE]
    yield Finding(
        DB_UNDECRYPTABLE,
        H,
        f"{bad} stored value(s) do not decrypt under the secret key in effect ({key.source}): "
        + ", ".join(f"{k} {v}" for k, v in stores.items()),
        [_db(k, f"{v} undecryptable") for k, v in stores.items()],
        details={"count": bad, "stores": stores, "examples": examples},
        hint="run `lfadmin secrets check` for the full inventory; find the old key and `lfadmin secrets rotate`",
    )


def _flows(s: Session, ctx: EnvContext, res: DbResult) -> Iterator[Finding]:
    # the scan of `lfadmin secrets scan-flows`
    found = scan_flows(s)
    if not found:
        return
    flows = {(f.table, f.flow_id) for f in found}
    examples = []
    for f in found[:SAMPLE]:
        where = f"{f.table} {f.flow_name or f.flow_id!s} ({f.owner or 'no owner'})"
        examples.append(f"{where}: {f.node} / {f.field} [{f.reason}]")
    yield Finding(
        DB_FLOW_SECRETS,
        M,
        f"{len(found)} literal secret value(s) in {len(flows)} flow(s)/flow version(s) (values not shown)",
        [_db("flow.data", f"{len(found)} secret values in {len(flows)} flows")],
        details={"count": len(found), "flows": len(flows), "examples": examples},
        fix="LANGFLOW_REMOVE_API_KEYS=true",
        hint="see `lfadmin secrets scan-flows`; move them to Credential global variables "
        "(`lfadmin secrets scan-flows --strip` clears them) and rotate keys that were shared",
    )


# -- integrity --------------------------------------------------------------------------------


def _twins(s: Session, ctx: EnvContext, res: DbResult) -> Iterator[Finding]:
    rows = execute(
        s.conn, 'SELECT lower(username), COUNT(*) FROM "user" GROUP BY lower(username) HAVING COUNT(*) > 1 ORDER BY 1'
    ).fetchmany(SAMPLE)
    if not rows:
        return
    groups = []
    for low, _n in rows:
        same = execute(s.conn, 'SELECT username FROM "user" WHERE lower(username) = :l ORDER BY username', l=low)
        names = [r[0] for r in same]
        groups.append(" / ".join(names))
    upgrade = s.schema.hi < (1, 13, 0)
    yield Finding(
        DB_USERNAME_TWINS,
        H if upgrade else M,
        f"{len(rows)} username(s) exist in several cases: {'; '.join(groups)}"
        + ("; upgrading to Langflow 1.13 will abort at startup" if upgrade else ""),
        [_db("user.username", g) for g in groups],
        details={"groups": groups},
        hint="rename or merge one of each pair before upgrading: lfadmin user rename OLD NEW",
    )


_OWNED = ("apikey", "variable", "folder", "flow", "file")


def _orphans(s: Session, ctx: EnvContext, res: DbResult) -> Iterator[Finding]:
    counts: dict[str, int] = {}
    for table in _OWNED:
        if not s.schema.has(table):
            continue
        n = int(
            execute(
                s.conn,
                f'SELECT COUNT(*) FROM "{table}" t WHERE t.user_id IS NOT NULL AND NOT EXISTS '
                '(SELECT 1 FROM "user" u WHERE u.id = t.user_id)',
            ).scalar_one()
        )
        if n:
            counts[table] = n
    if counts:
        yield Finding(
            DB_ORPHANS,
            M if "apikey" in counts or "variable" in counts else L,
            "rows owned by users that no longer exist: " + ", ".join(f"{t} {n}" for t, n in counts.items()),
            [_db(f"{t}.user_id", f"{n} orphan rows") for t, n in counts.items()],
            details={"tables": counts},
            hint="delete them, or hand the flows to a real user",
        )


def _run_history(s: Session, ctx: EnvContext, res: DbResult) -> Iterator[Finding]:
    return run_history(s, ctx)  # its own module: docs/langflow/run-history.md §2


def _fmt(d: datetime | None) -> str:
    return d.strftime("%Y-%m-%d") if d else "never"
