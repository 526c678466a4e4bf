"""Erasing a user and everything that points at it, on any Langflow schema.

Langflow 1.13 erases a user in a fixed order (docs/langflow/auth.md §8): the user's flows with their
messages, transactions, builds, traces and jobs; then the rows the user owns elsewhere; then
NULLs the user out of "who did it" columns (created_by, assigned_by, last_modified_by, audit);
then folders; finally the user row. Older releases only ran the ORM cascade, which left orphans
(and SQLite enforces nothing). We reproduce the 1.13 outcome on every release by walking the
foreign-key graph that the database itself declares, children before parents, plus the id
columns Langflow keeps without a foreign key (docs/langflow/schema.md §9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lfadmin.core.session import Progress, Session
from lfadmin.db import execute

if TYPE_CHECKING:
    import uuid

# Tables whose rows are the record of an erasure: 1.13 keeps data_subject_request naming the
# erased user (docs/langflow/auth.md §8, "only data_subject_request.subject_user_id still names the user").
_KEEP_TABLES = frozenset({"data_subject_request", "alembic_version"})
# Audit tables: the user's id is NULLed, the event stays.
_AUDIT_TABLES = frozenset({"audit_events", "authz_audit_log"})
# FK-less columns holding a user id that mean "who did it", not "who owns it": NULLed.
_ACTOR_SUFFIXES = ("_by", "actor_id", "last_modified_by", "administrative_actor")


@dataclass(frozen=True)
class DeleteStep:
    """What erasing a user did (or would do) to one column of one table."""

    table: str
    column: str
    action: str  # "delete" | "set NULL"
    rows: int


@dataclass(frozen=True)
class Edge:
    table: str  # the referencing table
    column: str  # its column
    target: str  # the referenced table
    target_column: str
    action: str  # "delete" | "nullify"
    implicit: bool = False  # no foreign key: the column may be VARCHAR and hold either id spelling


@dataclass(frozen=True)
class Step:
    sql: str  # binds :uid, the user's id
    table: str
    column: str  # the column that selects the rows (counted per table, column and action)
    action: str  # "delete" | "set NULL"


class Graph:
    def __init__(self, s: Session) -> None:
        import warnings

        from sqlalchemy import inspect
        from sqlalchemy.exc import SAWarning

        self.s = s
        insp = inspect(s.conn)
        self.tables = set(insp.get_table_names())
        self.columns: dict[str, dict[str, bool]] = {}  # table -> column -> nullable
        for (_, table), reflected in insp.get_multi_columns().items():
            self.columns[table] = {c["name"]: bool(c.get("nullable", True)) for c in reflected}
        self.edges: dict[str, list[Edge]] = {}
        covered: set[tuple[str, str]] = set()
        with warnings.catch_warnings():
            # SQLite: Langflow's migrations leave FKs in the DDL that PRAGMA foreign_key_list
            # does not report (e.g. file.user_id); SQLAlchemy warns and we use what it found.
            warnings.simplefilter("ignore", SAWarning)
            all_fks = insp.get_multi_foreign_keys()
        for (_, table), fks in all_fks.items():
            for fk in fks:
                if len(fk["constrained_columns"]) != 1:
                    continue
                col = fk["constrained_columns"][0]
                if (table, col) in covered:
                    continue  # PG's flow.user_id carries three FKs to user.id
                covered.add((table, col))
                ondelete = ((fk.get("options") or {}).get("ondelete") or "").upper()
                action = self._action(table, col, fk_set_null=ondelete == "SET NULL")
                self._add(Edge(table, col, fk["referred_table"], fk["referred_columns"][0], action))
        # Id columns without a foreign key (docs/langflow/schema.md §9).
        for table, nullable_by_col in self.columns.items():
            if table in _KEEP_TABLES:
                continue
            for col in nullable_by_col:
                if (table, col) in covered:
                    continue
                target = _implicit_target(col)
                if target is None or target not in self.tables or table == target:
                    continue
                action = self._action(table, col, fk_set_null=False)
                self._add(Edge(table, col, target, "id", action, implicit=True))

    def plan(self, table: str, where: str, via: str, depth: int = 0) -> list[Step]:
        """The statements that delete the rows of ``table`` matching ``where``, after everything
        that points at them, children first (``via``: the column that selected them)."""
        if depth > 8:
            raise RuntimeError(f"foreign-key chain too deep at {table}")
        q = self.s.conn.dialect.identifier_preparer.quote
        steps: list[Step] = []
        for edge in self.edges.get(table, []):
            if edge.implicit:
                # Compare spellings, not types: FK-less id columns may be VARCHAR holding a dashed
                # or a 32-hex id, while the target is CHAR(32) (SQLite) or uuid (PostgreSQL).
                ids = f"SELECT {normalized_id(q(edge.target_column))} FROM {q(table)} WHERE {where}"
                child_where = f"{normalized_id(q(edge.column))} IN ({ids})"
            else:
                ids = f"SELECT {q(edge.target_column)} FROM {q(table)} WHERE {where}"
                child_where = f"{q(edge.column)} IN ({ids})"
            if edge.table == table or edge.action == "nullify":
                # A self reference (folder.parent_id) is detached inside the doomed set first.
                sql = f"UPDATE {q(edge.table)} SET {q(edge.column)} = NULL WHERE {child_where}"
                steps.append(Step(sql, edge.table, edge.column, "set NULL"))
            else:
                steps += self.plan(edge.table, child_where, edge.column, depth + 1)
        steps.append(Step(f"DELETE FROM {q(table)} WHERE {where}", table, via, "delete"))
        return steps

    def _action(self, table: str, column: str, *, fk_set_null: bool) -> str:
        nullable = self.columns.get(table, {}).get(column, True)
        if not nullable:
            return "delete"
        if fk_set_null or table in _AUDIT_TABLES or column.endswith(_ACTOR_SUFFIXES):
            return "nullify"
        return "delete"  # nullable ownership columns: folder.user_id, flow.user_id, message.user_id

    def _add(self, edge: Edge) -> None:
        if edge.table in _KEEP_TABLES:
            return
        self.edges.setdefault(edge.target, []).append(edge)


def _implicit_target(column: str) -> str | None:
    if column == "user_id" or column.endswith("_user_id") or column.endswith(_ACTOR_SUFFIXES):
        return "user"
    if column == "flow_id":
        return "flow"
    return None


def run_cascade(
    s: Session, user_id: uuid.UUID, progress: Progress | None = None
) -> list[DeleteStep]:
    """Every statement that erases the user, children first; ``progress`` hears of each one."""
    steps = Graph(s).plan("user", "id = :uid", "id")
    counts: dict[tuple[str, str, str], int] = {}
    for done, step in enumerate(steps, 1):
        result = execute(s.conn, step.sql, uid=s.codec.uuid(user_id))
        key = (step.table, step.column, step.action)
        counts[key] = counts.get(key, 0) + int(result.rowcount or 0)
        if progress:
            progress("statements", done, len(steps))
    return [
        DeleteStep(table, column, action, n)
        for (table, column, action), n in counts.items()
        if n
    ]


def normalized_id(column_sql: str) -> str:
    """An id column as 32 lower-case hex digits, whichever spelling or type it holds."""
    return f"lower(replace(CAST({column_sql} AS TEXT), '-', ''))"
