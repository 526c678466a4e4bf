"""Benchmark ``secrets rotate``: N variables + M API keys, next to raw Fernet on the same values.

    .venv/bin/python bench/bench_rotate.py                      # SQLite, 100k variables + 10k keys
    .venv/bin/python bench/bench_rotate.py --variables 20000 --api-keys 2000
    .venv/bin/python bench/bench_rotate.py --pg postgresql://postgres:postgres@127.0.0.1:5432/postgres

Starts from the Langflow 1.13.0 fixture (a database real Langflow made), adds rows the way
Langflow stores them (Credential variables as Fernet tokens, API keys as Fernet + SHA-256), then
times in one process:

* ``crypto``: raw Fernet decrypt (old key) + encrypt (new key) of exactly the stored values,
* ``rotate``: lfadmin's rotation (one transaction, batches, pre-commit verification), to a new
  key and back and so on, ``--rounds`` times, each run right after a ``crypto`` run,

and reports throughput, the DB overhead (rotate - crypto) relative to crypto, and how much the
peak RSS grew during the first rotation, which should not grow with N (streaming, keyset batches).
Each timing is the best of its runs: CPU speed on shared machines drifts by tens of percent
within a minute (the same build has read anywhere from 1.06x to 1.66x in single runs), and
interleaving the two kinds of run keeps a slow spell from landing on one kind only.
(No tracemalloc: tracing every allocation slows the rotation several-fold and skews the ratio.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURE = ROOT / "tests" / "fixtures" / "langflow-1.13.0"
OLD = "pgKYWuLArhDvGnZTwnynNr_fKqvO8DyH-6t2iZQb8eY"  # the 1.13.0 fixture's key
NOW = "2026-11-26 10:00:00.000000"


def populate(url: str, n_vars: int, n_keys: int) -> None:
    from cryptography.fernet import Fernet
    from sqlalchemy import create_engine, text

    f = Fernet(OLD + "=")
    engine = create_engine(url)
    with engine.begin() as conn:
        owner = conn.execute(text("SELECT id FROM \"user\" WHERE username = 'admin'")).scalar_one()
        batch = []
        for i in range(n_vars):
            token = f.encrypt(f"sk-bench-{i:08d}".encode()).decode()
            batch.append({"i": uuid.uuid4().hex, "n": f"BENCH_{i}", "v": token, "u": owner, "c": NOW})
            if len(batch) == 5000:
                conn.execute(text("INSERT INTO variable (id, name, value, type, created_at, updated_at, user_id, "
                                  "default_fields, is_environment_managed) VALUES (:i, :n, :v, 'Credential', :c, "
                                  "NULL, :u, '[]', false)"), batch)
                batch = []
        if batch:
            conn.execute(text("INSERT INTO variable (id, name, value, type, created_at, updated_at, user_id, "
                              "default_fields, is_environment_managed) VALUES (:i, :n, :v, 'Credential', :c, "
                              "NULL, :u, '[]', false)"), batch)
        batch = []
        for i in range(n_keys):
            plain = "sk-" + secrets.token_urlsafe(32)
            batch.append({"i": uuid.uuid4().hex, "n": f"bench-{i}", "k": f.encrypt(plain.encode()).decode(),
                          "h": hashlib.sha256(plain.encode()).hexdigest(), "u": owner, "c": NOW})
        if batch:
            conn.execute(text("INSERT INTO apikey (id, name, created_at, total_uses, is_active, api_key, user_id, "
                              "api_key_hash) VALUES (:i, :n, :c, 0, true, :k, :u, :h)"), batch)
    # A server's autovacuum analyzes tables that grow like this long before anyone rotates; a
    # scratch database has not had the time, and stale statistics (a 15-row table) would plan
    # each batch's UPDATE as a scan of the whole table.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE variable, apikey"))
    engine.dispose()


def stored_tokens(url: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        out = [r[0] for r in conn.execute(text("SELECT value FROM variable WHERE value LIKE 'gAAAAA%'"))]
        out += [r[0] for r in conn.execute(text("SELECT api_key FROM apikey WHERE api_key LIKE 'gAAAAA%'"))]
    engine.dispose()
    return out


def crypto_only(tokens: list[str], now: str, other: str) -> float:
    """Raw Fernet on the same values: decrypt with the key they are under now (the new one,
    after the rotation) and encrypt with the other - the same work per value as the rotation."""
    from cryptography.fernet import Fernet

    now_f, other_f = Fernet(now + "="), Fernet(other + "=")
    t0 = time.perf_counter()
    for tok in tokens:
        other_f.encrypt(now_f.decrypt(tok.encode()))
    return time.perf_counter() - t0


def admin_api_key(manifest: Path) -> str:
    """The fixture's admin API key: the bench authenticates as the CLI does (1.13: no AUTO_LOGIN)."""
    data = json.loads(manifest.read_text())
    return str(next(k["plaintext"] for k in data["api_keys"] if k["owner"] == "admin"))


def rotate(url: str, old: str, new: str, verify_all: bool, api_key: str) -> tuple[float, int]:
    """One ``secrets rotate`` through the same core call as the CLI: an authenticated Target."""
    from lfadmin.core.actor import Credentials
    from lfadmin.core.secrets import rotation
    from lfadmin.core.target import Target

    os.environ["LANGFLOW_SECRET_KEY"] = old
    os.environ["LANGFLOW_CONFIG_DIR"] = tempfile.mkdtemp(prefix="bench-cfg-")
    tgt = Target(database_url=url, creds=Credentials(api_key=api_key))
    req = rotation.RotationRequest(new_key=new, force=True, verify_all=verify_all)
    t0 = time.perf_counter()
    receipt = rotation.rotate(tgt, req)
    return time.perf_counter() - t0, receipt.changed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variables", type=int, default=100_000)
    ap.add_argument("--api-keys", type=int, default=10_000)
    ap.add_argument("--pg", metavar="ADMIN_URL", help="run on PostgreSQL (a scratch database is created)")
    ap.add_argument("--verify-all", action="store_true")
    ap.add_argument("--rounds", type=int, default=3, help="rotations and crypto runs, interleaved (best of each)")
    ap.add_argument("--fixture", default=str(FIXTURE), help="path prefix of the 1.13.0 fixture (.db/.pg.sql)")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    work = Path(tempfile.mkdtemp(prefix="bench-rotate-"))
    if args.pg:
        from sqlalchemy.engine import make_url

        name = f"lfadmin_bench_{uuid.uuid4().hex[:8]}"
        admin = make_url(args.pg)
        subprocess.run(["psql", "-q", "-d", args.pg, "-c", f'CREATE DATABASE "{name}"'], check=True)
        target = admin.set(database=name).render_as_string(hide_password=False)
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", target, "-f", f"{args.fixture}.pg.sql"],
                       check=True, capture_output=True)
        url = target.replace("postgresql://", "postgresql+psycopg://", 1)
        api_key = admin_api_key(Path(f"{args.fixture}.pg.json"))
    else:
        db = work / "langflow.db"
        shutil.copyfile(f"{args.fixture}.db", db)
        url = f"sqlite:///{db}"
        api_key = admin_api_key(Path(f"{args.fixture}.json"))
    try:
        t0 = time.perf_counter()
        populate(url, args.variables, args.api_keys)
        print(f"populated {args.variables} variables + {args.api_keys} API keys in {time.perf_counter() - t0:.1f} s")
        keys = [OLD, secrets.token_urlsafe(32)]
        # The first rotation before anything big is loaded, so the peak-RSS growth is its own.
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        first, changed = rotate(url, keys[0], keys[1], args.verify_all, api_key)
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # KiB on Linux
        rotations, crypto_runs = [first], []
        tokens = stored_tokens(url)  # under keys[1]: each crypto run opens them with it
        for i in range(1, args.rounds + 1):
            crypto_runs.append(crypto_only(tokens, keys[1], keys[0]))
            if i < args.rounds:
                rotations.append(rotate(url, keys[i % 2], keys[(i + 1) % 2], args.verify_all, api_key)[0])
        del tokens
        elapsed, crypto = min(rotations), min(crypto_runs)
        backend = "postgresql" if args.pg else "sqlite"
        print(f"backend            {backend}")
        print(f"values rotated     {changed}")
        print(f"raw Fernet         {crypto:.2f} s  ({changed / crypto:,.0f} values/s decrypt+encrypt; "
              f"runs {', '.join(f'{t:.2f}' for t in crypto_runs)})")
        print(f"lfadmin rotate     {elapsed:.2f} s  ({changed / elapsed:,.0f} values/s, incl. verification; "
              f"runs {', '.join(f'{t:.2f}' for t in rotations)})")
        print(f"DB overhead        {elapsed - crypto:.2f} s  ({(elapsed - crypto) / crypto:.2f}x the crypto)")
        print(f"peak RSS growth    {peak:.1f} MiB during the first rotation")
    finally:
        if args.pg:
            subprocess.run(["psql", "-q", "-d", args.pg, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
