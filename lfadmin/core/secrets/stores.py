"""Every value Langflow encrypts with its secret key, per store, and how to read and rewrite it.

The inventory is docs/langflow/crypto.md §7 (checked against 1.13's own ``langflow check-integrity``, which
misses ``trigger_cleanup``, ``connection_oauth``, job metadata and legacy Generic variables):

=========================================  ==============  =====  ======  =====
store                                      form            1.6.9  1.10.3  1.13
=========================================  ==============  =====  ======  =====
variable.value (Credential)                Fernet            ✓      ✓      ✓
variable.value (Generic)                   Fernet ≤1.7       ✓    legacy  legacy
apikey.api_key                             Fernet ≥1.8     plain    ✓      ✓
user.store_api_key                         Fernet            ✓      ✓      ✓
folder.auth_settings api_key/oauth_…       Fernet in JSON    ✓      ✓      ✓
deployment_provider_account.api_key        Fernet            –      ✓      ✓
mcp_server.config env/headers/--headers    Fernet in JSON    –      –      ✓
connection_secret.encrypted_payload        Fernet            –      –      ✓
connection_oauth.encrypted_verifier        Fernet            –      –      ✓
trigger.signing_secret_encrypted           Fernet            –      –      ✓
trigger_cleanup.encrypted_credential       Fernet            –      –      ✓
job.job_metadata.request_overrides         Fernet in JSON    –      –      ✓
sso_config.client_secret_encrypted         AES-GCM (HKDF)    –    plain*    ✓
kb_embedding_metadata.api_key (on disk)    Fernet in JSON    ✓      ✓     (✓)**
=========================================  ==============  =====  ======  =====

(* written in plaintext by the 1.10.3 SSO plugin; 1.13's migration clears such values.)
(** left in legacy sidecars; 1.13 neither writes nor decrypts it: ``lfadmin.core.secrets.sidecars``.)
Stores are found by table and column, never by release number, so a schema in between gets
exactly the stores it has. Reading is streamed in primary-key order, ``BATCH`` rows at a time,
so memory stays flat however many rows there are.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:

    from lfadmin.core.session import Session

BATCH = 1000
MCP_AUTH_FIELDS = ("api_key", "oauth_client_secret")  # mcp_encryption.SENSITIVE_FIELDS
MCP_SECRET_MAPS = ("env", "headers")  # mcp_config_secrets.MCP_SECRET_CONFIG_MAPS
JOB_OVERRIDES_FORMAT = "fernet-json-v1"  # background_execution/service.py


# -- stores -------------------------------------------------------------------------------------


class Cell(NamedTuple):
    """One secret-bearing value inside a row; ``path`` locates it inside a JSON column.
    (A tuple: one is made per value a rotation or check reads.)"""

    value: str
    path: tuple[str | int, ...] = ()
    sso: bool = False


@dataclass(slots=True)
class Row:
    pk: Any  # the batch key (``Store.key_select``): rowid on SQLite, the primary key as text on PostgreSQL
    raw: Any  # the column as the driver returned it
    ident: Any = None  # the primary key when it is not ``pk`` (SQLite), for ``label``
    extra: dict[str, Any] = field(default_factory=dict)
    parsed: Any = None
    name: Any = None
    owner: Any = None

    @property
    def label(self) -> str:
        """How an operator finds the row: ``<id> (name, owner alice)`` (built only when shown)."""
        return _label(self.ident if self.ident is not None else self.pk, self.name, self.owner)


@dataclass(frozen=True)
class Store:
    """One encrypted column (or family of JSON fields in one column)."""

    name: str
    table: str
    pk: str
    column: str
    description: str
    kind: str = "scalar"  # "scalar" | "auth_settings" | "mcp_config" | "job" | "sso"
    always_encrypted: bool = False  # any non-empty value is a token (nothing writes plaintext)
    name_column: str | None = None  # "a|b": the first of these the table has
    owner_column: str | None = None
    extra_columns: tuple[str, ...] = ()

    def present(self, s: Session) -> bool:
        cols = table_columns(s, self.table)
        needed = {self.pk, self.column, *self.extra_columns}
        return needed <= cols

    # -- reading ----------------------------------------------------------------------------
    def _name_column(self, s: Session) -> str | None:
        for name in (self.name_column or "").split("|"):
            if name and name in table_columns(s, self.table):
                return name
        return None

    def key_sql(self, s: Session) -> str:
        """The column batches are keyed on. SQLite: ``rowid`` - Langflow's ids are random UUIDs,
        so walking the primary key visits table pages at random and, past the page cache, a
        rotation's dirty pages spill to the WAL over and over (100k rows: 5x slower than the
        crypto). Every Langflow table is a rowid table. PostgreSQL: the primary key."""
        if s.backend == "sqlite":
            return "rowid"
        return str(s.conn.dialect.identifier_preparer.quote(self.pk))

    def key_select(self, s: Session) -> str:
        """How a batch key is read: as text on PostgreSQL (a ``uuid`` made into a Python UUID
        and back into text for the batch UPDATE cost more than a tenth of a rotation);
        ``key_param`` casts it back for comparisons."""
        if s.backend == "sqlite":
            return "t.rowid"
        return f"CAST(t.{self.key_sql(s)} AS text)"

    def key_param(self, s: Session, name: str) -> str:
        """A bound batch key (as ``key_select`` read it), typed for comparing with the column,
        as a placeholder of the driver's own (``driver_cursor``)."""
        if s.backend == "sqlite":
            return f":{name}"
        return f"CAST(%({name})s AS {_pg_type(s, self.table, self.pk)})"

    def rows(self, s: Session, *, batch: int = BATCH, owners: bool = True) -> Iterator[list[Row]]:
        """Non-empty rows in key order, ``batch`` at a time (keyset pagination).

        ``owners=False`` skips the join that names each row's owner (rotation's hot loop; a
        row's label then has its id and name only). Read on the driver's cursor: SQLAlchemy's
        result rows cost a fifth of reading 100k rows, and nothing here needs them."""
        q = s.conn.dialect.identifier_preparer.quote
        table, key, col = q(self.table), self.key_sql(s), q(self.column)
        name_col = self._name_column(s)
        with_owner = bool(self.owner_column and owners)
        # key, column, name, id (SQLite only: on PostgreSQL the key is the id), owner, extras...
        select = ", ".join([
            self.key_select(s),
            f"t.{col}",
            f"t.{q(name_col)}" if name_col else "NULL",
            f"t.{q(self.pk)}" if s.backend == "sqlite" else "NULL",
            "u.username" if with_owner else "NULL",
            *(f"t.{q(c)}" for c in self.extra_columns),
        ])
        join = f' LEFT JOIN "user" u ON u.id = t.{q(self.owner_column or "")}' if with_owner else ""
        base = f"SELECT {select} FROM {table} t{join} WHERE t.{col} IS NOT NULL"
        first = f"{base} ORDER BY t.{key} LIMIT {int(batch)}"
        after = f"{base} AND t.{key} > {self.key_param(s, 'last')} ORDER BY t.{key} LIMIT {int(batch)}"
        extra_names = self.extra_columns
        with driver_errors(s):
            cur = driver_cursor(s)
            cur.execute(first)
            fetched = cur.fetchall()
            while fetched:
                if extra_names:
                    yield [Row(r[0], r[1], r[3], dict(zip(extra_names, r[5:], strict=True)), None, r[2], r[4])
                           for r in fetched]
                else:
                    yield [Row(r[0], r[1], r[3], {}, None, r[2], r[4]) for r in fetched]
                if len(fetched) < batch:
                    return
                cur.execute(after, {"last": fetched[-1][0]})
                fetched = cur.fetchall()

    def count(self, s: Session) -> int:
        from sqlalchemy import text

        q = s.conn.dialect.identifier_preparer.quote
        return int(
            s.conn.execute(
                text(f"SELECT COUNT(*) FROM {q(self.table)} WHERE {q(self.column)} IS NOT NULL")
            ).scalar_one()
        )

    def cells(self, row: Row) -> list[Cell]:
        if self.kind == "scalar":
            return [Cell(row.raw)] if isinstance(row.raw, str) and row.raw else []
        if self.kind == "sso":
            return [Cell(row.raw, sso=True)] if isinstance(row.raw, str) and row.raw else []
        obj = load_json(row.raw)
        row.parsed = obj
        if not isinstance(obj, dict):
            return []
        found: list[Cell] = []
        if self.kind == "auth_settings":
            for key in MCP_AUTH_FIELDS:
                val = obj.get(key)
                if isinstance(val, str) and val:
                    found.append(Cell(val, (key,)))
        elif self.kind == "mcp_config":
            for map_name in MCP_SECRET_MAPS:
                values = obj.get(map_name)
                if isinstance(values, dict):
                    for key, val in values.items():
                        if isinstance(val, str) and val:
                            found.append(Cell(val, (map_name, key)))
            args = obj.get("args")
            for idx in header_arg_positions(args):
                assert isinstance(args, list)
                if isinstance(args[idx], str) and args[idx]:
                    found.append(Cell(args[idx], ("args", idx)))
        elif self.kind == "job":
            val = obj.get("request_overrides")
            if obj.get("request_overrides_format") == JOB_OVERRIDES_FORMAT and isinstance(val, str) and val:
                found.append(Cell(val, ("request_overrides",)))
        return found

    # -- writing ----------------------------------------------------------------------------
    def rebuild(self, row: Row, changes: dict[tuple[str | int, ...], str]) -> Any:
        """The column's new value with ``changes`` (path -> new string) applied."""
        if self.kind in ("scalar", "sso"):
            return changes[()]
        obj = deepcopy(row.parsed)
        for path, val in changes.items():
            target = obj
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = val
        return json.dumps(obj)

    def bulk_update(self, s: Session, params: list[dict[str, Any]]) -> None:
        """Write ``[{"k": key, "v": new column value}, ...]`` (keys as ``key_select`` read them).

        On the driver's cursor: SQLAlchemy's parameter handling doubled the time of SQLite's
        executemany. SQLite: ``executemany`` (in-process, one statement prepared once).
        PostgreSQL: one ``UPDATE ... FROM json_to_recordset(:rows)`` per batch: the same SQL
        text every time and one parameter, the batch as a JSON document the json module builds
        in C. (executemany costs a round trip per row; a ``VALUES`` list with two binds a row
        made SQLAlchemy compile a new 2,000-parameter statement per batch; two ``unnest``
        arrays had psycopg quote every element in Python - a third of the database part.)
        Nothing here reads once ``prepare_bulk`` has run, so it can be sent in psycopg's
        pipeline mode; the caller wraps it in ``driver_errors``."""
        cur = driver_cursor(s)
        if s.backend == "sqlite":
            cur.executemany(self.update_sql(s), params)
            return
        stmt = self.prepare_bulk(s)
        # Each batch names 1,000 of maybe 100,000 rows: PostgreSQL's cost model still prefers
        # hashing the whole table to 1,000 primary-key lookups (84 ms against 13 ms a batch at
        # 100k rows). Joins other than the nested loop are off for this statement only (back to
        # the server's default after it: lfadmin never SETs them for its session).
        for name in _NESTED_LOOP_ONLY:
            cur.execute(f"SET LOCAL {name} = off")
        cur.execute(stmt, {"rows": json.dumps(params)})
        for name in _NESTED_LOOP_ONLY:
            cur.execute(f"SET LOCAL {name} TO DEFAULT")

    def prepare_bulk(self, s: Session) -> str:
        """PostgreSQL: this store's batch UPDATE, built once per session (it reads the catalog).

        The recordset types the key as the key column's own type and the value as ``text``, then
        casts the value to the column's real type (``format_type``: ``jsonb`` for job metadata,
        ``json`` for MCP configs; a JSON-typed recordset column would keep a JSON string quoted)."""
        cache: dict[str, str] = s.__dict__.setdefault("_lfadmin_bulk_sql", {})
        stmt = cache.get(self.name)
        if stmt is None:
            q = s.conn.dialect.identifier_preparer.quote
            col_type = _pg_type(s, self.table, self.column)
            key_type = _pg_type(s, self.table, self.pk)
            stmt = cache[self.name] = (
                f"UPDATE {q(self.table)} AS t SET {q(self.column)} = CAST(v.v AS {col_type}) "
                f"FROM json_to_recordset(CAST(%(rows)s AS json)) AS v(k {key_type}, v text) "
                f"WHERE t.{self.key_sql(s)} = v.k"
            )
        return stmt

    def update_sql(self, s: Session) -> str:
        """SQLite's one-row UPDATE, in sqlite3's own named style."""
        q = s.conn.dialect.identifier_preparer.quote
        return f"UPDATE {q(self.table)} SET {q(self.column)} = :v WHERE {self.key_sql(s)} = :k"


_NESTED_LOOP_ONLY = ("enable_hashjoin", "enable_mergejoin")


def driver_cursor(s: Session) -> Any:
    """A cursor of the driver itself (sqlite3, psycopg), inside the session's transaction.
    SQL for it uses the driver's placeholders: ``:name`` for sqlite3, ``%(name)s`` for psycopg."""
    return s.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


@contextlib.contextmanager
def driver_errors(s: Session) -> Iterator[None]:
    """A driver's own error (``driver_cursor``; psycopg's pipeline, which reports a statement's
    error when it syncs) raised as SQLAlchemy would have raised it, parameters hidden, so the
    one error handling (``Database.transaction``) maps it to the documented exit code."""
    from sqlalchemy.exc import DBAPIError

    dialect = s.conn.dialect
    error = dialect.loaded_dbapi.Error
    try:
        yield
    except error as exc:
        raise DBAPIError.instance(None, None, exc, error, hide_parameters=True, dialect=dialect) from None


def _pg_type(s: Session, table: str, column: str) -> str:
    """The column's SQL type as PostgreSQL spells it in a cast (``format_type``)."""
    from sqlalchemy import text

    cache: dict[tuple[str, str], str] = s.__dict__.setdefault("_lfadmin_pg_types", {})
    if (table, column) not in cache:
        cache[(table, column)] = str(
            s.conn.execute(
                text(
                    "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                    "WHERE a.attrelid = to_regclass(:t) AND a.attname = :c AND NOT a.attisdropped"
                ),
                {"t": s.conn.dialect.identifier_preparer.quote(table), "c": column},
            ).scalar_one()
        )
    return cache[(table, column)]


def header_arg_positions(args: Any) -> list[int]:
    """Indexes of the values in mcp-proxy ``--headers NAME VALUE`` triples (mcp_encryption.py)."""
    positions: list[int] = []
    index = 0
    while isinstance(args, list) and index + 2 < len(args):
        if args[index] == "--headers":
            positions.append(index + 2)
            index += 3
        else:
            index += 1
    return positions


def load_json(raw: Any) -> Any:
    """A JSON column as stored (text on SQLite, already parsed on PostgreSQL); None if it is not JSON."""
    if isinstance(raw, (dict, list)) or raw is None:
        return raw
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def where(row: Row, cell: Cell) -> str:
    """A value as an operator finds it: the row, and inside a JSON column the field's path."""
    path = ".".join(str(p) for p in cell.path)
    return row.label + (f" [{path}]" if path else "")


def _label(pk: Any, name: Any, owner: Any) -> str:
    """``<id> (name, owner alice)``; a UUID as the 32 hex digits Langflow's SQLite ids have
    (PostgreSQL's are read as text, with hyphens)."""
    ident = pk.hex if hasattr(pk, "hex") and not isinstance(pk, str) else str(pk)
    if len(ident) == 36 and ident.count("-") == 4:
        import uuid

        with contextlib.suppress(ValueError):
            ident = uuid.UUID(ident).hex
    bits = [str(name)] if name else []
    if owner:
        bits.append(f"owner {owner}")
    return f"{ident} ({', '.join(bits)})" if bits else ident


STORES: tuple[Store, ...] = (
    Store("variable.value", "variable", "id", "value", "global variables (Credential and Generic)",
          name_column="name", owner_column="user_id", extra_columns=("type",)),
    Store("apikey.api_key", "apikey", "id", "api_key", "Langflow API keys",
          name_column="name", owner_column="user_id"),
    Store("user.store_api_key", "user", "id", "store_api_key", "Langflow Store API keys",
          name_column="username"),
    Store("folder.auth_settings", "folder", "id", "auth_settings", "MCP project auth (api_key, oauth_client_secret)",
          kind="auth_settings", name_column="name", owner_column="user_id"),
    Store("deployment_provider_account.api_key", "deployment_provider_account", "id", "api_key",
          "deployment provider credentials", name_column="name", owner_column="user_id"),
    Store("mcp_server.config", "mcp_server", "id", "config", "MCP server env/headers",
          kind="mcp_config", name_column="name", owner_column="user_id"),
    Store("connection_secret.encrypted_payload", "connection_secret", "connection_id",
          "encrypted_payload", "connection credentials", always_encrypted=True),
    Store("connection_oauth.encrypted_verifier", "connection_oauth", "connection_id",
          "encrypted_verifier", "OAuth consent verifiers", always_encrypted=True, owner_column="user_id"),
    Store("trigger.signing_secret_encrypted", "trigger", "id", "signing_secret_encrypted",
          "webhook trigger signing secrets", always_encrypted=True, name_column="name",
          owner_column="user_id"),
    Store("trigger_cleanup.encrypted_credential", "trigger_cleanup", "id", "encrypted_credential",
          "trigger cleanup credential snapshots", always_encrypted=True, owner_column="user_id"),
    Store("job.job_metadata", "job", "job_id", "job_metadata", "background job request overrides",
          kind="job", owner_column="user_id"),
    Store("sso_config.client_secret_encrypted", "sso_config", "id", "client_secret_encrypted",
          "SSO client secret (AES-GCM envelope)", kind="sso", name_column="display_name|provider_name"),
)


def table_columns(s: Session, table: str) -> frozenset[str]:
    cache: dict[str, frozenset[str]] = s.__dict__.setdefault("_lfadmin_columns", {})
    if table not in cache:
        from sqlalchemy import inspect

        insp = inspect(s.conn)
        cache[table] = (
            frozenset(c["name"] for c in insp.get_columns(table))
            if table in s.schema.tables
            else frozenset()
        )
    return cache[table]


def present_stores(s: Session) -> list[Store]:
    """The stores this database has (by table and column)."""
    return [st for st in STORES if st.present(s)]
