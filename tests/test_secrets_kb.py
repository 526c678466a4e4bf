"""Knowledge-base sidecars (``<knowledge_bases_dir>/<user>/<kb>/embedding_metadata.json``):
``secrets check`` counts their ``api_key`` as one more store, ``secrets rotate`` re-encrypts them
after the commit (1.6-1.12) or leaves them alone (1.13 never decrypts them), atomically per file."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from lfadmin.core.secrets.keyring import Keyring
from lfadmin.core.secrets.sidecars import replace_value
from lfadmin.langflow.crypto import Derivation, encrypt, fingerprint
from tests.support.cli import run_process
from tests.support.databases import DB_PARAMS, LangflowDB, make_db
from tests.support.doctor import doctor_db as doctor
from tests.support.doctor import found
from tests.support.files import mode
from tests.support.langflow import langflow_script
from tests.support.secrets_seed import NEW, OTHER, all_tokens, assert_exactly_one_key, enc, kb_env, sidecar

STORE = "kb_embedding_metadata.api_key"
PLAIN = {"alice/docs": "sk-alice-embed-1", "admin/manuals": "sk-admin-embed-2"}

# The releases that read (and so rotate) sidecar keys: 1.13 only reports them.
READS_SIDECARS = [p for p in DB_PARAMS if "1.6.9" in str(p.id)]


@pytest.fixture
def kbs(lfdb: LangflowDB, tmp_path: Path) -> dict[str, Path]:
    """Two sidecars under the key in effect, one under another key, one without a key, a broken
    one, plus what the scan must skip (a dot folder, a directory without a sidecar)."""
    root = tmp_path / "kbs"
    found = {label: sidecar(root, label, lfdb.version, enc(lfdb, value)) for label, value in PLAIN.items()}
    found["admin/manuals"].chmod(0o600)
    found["alice/alien"] = sidecar(root, "alice/alien", lfdb.version, enc(lfdb, "sk-alien", OTHER))
    found["bob/nokey"] = sidecar(root, "bob/nokey", lfdb.version, None)
    found["bob/broken"] = sidecar(root, "bob/broken", lfdb.version, None)
    found["bob/broken"].write_text('{"api_key": "gAAAAA')  # Langflow reads it as {}: nothing to do
    sidecar(root, ".migration/x", lfdb.version, enc(lfdb, "hidden", OTHER))
    (root / "bob" / "empty").mkdir()
    return found


def store(doc: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in doc["stores"] if s["store"] == STORE)


def token_of(path: Path) -> str:
    return str(json.loads(path.read_text())["api_key"])


def opens_with(key: str, token: str) -> str | None:
    got = Keyring(key).open(token)
    return got[0] if got else None


def rewritten(before: str, after: str) -> str:
    """``after`` with its api_key token put back to ``before``'s: equal to ``before`` when nothing
    but the token changed."""
    old, new = json.loads(before)["api_key"], json.loads(after)["api_key"]
    return after.replace(new, old)


def files(found: dict[str, Path]) -> dict[str, bytes]:
    return {label: p.read_bytes() for label, p in found.items()}


# -- secrets check ----------------------------------------------------------------------------------


def test_check_counts_sidecars(lfdb: LangflowDB, kbs: dict[str, Path]) -> None:
    root = kbs["bob/nokey"].parent.parent.parent
    r = lfdb.run("secrets", "check", "--json", **kb_env(root))
    reads = lfdb.version.startswith("1.6")
    assert r.exit_code == (11 if reads else 0), r
    description = f"knowledge-base embedding API keys ({root}/<user>/<kb>/embedding_metadata.json)"
    if not reads:
        description += "; legacy sidecars Langflow 1.12+ never decrypts: not in totals or the exit code"
    assert store(r.json) == {
        "store": STORE,
        "description": description,
        "present": True,
        "rows": 5,
        "values": 3,
        "counts": {"ok": 2, "legacy": 0, "undecryptable": 1, "plaintext": 0, "encrypted-generic": 0,
                   "plain-expected": 0},
        "server_unreadable": 1 if reads else 0,
        "examples": {"undecryptable": ["alice/alien"]},
        # Never skipped silently: named, and counted in rows (Low, issue 11).
        "notes": [f"bob/broken: {kbs['bob/broken']} is not a JSON object; Langflow reads it as having no key"],
    }
    assert r.json["totals"]["undecryptable"] == (1 if reads else 0)
    human = lfdb.run("secrets", "check", **kb_env(root))
    assert human.exit_code == r.exit_code
    assert f"  {STORE} undecryptable: alice/alien\n" in human.stderr
    assert f"Warning: {STORE}: bob/broken: {kbs['bob/broken']} is not a JSON object" in human.stderr
    if reads:
        assert human.stderr.endswith(
            "\nError: 1 stored value(s) do not decrypt under the secret key in effect for Langflow 1.6.0 – 1.6.9 "
            "(find the key they were written with and run `lfadmin secrets rotate --old-key-stdin`)\n"
        )
    else:
        assert (f"  {STORE}: Langflow 1.13.0 never decrypts these legacy keys; counted for a downgrade "
                "only, not in the exit code\n") in human.stderr
        assert "Error:" not in human.stderr
    row = next(line for line in human.stdout.splitlines() if STORE in line)
    assert row.split("\t") == [STORE, "3", "2", "0", "1", "0", "0", "0"]  # piped: tab-separated, every count


def test_doctor_counts_sidecars_where_the_release_reads_them(lfdb: LangflowDB, kbs: dict[str, Path]) -> None:
    """LF-DB-011 is `secrets check`'s inventory: alice/alien's key is a finding on 1.6.9, and
    left out on 1.13, which never decrypts legacy sidecars (an advisory store)."""
    root = kbs["bob/nokey"].parent.parent.parent
    hits = found(doctor(lfdb, **kb_env(root)), "LF-DB-011")
    if lfdb.version.startswith("1.6"):
        (hit,) = hits
        assert hit["details"] == {"count": 1, "stores": {STORE: 1}, "examples": ["alice/alien"]}
    else:
        assert hits == []


def test_check_without_the_directory(lfdb: LangflowDB, tmp_path: Path) -> None:
    r = lfdb.run("secrets", "check", "--json", **kb_env(tmp_path / "missing"))
    assert r.exit_code == 0, r
    assert store(r.json) == {
        "store": STORE, "description": "knowledge-base embedding API keys (no knowledge-bases directory)",
        "present": False, "rows": 0, "values": 0,
        "counts": {"ok": 0, "legacy": 0, "undecryptable": 0, "plaintext": 0, "encrypted-generic": 0,
                   "plain-expected": 0},
        "server_unreadable": 0, "examples": {},
    }
    # Set empty, Langflow refuses every knowledge-base operation: nothing to look at either.
    assert store(lfdb.run("secrets", "check", "--json", LANGFLOW_KNOWLEDGE_BASES_DIR="").json)["present"] is False


def test_rotate_warns_when_the_default_directory_is_missing(lfdb: LangflowDB, tmp_path: Path) -> None:
    """The default is under the home of whoever runs lfadmin: missing there is no proof of none."""
    r = lfdb.run("secrets", "rotate", "--new-key-stdin", input=NEW)
    assert r.exit_code == 0, r
    home = os.environ["HOME"]
    said = f"Warning: no knowledge bases at {home}/.langflow/knowledge_bases (Langflow's default, for the user"
    assert (said in r.stderr) is (not lfdb.version.startswith("1.13")), r.stderr  # 1.13 never reads them
    # Named explicitly, a missing directory is simply absent.
    r = lfdb.run("secrets", "rotate", "--new-key-stdin", LANGFLOW_SECRET_KEY=NEW, **kb_env(tmp_path / "none"),
                 input=lfdb.secret_key)
    assert r.exit_code == 0 and "no knowledge bases" not in r.stderr, r


def test_directory_from_default_home_and_env_file(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    db = sqlite_db
    home = Path(os.environ["HOME"])  # the test's own HOME (tests/conftest.py clean_env)
    sidecar(home / ".langflow" / "knowledge_bases", "alice/docs", db.version, enc(db, "sk-1"))
    r = db.run("secrets", "check", "--json")
    assert store(r.json)["counts"]["ok"] == 1
    assert str(home / ".langflow" / "knowledge_bases") in store(r.json)["description"]
    # `~` in the setting, the setting in an --env-file, any case (pydantic's case_sensitive=False).
    sidecar(home / "kb2", "carol/a", db.version, enc(db, "sk-2"))
    sidecar(home / "kb2", "carol/b", db.version, enc(db, "sk-3"))
    envf = tmp_path / "server.env"
    envf.write_text("langflow_knowledge_bases_dir=~/kb2\n")
    r = db.run("secrets", "check", "--json", "--env-file", str(envf))
    assert r.exit_code == 0, r
    assert store(r.json)["counts"]["ok"] == 2 and f"({home}/kb2/" in store(r.json)["description"]


def test_check_legacy_short_key(tmp_path: Path) -> None:
    gen = make_db("sqlite", "1.6.9-shortkey", tmp_path)
    db = next(gen)
    try:
        root = tmp_path / "kbs"
        sidecar(root, "alice/old", "1.6.9", encrypt(db.secret_key, "sk-old", Derivation.LEGACY_RANDOM))
        sidecar(root, "alice/new", "1.6.9", encrypt(db.secret_key, "sk-new", Derivation.SHA256))
        r = db.run("secrets", "check", "--json", **kb_env(root))
        assert r.exit_code == 11, r  # 1.6.9 itself cannot read the SHA-256 one
        s = store(r.json)
        assert (s["counts"]["ok"], s["counts"]["legacy"], s["server_unreadable"]) == (1, 1, 1)
        assert s["examples"] == {"legacy": ["alice/new"]}
        rot = db.run("secrets", "rotate", "--new-key-stdin", "--json", **kb_env(root), input=NEW)
        assert rot.exit_code == 0, rot
        got = store(rot.json)
        assert (got["reencrypted"], got["healed_legacy"], got["verified"]) == (1, 1, 2)
        assert opens_with(NEW, token_of(root / "alice/new/embedding_metadata.json")) == "sk-new"
    finally:
        gen.close()


# -- secrets rotate -----------------------------------------------------------------------------------


def test_rotate_rewrites_sidecars(lfdb: LangflowDB, kbs: dict[str, Path]) -> None:
    root = kbs["bob/nokey"].parent.parent.parent
    before = {label: p.read_text() for label, p in kbs.items()}
    r = lfdb.run("secrets", "rotate", "--new-key-stdin", "--skip-undecryptable", "--json", **kb_env(root), input=NEW)
    assert r.exit_code == 0, r
    if not lfdb.version.startswith("1.6"):
        # 1.13 never decrypts them and fingerprints legacy KB folders: left byte for byte.
        assert store(r.json) == {"store": STORE, "present": False, "rows": 0, "reencrypted": 0, "healed_legacy": 0,
                                 "generic_decrypted": 0, "already_new": 0, "plaintext_left": 0,
                                 "undecryptable": 0, "verified": 0}
        assert {label: p.read_text() for label, p in kbs.items()} == before
        assert r.json["warnings"][0] == (
            f"left 3 knowledge-base embedding key(s) in legacy sidecars under {root} as they are: Langflow "
            "1.13.0 never decrypts them, and rewriting them would break its fingerprints of legacy knowledge "
            "bases; after a downgrade, re-enter those embedding keys"
        )
        return
    assert store(r.json) == {"store": STORE, "present": True, "rows": 5, "reencrypted": 2, "healed_legacy": 0,
                             "generic_decrypted": 0, "already_new": 0, "plaintext_left": 0, "undecryptable": 1,
                             "verified": 2}
    assert r.json["undecryptable_rows"] == [f"{STORE} alice/alien"]
    for label, value in PLAIN.items():
        after = kbs[label].read_text()
        token = token_of(kbs[label])
        assert opens_with(NEW, token) == value and opens_with(lfdb.secret_key, token) is None
        assert Keyring(NEW, Derivation.DIRECT_ALWAYS_PAD).open(token) == (value, Derivation.DIRECT_ALWAYS_PAD)
        assert rewritten(before[label], after) == before[label]  # only the token changed
    assert mode(kbs["alice/docs"]) == 0o644 and mode(kbs["admin/manuals"]) == 0o600
    for label in ("alice/alien", "bob/nokey", "bob/broken"):
        assert kbs[label].read_text() == before[label]
    assert not [p for p in root.rglob("*.tmp")]
    chk = lfdb.run("secrets", "check", "--json", **kb_env(root), LANGFLOW_SECRET_KEY=NEW)
    assert store(chk.json)["counts"]["ok"] == 2 and store(chk.json)["counts"]["undecryptable"] == 1


def test_dry_run_counts_and_writes_nothing(lfdb: LangflowDB, kbs: dict[str, Path]) -> None:
    root = kbs["bob/nokey"].parent.parent.parent
    (kbs["alice/alien"]).unlink()
    del kbs["alice/alien"]
    before, db_before = files(kbs), lfdb.snapshot()
    r = lfdb.run("secrets", "rotate", "--generate", "--dry-run", "--json", **kb_env(root))
    assert r.exit_code == 0, r
    s = store(r.json)
    if lfdb.version.startswith("1.6"):
        assert (s["present"], s["rows"], s["reencrypted"], s["verified"]) == (True, 4, 2, 0)
    else:
        assert s["present"] is False
    assert files(kbs) == before and lfdb.snapshot() == db_before


@pytest.mark.parametrize("lfdb", READS_SIDECARS, indirect=True)  # 1.13 leaves sidecars alone
def test_undecryptable_sidecar_stops_everything(lfdb: LangflowDB, kbs: dict[str, Path], tmp_path: Path) -> None:
    root = kbs["bob/nokey"].parent.parent.parent
    envf = tmp_path / "server.env"
    envf.write_text(f"LANGFLOW_SECRET_KEY={lfdb.secret_key}\n")
    before, db_before = files(kbs), lfdb.snapshot()
    env = {k: v for k, v in lfdb.auth_env().items() if k != "LANGFLOW_SECRET_KEY"}
    r = run_process("secrets", "rotate", "--new-key-stdin", "--env-file", str(envf), "--write-env", str(envf),
                    input=NEW, env={**env, **kb_env(root)})
    assert r.exit_code == 11, r
    assert r.stderr == (
        f"Error: 1 value(s) open with neither the old nor the new key (first: {STORE} alice/alien); "
        "rolled back, nothing changed (pass the right key with --old-key-stdin, or --skip-undecryptable to "
        "rotate the rest and leave those as they are)\n"
    )
    assert files(kbs) == before and lfdb.snapshot() == db_before
    assert envf.read_text() == f"LANGFLOW_SECRET_KEY={lfdb.secret_key}\n"
    assert not (lfdb.config_dir / "secret_key.lfadmin-rotation").exists()


@pytest.mark.parametrize("lfdb", READS_SIDECARS, indirect=True)
def test_interrupted_between_files_is_finished_by_a_rerun(lfdb: LangflowDB, kbs: dict[str, Path],
                                                          tmp_path: Path) -> None:
    root = kbs["bob/nokey"].parent.parent.parent
    kbs.pop("alice/alien").unlink()
    envf = tmp_path / "server.env"
    envf.write_text(f"LANGFLOW_SECRET_KEY={lfdb.secret_key}\n")
    env = {**{k: v for k, v in lfdb.auth_env().items() if k != "LANGFLOW_SECRET_KEY"}, **kb_env(root)}
    args = ("secrets", "rotate", "--generate", "--env-file", str(envf), "--write-env", str(envf))
    killed = run_process(*args, env={**env, "LFADMIN_UNSAFE_TEST_HOOKS": "1", "LFADMIN_TEST_KILL_AT": "mid-files"})
    assert killed.exit_code == -signal.SIGKILL, killed
    pending = json.loads((lfdb.config_dir / "secret_key.lfadmin-rotation").read_text())["new_key"]
    # Committed, one file done, one not; the env file still has the old key.
    assert assert_exactly_one_key(lfdb, lfdb.secret_key, pending) == pending
    under = sorted(opens_with(pending, token_of(kbs[label])) is not None for label in PLAIN)
    assert under == [False, True]
    assert envf.read_text() == f"LANGFLOW_SECRET_KEY={lfdb.secret_key}\n"
    # A kill inside a file's write leaves its temp file (holding a token) behind: a rerun removes it.
    pending_car = next(kbs[label] for label in PLAIN if opens_with(pending, token_of(kbs[label])) is None)
    stale = pending_car.with_name(".embedding_metadata.json.lfadmin-dead.tmp")
    stale.write_text("{}")
    again = run_process(*args, env=env)
    assert again.exit_code == 0, again
    assert "finished an interrupted rotation" in again.stderr
    assert not stale.exists()
    assert envf.read_text() == f"LANGFLOW_SECRET_KEY={pending}\n"
    for label, value in PLAIN.items():
        assert opens_with(pending, token_of(kbs[label])) == value
    assert len(all_tokens(lfdb)) >= 1 and assert_exactly_one_key(lfdb, lfdb.secret_key, pending) == pending
    assert not (lfdb.config_dir / "secret_key.lfadmin-rotation").exists()


@pytest.mark.parametrize("sqlite_db", ["1.6.9"], indirect=True)
@pytest.mark.parametrize("why", ["directory not writable", "owned by someone else", "another group"])
def test_unrewritable_sidecar_refused_before_commit(
    sqlite_db: LangflowDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    db = sqlite_db
    root = tmp_path / "kbs"
    path = sidecar(root, "alice/docs", db.version, enc(db, "sk-1"))
    # Faked, so the test means the same as root (which may write anywhere) and as a user.
    if why == "directory not writable":
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, m, **kw: Path(p) != path.parent and real_access(p, m, **kw))
        message = f"Error: cannot rewrite {path}: its directory is not writable by this user; nothing changed"
    elif why == "owned by someone else":
        monkeypatch.setattr(os, "geteuid", lambda: path.stat().st_uid + 1)
        message = (f"Error: rewriting {path} (owned by uid {path.stat().st_uid}) as uid {path.stat().st_uid + 1} "
                   "would change its owner and lock Langflow out of it; nothing changed")
    else:  # our own file, but its group is one we are not in: the rewrite could not keep it
        uid_, gid = path.stat().st_uid, path.stat().st_gid
        monkeypatch.setattr(os, "geteuid", lambda: uid_ or 4321)
        if uid_ == 0:
            os.chown(path, 4321, gid)
        monkeypatch.setattr(os, "getegid", lambda: gid + 1)
        monkeypatch.setattr(os, "getgroups", lambda: [gid + 1])
        message = f"Error: rewriting {path} (group {gid}) would change its group to {gid + 1}; nothing changed"
    before, db_before = path.read_bytes(), db.snapshot()
    r = db.run("secrets", "rotate", "--new-key-stdin", **kb_env(root), input=NEW)
    assert r.exit_code == 10, r
    assert r.stderr.startswith(message + " (run lfadmin as ") and r.stderr.count("\n") == 1
    assert path.read_bytes() == before and db.snapshot() == db_before
    assert not (db.config_dir / "secret_key.lfadmin-rotation").exists()


def test_replace_value_keeps_everything_else() -> None:
    data = {"a": 1, "api_key": "gAAAAAold", "z": {"api_key": "x"}}
    text = '{"a": 1,   "api_key" :"gAAAAAold",\n "z": {"api_key": "x"}}\n'
    assert replace_value(text, data, "gAAAAAold", "gAAAAAnew") == '{"a": 1,   "api_key" :"gAAAAAnew",\n "z": {"api_key": "x"}}\n'
    # The token twice (a hand edit): Langflow's own format, same key order.
    twice = {"api_key": "gAAAAAold", "copy": {"api_key": "gAAAAAold"}}
    out = replace_value(json.dumps(twice), twice, "gAAAAAold", "gAAAAAnew")
    assert out == json.dumps({"api_key": "gAAAAAnew", "copy": {"api_key": "gAAAAAold"}}, indent=2)


@pytest.mark.interop
def test_langflow_169_decrypts_the_rewritten_key(tmp_path: Path) -> None:
    gen = make_db("sqlite", "1.6.9", tmp_path)
    db = next(gen)
    try:
        root = tmp_path / "kbs"
        path = sidecar(root, "alice/docs", db.version, enc(db, "sk-interop"))
        r = db.run("secrets", "rotate", "--new-key-stdin", **kb_env(root), input=NEW)
        assert r.exit_code == 0, r
        ops = [{"op": "decrypt", "value": token_of(path)}]
        assert [o["value"] for o in langflow_script("1.6.9", "lf_secrets", ["--secret-key", NEW], ops)] == ["sk-interop"]
        stale = langflow_script("1.6.9", "lf_secrets", ["--secret-key", db.secret_key], ops)
        assert not stale[0]["ok"] and fingerprint("sk-interop") not in json.dumps(stale)
    finally:
        gen.close()


@pytest.mark.parametrize(("pin", "reads"), [("1.11.6", True), ("1.12.0", False), ("1.12.8", False)])
def test_1_12_never_decrypts_sidecars(tmp_path: Path, pin: str, reads: bool) -> None:
    """lfx 1.11.6 decrypts a sidecar's key (``_kb_paths.py:90``); from lfx 1.12.0 nothing reads the
    sidecar: an undecryptable key there is a fault on 1.11 only, and 1.12 rotations leave it alone."""
    db = next(make_db("sqlite", "1.10.3", tmp_path))
    root = tmp_path / "kbs"
    sidecar(root, "alice/alien", "1.10.3", enc(db, "sk-alien", OTHER))
    r = db.run("--langflow-version", pin, "secrets", "check", "--json", **kb_env(root))
    description = f"knowledge-base embedding API keys ({root}/<user>/<kb>/embedding_metadata.json)"
    if not reads:
        description += "; legacy sidecars Langflow 1.12+ never decrypts: not in totals or the exit code"
    assert (r.exit_code, store(r.json)["description"], r.json["totals"]["undecryptable"]) == (
        11 if reads else 0,
        description,
        1 if reads else 0,
    )
    before = (root / "alice/alien/embedding_metadata.json").read_text()
    rot = db.run("--langflow-version", pin, "secrets", "rotate", "--new-key-stdin", "--skip-undecryptable",
                 "--json", **kb_env(root), input=NEW)
    assert rot.exit_code == 0, rot
    assert (root / "alice/alien/embedding_metadata.json").read_text() == before
    if not reads:
        assert rot.json["warnings"][0] == (
            f"left 1 knowledge-base embedding key(s) in legacy sidecars under {root} as they are: Langflow "
            f"{pin} never decrypts them; after a downgrade, re-enter those embedding keys"
        )
