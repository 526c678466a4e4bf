"""The database rules about accounts and rows: case twins (LF-UPG-001), the legacy password
(005), the default superuser (006), knowledge bases (014), foreign-key orphans (016), the
1.10.3 replay (018), SQLite inside the package (019), webhooks (021), SSO secrets (027);
``database_rules`` runs them all, with the stored-value rules of ``value_rules``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from lfadmin.core.doctor.model import Evidence
from lfadmin.core.secrets.stores import table_columns
from lfadmin.core.upgrade.model import Found, Settings, make_finding, setting_ev
from lfadmin.core.upgrade.rules import (
    ERROR,
    EXAMPLES,
    INFO,
    R001,
    R005,
    R006,
    R014,
    R016,
    R018,
    R019,
    R021,
    R027,
    V1_9,
    V1_13,
    WARNING,
    Jump,
    any_patch,
)
from lfadmin.core.upgrade.value_rules import api_keys, encrypted_values, generic_variables
from lfadmin.db import execute
from lfadmin.langflow.crypto import is_sso_envelope, verify_password
from lfadmin.langflow.settings import DEFAULT_SUPERUSER, LEGACY_DEFAULT_PASSWORD

if TYPE_CHECKING:
    from lfadmin.core.session import Session


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
    yield from generic_variables(s, st, jump)
    yield from api_keys(s, jump)
    yield from encrypted_values(s, st, jump)
    yield from _knowledge_bases(s, st, jump)
    yield from _orphans(s, jump)
    yield from _webhooks(s, st, jump)
    yield from _sso_secrets(s, jump)
    if R018.applies(jump) and jump.revision == "d49cbced8696":
        yield make_finding(
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
    yield make_finding(
        R001,
        f"{len(groups)} group{'s' if len(groups) > 1 else ''} of usernames differ only in case ({names}): "
        f"Langflow {jump.to_label}'s migration 1d28fd31a982 aborts the upgrade and leaves the database "
        "half-migrated.",
        evidence,
        f"lfadmin user rename {first} NEW-NAME",
        "before the upgrade" + (f", for each of: {', '.join(renames)}" if len(renames) > 1 else "")
        + f"; or `lfadmin user delete {first} --transfer-to OTHER`",
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
        yield make_finding(
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
    keep_hint = ("it sets last_login_at as Langflow's own preflight advises; run it before the new release "
                 "starts")
    if jump.to < V1_13:
        if total:
            yield make_finding(
                R006, f"Langflow {jump.to_label} deletes the superuser 'langflow' at its first start, and with "
                f"it what it owns ({what}); on PostgreSQL the start may fail instead "
                "(Could not remove default superuser).", ev, keep, keep_hint, owned=owned)
        else:
            yield make_finding(R006, f"Langflow {jump.to_label} deletes the unused superuser 'langflow' (it owns "
                           "nothing).", ev, None, severity=INFO)
        return
    claimed = st.superuser.raw == DEFAULT_SUPERUSER and st.password is not None
    if not total:
        yield make_finding(R006, f"Langflow {jump.to_label} deletes the unused superuser 'langflow' (it owns "
                       "nothing).", ev, None, severity=INFO)
    elif not claimed:
        yield make_finding(
            R006, f"with AUTO_LOGIN off, Langflow {jump.to_label} retires the superuser 'langflow' (deactivated; its "
            f"API keys stop working) unless LANGFLOW_SUPERUSER=langflow with a password claims it; it owns {what}.",
            ev, "LANGFLOW_SUPERUSER=langflow",
            "with LANGFLOW_SUPERUSER_PASSWORD to claim it instead; or " + keep,
            severity=WARNING, owned=owned)


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
    yield make_finding(
        R014, f"{len(legacy) or rows} knowledge base{'s' if (len(legacy) or rows) > 1 else ''} "
        f"will be migrated by Langflow {jump.to_label}'s first start, only with one worker on local disk; "
        "the legacy folders stay as the rollback source and must not change afterwards.",
        ev, f"cp -a {where_} {where_}.pre-{jump.to_label}",
        "and start the new release the first time with LANGFLOW_WORKERS=1, on local disk",
        count=len(legacy), rows=rows or None,
    )


class Orphans(NamedTuple):
    """Rows of ``table`` whose ``column`` names no ``parent.parent_column``; ``ondelete``: the
    key's ON DELETE rule in the database's own DDL ("CASCADE", "SET NULL" or None)."""

    table: str
    column: str
    parent: str
    parent_column: str
    rows: int
    ondelete: str | None

    def where(self, s: Session) -> str:
        """The orphaned rows, for ``SELECT``/``DELETE``/``UPDATE`` on ``table``: names quoted by
        the dialect (they come from the database's own reflection, and may hold anything)."""
        q = s.conn.dialect.identifier_preparer.quote
        return (f"{q(self.column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {q(self.parent)} p "
                f"WHERE p.{q(self.parent_column)} = {q(self.table)}.{q(self.column)})")


def orphan_keys(s: Session) -> list[Orphans]:
    """Every single-column foreign key with child rows naming a missing parent, in table order."""
    from sqlalchemy import inspect

    insp = inspect(s.conn)
    quote = s.conn.dialect.identifier_preparer.quote
    found: list[Orphans] = []
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
            ondelete = (fk.get("options") or {}).get("ondelete")
            probe = Orphans(table, cols[0], ref, refcols[0], 0, str(ondelete).upper() if ondelete else None)
            n = execute(s.conn, f"SELECT count(*) FROM {quote(table)} WHERE {probe.where(s)}").scalar_one()
            if n:
                found.append(probe._replace(rows=int(n)))
    return found


def _orphans(s: Session, jump: Jump) -> Found:
    found = orphan_keys(s)
    if not found:
        return
    blocking = (jump.backend == "postgresql" and jump.source_lo <= any_patch((1, 8)) and jump.to >= V1_9
                and any(o.table == "file" and o.column == "user_id" for o in found))
    total = sum(o.rows for o in found)
    why = (f"Langflow {jump.to_label}'s migration 0e6138e7a0c2 re-creates file.user_id's key and PostgreSQL "
           "refuses the orphaned rows: the upgrade aborts" if blocking else
           "Langflow's convert-sqlite-to-postgres refuses them, and the new release's foreign keys may too")
    unruled = [f"{o.table}.{o.column}" for o in found if not droppable(o)]
    yield make_finding(
        R016, f"{total} row{'s' if total > 1 else ''} name{'s' if total == 1 else ''} a parent that does not "
        f"exist; {why}.",
        [Evidence(f"{o.table}.{o.column}", f"{o.rows} orphan{'s' if o.rows > 1 else ''} (-> {o.parent}."
                  f"{o.parent_column}, ON DELETE {o.ondelete or 'no rule'})", "database")
         for o in found[:EXAMPLES]],
        "lfadmin upgrade repair --drop-orphans",
        "deletes the rows ON DELETE CASCADE would have deleted and clears the keys ON DELETE SET NULL would "
        "have cleared, as Langflow's convert-sqlite-to-postgres --drop-orphans does"
        + (f"; no rule covers {', '.join(unruled)}: fix those by hand" if unruled else ""),
        severity=ERROR if blocking else WARNING, count=total,
    )


def droppable(o: Orphans) -> bool:
    """What Langflow's own ``--drop-orphans`` lets go (``langflow/services/database/
    sqlite_to_postgres.py`` ``_preflight``, 1.13.0): a SET NULL key, or a CASCADE key to another
    table (a self-referencing cascade would need a recursive delete; Langflow refuses it too)."""
    return o.ondelete == "SET NULL" or (o.ondelete == "CASCADE" and o.parent != o.table)


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
        yield make_finding(
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
        yield make_finding(
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
    yield make_finding(
        R019, f"the database {path} is inside the installed Langflow package ({source}): a new virtual "
        "environment or container starts with an empty one.",
        [Evidence("database", str(path), source)],
        f"cp -p {path} /var/lib/langflow/langflow.db && LANGFLOW_DATABASE_URL=sqlite:////var/lib/langflow/langflow.db",
        "any directory outside the package will do; copy the -wal/-shm files too if they exist, with the "
        "server stopped (or `lfadmin backup create`, which copies a live database consistently)",
    )
