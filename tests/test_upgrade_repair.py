"""`lfadmin upgrade repair` and `--backup PATH`, on databases real Langflow made.

The proof is the interop test: the 1.6.9 fixture is upgraded by starting Langflow 1.13.0 on it
(its own migrations; both backends), 1.13.0 is shown to misread the 1.6-era Generic variable,
repair runs, and 1.13.0's own code then reads every variable, API key and user; after
``user transfer alice carol``, a live 1.13.0 server (SQLite; the suite's one full-app start)
lists the variables over HTTP, shows carol alice's flows and runs one, shows alice none. The other
tests: the short-key fixture judged as 1.13.0 (legacy derivation healed with the same key), a
database with nothing to repair, the backup taken first (and refused cleanly) on the four commands
that take ``--backup``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from lfadmin.core.secrets.keyring import Keyring
from lfadmin.core.secrets.stores import STORES
from lfadmin.core.target import Target
from lfadmin.core.upgrade.repair import repair as core_repair
from lfadmin.langflow.crypto import Derivation, fingerprint
from tests.support import FIXTURES
from tests.support.cli import Result, assert_one_error
from tests.support.databases import LangflowDB, make_db
from tests.support.langflow import langflow_check, live_server, upgrade_by_starting
from tests.support.rows import uid as bind_uid
from tests.support.secrets_seed import NEW, uid
from tests.support.transfer_seed import clone


def repair(db: LangflowDB, *args: str, **env: str) -> Result:
    return db.run("upgrade", "repair", *args, **env)


def store(res: Result, name: str) -> dict[str, int]:
    return next(s for s in res.json["stores"] if s["store"] == name)


def backups(db: LangflowDB) -> list[str]:
    assert db.path is not None
    return sorted(p.name for p in db.path.parent.iterdir() if ".backup-" in p.name)


# -- interop: 1.6.9, started by 1.13.0, repaired, read by 1.13.0 ------------------------------------


@pytest.mark.interop
@pytest.mark.xdist_group("langflow-1.13.0")
def test_interop_1_6_9_upgraded_by_1_13_then_repaired(db169: LangflowDB) -> None:
    db = db169
    man = db.manifest
    plan = db.run("upgrade", "check", "--to", "1.13.0", "--json", LANGFLOW_AUTO_LOGIN="False",
                  LANGFLOW_SUPERUSER="admin", LANGFLOW_SUPERUSER_PASSWORD=db.password("admin"))
    assert {"LF-UPG-007", "LF-UPG-008"} <= {f["id"] for f in plan.json["findings"]}
    assert "LF-UPG-001" not in {f["id"] for f in plan.json["findings"]}

    reads = [{"op": "variable", "username": v["owner"], "name": v["name"]} for v in man["variables"]]
    reads += [{"op": "list_variables", "username": u} for u in ("admin", "alice")]
    started, *broken = upgrade_by_starting(db, "1.13.0", *reads)
    assert started["result"] == "ok", started
    gen = next(i for i, v in enumerate(man["variables"]) if v["type"] == "Generic")
    assert broken[gen]["value"].startswith("gAAAAA"), broken[gen]  # what a flow got: the token
    assert "MY_GEN" not in [v["name"] for v in broken[-1]["variables"]]  # and the listing skips it

    dry = repair(db, "--dry-run", "--json")
    assert dry.exit_code == 0, dry
    assert (dry.json["changed"], store(dry, "variable.value")["generic_decrypted"]) == (3, 1)
    fixed = repair(db, "--json", "--no-backup")
    assert fixed.exit_code == 0, fixed
    assert fixed.json["release"] == "1.13.0" and fixed.json["changed"] == 3, fixed.json
    assert sorted(fixed.json["api_keys"]["encrypted"]) == ["admin-key (admin)", "alice-key (alice)"]
    assert fixed.json["key_fingerprint"] == fingerprint(db.secret_key)  # the key in effect, unchanged
    again = repair(db)
    assert again.exit_code == 0 and "Nothing to repair" in again.stderr, again

    # What alice owns moves to carol on the repaired database; then 1.13.0 reads it as carol's.
    echo = clone(db, "flow", bind_uid(db, man["flows"][0]["id"]), name="Echo", endpoint_name=None,
                 description="ChatInput -> ChatOutput, no model",
                 data=(FIXTURES / "langflow-1.13.0-echo-flow.json").read_text())
    moved = db.run("user", "transfer", "alice", "carol", "--json")
    assert moved.exit_code == 0, moved
    owner = {"alice": "carol"}
    reads = [{"op": "variable", "username": owner.get(v["owner"], v["owner"]), "name": v["name"]}
             for v in man["variables"]]
    reads += [{"op": "list_variables", "username": u} for u in ("admin", "carol")]
    checks = reads + [{"op": "api_key", "key": k["plaintext"]} for k in man["api_keys"]]
    checks += [{"op": "login", "username": u["username"], "password": u["password"]} for u in man["users"]]
    if db.backend == "sqlite":  # one live server in the suite: its full start is the expensive part
        checks.append(live_server(db, *live_requests(echo)))
    out = langflow_check(db, checks, release="1.13.0")
    n = len(man["variables"])
    for v, got in zip(man["variables"], out[:n], strict=True):
        assert (got["result"], got["value"]) == ("ok", v["value"]), (v["name"], got)
    listed = {v["name"]: v["value"] for r in out[n:n + 2] for v in r["variables"]}
    assert {v["name"] for v in man["variables"]} <= set(listed)
    assert listed["MY_GEN"] == "generic-value-1"
    for k, got in zip(man["api_keys"], out[n + 2:n + 2 + len(man["api_keys"])], strict=True):
        assert (got["result"], got["username"]) == ("accepted", k["owner"]), got
    for u, got in zip(man["users"], out[n + 2 + len(man["api_keys"]):][:len(man["users"])], strict=True):
        assert got["result"] == ("ok" if u["is_active"] else "inactive"), (u["username"], got)
    if db.backend == "sqlite":
        assert_live_answers(out[-1], man, echo)


def live_requests(echo: str) -> list[dict[str, Any]]:
    """What the operator's users do next: each lists its variables, carol (the new owner) and
    alice (the old one) list their flows and run the moved Echo flow (ChatInput -> ChatOutput)."""
    run = {"method": "POST", "path": f"/api/v1/run/session/{echo}",
           "json": {"input_value": "hello from carol", "input_type": "chat", "output_type": "chat"}}
    return [
        {"as": "admin", "path": "/api/v1/variables/"},
        {"as": "carol", "path": "/api/v1/variables/"},
        {"as": "alice", "path": "/api/v1/variables/"},
        {"as": "carol", "path": "/api/v1/flows/", "params": {"header_flows": "true"}},
        {"as": "alice", "path": "/api/v1/flows/", "params": {"header_flows": "true"}},
        {"as": "carol", **run},
        {"as": "alice", **run},
        {"as": "alice", "path": f"/api/v1/flows/{echo}"},
    ]


def assert_live_answers(live: dict[str, Any], man: dict[str, Any], echo: str) -> None:
    """Exactly what the live 1.13.0 server answered. Variables: every one the 1.6.9 fixture made,
    the very rows (same ids) under their new owner, the Generic value readable, Credentials masked
    as 1.13 masks them (value null, has_value true); beside them the four agentic Credential
    variables 1.13's login gives every user (empty). Flows: carol lists both of alice's, runs Echo
    (its ChatOutput answers what ChatInput got); alice lists none and gets 404 for Echo."""
    assert (live["result"], live["mode"], live["health_check"]) == (
        "ok", "live", {"status_code": 200, "json": {"status": "ok", "chat": "ok", "db": "ok"}}), live
    assert live["logins"] == {"admin": 200, "carol": 200, "alice": 200}
    admin_vars, carol_vars, alice_vars, carol_flows, alice_flows, run, alice_run, alice_get = live["answers"]

    def variables(a: dict[str, Any]) -> dict[str, tuple[str, str, str | None, bool]]:
        assert a["status_code"] == 200, a
        return {v["name"]: (v["id"], v["type"], v["value"], v["has_value"]) for v in a["json"]}

    agentic = {"ASTRA_TOKEN", "COMPONENT_ID", "FIELD_NAME", "FLOW_ID"}
    fixture = {v["name"]: (v["id"], v["type"], v["value"] if v["type"] == "Generic" else None, True)
               for v in man["variables"]}
    for got, owner in ((admin_vars, "admin"), (carol_vars, "carol"), (alice_vars, "alice")):
        listed = variables(got)
        assert {n: listed.pop(n)[1:] for n in agentic} == dict.fromkeys(agentic, ("Credential", None, False)), owner
        mine = {v["name"] for v in man["variables"] if {"alice": "carol"}.get(v["owner"], v["owner"]) == owner}
        assert listed == {n: fixture[n] for n in mine}, (owner, listed)
    assert fixture["MY_GEN"] == (fixture["MY_GEN"][0], "Generic", "generic-value-1", True)

    assert carol_flows["status_code"] == 200, carol_flows
    assert sorted((f["name"], f["id"]) for f in carol_flows["json"]) == [
        ("Alice Secret Flow", man["flows"][0]["id"]), ("Echo", echo)]
    assert alice_flows == {"status_code": 200, "json": [], "seconds": alice_flows["seconds"]}
    assert run["status_code"] == 200, run
    (result,) = run["json"]["outputs"]
    assert result["inputs"] == {"input_value": "hello from carol"}
    assert result["outputs"][0]["results"]["message"]["text"] == "hello from carol", result
    assert (alice_run["status_code"], alice_run["json"]) == (404, {"detail": f"Flow identifier {echo} not found"})
    assert (alice_get["status_code"], alice_get["json"]) == (404, {"detail": "Flow not found"})


# -- the short-key derivation, the same key ---------------------------------------------------------


def test_short_key_values_healed_with_the_same_key(tmp_path: Path) -> None:
    """The 1.6.9 short-key fixture judged as 1.10.3 (reads only SHA-256 for short keys): every
    value is re-encrypted under SHA-256 of the same key, Generic made plaintext; dry run first."""
    db = next(make_db("sqlite", "1.6.9-shortkey", tmp_path))
    pin = ("--langflow-version", "1.10.3")
    assert db.run("secrets", "check", "--json", *pin).exit_code == 11
    before = db.snapshot()
    dry = repair(db, *pin, "--dry-run", "--json")
    assert dry.exit_code == 0 and db.snapshot() == before, dry
    res = repair(db, *pin, "--json")
    assert res.exit_code == 0, res
    variables = store(res, "variable.value")
    assert (variables["healed_legacy"], variables["generic_decrypted"]) == (len(db.manifest["variables"]) - 1, 1)
    assert variables["verified"] == variables["healed_legacy"]
    assert res.json == {**dry.json, "dry_run": False, "duration_s": res.json["duration_s"],
                        "stores": res.json["stores"], "backup": res.json["backup"]}
    assert dry.json["backup"] is None  # SQLite: the automatic backup, taken because something changes
    assert Path(res.json["backup"]).name in backups(db)
    assert backups(db) == [n for n in backups(db) if n.startswith("langflow-1.6.9-shortkey.backup-1.10.3-")]
    chk = db.run("secrets", "check", "--json", *pin)
    assert chk.exit_code == 0 and chk.json["key"]["fingerprint"] == res.json["key_fingerprint"], chk
    (value,) = db.query("SELECT value FROM variable WHERE name = 'MY_GEN'")[0]
    assert value == "generic-value-1"
    again = repair(db, *pin)
    assert again.exit_code == 0, again
    assert again.stdout == ""
    assert again.stderr.endswith(
        f"Nothing to repair: every stored value is readable by Langflow 1.10.3 with key {res.json['key_fingerprint']}\n")
    assert len(backups(db)) == 2  # the backup and its manifest: a run with nothing to do takes none


# -- nothing to do, refusals -------------------------------------------------------------------------


def test_core_finds_nothing_where_a_release_reads_what_it_wrote(target: Target, lfdb: LangflowDB) -> None:
    """Each fixture as its own release left it (1.6.9's encrypted Generic variables and plaintext
    keys are what 1.6 reads): the library call changes nothing and reports every store."""
    before = lfdb.snapshot()
    receipt = core_repair(target)
    assert (receipt.changed, receipt.undecryptable, receipt.dry_run) == (0, 0, False), receipt
    assert [r.store for r in receipt.stores] == [s.name for s in STORES]
    assert lfdb.snapshot() == before


def test_nothing_to_repair_on_1_13(db113: LangflowDB) -> None:
    before = db113.snapshot()
    res = repair(db113)
    assert (res.exit_code, res.stdout) == (0, ""), res
    assert "Nothing to repair: every stored value is readable by Langflow 1.13.0" in res.stderr
    assert db113.snapshot() == before
    if db113.path is not None:
        assert backups(db113) == []


def test_repair_needs_a_superuser_and_a_known_schema(db113: LangflowDB) -> None:
    before = db113.snapshot()
    res = db113.run("upgrade", "repair", user="alice")
    assert res.exit_code == 7, res
    db113.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    res = repair(db113, "--no-backup")  # as every write: the unknown revision warned, the write refused
    assert res.exit_code == 6, res
    assert res.stderr.splitlines()[-1].startswith("Error: this database's schema is newer than any Langflow")
    db113.execute("UPDATE alembic_version SET version_num = :v", v=db113.manifest["alembic_revision"])
    assert db113.snapshot() == before


def test_keep_default_superuser(db113: LangflowDB) -> None:
    """LF-UPG-006: the never-signed-in superuser 'langflow' is named in what repair leaves, and
    kept on request (last_login_at set, as Langflow's preflight advises); then nothing to do."""
    db113.execute('UPDATE "user" SET username = \'langflow\', last_login_at = NULL WHERE username = \'root2\'')
    left = repair(db113, "--json")
    assert left.exit_code == 0 and left.json["changed"] == 0, left
    assert left.json["left"] == ["the superuser 'langflow' never signed in: a start with AUTO_LOGIN off removes it "
                                 "(LF-UPG-006); keep it with --keep-default-superuser"]
    kept = repair(db113, "--keep-default-superuser", "--no-backup")
    assert kept.exit_code == 0, kept
    assert "Gave the never-signed-in superuser 'langflow' a last-login time" in kept.stderr
    assert db113.query('SELECT last_login_at FROM "user" WHERE username = \'langflow\'')[0][0] is not None
    again = repair(db113, "--keep-default-superuser", "--json")
    assert (again.json["changed"], again.json["left"], again.json["backup"]) == (0, [], None), again


def test_drop_orphans_as_langflows_convert_does(db113: LangflowDB) -> None:
    """LF-UPG-016: rows whose parent is gone - deleted where ON DELETE CASCADE would have deleted
    them (span.trace_id), cleared where SET NULL would have (authz_audit_log.user_id), left and
    named where no rule says (variable.user_id; the child span, orphaned by the first pass)."""
    from sqlalchemy import text

    gone, at = uid(), "2026-11-26 10:00:00"
    with db113.connection(commit=True) as conn:
        if db113.backend == "postgresql":  # its foreign keys hold: orphans only come from bypassing them
            conn.execute(text("SET session_replication_role = replica"))
        first = uid()
        for span, parent in ((first, None), (uid(), first)):
            conn.execute(text("INSERT INTO span (id, trace_id, parent_span_id, name, span_type, status, start_time, "
                              "latency_ms, span_kind) VALUES (:s, :t, :p, 'lost', 'chain', 'ok', :at, 1, 'INTERNAL')"),
                         {"s": span, "t": gone, "p": parent, "at": at})
        conn.execute(text("INSERT INTO authz_audit_log (id, user_id, action, result, timestamp) "
                          "VALUES (:a, :t, 'read', 'allow', :at)"), {"a": uid(), "t": gone, "at": at})
        conn.execute(text("UPDATE variable SET user_id = :t WHERE name = 'MY_GEN'"), {"t": gone})
    before = db113.snapshot()
    dry = repair(db113, "--drop-orphans", "--dry-run")
    assert dry.exit_code == 0, dry
    assert db113.snapshot() == before
    assert "Would settle orphans: authz_audit_log.user_id: 1 row key cleared (ON DELETE SET NULL)\n" in dry.stderr
    assert "Would settle orphans: span.trace_id: 2 rows deleted (ON DELETE CASCADE)\n" in dry.stderr
    done = repair(db113, "--drop-orphans", "--no-backup", "--json")
    assert done.exit_code == 0, done
    assert done.json["orphans"] == {"rows": 3, "settled": [
        "authz_audit_log.user_id: 1 row key cleared (ON DELETE SET NULL)",
        "span.trace_id: 2 rows deleted (ON DELETE CASCADE)",
    ]}
    assert done.json["left"] == ["1 variable row whose user_id names no user.id (LF-UPG-016, no ON DELETE rule): "
                                 "no rule says what to do with them: fix them by hand"]
    assert db113.query("SELECT count(*) FROM span WHERE name = 'lost'") == [(0,)]
    assert db113.query("SELECT user_id FROM authz_audit_log WHERE action = 'read'") == [(None,)]
    again = repair(db113, "--drop-orphans", "--json")
    assert (again.json["changed"], again.json["orphans"]["rows"]) == (0, 0), again


# -- --backup PATH, shared by four commands ------------------------------------------------------------


def _encrypted_generic(db: LangflowDB) -> None:
    """A 1.6-era Generic variable on a 1.13 database: what repair changes."""
    token = Keyring(db.secret_key, Derivation.DIRECT).seal("old-generic")
    db.execute("INSERT INTO variable (id, name, value, type, created_at, user_id, default_fields) "
               "VALUES (:i, 'OLD_GEN', :v, 'Generic', '2026-11-26 10:00:00', :u, '[]')",
               i=uid(), v=token, u=uid(db.user("alice")["id"]))


def test_backup_option_takes_a_verified_backup_first(db113: LangflowDB, tmp_path: Path) -> None:
    _encrypted_generic(db113)
    path = tmp_path / "before-repair.bak"
    res = repair(db113, "--backup", str(path))
    assert res.exit_code == 0, res
    assert res.stderr.startswith(f"Backed up the database to {path} (verified: ")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    restored = db113.run("backup", "restore", str(path), "--yes", "--dry-run")
    assert restored.exit_code == 0, restored
    if db113.path is not None:
        assert backups(db113) == []  # --backup PATH replaces the automatic one


@pytest.mark.parametrize("db113", ["sqlite"], indirect=True)  # the refusals are the file layer's
@pytest.mark.parametrize("command", [
    ("upgrade", "repair"),
    ("secrets", "rotate", "--new-key-stdin"),
    ("user", "delete", "carol", "--yes"),
    ("api-key", "prune", "--unused-for", "1d", "--force"),
])
def test_backup_refused_changes_nothing(db113: LangflowDB, tmp_path: Path, command: tuple[str, ...]) -> None:
    db = db113
    _encrypted_generic(db)
    before = db.snapshot()
    taken = tmp_path / "taken.bak"
    taken.write_text("an earlier backup")
    res = db.run(*command, "--backup", str(taken), input=NEW)
    assert_one_error(res, 9, str(taken))
    link = tmp_path / "link.bak"
    link.symlink_to(tmp_path / "elsewhere.bak")
    res = db.run(*command, "--backup", str(link), input=NEW)
    assert_one_error(res, 10, str(link))
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    unwritable = locked if os.geteuid() != 0 else Path("/sys")  # root writes anywhere but sysfs
    res = db.run(*command, "--backup", str(unwritable / "x.bak"), input=NEW)
    assert_one_error(res, 10, "its directory is not writable by this user")
    assert db.snapshot() == before
    assert taken.read_text() == "an earlier backup" and not (tmp_path / "elsewhere.bak").exists()


@pytest.mark.parametrize("db113", ["sqlite"], indirect=True)
def test_no_backup_left_by_a_delete_of_an_unknown_user(db113: LangflowDB, tmp_path: Path) -> None:
    """The users are checked before the backup is taken: a refused delete leaves no copy of
    every secret behind."""
    path = tmp_path / "before-delete.bak"
    res = db113.run("user", "delete", "nosuch", "--yes", "--backup", str(path))
    assert_one_error(res, 8, "nosuch")
    res = db113.run("user", "delete", "carol", "--transfer-to", "nosuch", "--yes", "--backup", str(path))
    assert_one_error(res, 8, "nosuch")
    assert list(tmp_path.glob("before-delete*")) == []
