"""Which Langflow made this database, and therefore how lfadmin must behave.

Capabilities are read from columns, tables and indexes, never from alembic ancestry alone:
1.10.3's head (d49cbced8696) is not in 1.13's history (docs/langflow/schema.md §2). The alembic revision, when
known, narrows the release range further (e.g. which short-key Fernet derivation to write).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lfadmin.errors import InvalidInput, UnsupportedDatabase
from lfadmin.langflow.crypto import MINIMUM_KEY_LENGTH, Derivation

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

Version = tuple[int, int, int]

OLDEST_SUPPORTED: Version = (1, 6, 0)
NEWEST_KNOWN: Version = (1, 13, 0)

# The alembic head of every Langflow release from 1.5.0 to 1.13.0 (read from each
# langflow-base wheel; every release has exactly one head).
KNOWN_HEADS: dict[str, tuple[Version, Version]] = {
    "d37bc4322900": ((1, 6, 0), (1, 6, 9)),
    "182e5471b900": ((1, 7, 1), (1, 7, 3)),  # there is no 1.7.0
    "59a272d6669a": ((1, 8, 0), (1, 8, 4)),
    "d306e5c17c41": ((1, 9, 0), (1, 9, 6)),
    "b7c4d8e9f012": ((1, 10, 0), (1, 10, 1)),
    "e1705947c729": ((1, 10, 2), (1, 10, 2)),
    "d49cbced8696": ((1, 10, 3), (1, 10, 3)),  # not in any later release's history
    "d19e7b3c5a42": ((1, 11, 0), (1, 11, 6)),
    "c6d8e0f2a4b7": ((1, 12, 0), (1, 12, 0)),
    "d7e9f1a3b5c8": ((1, 12, 1), (1, 12, 1)),
    "a1b2c9d3e4f5": ((1, 12, 2), (1, 12, 2)),
    "386662af02e9": ((1, 12, 3), (1, 12, 8)),
    "e5a7c9b1d3f2": ((1, 13, 0), (1, 13, 0)),
}

# Heads of releases older than 1.6.0 (1.5.0-1.5.1). Such schemas also lack folder.auth_settings,
# which 1.6.0's migration 3162e83e485f added; that column is the probe for unknown older heads.
PRE_1_6_HEADS: dict[str, str] = {"d9a6ea21edcd": "1.5.x"}


def fmt(v: Version) -> str:
    return ".".join(str(p) for p in v).replace(".99", ".x")


def parse_version(text: str) -> Version:
    parts = text.strip().lstrip("v").split(".")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise InvalidInput(f"--langflow-version {text!r} is not a version like 1.10.3") from None
    if not 1 <= len(nums) <= 3:
        raise InvalidInput(f"--langflow-version {text!r} is not a version like 1.10.3")
    nums += [0] * (3 - len(nums))
    v = (nums[0], nums[1], nums[2])
    if not OLDEST_SUPPORTED <= v <= (NEWEST_KNOWN[0], NEWEST_KNOWN[1], 99):
        raise InvalidInput(
            f"--langflow-version {text}: lfadmin supports Langflow {fmt(OLDEST_SUPPORTED)} to "
            f"{fmt(NEWEST_KNOWN)}"
        )
    return v


@dataclass(frozen=True)
class Schema:
    """What the database has, and the Langflow behaviour that follows from it."""

    backend: str
    revision: str | None
    tables: frozenset[str]
    columns: dict[str, frozenset[str]]
    user_indexes: frozenset[str]
    lo: Version
    hi: Version
    newer_unknown: bool = False
    pinned: bool = False  # release given with --langflow-version
    notes: tuple[str, ...] = field(default=())
    # What the database itself proves (columns + alembic revision), before any pin: who may act
    # is decided from this too, so a pin changes how rows are written, never who gets in.
    proven_lo: Version | None = None
    proven_hi: Version | None = None

    # -- capabilities (columns) ---------------------------------------------------------------
    def has(self, table: str, column: str | None = None) -> bool:
        if column is None:
            return table in self.tables
        return column in self.columns.get(table, frozenset())

    @property
    def api_keys_hashed(self) -> bool:
        """``apikey.api_key_hash``: keys stored as Fernet token + SHA-256 (1.9.0+).

        Evidence: migration d306e5c17c41 (first in 1.9.0) adds the column;
        ``api_key/crud.py`` ``create_api_key`` sets ``api_key_hash`` from 1.9.0, not in 1.8.4.
        """
        return self.has("apikey", "api_key_hash")

    @property
    def api_keys_encrypted(self) -> bool:
        """New API keys are stored as a Fernet token (1.8.0+), with or without a hash column.

        Evidence: ``api_key/crud.py`` ``create_api_key`` stores ``encrypt_api_key(generated)``
        from 1.8.0 (1.7.3 stores the plaintext); 1.8.x has no ``api_key_hash`` column yet.
        """
        return self.lo >= (1, 8, 0)

    @property
    def api_keys_decrypted_on_check(self) -> bool:
        """The key check also decrypts stored tokens (1.8.0+); before, plaintext equality only.

        Evidence: ``api_key/crud.py`` ``_check_key_from_db``: 1.7.3 selects ``ApiKey.api_key ==
        key``; 1.8.0 loops over every row comparing the stored value, then its decryption; 1.9.0+
        look up ``api_key_hash`` and decrypt only hash-less rows.
        """
        return self.hi >= (1, 8, 0)

    @property
    def api_key_source_env(self) -> bool:
        """``LANGFLOW_API_KEY_SOURCE=env`` honoured (1.7.1+, the first 1.7 release).

        Evidence: ``api_key/crud.py`` ``check_key``/``_check_key_from_env`` in 1.7.1; absent in
        1.6.9.
        """
        return self.lo >= (1, 7, 0)

    @property
    def api_key_expiry(self) -> bool:
        """``apikey.expires_at``; from the same release on, ``is_active`` is enforced (1.10.0).

        Evidence: ``api_key/crud.py`` ``_is_expired`` and the ``is_active`` filter in the key check
        appear in 1.10.0; 1.9.0 checks neither.
        """
        return self.has("apikey", "expires_at")

    @property
    def user_retired_at(self) -> bool:
        return self.has("user", "retired_at")

    @property
    def usernames_case_insensitive(self) -> bool:
        """1.13's unique index on lower(username) (migration 1d28fd31a982)."""
        return "ix_user_username_lower" in self.user_indexes

    @property
    def erase_pipeline(self) -> bool:
        return self.has("data_subject_request")

    # -- release-dependent behaviour ----------------------------------------------------------
    @property
    def release_label(self) -> str:
        if self.newer_unknown:
            return f"newer than {fmt(NEWEST_KNOWN)} (unknown schema)"
        if self.lo == self.hi:
            return fmt(self.lo)
        return f"{fmt(self.lo)} – {fmt(self.hi)}"

    @property
    def proven_label(self) -> str:
        """The release range the database itself proves (``release_label`` without the pin)."""
        lo, hi = self.proven_lo or self.lo, self.proven_hi or self.hi
        if self.newer_unknown:
            return self.release_label
        return fmt(lo) if lo == hi else f"{fmt(lo)} – {fmt(hi)}"

    @property
    def superuser_forced_under_auto_login(self) -> bool:
        """Under AUTO_LOGIN, SUPERUSER/PASSWORD are forced to langflow/langflow (up to 1.10.1).

        Evidence: ``AuthSettings.validate_superuser`` (``services/settings/auth.py`` in 1.6.9,
        ``lfx/services/settings/auth.py`` in lfx 0.2-1.10.1); lfx 1.10.2 removed it.
        """
        return self.hi < (1, 10, 2)

    @property
    def refuses_legacy_password(self) -> bool:
        """Login refuses password ``langflow`` for the bootstrap accounts (1.10.2+, docs/langflow/crypto.md §1);
        as for AUTO_LOGIN's default (``LangflowSettings.effective_auto_login``), the stricter of
        the pinned and the proven release.

        Evidence: ``services/auth/service.py`` ``authenticate_user`` compares with
        ``LEGACY_DEFAULT_SUPERUSER_PASSWORD`` from 1.10.2; 1.10.0 and 1.10.1 do not.
        """
        return self.lo >= (1, 10, 2) or (self.proven_lo or self.lo) >= (1, 10, 2)

    @property
    def default_folder_described(self) -> bool:
        """The default folder gets a description and its name from ``DEFAULT_FOLDER_NAME`` (1.7+).

        Evidence: ``initial_setup/setup.py`` ``get_or_create_default_folder``: 1.6.9 creates
        ``Folder(user_id, name)``; 1.7.1 adds ``description=DEFAULT_FOLDER_DESCRIPTION``, and
        ``services/database/models/folder/constants.py`` reads ``os.getenv("DEFAULT_FOLDER_NAME")``
        from 1.7.1 (1.6.9: a constant).
        """
        return self.lo >= (1, 7, 0)

    @property
    def variable_updated_at_on_create(self) -> bool:
        """A new variable gets ``updated_at`` = now up to 1.7.x; NULL from 1.8.0.

        Evidence: ``services/database/models/variable/model.py`` ``VariableCreate``: 1.7.3 has
        ``updated_at`` with ``default_factory=utc_now``; 1.8.0 dropped the field, and the table
        column has no default (``variable/service.py`` ``create_variable`` builds the row from it).
        An ambiguous range (unknown revision) writes as its oldest release, as the API-key and
        default-folder flags do.
        """
        return self.lo < (1, 8, 0)

    def encrypt_derivation(self, secret: str) -> Derivation:
        """The derivation the Langflow that made this database uses to encrypt (docs/langflow/crypto.md §2).

        Evidence (``services/auth/utils.py`` ``ensure_valid_key``/``ensure_fernet_key``, and
        ``AuthService._ensure_valid_key`` in 1.8): up to 1.8.x a long key always gets ``=`` padding
        appended (``4 - len % 4``, so 1-4 characters); 1.9.0's ``add_base64_padding`` pads only when
        needed. Short keys seed ``random.Random`` up to 1.10.0; 1.10.1 derives them with SHA-256.
        """
        if len(secret) >= MINIMUM_KEY_LENGTH:
            return Derivation.DIRECT_ALWAYS_PAD if self.hi <= (1, 8, 99) else Derivation.DIRECT
        return Derivation.LEGACY_RANDOM if self.hi <= (1, 10, 0) else Derivation.SHA256

    def read_derivations(self, secret: str) -> list[Derivation]:
        """What the server itself can decrypt: 1.10.1-1.10.x read SHA-256 only, 1.11+ both.

        Evidence: ``services/auth/utils.py`` ``get_fernet_for_decryption`` (a MultiFernet of the
        SHA-256 and the ``random.Random`` key) arrives in 1.11.0; 1.10.3 decrypts with
        ``AuthService._get_fernet`` only.
        """
        if len(secret) >= MINIMUM_KEY_LENGTH:
            return [self.encrypt_derivation(secret)]
        if self.hi <= (1, 10, 0):
            return [Derivation.LEGACY_RANDOM]
        if self.hi < (1, 11, 0):
            return [Derivation.SHA256]
        return [Derivation.SHA256, Derivation.LEGACY_RANDOM]

    def short_key_ambiguous(self, secret: str) -> bool:
        return len(secret) < MINIMUM_KEY_LENGTH and self.lo <= (1, 10, 0) < self.hi


# Column sets that tell release tiers apart (docs/langflow/schema.md §4).
def _tier(cols: dict[str, frozenset[str]], user_indexes: frozenset[str]) -> tuple[Version, Version]:
    apikey = cols.get("apikey", frozenset())
    user = cols.get("user", frozenset())
    variable = cols.get("variable", frozenset())
    if "retired_at" in user or "ix_user_username_lower" in user_indexes:
        return (1, 13, 0), NEWEST_KNOWN
    if "is_environment_managed" in variable:  # d7e9f1a3b5c8, first in 1.12.1
        return (1, 12, 1), (1, 12, 99)
    if "expires_at" in apikey:
        return (1, 10, 0), (1, 12, 0)
    if "api_key_hash" in apikey:
        return (1, 9, 0), (1, 9, 99)
    return (1, 6, 0), (1, 8, 99)


_PROBED_TABLES = ("user", "apikey", "variable", "folder", "flow")
_REQUIRED = {"user", "apikey", "variable", "folder", "flow", "alembic_version"}
# The columns every release from 1.6.0 to 1.13.0 has in the probed tables (read from the 1.6.9,
# 1.10.3 and 1.13.0 fixtures). A table without one was altered by hand: no Langflow made it, and
# a query would fail half-way through a command instead of up front.
_BASELINE_COLUMNS: dict[str, frozenset[str]] = {
    "user": frozenset({
        "id", "username", "password", "profile_image", "is_active", "is_superuser", "create_at",
        "updated_at", "last_login_at", "store_api_key", "optins",
    }),
    "apikey": frozenset({
        "id", "name", "api_key", "user_id", "is_active", "created_at", "last_used_at", "total_uses",
    }),
    "variable": frozenset({
        "id", "name", "value", "type", "default_fields", "user_id", "created_at", "updated_at",
    }),
    "folder": frozenset({"id", "name", "description", "parent_id", "user_id", "auth_settings"}),
    "flow": frozenset({
        "id", "name", "description", "data", "user_id", "folder_id", "updated_at", "is_component",
        "icon", "icon_bg_color", "gradient", "tags", "locked", "webhook", "endpoint_name",
        "access_type", "mcp_enabled", "action_name", "action_description", "fs_path",
    }),
}


def _user_indexes(conn: Connection, backend: str) -> frozenset[str]:
    # Read the catalog directly: SQLAlchemy does not reflect expression indexes such as 1.13's
    # ix_user_username_lower ON lower(username).
    from sqlalchemy import text

    if backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'user'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'user'"
    return frozenset(r[0] for r in conn.execute(text(sql)) if r[0])


def detect(conn: Connection, backend: str, pinned: Version | None = None) -> Schema:
    from sqlalchemy import inspect, text

    insp = inspect(conn)
    tables = frozenset(insp.get_table_names())
    if not tables:
        raise UnsupportedDatabase("the database is empty: not a Langflow database")
    missing = _REQUIRED - tables
    if missing:
        raise UnsupportedDatabase(
            f"not a Langflow database: no {', '.join(sorted(missing))} table"
            + ("s" if len(missing) > 1 else "")
        )
    columns = {t: frozenset(c["name"] for c in insp.get_columns(t)) for t in _PROBED_TABLES}
    user_indexes = _user_indexes(conn, backend)
    revisions = [r for (r,) in conn.execute(text("SELECT version_num FROM alembic_version"))]
    revision = revisions[0] if len(revisions) == 1 else (",".join(revisions) or None)

    if revision in PRE_1_6_HEADS:
        raise UnsupportedDatabase(
            f"this database was made by Langflow {PRE_1_6_HEADS[revision]} (alembic revision "
            f"{revision}); lfadmin supports {fmt(OLDEST_SUPPORTED)} and later",
            hint="start Langflow 1.6 or newer on it once to migrate it",
        )
    if "auth_settings" not in columns["folder"]:
        raise UnsupportedDatabase(
            f"this database was made by a Langflow older than {fmt(OLDEST_SUPPORTED)} "
            f"(no folder.auth_settings; alembic revision {revision}); lfadmin supports "
            f"{fmt(OLDEST_SUPPORTED)} and later",
            hint="start Langflow 1.6 or newer on it once to migrate it",
        )
    for table in _PROBED_TABLES:
        lacking = sorted(_BASELINE_COLUMNS[table] - columns[table])
        if lacking:
            raise UnsupportedDatabase(
                f"unsupported schema: table {table!r} has no column{'s' if len(lacking) > 1 else ''} "
                + ", ".join(repr(c) for c in lacking)
                + f", which every Langflow {fmt(OLDEST_SUPPORTED)} to {fmt(NEWEST_KNOWN)} has",
                hint="the table was altered outside Langflow; restore it from Langflow's migrations",
            )
    lo, hi = _tier(columns, user_indexes)
    notes: list[str] = []
    newer_unknown = False
    known = KNOWN_HEADS.get(revision or "")
    if known is not None:
        # A known head narrows the tier; if they disagree the columns win (they are what is there).
        klo, khi = known
        if lo <= klo and khi <= hi:
            lo, hi = klo, khi
        else:
            notes.append(f"alembic revision {revision} does not match the schema's columns")
    elif lo >= (1, 13, 0):
        newer_unknown = True
        notes.append(f"alembic revision {revision} is not one lfadmin knows")
    else:
        # Columns of a known tier under a revision no release ends at: a development build or a
        # hand-edited alembic_version. Say so: rows are written as the columns' releases write them.
        what = f"alembic revision {revision} is not one lfadmin knows" if revision else (
            "the database records no alembic revision"
        )
        notes.append(f"{what}; going by the schema's columns (Langflow {fmt(lo)} – {fmt(hi)})")
    proven_lo, proven_hi = lo, hi
    if pinned is not None:
        if not lo <= pinned <= hi and not newer_unknown:
            notes.append(
                f"--langflow-version {fmt(pinned)} does not match the schema "
                f"(looks like {fmt(lo)} – {fmt(hi)}); trusting the option"
            )
        lo = hi = pinned
        # A pin does not make an unknown newer schema known: writing still needs
        # --force-unknown-schema (lfadmin.core.target).
    return Schema(
        backend=backend,
        revision=revision,
        tables=tables,
        columns=columns,
        user_indexes=user_indexes,
        lo=lo,
        hi=hi,
        newer_unknown=newer_unknown,
        pinned=pinned is not None,
        notes=tuple(notes),
        proven_lo=proven_lo,
        proven_hi=proven_hi,
    )
