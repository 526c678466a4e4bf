"""What a Langflow user owns, on any schema: the one derivation behind ``user show``'s counts
and ``user transfer``.

The delete cascade (``lfadmin.core.cascade``) already knows every column that ties a row to a
user: the foreign keys the database declares plus the id columns Langflow keeps without one
(docs/langflow/schema.md §9). A column whose rows the cascade *deletes* with the user is an
ownership column; one it NULLs is a "who did it" column (created_by, audit), not ownership.
Among the ownership columns, a few tables hold what is personal to the account - its API keys,
its single-sign-on identity, its team and role memberships, its edit locks, its OAuth handshakes
- and never change hands (docs/langflow/ownership.md §1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from lfadmin.core.cascade import Graph, normalized_id
from lfadmin.core.session import Session
from lfadmin.db import execute

# Rows that are the account itself, not its work (docs/langflow/ownership.md §1): kept by a
# transfer, counted by `user show`.
PERSONAL = frozenset({
    "apikey",  # its credentials
    "sso_user_profile",  # its identity at the identity provider (1.10+)
    "authz_team_member",  # its memberships and role grants (1.10+)
    "authz_role_assignment",
    "authz_access_exception",  # 1.13
    "authz_edit_lock",  # a lock it holds on a flow it is editing (1.10+)
    "connection_oauth",  # an OAuth handshake it started (1.13)
})

# How `user show` and `user transfer` name a table; any other table goes by its own name.
LABELS = {
    "apikey": "api_keys",
    "variable": "variables",
    "flow": "flows",
    "folder": "projects",
    "file": "files",
    "knowledge_base": "knowledge_bases",
    "mcp_server": "mcp_servers",
}
_FIRST = ("api_keys", "variables", "flows", "projects")  # the counts `user show` always had


@dataclass(frozen=True)
class OwnerColumn:
    """One column that says which user owns a row."""

    table: str
    column: str
    implicit: bool  # no foreign key: compare spellings (docs/langflow/schema.md §9)

    @property
    def personal(self) -> bool:
        return self.table in PERSONAL

    @property
    def label(self) -> str:
        return LABELS.get(self.table, self.table)


def owner_columns(graph: Graph) -> list[OwnerColumn]:
    """Every ownership column of this schema, in the cascade's order (foreign keys first)."""
    return [
        OwnerColumn(e.table, e.column, e.implicit)
        for e in graph.edges.get("user", [])
        if e.action == "delete" and not e.column.startswith("sso_")  # sso_user_id: the IdP's id
    ]


def owned_by(s: Session, col: OwnerColumn, param: str = "uid") -> str:
    """The SQL condition "this row's owner is ``:param``" (bind it with ``owner_param``)."""
    q = s.conn.dialect.identifier_preparer.quote
    if col.implicit:
        return f"{normalized_id(q(col.column))} = :{param}_hex"
    return f"{q(col.column)} = :{param}"


def owner_param(s: Session, user_id: uuid.UUID, param: str = "uid") -> dict[str, object]:
    return {param: s.codec.uuid(user_id), f"{param}_hex": user_id.hex}


def count(s: Session, col: OwnerColumn, user_id: uuid.UUID) -> int:
    q = s.conn.dialect.identifier_preparer.quote
    sql = f"SELECT COUNT(*) FROM {q(col.table)} WHERE {owned_by(s, col)}"
    return int(execute(s.conn, sql, **owner_param(s, user_id)).scalar_one())


def owned_counts(s: Session, user_id: uuid.UUID, graph: Graph | None = None) -> dict[str, int]:
    """How many rows of each kind the user owns: API keys, variables, flows and projects first
    (always present), then every other table this release ties to a user, by name."""
    counts = dict.fromkeys(_FIRST, 0)
    for col in owner_columns(graph or Graph(s)):
        counts[col.label] = counts.get(col.label, 0) + count(s, col, user_id)
    return counts
