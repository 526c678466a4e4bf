"""Benchmark ``db prune`` on 1M SQLite rows against the raw ``DELETE`` floor, and the longest lock
hold while a writer runs beside it.

    .venv/bin/python bench/bench_prune.py                 # 1M rows to delete (the issue's)
    .venv/bin/python bench/bench_prune.py --rows 100000   # quick

Starts from the Langflow 1.13.0 fixture (a database real Langflow made, WAL mode as Langflow keeps
it), adds ``--rows`` old messages spread over 20 flows plus 5% newer ones (the indexes Langflow
1.13 keeps on ``message`` included), then, on fresh copies of that file:

1. **ratio** (medians and bests of ``--rounds``, floor and lfadmin alternating): ``lfadmin`` -
   ``core.retention.prune(older_than="30d")`` as the command runs it (authentication, the doomed
   rows listed, batched deletes with their pauses) - against the floor: one
   ``DELETE FROM message WHERE timestamp < :cutoff`` in one transaction through Python's sqlite3.
   The issue asks for a ratio <= 1.2.
2. **lock** : the same prune while another *process* writes one message every 20 ms to the same
   file, each write its own transaction with ``busy_timeout`` 30 s (Langflow 1.10+'s); reported:
   the longest the prune held the write lock in one batch, and the writer's longest wait for one
   write. The same writer beside the floor's single DELETE shows what batching avoids.

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lfadmin.core import retention  # noqa: E402
from lfadmin.core.actor import Credentials  # noqa: E402
from lfadmin.core.target import Target  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures"
DB, MANIFEST = FIXTURE / "langflow-1.13.0.db", FIXTURE / "langflow-1.13.0.json"
NOW = datetime.now(timezone.utc)
FMT = "%Y-%m-%d %H:%M:%S.%f"
INSERT = (
    "INSERT INTO message (id, timestamp, flow_id, session_id, sender, sender_name, text, error, edit, is_output) "
    "VALUES (?, ?, ?, ?, 'User', 'User', 'hello there', 0, 0, 0)"
)


def seed(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    flows = [uuid.uuid4().hex for _ in range(20)]
    old, new = NOW - timedelta(days=60), NOW - timedelta(days=1)
    batch = []
    total = rows + rows // 20
    for i in range(total):
        when = (old if i < rows else new) - timedelta(seconds=total - i)
        flow = flows[i % 20]
        batch.append((uuid.uuid4().hex, when.strftime(FMT), flow, flow))
        if len(batch) == 50_000:
            conn.executemany(INSERT, batch)
            conn.commit()
            batch = []
    conn.executemany(INSERT, batch)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def floor(path: Path) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    cutoff = (NOW - timedelta(days=30)).strftime(FMT)
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM message WHERE timestamp < ?", (cutoff,))
    conn.execute("COMMIT")
    took = time.perf_counter() - started
    conn.close()
    return took


PACING: retention.Pacing | None = None


def lfadmin(path: Path, api_key: str) -> retention.Pruned:
    target = Target(database_url=f"sqlite:///{path}", creds=Credentials(api_key=api_key))
    return retention.prune(target, "30d", now=NOW, pacing=PACING)


def writer(path: str, stop: multiprocessing.synchronize.Event, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One message every 20 ms, each its own transaction, as a Langflow server writes."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    longest, writes, failures = 0.0, 0, 0
    flow = uuid.uuid4().hex
    while not stop.is_set():
        started = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT, (uuid.uuid4().hex, datetime.now(timezone.utc).strftime(FMT), flow, flow))
            conn.execute("COMMIT")
            writes += 1
        except sqlite3.OperationalError:
            failures += 1
        longest = max(longest, time.perf_counter() - started)
        time.sleep(0.02)
    conn.close()
    out.put({"writes": writes, "failures": failures, "longest_wait_ms": round(longest * 1000, 1)})


def beside_writer(path: Path, run: object) -> tuple[object, dict[str, object]]:
    stop, out = multiprocessing.Event(), multiprocessing.Queue()
    proc = multiprocessing.Process(target=writer, args=(str(path), stop, out))
    proc.start()
    time.sleep(0.5)  # the writer is writing
    result = run()  # type: ignore[operator]
    time.sleep(0.2)
    stop.set()
    stats = out.get(timeout=60)
    proc.join()
    return result, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    api_key = next(k["plaintext"] for k in json.loads(MANIFEST.read_text())["api_keys"] if k["owner"] == "admin")
    with tempfile.TemporaryDirectory(prefix="lfadmin-bench-prune-") as tmp:
        base = Path(tmp) / "base.db"
        shutil.copy(DB, base)
        started = time.perf_counter()
        seed(base, args.rows)
        print(f"seeded {args.rows} old + {args.rows // 20} new messages in {time.perf_counter() - started:.1f} s "
              f"({base.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)

        def fresh(name: str) -> Path:
            path = Path(tmp) / name
            shutil.copy(base, path)
            return path

        floors, ours = [], []
        pruned = None
        for _ in range(args.rounds):
            floors.append(floor(fresh("floor.db")))
            path = fresh("lfadmin.db")
            started = time.perf_counter()
            pruned = lfadmin(path, api_key)
            ours.append(time.perf_counter() - started)
            assert pruned.rows["message"] == args.rows, pruned.rows
        assert pruned is not None
        med_floor, med = statistics.median(floors), statistics.median(ours)
        print(f"ratio: DELETE floor median {med_floor:.2f} s, lfadmin median {med:.2f} s, ratio {med / med_floor:.2f} "
              f"(best {min(ours) / min(floors):.2f}; {pruned.batches} batches, longest lock "
              f"{pruned.longest_lock * 1000:.0f} ms; floor {', '.join(f'{t:.2f}' for t in floors)}, "
              f"lfadmin {', '.join(f'{t:.2f}' for t in ours)})")

        locked, stats = beside_writer(fresh("busy.db"), lambda: lfadmin(Path(tmp) / "busy.db", api_key))
        assert isinstance(locked, retention.Pruned)
        print(f"beside a writer: lfadmin {locked.seconds:.2f} s, {locked.batches} batches, longest lock hold "
              f"{locked.longest_lock * 1000:.0f} ms, longest wait for the lock {locked.longest_wait * 1000:.0f} ms; "
              f"writer: {stats}")
        took, floor_stats = beside_writer(fresh("busy-floor.db"), lambda: floor(Path(tmp) / "busy-floor.db"))
        print(f"beside a writer: DELETE floor {took:.2f} s (one lock hold); writer: {floor_stats}")


if __name__ == "__main__":
    main()
