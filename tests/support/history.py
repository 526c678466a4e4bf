"""Run history as Langflow writes it (messages, transactions, vertex builds, traces with spans),
seeded behind lfadmin's back for the prune tests, and counted back.

Rows carry the columns every release 1.6-1.13 requires, in each backend's spelling
(``tests.support.rows``); timestamps are one hour apart, the newest half an hour ago (so
``--older-than 1d`` takes rows 24..N-1, whenever the test runs).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.support.databases import LangflowDB
from tests.support.rows import flag, uid

RUN_TABLES = ("transaction", "vertex_build", "message", "trace", "span")


def tables(db: LangflowDB) -> set[str]:
    from sqlalchemy import inspect

    with db.connection() as conn:
        return set(inspect(conn).get_table_names())


def stamp(db: LangflowDB, when: datetime) -> Any:
    return when if db.backend == "postgresql" else when.strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(db: LangflowDB, flow_id: str, hours: int) -> None:
    """``hours`` rows per run-history table for ``flow_id`` (a trace with one span each), one an
    hour, the newest half an hour ago."""
    present = tables(db)
    fid, now = uid(db, flow_id), datetime.now(timezone.utc)
    owner = db.query("SELECT user_id FROM flow WHERE id = :f", f=fid)[0][0]
    with db.connection() as conn:
        from sqlalchemy import inspect

        owned = {"user_id"} & {c["name"] for c in inspect(conn).get_columns("message")}  # 1.13 scopes by owner
    who, whom = ("user_id, ", ":owner, ") if owned else ("", "")
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in RUN_TABLES}
    for i in range(hours):
        ts = stamp(db, now - timedelta(hours=i, minutes=30))
        trace = uuid.uuid4()
        rows["message"].append({
            "id": uid(db, str(uuid.uuid4())), "ts": ts, "flow": fid, "sid": flow_id, "f": flag(db, False),
            "owner": owner,
        })
        rows["transaction"].append({"id": uid(db, str(uuid.uuid4())), "ts": ts, "flow": fid, "owner": owner})
        rows["vertex_build"].append({"id": uid(db, str(uuid.uuid4())), "ts": ts, "flow": fid, "t": flag(db, True)})
        rows["trace"].append({"id": uid(db, str(trace)), "ts": ts, "flow": fid})
        rows["span"].append({"id": uid(db, str(uuid.uuid4())), "ts": ts, "trace": uid(db, str(trace))})
    db.execute_many(
        f"INSERT INTO message ({who}id, timestamp, flow_id, session_id, sender, sender_name, text, error, edit, "
        "files, properties, content_blocks) "
        f"VALUES ({whom}:id, :ts, :flow, :sid, 'User', 'User', 'hello', :f, :f, '[]', '{{}}', '[]')",
        rows["message"],
    )
    db.execute_many(
        f'INSERT INTO "transaction" ({who}id, timestamp, flow_id, vertex_id, status) '
        f"VALUES ({whom}:id, :ts, :flow, 'ChatInput-abc', 'success')",
        rows["transaction"],
    )
    db.execute_many(
        "INSERT INTO vertex_build (build_id, timestamp, flow_id, id, valid) VALUES (:id, :ts, :flow, 'ChatInput-abc', :t)",
        rows["vertex_build"],
    )
    if "trace" in present:
        db.execute_many(
            "INSERT INTO trace (id, name, status, start_time, total_latency_ms, total_tokens, flow_id) "
            "VALUES (:id, 'run', 'ok', :ts, 5, 0, :flow)",
            rows["trace"],
        )
        db.execute_many(
            "INSERT INTO span (id, trace_id, name, span_type, status, start_time, latency_ms, span_kind) "
            "VALUES (:id, :trace, 'ChatInput', 'chain', 'ok', :ts, 5, 'INTERNAL')",
            rows["span"],
        )


def counts(db: LangflowDB, flow_id: str | None = None) -> dict[str, int]:
    """Rows per run-history table present (of one flow; spans by their trace's flow)."""
    present = tables(db)
    out = {}
    for t in RUN_TABLES:
        if t not in present:
            continue
        sql = f'SELECT COUNT(*) FROM "{t}"'
        if flow_id is not None:
            sql += " WHERE trace_id IN (SELECT id FROM trace WHERE flow_id = :f)" if t == "span" else " WHERE flow_id = :f"
        out[t] = int(db.query(sql, f=uid(db, flow_id) if flow_id else None)[0][0])
    return out
