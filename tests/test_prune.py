"""`lfadmin db prune` / `db vacuum` and the doctor's run-history finding, on databases real Langflow
made, on both backends.

Exact output and exit codes; --keep-last keeps the newest N per flow; --dry-run changes nothing;
bad durations are one line (exit 4), nothing opened; a prune beside a writer (a second connection
writing to the same SQLite file, as a live server does) finishes without locking it out, and one
whose lock stays taken fails after keeping its committed batches, then continues on a rerun.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from lfadmin.core import retention, run_history
from lfadmin.errors import DatabaseUnavailable, Refused
from tests.support import history
from tests.support.cli import assert_one_error
from tests.support.core import make_target
from tests.support.databases import LangflowDB, make_db
from tests.support.rows import audit_records, uid

TABLES = {"1.6.9": ["message", "transaction", "vertex_build"],
          "1.13.0": ["message", "message_ingestion_record", "span", "trace", "transaction", "vertex_build"]}
CUTOFF = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"


def flow_of(db: LangflowDB) -> str:
    return str(db.manifest["flows"][0]["id"])


def rows_out(db: LangflowDB, n: int) -> str:
    return "".join(f"{t}\t{0 if t == 'message_ingestion_record' else n}\n" for t in TABLES[db.version])


def left(db: LangflowDB, n: int) -> dict[str, int]:
    return {t: n for t in history.RUN_TABLES if t in TABLES[db.version]}


def test_prune(lfdb: LangflowDB) -> None:
    flow = flow_of(lfdb)
    history.seed(lfdb, flow, 48)  # rows 0..47 hours (and a half) old
    before = lfdb.snapshot()

    dry = lfdb.run("db", "prune", "--older-than", "1d", "--keep-last", "30", "--dry-run")
    assert dry.exit_code == 0, dry
    assert dry.stdout == rows_out(lfdb, 18)  # 24 older than a day, 30 newest kept: 18 go
    n = 18 * len(left(lfdb, 0))
    assert re.fullmatch(
        f"Dry run: would delete {n} rows older than {CUTOFF} \\(keeping the newest 30 per flow\\); "
        "nothing was changed\n",
        dry.stderr,
    ), dry.stderr
    assert lfdb.snapshot() == before

    done = lfdb.run("db", "prune", "--older-than", "1d", "--keep-last", "30")
    assert done.exit_code == 0, done
    assert done.stdout == rows_out(lfdb, 18)
    assert re.fullmatch(
        f"Deleted {n} rows older than {CUTOFF} \\(keeping the newest 30 per flow\\) in \\d+ batches, "
        "[0-9.]+ s; the longest batch held the write lock \\d+ ms\n",
        done.stderr,
    ), done.stderr
    assert history.counts(lfdb, flow) == left(lfdb, 30)

    again = lfdb.run("db", "prune", "--older-than", "1d", "--json")  # no floor: the 6 older rows go
    assert again.exit_code == 0, again
    doc = again.json
    assert doc["tables"] == {t: (0 if t == "message_ingestion_record" else 6) for t in doc["tables"]}
    assert sorted(doc["tables"]) == TABLES[lfdb.version]
    assert (doc["dry_run"], doc["older_than"], doc["keep_last"], doc["total"]) == (False, "1d", None, 6 * len(left(lfdb, 0)))
    assert set(doc) == {"schema_version", "dry_run", "older_than", "cutoff", "keep_last", "tables", "total",
                        "batches", "seconds", "longest_lock_ms", "longest_wait_ms"}
    assert history.counts(lfdb, flow) == left(lfdb, 24)
    # One audit record a run (the dry run none), whatever the number of batches.
    prunes = [r for r in audit_records(lfdb) if r["command"] == "db prune"]
    assert [(r["outcome"], r["target"], sum(r["rows"].values())) for r in prunes] == [
        ("ok", ["run history older than 1d, keeping the last 30"], n),
        ("ok", ["run history older than 1d"], 6 * len(left(lfdb, 0))),
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("30", "--older-than '30' is not a duration: write a whole number of hours, days or weeks, e.g. 12h, 30d, 2w"),
        ("1.5d", "--older-than '1.5d' is not a duration: write a whole number of hours, days or weeks, e.g. 12h, 30d, 2w"),
        ("P30D", "--older-than 'P30D' is not a duration: write a whole number of hours, days or weeks, e.g. 12h, 30d, 2w"),
        ("-1d", "--older-than '-1d' is not a duration: write a whole number of hours, days or weeks, e.g. 12h, 30d, 2w"),
        ("99999w", "--older-than '99999w' is more than 100 years"),
    ],
)
def test_bad_duration(value: str, message: str) -> None:
    with pytest.raises(retention.InvalidInput) as err:
        retention.parse_duration(value)
    assert str(err.value) == message


def test_bad_input(tmp_path: Path) -> None:
    db = next(make_db("sqlite", "1.13.0", tmp_path))
    before = db.snapshot()
    res = db.run("db", "prune", "--older-than", "30")
    assert_one_error(res, 4, "Error: --older-than '30' is not a duration")
    res = db.run("db", "prune", "--older-than", "30d", "--keep-last", "-1")
    assert res.exit_code == 2 and "-1 is not in the range x>=0" in res.stderr, res
    res = db.run("db", "prune", "--older-than", "30d", user=None, LANGFLOW_AUTO_LOGIN="False")
    assert_one_error(res, 7, "a superuser must authenticate")
    res = db.run("db", "vacuum", user=None, LANGFLOW_AUTO_LOGIN="False")
    assert_one_error(res, 7, "a superuser must authenticate")
    assert db.snapshot() == before


def test_prune_beside_a_writer(tmp_path: Path) -> None:
    """A second connection writes a message every few ms, each its own transaction (as Langflow
    does), while the prune runs in small batches: neither fails, and what it wrote stays."""
    db = next(make_db("sqlite", "1.13.0", tmp_path))
    flow = flow_of(db)
    history.seed(db, flow, 200)
    assert db.path is not None
    stop, errors, written = threading.Event(), [], []

    def write() -> None:
        conn = sqlite3.connect(db.path, isolation_level=None, timeout=5)  # Langflow 1.6's busy timeout
        while not stop.is_set():
            try:
                conn.execute("BEGIN IMMEDIATE")
                written.append(uuid.uuid4().hex)
                conn.execute(
                    "INSERT INTO message (id, timestamp, flow_id, session_id, sender, sender_name, error, edit, "
                    "is_output) VALUES (?, ?, ?, 's', 'User', 'User', 0, 0, 0)",
                    (written[-1], datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"), uuid.UUID(flow).hex),
                )
                conn.execute("COMMIT")
            except sqlite3.Error as exc:  # pragma: no cover - the failure this test exists for
                errors.append(exc)
            time.sleep(0.002)
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        done = retention.prune(make_target(db, tmp_path), "1d", pacing=retention.Pacing(first_batch=10, max_batch=20))
    finally:
        stop.set()
        writer.join()
    assert errors == []
    assert done.rows["message"] == 176 and done.batches >= 5
    assert len(written) > 5
    assert db.query("SELECT COUNT(*) FROM message WHERE session_id = 's'")[0][0] == len(written)


def test_prune_locked_out_keeps_its_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer takes the lock after the first batch and keeps it past the busy timeout:
    exit 5, the committed batch stays (the message says so), and a rerun finishes the job."""
    monkeypatch.setattr("lfadmin.db.SQLITE_BUSY_TIMEOUT_MS", 1000)
    db = next(make_db("sqlite", "1.13.0", tmp_path))
    history.seed(db, flow_of(db), 48)
    assert db.path is not None
    holder = sqlite3.connect(db.path, isolation_level=None)
    commits: list[int] = []

    def grab(what: str, done: int, total: int) -> None:
        if what == "transaction" and done and not commits:
            commits.append(done)
            holder.execute("BEGIN IMMEDIATE")  # and never commits while the prune waits

    target = make_target(db, tmp_path)
    with pytest.raises(DatabaseUnavailable) as err:
        retention.prune(target, "1d", pacing=retention.Pacing(first_batch=5), progress=grab)
    assert err.value.exit_code == 5
    assert re.fullmatch(
        r"sqlite:///\S+ stayed locked for 1 s: another process is writing to it "
        r"\(after 1 committed batches deleted 5 rows; rerun the same command to delete the rest\)",
        str(err.value),
    ), str(err.value)
    holder.execute("ROLLBACK")
    holder.close()
    assert history.counts(db)["transaction"] == 43
    done = retention.prune(make_target(db, tmp_path), "1d")
    assert done.rows["transaction"] == 19 and history.counts(db) == left(db, 24)


def test_vacuum(db113: LangflowDB, tmp_path: Path) -> None:
    history.seed(db113, flow_of(db113), 200)
    assert db113.run("db", "prune", "--older-than", "0d").exit_code == 0
    res = db113.run("db", "vacuum", "--json")
    assert res.exit_code == 0, res
    doc = res.json
    assert doc["backend"] == db113.backend
    assert doc["bytes_reclaimed"] == doc["bytes_before"] - doc["bytes_after"]
    if db113.path is None:
        assert db113.query("SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'message'") == [(True,)]
        return
    assert doc["bytes_reclaimed"] > 0 and doc["notes"] == []
    assert doc["bytes_after"] == db113.path.stat().st_size  # the -wal file truncated
    # Another process has the file open (a running Langflow): refused, nothing done; --force runs.
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT 1');"
         "print('open', flush=True); sys.stdin.read()", str(db113.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "open\n"
        res = db113.run("db", "vacuum")
        assert_one_error(res, 10, f"process {proc.pid} (python", "VACUUM holds SQLite's write lock",
                         "(stop Langflow and rerun, or pass --force to vacuum while it runs)")
        res = db113.run("db", "vacuum", "--force")
        assert res.exit_code == 0, res
        assert re.fullmatch(r"Vacuumed sqlite:///\S+ in [0-9.]+ s: .+ before, .+ after \(reclaimed .+\)\n", res.stderr)
    finally:
        proc.communicate("")


def test_vacuum_needs_room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = next(make_db("sqlite", "1.13.0", tmp_path))
    target = make_target(db, tmp_path)
    monkeypatch.setattr("shutil.disk_usage", lambda _: type("U", (), {"free": 1000})())
    with pytest.raises(Refused) as err:
        retention.vacuum(target)
    assert re.fullmatch(
        r"VACUUM needs about [0-9.]+ MB free in \S+ \(the database's live data, copied while it is rebuilt\); "
        r"only 0\.0 MB is free \(free some space \(or set TMPDIR to a roomier directory\) and rerun\)",
        str(err.value),
    ), str(err.value)


def test_doctor_run_history(tmp_path: Path) -> None:
    """Far more rows than the server's own MAX_TRANSACTIONS_TO_KEEP: LF-DB-015, with the fix; the
    other tables stay under their limits (3000 builds; 100,000 messages, traces)."""
    db = next(make_db("sqlite", "1.13.0", tmp_path))
    history.seed(db, flow_of(db), 48)
    env = tmp_path / "server.env"
    env.write_text(f"LANGFLOW_DATABASE_URL={db.url}\nLANGFLOW_MAX_TRANSACTIONS_TO_KEEP=4\n")
    res = db.run("config", "doctor", "--env-file", str(env), "--format", "json", user=None)
    found = [f for f in res.json["findings"] if f["id"] == "LF-DB-015"]
    assert len(found) == 1, res
    f = found[0]
    assert f["message"] == "run history far beyond Langflow's own limits: transaction 48 rows"
    assert f["fix"] == "lfadmin db prune --older-than 30d --keep-last 4 && lfadmin db vacuum"
    assert {"variable": "LANGFLOW_MAX_TRANSACTIONS_TO_KEEP", "value": "4"}.items() <= f["evidence"][1].items()
    assert f["details"]["tables"] == {"transaction": 48, "vertex_build": 48, "message": 48, "trace": 48}


def test_a_row_written_after_the_keys_were_read_is_never_taken(
    sqlite_db: LangflowDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite gives a deleted row's rowid to the next row inserted: a flow rebuilt between the
    prune's snapshot and its batches gets the doomed rowids for its fresh builds. Each batch
    checks the cutoff again, so the fresh rows stay."""
    flow = flow_of(sqlite_db)
    fid = uid(sqlite_db, flow)
    history.seed(sqlite_db, flow, 48)
    assert sqlite_db.path is not None
    real = run_history.doomed_keys

    def rebuilt_meanwhile(s: Any, sel: Any, cutoff: Any, keep_last: Any) -> list[Any]:
        keys = real(s, sel, cutoff, keep_last)
        if sel.table.name == "vertex_build":  # Langflow rebuilds the flow: its builds go, fresh ones come
            with closing(sqlite3.connect(sqlite_db.path, timeout=30)) as w:
                cols = [r[1] for r in w.execute("PRAGMA table_info(vertex_build)")]
                rows = w.execute("SELECT * FROM vertex_build WHERE flow_id = ?", (fid,)).fetchall()
                w.execute("DELETE FROM vertex_build WHERE flow_id = ?", (fid,))
                stamp = cols.index("timestamp")
                now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
                for row in rows:
                    fresh = list(row)
                    fresh[stamp], fresh[cols.index("build_id")] = now, uuid.uuid4().hex
                    w.execute(f"INSERT INTO vertex_build VALUES ({', '.join('?' * len(cols))})", fresh)
                w.commit()
        return keys

    monkeypatch.setattr(run_history, "doomed_keys", rebuilt_meanwhile)
    res = sqlite_db.run("db", "prune", "--older-than", "1d", "--json")
    assert res.exit_code == 0, res
    assert res.json["tables"]["vertex_build"] == 0
    assert sqlite_db.query("SELECT count(*) FROM vertex_build WHERE flow_id = :f", f=fid) == [(48,)]
