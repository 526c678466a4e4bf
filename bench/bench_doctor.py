"""How long `lfadmin config doctor` takes: on an env file alone, and on a database with 100k users
and 100k API keys.

    python bench/bench_doctor.py [--fixture tests/fixtures/langflow-1.13.0.db] [--rows 100000] [--runs 3]

The big database is a copy of a Langflow-made fixture with synthetic rows added with plain SQL
(the same shapes Langflow writes: 32-hex ids, 0/1 booleans, ``%Y-%m-%d %H:%M:%S.%f`` UTC
timestamps; API keys as plaintext on schemas without ``api_key_hash``, else Fernet token +
SHA-256). Ten of the synthetic users are superusers, so the bounded bcrypt check has work to do.
We report the median wall time of the core call (``lfadmin.core.doctor.run``) and of the whole
command as a fresh process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FMT = "%Y-%m-%d %H:%M:%S.%f"


def populate(db: Path, rows: int, secret: str) -> None:
    import bcrypt
    from cryptography.fernet import Fernet

    conn = sqlite3.connect(db)
    apikey_cols = {r[1] for r in conn.execute("PRAGMA table_info(apikey)")}
    hashed = "api_key_hash" in apikey_cols
    fernet = Fernet(secret.encode() + b"=" * ((4 - len(secret) % 4) % 4)) if hashed else None
    pw = bcrypt.hashpw(b"Synthetic-pass-1", bcrypt.gensalt(12)).decode()
    # the ten superusers get hashes of their own, so the bounded bcrypt check cannot share work
    su_pw = [bcrypt.hashpw(f"Superuser-pass-{i}".encode(), bcrypt.gensalt(12)).decode() for i in range(10)]
    now = datetime.now(timezone.utc)
    user_ids = [secrets.token_hex(16) for _ in range(rows)]
    conn.executemany(
        'INSERT INTO "user" (id, username, password, is_active, is_superuser, create_at, updated_at, last_login_at) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                uid,
                f"user{i:06d}",
                su_pw[i] if i < 10 else pw,
                int(i % 7 != 0 or i < 10),
                int(i < 10),
                (now - timedelta(days=i % 400)).strftime(FMT),
                now.strftime(FMT),
                None if i % 3 else now.strftime(FMT),
            )
            for i, uid in enumerate(user_ids)
        ),
    )
    extra = ", api_key_hash" if hashed else ""
    marks = ", ?" if hashed else ""

    def key_rows():  # type: ignore[no-untyped-def]
        for i in range(rows):
            plain = "sk-" + secrets.token_urlsafe(32)
            stored = fernet.encrypt(plain.encode()).decode() if fernet else plain
            created = (now - timedelta(days=i % 365)).strftime(FMT)
            used = None if i % 2 else (now - timedelta(days=i % 200)).strftime(FMT)
            row = [secrets.token_hex(16), f"key{i:06d}", created, used, i % 5, 1, stored, user_ids[i]]
            if hashed:
                row.append(hashlib.sha256(plain.encode()).hexdigest())
            yield row

    conn.executemany(
        "INSERT INTO apikey (id, name, created_at, last_used_at, total_uses, is_active, api_key, user_id"
        f"{extra}) VALUES (?, ?, ?, ?, ?, ?, ?, ?{marks})",
        key_rows(),
    )
    conn.commit()
    conn.close()


def median_time(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixture", type=Path, default=None)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    fixture = args.fixture
    if fixture is None:
        for name in ("langflow-1.13.0.db", "langflow-1.6.9.db"):
            if (ROOT / "tests" / "fixtures" / name).exists():
                fixture = ROOT / "tests" / "fixtures" / name
                break
    if fixture is None or not fixture.exists():
        sys.exit("no fixture database: pass --fixture or run tests/fixtures/build.sh")
    manifest = json.loads(fixture.with_suffix(".json").read_text())
    secret = manifest["secret_key"]

    from lfadmin.core.doctor import Options, run
    from lfadmin.core.target import Target

    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        db = tmp / "big.db"
        shutil.copyfile(fixture, db)
        started = time.perf_counter()
        populate(db, args.rows, secret)
        print(
            f"populated {args.rows} users + {args.rows} API keys into a copy of {fixture.name} "
            f"in {time.perf_counter() - started:.1f} s"
        )
        cfg = tmp / "cfg"
        cfg.mkdir()
        env = tmp / ".env"
        env.write_text(
            "LANGFLOW_AUTO_LOGIN=false\nLANGFLOW_SUPERUSER=admin\n"
            f"LANGFLOW_SUPERUSER_PASSWORD={manifest['users'][0]['password']}\n"
            f"LANGFLOW_SECRET_KEY={secret}\nLANGFLOW_CONFIG_DIR={cfg}\n"
        )
        env.chmod(0o600)
        os.environ.pop("LANGFLOW_DATABASE_URL", None)

        url = f"sqlite:///{db}"
        env_only = median_time(lambda: run(Target(env_file=env), Options(use_database=False)), args.runs)
        report = run(Target(env_file=env, database_url=url), Options())
        with_db = median_time(lambda: run(Target(env_file=env, database_url=url), Options()), args.runs)
        cmd = [sys.executable, "-m", "lfadmin", "config", "doctor", "--env-file", str(env), "-f", "json"]
        proc_env = median_time(lambda: subprocess.run([*cmd, "--no-database"], capture_output=True), args.runs)
        proc_db = median_time(
            lambda: subprocess.run([*cmd, "--database-url", f"sqlite:///{db}"], capture_output=True), args.runs
        )
        floor = median_time(
            lambda: subprocess.run([sys.executable, "-c", "import typer, typer._adapters, rich.console"]), args.runs
        )
    print(f"database checks: {report.database.status}; {len(report.findings)} findings; notes: {report.notes}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (other processes slow every number below)")
    print(f"{'':44} median of {args.runs}")
    print(f"{'core, env file only':44} {env_only * 1000:8.0f} ms")
    print(f"{'core, env file + database':44} {with_db * 1000:8.0f} ms")
    print(f"{'process floor (typer+pydantic+rich import)':44} {floor * 1000:8.0f} ms")
    print(f"{'process, env file only':44} {proc_env * 1000:8.0f} ms")
    print(f"{'process, env file + database':44} {proc_db * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
