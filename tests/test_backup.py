"""`lfadmin backup create` / `restore` on databases made by real Langflow, on both backends.

Exact output and exit codes of the happy path and of every refusal (each one: nothing changed),
the round trip (back up, change, restore: every row back), the files (0600, never through a
link, never over an existing file), PostgreSQL's tools (missing, failing, the password kept out
of argv) and, with real Langflow 1.13.0 writing to the SQLite database in WAL mode while the
backup runs, a restored database that passes Langflow's own startup schema check.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import LangflowDB, make_db
from tests.support.langflow import langflow_check
from tests.support.rows import audit_records

RELEASE = {"1.6.9": "1.6.0 – 1.6.9", "1.13.0": "1.13.0"}  # what the schema proves (`lfadmin info`)
TAG = {"1.6.9": "1.6.0-1.6.9", "1.13.0": "1.13.0"}  # the same in a default file name


def rows(db: LangflowDB) -> str:
    """A digest of every row of every table (the file's bytes may differ after a restore)."""
    from sqlalchemy import inspect, text

    digest = hashlib.sha256()
    with db.connection() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            got = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            digest.update(table.encode() + repr(sorted(map(repr, got))).encode())
    return digest.hexdigest()


def created(db: LangflowDB, path: Path, *args: str) -> dict[str, Any]:
    res = db.run("backup", "create", str(path), "--json", *args)
    assert res.exit_code == 0, res
    doc: dict[str, Any] = res.json
    return doc


def counts_of(db: LangflowDB) -> dict[str, int]:
    q = db.query(
        'SELECT (SELECT COUNT(*) FROM "user"), (SELECT COUNT(*) FROM flow), (SELECT COUNT(*) FROM variable), '
        "(SELECT COUNT(*) FROM apikey), (SELECT COUNT(*) FROM folder)"
    )[0]
    return dict(zip(("users", "flows", "variables", "api_keys", "folders"), map(int, q), strict=True))


def files_in(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


# -- the round trip ---------------------------------------------------------------------------


def test_round_trip(lfdb: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "out" / "pre-upgrade.bak"
    path.parent.mkdir()
    before, counts = rows(lfdb), counts_of(lfdb)
    res = lfdb.run("backup", "create", str(path))
    assert res.exit_code == 0, res
    assert res.stdout == f"{path}\n"
    manifest = json.loads((tmp_path / "out" / "pre-upgrade.bak.manifest.json").read_text())
    revision = lfdb.manifest["alembic_revision"]
    size = path.stat().st_size
    nouns = f"{counts['users']} users, 1 flow, {counts['variables']} variables, 2 API keys, {counts['folders']} folders"
    assert res.stderr == (
        f"Backed up {manifest['database']} (Langflow {RELEASE[lfdb.version]}, alembic revision {revision}; {nouns}): "
        f"{size / 1000_000:.1f} MB, sha256 {manifest['sha256'][:12]}, manifest {path}.manifest.json\n"
        if size >= 1000_000
        else f"Backed up {manifest['database']} (Langflow {RELEASE[lfdb.version]}, alembic revision {revision}; {nouns}): "
        f"{size / 1000:.1f} KB, sha256 {manifest['sha256'][:12]}, manifest {path}.manifest.json\n"
    )
    assert manifest == {
        "format": "lfadmin-backup",
        "format_version": 1,
        "created_at": manifest["created_at"],
        "lfadmin_version": "0.1.0",
        "backend": lfdb.backend,
        "langflow_release": RELEASE[lfdb.version],
        "alembic_revision": revision,
        "database": manifest["database"],
        "identity": manifest["identity"],
        "method": "sqlite3 online backup API" if lfdb.backend == "sqlite" else manifest["method"],
        "file": "pre-upgrade.bak",
        "size": size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "counts": counts,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["created_at"])
    if lfdb.backend == "postgresql":
        assert re.fullmatch(r"pg_dump -Fc \(\d+\.\d+.*\)", manifest["method"])
        assert path.read_bytes()[:5] == b"PGDMP"
        assert "postgres:***@" in manifest["database"] and "postgres@" not in json.dumps(manifest).replace(":***@", "")
    for p in (path, Path(f"{path}.manifest.json")):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert files_in(path.parent) == ["pre-upgrade.bak", "pre-upgrade.bak.manifest.json"]

    lfdb.run("user", "delete", "carol", "--yes")
    lfdb.execute("DELETE FROM flow")
    changed = rows(lfdb)
    assert changed != before

    res = lfdb.run("backup", "restore", str(path))
    assert (res.exit_code, res.stdout) == (10, "")
    assert res.stderr == (
        f"Error: {manifest['database']} holds {counts['users'] - 1} users and 0 flows; restoring replaces them all "
        f"with the backup of {manifest['created_at']} (pass --yes to replace it)\n"
    )
    assert rows(lfdb) == changed

    res = lfdb.run("backup", "restore", str(path), "--yes")
    assert (res.exit_code, res.stdout) == (0, ""), res
    assert res.stderr == (
        f"Restored {manifest['database']} from {path} (Langflow {RELEASE[lfdb.version]}, made {manifest['created_at']}; {nouns})\n"
    )
    assert rows(lfdb) == before
    assert lfdb.run("user", "show", "carol").exit_code == 0


def test_json_documents(db113: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    doc = created(db113, path)
    assert doc == {
        "schema_version": 1,
        "path": str(path),
        "manifest_path": f"{path}.manifest.json",
        "manifest": json.loads(Path(f"{path}.manifest.json").read_text()),
    }
    res = db113.run("backup", "restore", str(path), "--yes", "--json")
    assert res.exit_code == 0, res
    assert res.json == {
        "schema_version": 1,
        "restored": True,
        "dry_run": False,
        "database_url": doc["manifest"]["database"],
        "path": str(path),
        "replaced": doc["manifest"]["counts"],
        "left_in_place": [],
        "manifest": doc["manifest"],
    }


def test_dry_run_checks_and_changes_nothing(db113: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    created(db113, path)
    db113.execute("DELETE FROM flow")
    before = rows(db113)
    res = db113.run("backup", "restore", str(path), "--dry-run")
    assert res.exit_code == 0, res
    assert res.stderr.startswith(f"Dry run: {db113.run('info', '--json').json['database_url']} can be restored from {path} (")
    assert res.stderr.endswith("; nothing was changed\n")
    assert rows(db113) == before


def test_default_path_sqlite_beside_the_file(sqlite_db: LangflowDB) -> None:
    assert sqlite_db.path is not None
    res = sqlite_db.run("backup", "create", "--quiet")
    assert (res.exit_code, res.stderr) == (0, ""), res
    name = re.escape(sqlite_db.path.stem) + r"\.backup-" + re.escape(TAG[sqlite_db.version]) + r"-\d{8}T\d{6}Z\.db"
    assert re.fullmatch(re.escape(str(sqlite_db.path.parent)) + "/" + name + "\n", res.stdout), res.stdout
    made = Path(res.stdout.strip())
    assert made.exists() and Path(f"{made}.manifest.json").exists()


@pytest.mark.postgres
def test_default_path_postgresql_in_the_config_dir(tmp_path: Path, pg_available: bool) -> None:
    if not pg_available:
        pytest.skip("PostgreSQL not reachable")
    gen = make_db("postgresql", "1.13.0", tmp_path)
    db = next(gen)
    try:
        res = db.run("backup", "create", "--quiet")
        assert (res.exit_code, res.stderr) == (0, ""), res
        dbname = db.url.rsplit("/", 1)[1]
        assert re.fullmatch(re.escape(f"{db.config_dir}/{dbname}.backup-1.13.0-") + r"\d{8}T\d{6}Z\.pgdump\n", res.stdout)
    finally:
        gen.close()


# -- the files --------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["data", "manifest"])
def test_a_link_at_path_is_refused(db113: LangflowDB, tmp_path: Path, which: str) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    path = tmp_path / "b.db"
    link = path if which == "data" else Path(f"{path}.manifest.json")
    link.symlink_to(victim)
    res = db113.run("backup", "create", str(path))
    what = "backup" if which == "data" else "backup manifest"
    assert (res.exit_code, res.stdout) == (10, "")
    assert res.stderr == (
        f"Error: {what} {link} is a symbolic link; lfadmin does not read or write files through links "
        "(replace the link with the file itself, or name the file it points to)\n"
    )
    assert victim.read_text() == "precious" and link.is_symlink()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_existing_file_is_not_overwritten(db113: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    path.write_text("older backup")
    res = db113.run("backup", "create", str(path))
    assert (res.exit_code, res.stdout) == (9, "")
    assert res.stderr == f"Error: backup {path} already exists; lfadmin does not overwrite it (choose another path)\n"
    assert path.read_text() == "older backup"
    assert not Path(f"{path}.manifest.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_missing_directory_is_named(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "nope" / "b.db"
    res = sqlite_db.run("backup", "create", str(path))
    assert (res.exit_code, res.stderr) == (4, f"Error: cannot write backup manifest {path}.manifest.json: {path.parent} does not exist\n")


def test_create_authenticates(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    res = sqlite_db.run("backup", "create", str(tmp_path / "b.db"), user=None, LANGFLOW_AUTO_LOGIN="False")
    assert res.exit_code == 7, res
    assert not (tmp_path / "b.db").exists() and not (tmp_path / "b.db.manifest.json").exists()


# -- what restore refuses ---------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "tampered", "grown"])
def test_a_damaged_backup_is_refused(lfdb: LangflowDB, tmp_path: Path, damage: str) -> None:
    path = tmp_path / "b.db"
    created(lfdb, path)
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "tampered":
        data[len(data) // 2] ^= 0x01
    else:
        data += b"\0"
    os.chmod(path, 0o600)
    path.write_bytes(bytes(data))
    lfdb.execute("DELETE FROM flow")
    before = rows(lfdb)
    res = lfdb.run("backup", "restore", str(path), "--yes")
    assert (res.exit_code, res.stdout) == (4, "")
    size = json.loads(Path(f"{path}.manifest.json").read_text())["size"]
    if damage == "tampered":
        assert res.stderr == f"Error: backup {path} is damaged: its SHA-256 does not match its manifest; nothing was changed\n"
    else:
        assert res.stderr == (
            f"Error: backup {path} is damaged: {len(data)} bytes, its manifest says {size} (truncated or changed); "
            "nothing was changed\n"
        )
    assert rows(lfdb) == before


def test_a_backup_without_its_manifest_is_refused(db113: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    created(db113, path)
    Path(f"{path}.manifest.json").unlink()
    res = db113.run("backup", "restore", str(path), "--yes")
    assert (res.exit_code, res.stderr) == (
        4,
        f"Error: {path} has no manifest (b.db.manifest.json is missing); lfadmin restores only backups it can "
        "verify (restore it with sqlite3 or pg_restore by hand, or find the manifest)\n",
    )


def test_a_linked_backup_is_not_read(db113: LangflowDB, tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    created(db113, real)
    link = tmp_path / "real.db.lnk"
    link.symlink_to(real)
    os.symlink(f"{real}.manifest.json", f"{link}.manifest.json")
    res = db113.run("backup", "restore", str(link), "--yes")
    assert (res.exit_code, res.stderr) == (
        10, f"Error: backup manifest {link}.manifest.json is a symbolic link; lfadmin does not read or write files "
        "through links (replace the link with the file itself, or name the file it points to)\n",
    )
    Path(f"{link}.manifest.json").unlink()
    doc = json.loads(Path(f"{real}.manifest.json").read_text())
    Path(f"{link}.manifest.json").write_text(json.dumps({**doc, "file": link.name}))
    res = db113.run("backup", "restore", str(link), "--yes")
    assert (res.exit_code, res.stderr) == (
        10, f"Error: backup {link} is a symbolic link; lfadmin does not read backups through links (name the file itself)\n"
    )


def test_a_manifest_of_another_backup_is_refused(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    created(sqlite_db, a)
    sqlite_db.execute("DELETE FROM flow")
    created(sqlite_db, b)
    Path(f"{b}.manifest.json").unlink()
    os.rename(f"{a}.manifest.json", f"{b}.manifest.json")  # a's manifest beside b's data
    res = sqlite_db.run("backup", "restore", str(b), "--yes")
    assert (res.exit_code, res.stderr) == (
        4, f"Error: {b}.manifest.json describes a.db, not b.db (restore the file it was made for, or rename both together)\n"
    )
    doc = json.loads(Path(f"{b}.manifest.json").read_text())
    doc["file"] = "b.db"  # edited to fit: the checksum still tells
    Path(f"{b}.manifest.json").write_text(json.dumps(doc))
    res = sqlite_db.run("backup", "restore", str(b), "--yes")
    assert res.exit_code == 4 and "is damaged" in res.stderr, res


def test_a_backup_of_another_database(lfdb: LangflowDB, tmp_path: Path, pg_available: bool) -> None:
    path = tmp_path / "b.db"
    doc = created(lfdb, path)
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    gen = make_db(lfdb.backend, lfdb.version, other_dir)
    other = next(gen)
    try:
        other.execute("DELETE FROM flow")
        before = rows(other)
        res = other.run("backup", "restore", str(path), "--yes")
        target = other.run("info", "--json").json["database_url"]
        assert (res.exit_code, res.stdout) == (10, "")
        assert res.stderr == (
            f"Error: {path} is a backup of {doc['manifest']['database']}, not of {target} "
            "(pass --other-database to restore it into this database anyway)\n"
        )
        assert rows(other) == before
        res = other.run("backup", "restore", str(path), "--yes", "--other-database")
        assert res.exit_code == 0, res
        assert counts_of(other) == doc["manifest"]["counts"]
    finally:
        gen.close()


@pytest.mark.postgres
def test_a_backup_of_another_backend_is_refused(sqlite_db: LangflowDB, tmp_path: Path, pg_available: bool) -> None:
    if not pg_available:
        pytest.skip("PostgreSQL not reachable")
    path = tmp_path / "b.db"
    created(sqlite_db, path)
    pg_dir = tmp_path / "pg"
    pg_dir.mkdir()
    gen = make_db("postgresql", sqlite_db.version, pg_dir)
    pg = next(gen)
    try:
        before = rows(pg)
        res = pg.run("backup", "restore", str(path), "--yes", "--other-database")
        masked = pg.run("info", "--json").json["database_url"]
        assert (res.exit_code, res.stderr) == (
            4, f"Error: {path} is a sqlite backup; the target database is postgresql ({masked}) "
            "(restore it into a database of its own kind)\n",
        )
        assert rows(pg) == before
    finally:
        gen.close()


def test_a_backup_of_a_newer_langflow_is_refused(lfdb: LangflowDB, tmp_path: Path) -> None:
    lfdb.execute("UPDATE alembic_version SET version_num = 'f00dfeed0001'")
    path = tmp_path / "b.db"
    res = lfdb.run("backup", "create", str(path), "--json")
    assert res.exit_code == 0, res  # backing up what lfadmin cannot write is fine
    release = res.json["manifest"]["langflow_release"]
    before = rows(lfdb)
    res = lfdb.run("backup", "restore", str(path), "--yes")
    if lfdb.version == "1.13.0":
        assert release == "newer than 1.13.0 (unknown schema)"
        assert (res.exit_code, res.stdout) == (6, "")
        assert res.stderr.endswith(
            "Error: this backup was made by a Langflow newer than any lfadmin knows (alembic revision f00dfeed0001, "
            "newest known: Langflow 1.13.0); refusing to restore it (upgrade lfadmin, or restore with the "
            "database's own tools)\n"
        ), res.stderr
        assert rows(lfdb) == before
    else:  # 1.6 columns under an unknown revision: a development build of a known release
        assert res.exit_code == 0, res


def test_a_database_in_use_is_refused(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    created(sqlite_db, path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT 1 FROM user').fetchall(); print('open', flush=True); sys.stdin.read()",
         str(sqlite_db.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        res = sqlite_db.run("backup", "restore", str(path), "--yes")
        assert (res.exit_code, res.stdout) == (10, "")
        assert res.stderr == (
            f"Error: Langflow (or something else) is using the database: process {holder.pid} (python"
            f"{res.stderr.split('(python', 1)[1].split(')', 1)[0]}) has {sqlite_db.path} open (stop every Langflow "
            "instance that uses it and rerun, or pass --force)\n"
        )
        res = sqlite_db.run("backup", "restore", str(path), "--yes", "--force")
        assert res.exit_code == 0, res
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_restore_authenticates_on_a_database_with_data(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    created(sqlite_db, path)
    res = sqlite_db.run("backup", "restore", str(path), "--yes", user=None, LANGFLOW_AUTO_LOGIN="False")
    assert res.exit_code == 7, res


def test_restore_into_a_new_sqlite_file(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    doc = created(sqlite_db, path)
    fresh = tmp_path / "new" / "langflow.db"
    fresh.parent.mkdir()
    res = sqlite_db.run("backup", "restore", str(path), "--other-database", LANGFLOW_DATABASE_URL=f"sqlite:///{fresh}")
    assert res.exit_code == 0, res  # nothing there to lose: no --yes, no one to authenticate
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert files_in(fresh.parent) == ["langflow.db"]
    assert fresh.read_bytes()[18:20] == b"\x02\x02"  # WAL mode, as Langflow keeps it
    res = sqlite_db.run("info", "--json", LANGFLOW_DATABASE_URL=f"sqlite:///{fresh}")
    assert res.json["counts"]["users"] == doc["manifest"]["counts"]["users"]
    # Recorded once done, like a committed change; nobody was asked (docs/audit.md).
    (rec,) = audit_records(sqlite_db)
    assert (rec["command"], rec["target"], rec["outcome"], rec["actor"], rec["authenticated"]) == (
        "backup restore", [f"database, from backup {path}"], "ok", None, False,
    )


# -- PostgreSQL's tools -----------------------------------------------------------------------


@pytest.fixture
def pgdb(tmp_path: Path, pg_available: bool) -> Any:
    if not pg_available:
        pytest.skip("PostgreSQL not reachable")
    gen = make_db("postgresql", "1.13.0", tmp_path)
    yield next(gen)
    gen.close()


def _path_without(tmp_path: Path, *tools: str) -> str:
    """A PATH with everything of today's but the named tools."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for d in os.environ["PATH"].split(os.pathsep):
        for entry in Path(d).glob("*") if Path(d).is_dir() else []:
            if entry.name not in tools and not (bin_dir / entry.name).exists():
                (bin_dir / entry.name).symlink_to(entry)
    return str(bin_dir)


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["create", "restore"])
def test_missing_pg_tools(pgdb: LangflowDB, tmp_path: Path, command: str) -> None:
    path = tmp_path / "b.pgdump"
    created(pgdb, path)
    before = rows(pgdb)
    path_env = _path_without(tmp_path, "pg_dump", "pg_restore")
    if command == "create":
        res = pgdb.run("backup", "create", str(tmp_path / "c.pgdump"), PATH=path_env)
    else:
        res = pgdb.run("backup", "restore", str(path), "--yes", "--force", PATH=path_env)
    tool = "pg_dump" if command == "create" else "pg_restore"
    assert (res.exit_code, res.stdout) == (4, "")
    assert res.stderr == (
        f"Error: {tool} is not installed (not on PATH); lfadmin backs up PostgreSQL with it (install the "
        "PostgreSQL client tools (Debian/Ubuntu: postgresql-client; RHEL/Fedora: postgresql))\n"
    )
    assert not (tmp_path / "c.pgdump").exists() and not (tmp_path / "c.pgdump.manifest.json").exists()
    assert rows(pgdb) == before


@pytest.mark.postgres
def test_the_password_stays_out_of_argv_and_output(pgdb: LangflowDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[list[str], dict[str, str]]] = []
    real = subprocess.run

    def spy(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        seen.append((list(argv), dict(kwargs.get("env") or {})))
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    path = tmp_path / "b.pgdump"
    res = pgdb.run("backup", "create", str(path))
    assert res.exit_code == 0, res
    res = pgdb.run("backup", "restore", str(path), "--yes", "--force")
    assert res.exit_code == 0, res
    tools = [(argv, env) for argv, env in seen if Path(argv[0]).name in ("pg_dump", "pg_restore") and "--version" not in argv]
    assert [(Path(a[0]).name, "--list" in a) for a, _ in tools] == [("pg_dump", False), ("pg_restore", True), ("pg_restore", False)]
    for argv, env in tools:
        assert not any("postgres:postgres" in a or a == "postgres" for a in argv), argv
        assert env["PGPASSWORD"] == "postgres" and "--no-password" in argv
        assert not any(k.startswith("LANGFLOW_") for k in env)


@pytest.mark.postgres
def test_tables_the_backup_does_not_hold_are_named(pgdb: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "b.pgdump"
    created(pgdb, path)
    pgdb.execute("CREATE TABLE zz_newer (id integer PRIMARY KEY)")  # as a newer release's migration would
    res = pgdb.run("backup", "restore", str(path), "--yes", "--json")
    assert res.exit_code == 0, res
    assert res.json["left_in_place"] == ["zz_newer"]
    assert res.stderr == (
        "Warning: tables the backup does not hold were left in place: zz_newer (made after the backup, by a "
        "newer release's migrations?); drop them before upgrading again\n"
    )


@pytest.mark.postgres
def test_a_failing_pg_dump_is_one_scrubbed_line(pgdb: LangflowDB, tmp_path: Path) -> None:
    from tests.support.databases import pg_execute as _pg_execute

    role, password = f"lfadmin_bk_{os.getpid()}", "Bk-pass-2026-long"
    _pg_execute(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'")
    try:
        url = pgdb.url.replace("postgres:postgres@", f"{role}:{password}@")
        bin_dir = tmp_path / "fake"
        bin_dir.mkdir()
        fake = bin_dir / "pg_dump"
        fake.write_text('#!/bin/sh\necho "pg_dump: warning: x" >&2\n'
                        'echo "pg_dump: error: connection failed: password $PGPASSWORD refused" >&2\nexit 1\n')
        fake.chmod(0o755)
        res = pgdb.run("backup", "create", str(tmp_path / "b.pgdump"), LANGFLOW_DATABASE_URL=url,
                       PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    finally:
        _pg_execute(f"DROP ROLE {role}")
    assert (res.exit_code, res.stdout) == (5, "")
    assert res.stderr == (
        "Error: pg_dump failed (exit 1): pg_dump: error: connection failed: password *** refused; nothing was changed\n"
    )
    assert files_in(tmp_path) == ["fake", "home", "langflow-config"]


# -- real Langflow writes while the backup runs ---------------------------------------------------


N_WRITES = 2000  # Langflow commits a few hundred a second: enough to outlast `backup create`


@pytest.mark.interop
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_backup_while_langflow_1_13_0_writes_then_restore_passes_its_schema_check(
    tmp_path: Path, backend: str, pg_available: bool
) -> None:
    """Langflow 1.13.0's own DatabaseService (on SQLite: WAL mode, its pragmas) commits variables
    one by one while `backup create` runs; the backup holds a gap-free prefix of them (one
    consistent snapshot), and the database restored from it passes the alembic check Langflow
    runs at startup."""
    if backend == "postgresql" and not pg_available:
        pytest.skip("PostgreSQL not reachable")
    gen = make_db(backend, "1.13.0", tmp_path)
    db = next(gen)
    try:
        start = counts_of(db)["variables"]
        writes = [{"op": "twin_create_variable", "username": "alice", "name": f"BULK_{i}", "value": f"v{i}",
                   "type": "Generic"} for i in range(N_WRITES)]
        answers: list[Any] = []
        writer = threading.Thread(target=lambda: answers.append(langflow_check(db, writes)))
        writer.start()
        deadline = time.monotonic() + 300
        while counts_of(db)["variables"] < start + 20 and time.monotonic() < deadline:  # Langflow is writing
            time.sleep(0.05)
        path = tmp_path / "during.bak"
        doc = created(db, path)
        still_writing = writer.is_alive()
        writer.join(timeout=600)
        assert answers and all(a["ok"] for a in answers[0]), answers
        held = doc["manifest"]["counts"]["variables"]
        assert still_writing and start + 20 <= held < start + N_WRITES, (held, still_writing)
        if backend == "sqlite":
            with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

        res = db.run("backup", "restore", str(path), "--yes")
        assert res.exit_code == 0, res
        names = {r[0] for r in db.query("SELECT name FROM variable WHERE name LIKE 'BULK%'")}
        assert names == {f"BULK_{i}" for i in range(held - start)}  # a prefix: one consistent snapshot
        r = langflow_check(db, [{"op": "schema_check"}, {"op": "list_variables", "username": "alice"}])
        assert r[0]["ok"] and r[0]["result"] == "ok", r[0]
        assert names <= {v["name"] for v in r[1]["variables"]}
    finally:
        gen.close()
