"""Every value Langflow encrypts with its secret key, per store, and how to read and rewrite it.

The inventory is CONTRACT §6 (checked against 1.13's own ``langflow check-integrity``, which
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
(** left in legacy sidecars; 1.13 neither writes nor decrypts it: ``lfadmin.core.kb_sidecars``.)
Stores are found by table and column, never by release number, so a schema in between gets
exactly the stores it has. Reading is streamed in primary-key order, ``BATCH`` rows at a time,
so memory stays flat however many rows there are.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from lfadmin.langflow.crypto import (
    MINIMUM_KEY_LENGTH,
    Derivation,
    candidate_derivations,
    derive_key,
    is_sso_envelope,
    looks_encrypted,
    sso_decrypt,
)

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

    from lfadmin.core.session import Progress, Session

BATCH = 1000
GENERIC_PLAINTEXT_SINCE = (1, 8, 0)  # Generic variables stored in plaintext from 1.8.0 (§7)
API_KEYS_ENCRYPTED_SINCE = (1, 8, 0)  # apikey.api_key Fernet from 1.8.0 (§4.1)
MCP_AUTH_FIELDS = ("api_key", "oauth_client_secret")  # mcp_encryption.SENSITIVE_FIELDS
MCP_SECRET_MAPS = ("env", "headers")  # mcp_config_secrets.MCP_SECRET_CONFIG_MAPS
JOB_OVERRIDES_FORMAT = "fernet-json-v1"  # background_execution/service.py


class Status(str, Enum):
    """What one stored value is, judged against the secret key in effect."""

    OK = "ok"  # opens with the derivation the release writes
    LEGACY = "legacy"  # short key: opens only with the other derivation (random.Random/SHA-256)
    UNDECRYPTABLE = "undecryptable"  # looks encrypted, opens with no derivation of this key
    PLAINTEXT = "plaintext"  # stored in clear where Langflow would encrypt
    ENCRYPTED_GENERIC = "encrypted-generic"  # 1.6-era encrypted Generic variable on 1.8+
    PLAIN_EXPECTED = "plain-expected"  # in clear, and that is the release's format


# -- keys ---------------------------------------------------------------------------------------


class Keyring:
    """One secret string with a Fernet per distinct derivation, built once (rotation speed)."""

    def __init__(self, secret: str, write: Derivation | None = None) -> None:
        import base64

        from cryptography.fernet import Fernet, InvalidToken

        self.secret = secret
        self.write = write
        self._fernets: list[tuple[Derivation, Fernet]] = []
        self._unopened = (InvalidToken, ValueError, UnicodeDecodeError)
        seen: set[bytes] = set()
        order = list(candidate_derivations(secret))
        if write is not None and write in order:
            order.remove(write)
            order.insert(0, write)
        for derivation in order:
            try:
                raw = derive_key(secret, derivation)
                f = Fernet(raw)
            except (ValueError, TypeError):
                continue
            decoded = base64.urlsafe_b64decode(raw)
            if decoded in seen:  # DIRECT and DIRECT_ALWAYS_PAD are one key when the key is valid
                continue
            seen.add(decoded)
            self._fernets.append((derivation, f))
        self._seal = self._fernets[0][1].encrypt if self.can_write else None

    @property
    def usable(self) -> bool:
        return bool(self._fernets)

    @property
    def can_write(self) -> bool:
        return bool(self._fernets) and self._fernets[0][0] is self.write

    def open(self, token: str) -> tuple[str, Derivation] | None:
        data = token.encode()
        for derivation, f in self._fernets:
            try:
                return f.decrypt(data).decode(), derivation
            except self._unopened:
                continue
        return None

    def seal(self, plaintext: str) -> str:
        if self._seal is None:
            raise AssertionError("keyring has no usable write derivation")
        return self._seal(plaintext.encode()).decode()


def open_first(keys: list[Keyring], token: str) -> tuple[str, bool] | None:
    """``token`` opened with the first of ``keys`` that can: (plaintext, True when only a
    derivation other than that key's write derivation opened it - legacy, to heal)."""
    for k in keys:
        opened = k.open(token)
        if opened is not None:
            return opened[0], k.write is not None and opened[1] is not k.write
    return None


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
        obj = _load_json(row.raw)
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


def _load_json(raw: Any) -> Any:
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


# -- classification -----------------------------------------------------------------------------


def generic_plaintext(s: Session) -> bool | None:
    """True when the release stores Generic variables in clear (1.8+), None when ambiguous."""
    if s.schema.lo >= GENERIC_PLAINTEXT_SINCE:
        return True
    if s.schema.hi < GENERIC_PLAINTEXT_SINCE:
        return False
    return None


def expects_encryption(s: Session, store: Store, row: Row) -> bool:
    """Would the detected release have encrypted this value when it wrote it?"""
    if store.name == "variable.value" and row.extra.get("type") == "Generic":
        return generic_plaintext(s) is False
    if store.name == "apikey.api_key":
        return s.schema.lo >= API_KEYS_ENCRYPTED_SINCE
    return True


def classify(s: Session, store: Store, row: Row, cell: Cell, keys: Keyring) -> tuple[Status, bool]:
    """Judge one value against ``keys`` (the key in effect): (status, does the release read it?).

    ``keys`` tries every derivation; the release reads only ``schema.read_derivations``
    (1.10.1–1.10.3: SHA-256 only for short keys; a key with a trailing newline: only 1.6–1.8's
    always-pad derivation). A value that opens only with a derivation the release cannot use is
    ``legacy`` for a short key (rotation heals it) and ``undecryptable`` otherwise.
    """
    if cell.sso:
        if not is_sso_envelope(cell.value):
            return Status.PLAINTEXT, True
        ok = sso_decrypt(keys.secret, cell.value) is not None
        return (Status.OK if ok else Status.UNDECRYPTABLE), ok
    if not (store.always_encrypted or looks_encrypted(cell.value)):
        status = Status.PLAINTEXT if expects_encryption(s, store, row) else Status.PLAIN_EXPECTED
        return status, True
    generic = (
        store.name == "variable.value"
        and row.extra.get("type") == "Generic"
        and generic_plaintext(s) is True
    )
    return classify_token(s, cell.value, keys, encrypted_generic=generic)


def classify_token(
    s: Session, token: str, keys: Keyring, *, encrypted_generic: bool = False
) -> tuple[Status, bool]:
    """Judge one Fernet token (see ``classify``); also used for the knowledge-base sidecars."""
    opened = keys.open(token)
    if opened is None:
        return Status.UNDECRYPTABLE, False
    reads = s.schema.read_derivations(keys.secret)
    readable = opened[1] in reads
    short = len(keys.secret) < MINIMUM_KEY_LENGTH
    if not readable and not short:
        return Status.UNDECRYPTABLE, False
    if encrypted_generic:
        return Status.ENCRYPTED_GENERIC, readable
    if keys.write is not None and opened[1] is not keys.write:
        # A short key: opens only with the other release family's derivation (CONTRACT §5.1).
        return Status.LEGACY, readable
    return Status.OK, readable


@dataclass
class StoreReport:
    """Counts for one store: what ``secrets check`` prints and ``config doctor`` consumes."""

    store: str
    description: str
    present: bool
    rows: int = 0
    values: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {st.value: 0 for st in Status})
    server_unreadable: int = 0  # values the detected release itself cannot decrypt
    examples: dict[str, list[str]] = field(default_factory=dict)  # status -> up to 5 row labels
    # Counted for information only: the release never decrypts this store (1.13's legacy
    # knowledge-base sidecars), so it is left out of totals, exit codes and findings.
    advisory: bool = False

    def count(self, status: Status, readable: bool, where: Callable[[], str]) -> None:
        """One value: its status, whether the release reads it, and for a problem (the first
        five of each status) ``where()`` an operator finds it."""
        self.values += 1
        self.counts[status.value] += 1
        if not readable:
            self.server_unreadable += 1
        if status not in (Status.OK, Status.PLAIN_EXPECTED):
            ex = self.examples.setdefault(status.value, [])
            if len(ex) < 5:
                ex.append(where())

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "description": self.description,
            "present": self.present,
            "rows": self.rows,
            "values": self.values,
            "counts": dict(self.counts),
            "server_unreadable": self.server_unreadable,
            "examples": {k: list(v) for k, v in self.examples.items()},
        }


def counted(reports: list[StoreReport]) -> list[StoreReport]:
    """The reports that count toward totals, exit codes and findings: not the advisory ones
    (a store the release never decrypts is reported, never counted)."""
    return [r for r in reports if not r.advisory]


def inventory(
    s: Session,
    keys: Keyring,
    *,
    progress: Progress | None = None,
) -> list[StoreReport]:
    """Every store of CONTRACT §6, each value classified against ``keys``. Read-only.

    Stores the schema does not have are listed with ``present=False`` so a report always
    shows the whole inventory. Row labels (id, name, owner) are collected as examples for
    every problem status, at most five per status; values and plaintexts never leave here.
    """
    reports: list[StoreReport] = []
    for store in STORES:
        rep = StoreReport(store.name, store.description, store.present(s))
        reports.append(rep)
        if not rep.present:
            continue
        total = store.count(s) if progress else 0
        for batch in store.rows(s):
            for row in batch:
                rep.rows += 1
                for cell in store.cells(row):
                    status, readable = classify(s, store, row, cell, keys)
                    rep.count(status, readable, partial(where, row, cell))
            if progress:
                progress(store.name, rep.rows, total)
    # Not a table: the knowledge-base sidecars on disk (CONTRACT §6, last row).
    from lfadmin.core import kb_sidecars

    reports.append(kb_sidecars.inventory(s, keys))
    return reports
