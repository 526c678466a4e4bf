"""Deleting many rows in short transactions, so a live Langflow server keeps writing
(docs/retention.md §2).

SQLite has one writer at a time: a single ``DELETE`` of a million rows holds the write lock for
seconds to minutes, and Langflow's own writes wait - and fail once its busy timeout runs out (5 s
before 1.10, 30 s from 1.10). So each batch is its own transaction, sized to hold the lock for
about ``Pacing.target_hold`` seconds, and the lock is let go between batches long enough for a
waiting writer to get in: SQLite's busy handler sleeps up to 100 ms between attempts, so after
every ``Pacing.window_every`` seconds of holding it, the loop pauses ``Pacing.window`` (longer
than that sleep) and checkpoints the WAL in that pause, outside any transaction. PostgreSQL's
deletes take row locks only, which Langflow's inserts never wait for: batches keep its
transactions short, and no pause is needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lfadmin.core.cascade import Step
from lfadmin.core.run_history import batch_param
from lfadmin.db import Database, execute
from lfadmin.errors import LfadminError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Pacing:
    target_hold: float = 0.4  # seconds a batch should hold the write lock (it grows to about half that)
    first_batch: int = 500
    max_batch: int = 50_000
    gap: float = 0.03  # pause after each batch, as a share of its hold (min 1 ms)
    window_every: float = 1.0  # seconds of held lock after which ...
    window: float = 0.11  # ... a pause longer than SQLite's longest busy-handler sleep (100 ms)
    # No fsync per batch (a power cut loses the last batches, which the rerun deletes again), no
    # checkpoint inside COMMIT (the loop checkpoints in its pauses, with the lock let go), and a
    # 64 MB page cache, not 2 MB: each batch looks rows up all over the primary-key index (random
    # UUIDs; ~50 MB for 1M messages), which 2 MB re-read from the WAL batch after batch.
    sqlite_pragmas: tuple[str, ...] = ("synchronous = NORMAL", "wal_autocheckpoint = 0", "cache_size = -65536")


NO_PAUSE = Pacing(gap=0.0, window_every=float("inf"), window=0.0)


@dataclass
class Tally:
    """What the batches did so far."""

    rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    batches: int = 0
    longest_hold: float = 0.0  # seconds, BEGIN (lock taken) to COMMIT done
    longest_wait: float = 0.0  # seconds a batch waited for the lock (another writer held it)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def delete_in_batches(
    db: Database,
    steps: list[Step],
    keys: list[Any],
    tally: Tally,
    pacing: Pacing,
    *,
    bind: dict[str, Any],
    on_commit: Callable[[], None],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Run ``steps`` (binding ``:keys`` and ``bind``) over ``keys``, one transaction per batch. A
    failure rolls back only the batch it happened in; the message says what earlier batches deleted."""
    size, done, held_since_window = pacing.first_batch, 0, 0.0
    try:
        with db.connection(write=True) as conn:
            raw = conn.connection.driver_connection if db.backend == "sqlite" else None
            if raw is not None:  # outside any transaction, as pragmas must be
                for pragma in pacing.sqlite_pragmas:
                    raw.execute(f"PRAGMA {pragma}")
            while done < len(keys):
                chunk = keys[done : done + size]
                asked = time.monotonic()
                with conn.begin():  # SQLite: BEGIN IMMEDIATE, the write lock
                    locked = time.monotonic()
                    param = batch_param(db.backend, chunk)
                    counted = [
                        (st, int(execute(conn, st.sql, keys=param, **bind).rowcount or 0))
                        for st in steps
                        if st is steps[-1] or _has_rows(conn, st.table)
                    ]
                hold = time.monotonic() - locked
                for st, n in counted:
                    if st.action == "delete":
                        tally.rows[st.table] = tally.rows.get(st.table, 0) + n
                tally.batches += 1
                tally.longest_hold = max(tally.longest_hold, hold)
                tally.longest_wait = max(tally.longest_wait, locked - asked)
                on_commit()
                done += len(chunk)
                if progress:
                    progress(done)
                size = _next_size(size, hold, pacing)
                held_since_window += hold
                if held_since_window >= pacing.window_every or done >= len(keys):
                    paused = time.monotonic()
                    if raw is not None:  # PASSIVE: copies what it can, never waits for anyone
                        raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    time.sleep(max(0.0, pacing.window - (time.monotonic() - paused)))
                    held_since_window = 0.0
                elif pacing.gap:
                    time.sleep(max(hold * pacing.gap, 0.001))
    except LfadminError as exc:
        if tally.batches:
            exc.message += (
                f" (after {tally.batches} committed batches deleted {tally.total} rows; "
                "rerun the same command to delete the rest)"
            )
        raise


def _has_rows(conn: Connection, table: str) -> bool:
    """Whether a table pointing at the doomed rows holds any row now (inside the batch's
    transaction, so exact): most databases never fill ``message_ingestion_record``, and its
    statement costs a tenth of the batch."""
    q = conn.dialect.identifier_preparer.quote
    return execute(conn, f"SELECT 1 FROM {q(table)} LIMIT 1").first() is not None


def _next_size(size: int, hold: float, pacing: Pacing) -> int:
    if hold < pacing.target_hold / 2:
        return min(size * 2, pacing.max_batch)
    if hold > pacing.target_hold * 1.5:
        return max(size // 2, 1)
    return size
