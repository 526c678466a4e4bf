"""``secrets rotate``: every store re-encrypted in one transaction, key files after commit,
bad input refused with nothing changed, the short-key path, crash consistency under SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lfadmin.core.secrets.keyring import Keyring
from lfadmin.langflow.crypto import (
    Derivation,
    encrypt,
    fingerprint,
    sso_encrypt,
)
from tests.support.cli import run, run_process
from tests.support.databases import LangflowDB, make_db
from tests.support.files import mode
from tests.support.secrets_seed import NEW, all_tokens, assert_exactly_one_key, enc, seed_all_stores, uid


def env_key(path: Path) -> str | None:
    for line in path.read_text().splitlines():
        if line.startswith("LANGFLOW_SECRET_KEY="):
            return line.split("=", 1)[1]
    return None


@pytest.fixture
def envf(lfdb: LangflowDB, tmp_path: Path) -> Path:
    p = tmp_path / "server.env"
    p.write_text(f"# Langflow\nLANGFLOW_AUTO_LOGIN=False\nLANGFLOW_SECRET_KEY={lfdb.secret_key}\nLANGFLOW_PORT=7860\n")
    p.chmod(0o640)
    (lfdb.config_dir / "secret_key").write_text(lfdb.secret_key)
    return p


def rotate_env(lfdb: LangflowDB) -> dict[str, str]:
    """The operator's shell: the key comes from the env file, not the process environment."""
    return {k: v for k, v in lfdb.auth_env().items() if k != "LANGFLOW_SECRET_KEY"}


def test_rotate_every_store(lfdb: LangflowDB, envf: Path) -> None:
    plain = seed_all_stores(lfdb, lambda v: enc(lfdb, v), lambda v: sso_encrypt(lfdb.secret_key, v))
    r = run("secrets", "rotate", "--new-key-stdin", "--write-env", str(envf), "--write-config-dir", "--json",
            "--env-file", str(envf), input=NEW + "\n", env=rotate_env(lfdb))
    assert r.exit_code == 0, r
    receipt = r.json
    assert receipt["old_fingerprints"] == [fingerprint(lfdb.secret_key)]
    assert receipt["new_fingerprint"] == fingerprint(NEW)
    assert NEW not in r.stdout + r.stderr and lfdb.secret_key not in r.stdout + r.stderr
    for value in plain.values():
        assert value not in r.stdout + r.stderr
    assert "every Langflow session and JWT" in r.stderr
    # Database: every value under the new key only.
    assert assert_exactly_one_key(lfdb, lfdb.secret_key, NEW) == NEW
    assert len(all_tokens(lfdb)) >= len(plain)
    # Files: the env file changed in one line; each file and its backup keep their mode (M13).
    text = envf.read_text()
    assert text == f"# Langflow\nLANGFLOW_AUTO_LOGIN=False\nLANGFLOW_SECRET_KEY={NEW}\nLANGFLOW_PORT=7860\n"
    assert mode(envf) == 0o640
    assert (lfdb.config_dir / "secret_key").read_text() == NEW
    modes = {str(envf): 0o640, str(lfdb.config_dir / "secret_key"): mode(lfdb.config_dir / "secret_key")}
    for f in receipt["files"]:
        assert f["backup"] and mode(Path(f["backup"])) == modes[f["path"]]
        assert lfdb.secret_key in Path(f["backup"]).read_text()
    assert not (lfdb.config_dir / "secret_key.lfadmin-rotation").exists()
    # lfadmin reads everything back under the new key (plaintexts unchanged).
    chk = lfdb.run("secrets", "check", "--json", LANGFLOW_SECRET_KEY=NEW)
    assert chk.exit_code == 0, chk
    listed = {(v["owner"], v["name"]): v for v in lfdb.run("secrets", "list", "--json", LANGFLOW_SECRET_KEY=NEW).json["variables"]}
    for var in lfdb.manifest["variables"]:
        assert listed[(var["owner"], var["name"])]["fingerprint"] == lfdb.fingerprint(var["value"], NEW)
    # API keys still authenticate (hash or plaintext lookup; the encrypted copy re-encrypted).
    key = next(k for k in lfdb.manifest["api_keys"] if k["owner"] == "admin")["plaintext"]
    auth = run("user", "list", "--api-key-stdin", input=key, env={**lfdb.env, "LANGFLOW_AUTO_LOGIN": "False",
                                                                    "LANGFLOW_SECRET_KEY": NEW})
    assert auth.exit_code == 0, auth


def test_rotate_twice_and_back(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "rotate", "--new-key-stdin", "--json", input=NEW)
    assert r.exit_code == 0, r
    assert r.json["new_key"] == NEW  # no key file given: the key is handed back on stdout
    r2 = lfdb.run("secrets", "rotate", "--new-key-stdin", "--json", input=lfdb.secret_key, LANGFLOW_SECRET_KEY=NEW)
    assert r2.exit_code == 0, r2
    assert assert_exactly_one_key(lfdb, NEW, lfdb.secret_key) == lfdb.secret_key
    assert lfdb.run("secrets", "check").exit_code == 0


def test_a_key_printed_on_stdout_is_all_of_stdout(db113: LangflowDB) -> None:
    """``KEY=$(lfadmin secrets rotate --generate)``: with no key file to write, the key is the
    run's only data; the store receipt goes to stderr with the rest of the talk."""
    r = db113.run("secrets", "rotate", "--generate")
    assert r.exit_code == 0, r
    key = r.stdout.removesuffix("\n")
    assert "\n" not in key and len(key) == 43, r
    assert "  variable.value: " in r.stderr and "re-encrypted" in r.stderr
    assert assert_exactly_one_key(db113, key, db113.secret_key) == key


def test_wrong_old_key_changes_nothing(lfdb: LangflowDB, envf: Path) -> None:
    before = lfdb.snapshot()
    env_before = envf.read_text()
    wrong = "Q2hlY2tpbmcgYSB3cm9uZyBrZXkgaGVyZS4uLi4uLi4"
    r = lfdb.run("secrets", "rotate", "--generate", "--old-key-stdin", "--write-env", str(envf),
                 "--write-config-dir", input=wrong)
    assert r.exit_code == 11, r
    assert r.stderr.count("Error:") == 1 and "nothing changed" in r.stderr
    assert lfdb.snapshot() == before
    assert envf.read_text() == env_before
    assert (lfdb.config_dir / "secret_key").read_text() == lfdb.secret_key
    assert not (lfdb.config_dir / "secret_key.lfadmin-rotation").exists()


def test_dry_run_changes_nothing(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    r = lfdb.run("secrets", "rotate", "--generate", "--dry-run", "--json")
    assert r.exit_code == 0, r
    assert r.json["dry_run"] is True and r.json["changed"] >= 2
    assert "new_key" not in r.json
    assert lfdb.snapshot() == before


def test_skip_undecryptable(lfdb: LangflowDB) -> None:
    alice = uid(lfdb.user("alice")["id"])
    alien = enc(lfdb, "from-another-key", "Q2hlY2tpbmcgYSB3cm9uZyBrZXkgaGVyZS4uLi4uLi4")
    lfdb.execute('UPDATE "user" SET store_api_key = :v WHERE id = :i', v=alien, i=alice)
    before = lfdb.snapshot()
    r = lfdb.run("secrets", "rotate", "--new-key-stdin", input=NEW)
    assert r.exit_code == 11 and "user.store_api_key" in r.stderr, r
    assert lfdb.snapshot() == before
    r = lfdb.run("secrets", "rotate", "--new-key-stdin", "--skip-undecryptable", "--json", input=NEW)
    assert r.exit_code == 0, r
    # The row as an operator finds it: the id as Langflow's 32 hex digits on both backends.
    hexid = uuid.UUID(str(lfdb.user("alice")["id"])).hex
    assert r.json["undecryptable_rows"] == [f"user.store_api_key {hexid} (alice)"]
    (stored,) = lfdb.query('SELECT store_api_key FROM "user" WHERE id = :i',
                           i=alice if lfdb.backend == "sqlite" else lfdb.user("alice")["id"])[0]
    assert stored == alien


@pytest.mark.parametrize(
    ("stdin", "why"),
    [
        ("", "nothing on stdin"),
        ("short-secret", "at least 32"),
        ("x" * 44, "not urlsafe base64"),
        (NEW + "\n\n", "newline"),
        ("SAME", "equals the old one"),
    ],
)
def test_bad_new_keys(lfdb: LangflowDB, envf: Path, stdin: str, why: str) -> None:
    before, env_before = lfdb.snapshot(), envf.read_text()
    r = lfdb.run("secrets", "rotate", "--new-key-stdin", "--write-env", str(envf),
                 input=lfdb.secret_key if stdin == "SAME" else stdin)
    assert r.exit_code == 4, r
    assert r.stderr.count("\n") == 1 and why in r.stderr, r
    assert lfdb.snapshot() == before and envf.read_text() == env_before


def test_bad_env_files(lfdb: LangflowDB, tmp_path: Path) -> None:
    before = lfdb.snapshot()
    ro = tmp_path / "ro.env"
    ro.write_text("LANGFLOW_SECRET_KEY=x\n")
    ro.chmod(0o444)
    dup = tmp_path / "dup.env"
    dup.write_text("LANGFLOW_SECRET_KEY=a\nLANGFLOW_SECRET_KEY=b\n")
    for path, why in ((ro, "read-only"), (dup, "more than once"), (tmp_path, "directory")):
        content = path.read_text() if path.is_file() else None
        r = lfdb.run("secrets", "rotate", "--generate", "--write-env", str(path))
        assert r.exit_code == 4, (path, r)
        assert r.stderr.count("\n") == 1 and why in r.stderr, r
        if content is not None:
            assert path.read_text() == content
    assert lfdb.snapshot() == before


def test_refuses_while_the_sqlite_file_is_open(sqlite_db: LangflowDB) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1]); c.execute('select 1 from user'); "
         "print('ready', flush=True); time.sleep(60)", str(sqlite_db.path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        before = sqlite_db.snapshot()
        r = sqlite_db.run("secrets", "rotate", "--generate")
        assert r.exit_code == 10, r
        assert f"process {holder.pid}" in r.stderr and "--force" in r.stderr
        assert sqlite_db.snapshot() == before
        forced = sqlite_db.run("secrets", "rotate", "--new-key-stdin", "--force", input=NEW)
        assert forced.exit_code == 0, forced
    finally:
        holder.kill()
        holder.wait()


# -- the legacy short-key path (a database written by 1.6.9 under `short-secret`) -----------------


@pytest.fixture
def shortkey_db(tmp_path: Path) -> Iterator[LangflowDB]:
    from tests.support import FIXTURES

    if not (FIXTURES / "langflow-1.6.9-shortkey.db").exists():
        pytest.skip("langflow-1.6.9-shortkey fixture not built")
    yield from make_db("sqlite", "1.6.9-shortkey", tmp_path)


def test_shortkey_check_by_release(shortkey_db: LangflowDB) -> None:
    db = shortkey_db
    assert db.secret_key == "short-secret"
    r = db.run("secrets", "check", "--json")
    assert r.exit_code == 0, r  # 1.6.9 itself reads its random.Random-derived tokens
    assert "short" in " ".join(r.json["key"]["warnings"])
    # The same data judged as 1.13 (reads both derivations) and 1.10.3 (SHA-256 only).
    r = db.run("secrets", "check", "--json", "--langflow-version", "1.13.0")
    assert r.exit_code == 0 and r.json["totals"]["legacy"] >= 2, r
    r = db.run("secrets", "check", "--json", "--langflow-version", "1.10.3")
    assert r.exit_code == 11 and r.json["server_unreadable"] >= 2, r


def test_shortkey_rotation_heals(shortkey_db: LangflowDB) -> None:
    db = shortkey_db
    r = db.run("secrets", "rotate", "--new-key-stdin", "--json", input=NEW)
    assert r.exit_code == 0, r
    variables = next(s for s in r.json["stores"] if s["store"] == "variable.value")
    assert variables["reencrypted"] + variables["healed_legacy"] == len(db.manifest["variables"])
    chk = db.run("secrets", "check", "--json", LANGFLOW_SECRET_KEY=NEW)
    assert chk.exit_code == 0 and chk.json["totals"]["legacy"] == 0, chk
    listed = {v["name"]: v for v in db.run("secrets", "list", "--json", LANGFLOW_SECRET_KEY=NEW).json["variables"]}
    for var in db.manifest["variables"]:
        assert listed[var["name"]]["fingerprint"] == db.fingerprint(var["value"], NEW)


def test_legacy_values_healed_as_113(shortkey_db: LangflowDB) -> None:
    db = shortkey_db
    r = db.run("secrets", "rotate", "--new-key-stdin", "--json", "--langflow-version", "1.13.0", input=NEW)
    assert r.exit_code == 0, r
    variables = next(s for s in r.json["stores"] if s["store"] == "variable.value")
    # 1.13 stores Generic in clear: the 1.6-era encrypted MY_GEN becomes plaintext.
    assert variables["generic_decrypted"] == 1
    assert variables["healed_legacy"] == len(db.manifest["variables"]) - 1
    (value,) = db.query("SELECT value FROM variable WHERE name = 'MY_GEN'")[0]
    assert value == "generic-value-1"


@pytest.mark.postgres
@pytest.mark.parametrize("db113", ["postgresql"], indirect=True)  # SQLite text holds NUL
def test_a_generic_value_with_a_nul_is_refused_without_showing_it(db113: LangflowDB) -> None:
    """1.8+ keeps Generic variables in clear; PostgreSQL text cannot hold NUL, and its own error
    would quote the plaintext: refused by name, nothing changed, the value never shown."""
    old = Keyring(db113.secret_key, Derivation.DIRECT)
    db113.execute("INSERT INTO variable (id, name, value, type, created_at, user_id, default_fields) "
                  "VALUES (:i, 'NUL_GEN', :v, 'Generic', '2026-11-26 10:00:00', :u, '[]')",
                  i=uid(), v=old.seal("sk-nul\x00-secret"), u=uid(db113.user("alice")["id"]))
    before = db113.snapshot()
    r = db113.run("secrets", "rotate", "--new-key-stdin", input=NEW)
    assert r.exit_code == 10, r
    assert "NUL_GEN" in r.stderr and "NUL character" in r.stderr, r
    assert "sk-nul" not in r.stdout + r.stderr
    assert db113.snapshot() == before


# -- crash consistency -----------------------------------------------------------------------------

KILL_AT = ["journal-written", "mid-rewrite", "before-commit", "after-commit", "after-env-file",
           "after-key-files"]


def _wait_pg_idle(db: LangflowDB) -> None:
    if db.backend != "postgresql":
        return
    name = db.url.rsplit("/", 1)[1]
    for _ in range(50):
        if not db.query("SELECT 1 FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()", d=name):
            return
        time.sleep(0.1)


# Both backends (their commits differ) and both key eras, not all four pairs: what a kill leaves
# depends on the backend's transaction and on the journal, not on the release.
@pytest.mark.parametrize(
    "lfdb",
    [pytest.param(("sqlite", "1.6.9"), id="sqlite-1.6.9"),
     pytest.param(("postgresql", "1.13.0"), id="pg-1.13.0", marks=pytest.mark.postgres)],
    indirect=True,
)
@pytest.mark.parametrize("point", KILL_AT)
def test_sigkill_leaves_one_key_and_rerun_completes(lfdb: LangflowDB, envf: Path, point: str) -> None:
    seed_all_stores(lfdb, lambda v: enc(lfdb, v), lambda v: sso_encrypt(lfdb.secret_key, v))
    env = {**rotate_env(lfdb), "LFADMIN_UNSAFE_TEST_HOOKS": "1", "LFADMIN_TEST_KILL_AT": point}
    args = ("secrets", "rotate", "--generate", "--env-file", str(envf), "--write-env", str(envf), "--write-config-dir")
    killed = run_process(*args, env=env)
    assert killed.exit_code == -signal.SIGKILL, killed
    journal = lfdb.config_dir / "secret_key.lfadmin-rotation"
    pending = json.loads(journal.read_text())["new_key"] if journal.exists() else None
    # The database is under exactly one key...
    db_key = assert_exactly_one_key(lfdb, lfdb.secret_key, pending or lfdb.secret_key)
    # ...which is the key the files give Langflow, or the journal's (recoverable by a rerun).
    effective = env_key(envf)
    if db_key != effective:
        assert point == "after-commit" and db_key == pending
    if point in ("journal-written", "mid-rewrite", "before-commit"):
        assert db_key == lfdb.secret_key and effective == lfdb.secret_key
    # Rerun (same command, no hook): completes.
    _wait_pg_idle(lfdb)
    again = run_process(*args, env=rotate_env(lfdb))
    assert again.exit_code == 0, again
    final = env_key(envf)
    assert final != lfdb.secret_key
    if pending is not None and point not in ("journal-written", "mid-rewrite", "before-commit"):
        assert final == pending and "interrupted rotation" in again.stderr
    assert (lfdb.config_dir / "secret_key").read_text() == final
    assert assert_exactly_one_key(lfdb, lfdb.secret_key, final) == final
    assert not journal.exists()
    assert os.environ.get("LFADMIN_TEST_KILL_AT") is None


def test_old_and_new_key_on_stdin(lfdb: LangflowDB) -> None:
    env = {k: v for k, v in lfdb.env.items() if k != "LANGFLOW_SECRET_KEY"}
    r = run("secrets", "rotate", "--old-key-stdin", "--new-key-stdin", "--json",
            input=f"{lfdb.secret_key}\n{NEW}\n", env={**lfdb.auth_env(), **env, "LANGFLOW_SECRET_KEY": NEW})
    # the key "in effect" (NEW here, e.g. already edited into .env) is not what the data uses:
    # the old key from stdin is.
    assert r.exit_code == 0, r
    assert r.json["old_fingerprints"] == [fingerprint(lfdb.secret_key)]
    assert assert_exactly_one_key(lfdb, lfdb.secret_key, NEW) == NEW
    bad = lfdb.run("secrets", "rotate", "--old-key-stdin", "--new-key-stdin", input="only-one-line")
    assert bad.exit_code == 4 and bad.stderr.count("\n") == 1


def _many_variables(db: LangflowDB, n: int, key: str) -> dict[str, str]:
    """``n`` Credential variables of alice's (more than one rotation batch), name -> plaintext."""
    from lfadmin.core.secrets.stores import BATCH

    assert n > 2 * BATCH
    f = Keyring(key, Derivation.DIRECT)
    owner = uid(db.user("alice")["id"])
    plain = {f"BULK_{i:05d}": f"sk-bulk-{i:05d}" for i in range(n)}
    db.execute_many("INSERT INTO variable (id, name, value, type, created_at, user_id, default_fields) "
                    "VALUES (:i, :n, :v, 'Credential', '2026-11-26 10:00:00', :u, '[]')",
                    [{"i": uid(), "n": name, "v": f.seal(value), "u": owner} for name, value in plain.items()])
    return plain


def test_many_batches(db113: LangflowDB) -> None:
    """Past the first batch, PostgreSQL writes in pipeline mode: every value must still land."""
    plain = _many_variables(db113, 2500, db113.secret_key)
    r = db113.run("secrets", "rotate", "--new-key-stdin", "--json", input=NEW)
    assert r.exit_code == 0, r
    stored = dict(db113.query("SELECT name, value FROM variable WHERE name LIKE 'BULK_%'"))
    new = Keyring(NEW, Derivation.DIRECT)
    assert {name: (new.open(v) or ("?",))[0] for name, v in stored.items()} == plain


def test_an_undecryptable_value_late_rolls_back_every_batch(db113: LangflowDB) -> None:
    """Batches already written (pipelined on PostgreSQL) are rolled back with the rest."""
    _many_variables(db113, 2500, db113.secret_key)
    db113.execute("UPDATE variable SET value = :v WHERE name = 'BULK_02499'", v=encrypt(NEW[::-1], "x", Derivation.DIRECT))
    before = db113.snapshot()
    r = db113.run("secrets", "rotate", "--new-key-stdin", input=NEW)
    assert r.exit_code == 11, r
    assert "BULK_02499" in r.stderr and "nothing changed" in r.stderr
    assert db113.snapshot() == before


def test_first_batch_with_one_change_then_many(db113: LangflowDB) -> None:
    """A store's first write may be a single row; the batches after it are pipelined on
    PostgreSQL, and their statement must already be built (building it reads the catalog)."""
    from lfadmin.core.secrets.stores import BATCH

    owner = uid(db113.user("alice")["id"])
    old = Keyring(db113.secret_key, Derivation.DIRECT)
    rows = [("Credential", old.seal("first"))] + [("Generic", f"plain-{i}") for i in range(BATCH - 1)]
    rows += [("Credential", old.seal(f"later-{i}")) for i in range(BATCH + 200)]
    # Ids in rotation order on PostgreSQL (the primary key), inserted in that order for SQLite (rowid).
    db113.execute_many("INSERT INTO variable (id, name, value, type, created_at, user_id, default_fields) "
                       "VALUES (:i, :n, :v, :t, '2026-11-26 10:00:00', :u, '[]')",
                       [{"i": f"00000000000000000000{i:012d}", "n": f"ORDER_{i:05d}", "v": value, "t": vtype, "u": owner}
                        for i, (vtype, value) in enumerate(rows)])
    r = db113.run("secrets", "rotate", "--new-key-stdin", "--json", input=NEW)
    assert r.exit_code == 0, r
    new = Keyring(NEW, Derivation.DIRECT)
    stored = dict(db113.query("SELECT name, value FROM variable WHERE name LIKE 'ORDER_%' AND type = 'Credential'"))
    assert len(stored) == BATCH + 201
    assert all(new.open(v) is not None for v in stored.values())


def test_job_metadata_batches(db113: LangflowDB) -> None:
    """job.job_metadata is jsonb on PostgreSQL: a batch of several jobs is cast to it."""
    owner = uid(db113.user("alice")["id"])
    flow = uid(db113.manifest["flows"][0]["id"])
    old = Keyring(db113.secret_key, Derivation.DIRECT)
    for i in range(3):
        meta = {"request_overrides_format": "fernet-json-v1", "request_overrides": old.seal(f"overrides-{i}"),
                "other": i}
        db113.execute("INSERT INTO job (job_id, flow_id, status, created_timestamp, type, user_id, job_metadata) "
                      "VALUES (:j, :f, 'queued', '2026-11-26 10:00:00', 'workflow', :u, :m)",
                      j=uid(), f=flow, u=owner, m=json.dumps(meta))
    r = db113.run("secrets", "rotate", "--new-key-stdin", "--json", input=NEW)
    assert r.exit_code == 0, r
    metas = [m if isinstance(m, dict) else json.loads(m) for (m,) in db113.query("SELECT job_metadata FROM job")]
    new = Keyring(NEW, Derivation.DIRECT)
    opened = sorted((new.open(m["request_overrides"]) or ("?",))[0] for m in metas)
    assert opened == ["overrides-0", "overrides-1", "overrides-2"]
    assert sorted(m["other"] for m in metas) == [0, 1, 2]


@pytest.mark.postgres
@pytest.mark.parametrize("db113", ["postgresql"], indirect=True)  # pipeline mode is PostgreSQL's
def test_an_error_in_a_pipelined_batch_is_reported_like_any_other(db113: LangflowDB) -> None:
    """A statement timeout in the third batch (sent in pipeline mode) is exit 5 and one line, as in the first."""
    owner = uid(db113.user("alice")["id"])
    old = Keyring(db113.secret_key, Derivation.DIRECT)
    db113.execute_many("INSERT INTO variable (id, name, value, type, created_at, user_id, default_fields) "
                       "VALUES (:i, :n, :v, 'Credential', '2026-11-26 10:00:00', :u, '[]')",
                       [{"i": f"00000000000000000000{i:012d}", "n": f"SLOW_{i:05d}", "v": old.seal(f"v{i}"), "u": owner}
                        for i in range(2500)])
    db113.execute("CREATE FUNCTION lfadmin_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  "IF NEW.name = 'SLOW_02400' THEN PERFORM pg_sleep(3); END IF; RETURN NEW; END $$")
    db113.execute("CREATE TRIGGER lfadmin_slow BEFORE UPDATE ON variable FOR EACH ROW EXECUTE FUNCTION lfadmin_slow()")
    name = db113.url.rsplit("/", 1)[1]
    db113.execute(f'ALTER DATABASE "{name}" SET statement_timeout = \'1s\'')
    before = db113.snapshot()
    r = db113.run("secrets", "rotate", "--new-key-stdin", input=NEW)
    assert r.exit_code == 5, r
    assert r.stderr.startswith("Error: cannot use") and "statement timeout" in r.stderr and r.stderr.count("\n") == 1, r
    assert db113.snapshot() == before


@pytest.mark.parametrize("db113", ["sqlite"], indirect=True)
def test_an_error_on_the_drivers_own_cursor_is_reported_like_any_other(db113: LangflowDB) -> None:
    """Batches are written on sqlite3's own cursor (not SQLAlchemy's): an error in the third
    batch is still a documented exit (6: the schema is broken) and one line, and the two before
    it are rolled back."""
    _many_variables(db113, 2500, db113.secret_key)
    # A trigger whose table is gone fails when it fires, with sqlite3.OperationalError.
    db113.execute("CREATE TABLE lfadmin_gone (x)")
    db113.execute("CREATE TRIGGER lfadmin_gone AFTER UPDATE ON variable WHEN NEW.name = 'BULK_02400' "
                  "BEGIN INSERT INTO lfadmin_gone VALUES (1); END")
    db113.execute("DROP TABLE lfadmin_gone")
    before = db113.snapshot()
    r = db113.run("secrets", "rotate", "--new-key-stdin", input=NEW)
    assert r.exit_code == 6, r
    assert r.stderr.startswith("Error: unsupported schema: no such table: main.lfadmin_gone "), r
    assert r.stderr.count("\n") == 1, r
    assert db113.snapshot() == before


def test_rerun_after_commit_is_not_fooled_by_a_value_no_key_opens(lfdb: LangflowDB, envf: Path) -> None:
    """A value an earlier --skip-undecryptable left behind, first in scan order, must not make a
    committed rotation's journal look stale (dropping it would lose the key the database is under)."""
    col = "rowid" if lfdb.backend == "sqlite" else "id"
    first = lfdb.query(f"SELECT {col} FROM variable ORDER BY {col} LIMIT 1")[0][0]
    lfdb.execute(f"UPDATE variable SET value = :v WHERE {col} = :k",
                  v=encrypt("Q2hlY2tpbmcgYSB3cm9uZyBrZXkgaGVyZS4uLi4uLi4", "lost", Derivation.DIRECT), k=first)
    args = ("secrets", "rotate", "--generate", "--skip-undecryptable", "--env-file", str(envf), "--write-env", str(envf))
    killed = run_process(*args, env={**rotate_env(lfdb), "LFADMIN_UNSAFE_TEST_HOOKS": "1",
                                     "LFADMIN_TEST_KILL_AT": "after-commit"})
    assert killed.exit_code == -signal.SIGKILL, killed
    pending = json.loads((lfdb.config_dir / "secret_key.lfadmin-rotation").read_text())["new_key"]
    _wait_pg_idle(lfdb)
    again = run_process(*args, env=rotate_env(lfdb))
    assert again.exit_code == 0, again
    assert "interrupted rotation" in again.stderr
    assert env_key(envf) == pending
