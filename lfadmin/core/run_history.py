"""Which tables are Langflow's run history on this database, and the SQL that selects and deletes
their old rows (docs/langflow/run-history.md).

Run history is what Langflow writes while flows run: ``message`` (chat messages), ``transaction``
(component inputs/outputs), ``vertex_build`` (build results), and from 1.8 ``trace`` with its
``span`` rows. Each table is taken when the detected schema has it, with its timestamp and
``flow_id`` columns; rows that point at a doomed row (``span`` at ``trace``,
``message_ingestion_record`` at ``message``) are found from the foreign keys the database declares,
by the graph the user erasure walks (``lfadmin.core.cascade``), so a release that adds such a
table is covered without a list here.

Dialect notes: a batch is named by one bound parameter on both backends. SQLite: the rows'
``rowid`` (an integer, cheap to hold and the table's own b-tree order) as a JSON array read by
``json_each``; PostgreSQL: the primary keys as a ``uuid[]`` array (``= ANY``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lfadmin.core.cascade import Graph, Step
from lfadmin.core.session import Session
from lfadmin.db import execute


@dataclass(frozen=True)
class RunTable:
    """One run-history table as Langflow's model declares it."""

    name: str
    time_column: str  # when the row was written: what --older-than compares
    key: str  # its primary key column
    langflow_limit: str | None  # the setting that caps it, if any (docs/langflow/run-history.md §2)


# Langflow's models: langflow/services/database/models/{transactions,vertex_builds,message,traces}/model.py
RUN_TABLES = (
    RunTable("transaction", "timestamp", "id", "MAX_TRANSACTIONS_TO_KEEP"),
    RunTable("vertex_build", "timestamp", "build_id", "MAX_VERTEX_BUILDS_TO_KEEP"),
    RunTable("message", "timestamp", "id", None),
    RunTable("trace", "start_time", "id", None),
)


def present(s: Session) -> list[RunTable]:
    """The run-history tables this database has (a table without its columns is not Langflow's)."""
    from sqlalchemy import inspect

    insp = inspect(s.conn)
    found = []
    for t in RUN_TABLES:
        if s.schema.has(t.name):
            columns = {c["name"] for c in insp.get_columns(t.name)}
            if {t.time_column, t.key, "flow_id"} <= columns:
                found.append(t)
    return found


@dataclass(frozen=True)
class Selection:
    """The rows of one run-history table that a prune removes."""

    table: RunTable
    doomed_sql: str  # SELECT of the doomed rows' keys (binds :cutoff, and :keep when set)
    steps: list[Step]  # children first, then the table itself; each binds :keys (one batch)
    children: list[Step]  # the same statements' children, selecting by doomed_sql (for counting)


def select(s: Session, graph: Graph, table: RunTable, keep_last: int | None) -> Selection:
    """The statements that find and delete ``table``'s rows older than ``:cutoff`` outside the
    newest ``keep_last`` of their flow (None: no per-flow floor)."""
    q = s.conn.dialect.identifier_preparer.quote
    t, ts, pk = q(table.name), q(table.time_column), q(table.key)
    key = "rowid" if s.backend == "sqlite" else pk
    if keep_last is None:
        doomed = f"SELECT {key} FROM {t} WHERE {ts} < :cutoff"
    else:  # the newest first within each flow, ties broken by key as Langflow's own cleanup does
        doomed = (
            f"SELECT k FROM (SELECT {key} AS k, {ts} AS ts, ROW_NUMBER() OVER "
            f"(PARTITION BY flow_id ORDER BY {ts} DESC, {pk} DESC) AS rn FROM {t}) AS ranked "
            "WHERE ts < :cutoff AND rn > :keep"
        )
    in_batch = f"{key} IN (SELECT value FROM json_each(:keys))" if s.backend == "sqlite" else f"{key} = ANY(:keys)"
    # The cutoff again, at each batch: the keys were read in a snapshot, and SQLite gives a
    # deleted row's rowid to the next row inserted (a flow rebuilt meanwhile): a key must never
    # take a row written after the cutoff with it.
    in_batch += f" AND {ts} < :cutoff"
    steps = graph.plan(table.name, in_batch, table.key)
    counted = graph.plan(table.name, f"{key} IN ({doomed})", table.key)
    return Selection(table, doomed, steps, [st for st in counted[:-1] if st.action == "delete"])


def params(s: Session, cutoff: datetime, keep_last: int | None) -> dict[str, Any]:
    return {"cutoff": s.codec.datetime(cutoff), "keep": keep_last or 0}


def doomed_keys(s: Session, sel: Selection, cutoff: datetime, keep_last: int | None) -> list[Any]:
    """Every doomed row's key, read once in the session's snapshot: a row Langflow writes later is
    newer than the cutoff and only raises the older rows' rank, so the list never grows stale in
    the unsafe direction (a row already gone is simply not counted).

    SQLite: through the driver's own cursor (the statement's ``:name`` parameters are sqlite3's
    own style), as a million rowids through SQLAlchemy's result rows cost seconds; and sorted, so
    that each batch deletes neighbouring rows. SQLite reads the doomed rows from whichever index
    covers the query - in 1.13 ``message``'s (flow_id, session_id, timestamp) one - so unsorted,
    a batch took every 20th row of the table and rewrote nearly every page of it and of its
    indexes: 2.5 times the single ``DELETE`` (docs/retention.md §4)."""
    p = params(s, cutoff, keep_last)
    raw = s.conn.connection.driver_connection if s.backend == "sqlite" else None
    if raw is not None:
        return sorted(row[0] for row in raw.execute(sel.doomed_sql, p).fetchall())
    return list(execute(s.conn, sel.doomed_sql, **p).scalars())


def counts(s: Session, sel: Selection, cutoff: datetime, keep_last: int | None) -> dict[str, int]:
    """How many rows a prune would delete, per table (the table's own and those pointing at them)."""
    p = params(s, cutoff, keep_last)
    out = {sel.table.name: int(execute(s.conn, f"SELECT COUNT(*) FROM ({sel.doomed_sql}) AS doomed", **p).scalar_one())}
    for step in sel.children:
        n = int(execute(s.conn, "SELECT COUNT(*) FROM" + step.sql.removeprefix("DELETE FROM"), **p).scalar_one())
        out[step.table] = out.get(step.table, 0) + n
    return out


def batch_param(backend: str, keys: list[Any]) -> Any:
    """One batch's keys as the single parameter ``:keys`` the statements bind."""
    return json.dumps(keys) if backend == "sqlite" else keys


def table_counts(s: Session) -> dict[str, int]:
    """Rows per run-history table present (for the doctor)."""
    q = s.conn.dialect.identifier_preparer.quote
    return {t.name: int(execute(s.conn, f"SELECT COUNT(*) FROM {q(t.name)}").scalar_one()) for t in present(s)}


def busiest_flow(s: Session, table: RunTable) -> tuple[str | None, int]:
    """The flow with the most rows in ``table``, and how many."""
    q = s.conn.dialect.identifier_preparer.quote
    row = execute(
        s.conn,
        f"SELECT flow_id, COUNT(*) AS n FROM {q(table.name)} GROUP BY flow_id ORDER BY n DESC LIMIT 1",
    ).first()
    if row is None:
        return None, 0
    return (str(s.codec.read_uuid(row[0])) if row[0] is not None else None), int(row[1])
