"""The safe file layer (``lfadmin.files``) under attack: every file lfadmin writes, every
secret file it reads.

The matrix: for each file lfadmin writes (env file, ``secret_key``, their backups, the rotation
journal, knowledge-base sidecars), a symbolic link in its place is refused and its target left
untouched, a non-regular file is refused, and a replaced file (and its backup) keeps its owner,
group and mode. Then the same through the commands (issue 11: H4, H5, M7, M8, M10, M13 and the
Low items), on SQLite and PostgreSQL, with databases made by real Langflow.
"""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from lfadmin import files
from lfadmin.core import envfile
from lfadmin.core.secrets import rotation
from lfadmin.errors import InvalidInput, LfadminError, Refused
from tests.support.cli import run, run_process
from tests.support.databases import LangflowDB
from tests.support.secrets_seed import GOOD, NEW, enc, kb_env, sidecar

NOBODY = 65534  # uid and gid of nobody/nogroup on Debian; any id other than ours will do
OLD_ENV = "# server\nLANGFLOW_SECRET_KEY=old\n"
VICTIM = "precious: do not touch\n"


def mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def owner(p: Path) -> tuple[int, int, int]:
    st = p.lstat()
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def other_gid() -> int:
    """A group that is not root's, so a kept group is visible."""
    try:
        return grp.getgrnam("nogroup").gr_gid
    except KeyError:
        return NOBODY


# -- the writers -----------------------------------------------------------------------------------
# Each writer replaces ``path`` (whose directory exists) and returns the backup it made, if any.


def write_env(path: Path) -> Path | None:
    return envfile.set_variable(path, "LANGFLOW_SECRET_KEY", GOOD).backup


def write_secret_key(path: Path) -> Path | None:
    return envfile.write_secret_file(path, GOOD).backup


def write_journal(path: Path) -> Path | None:
    rotation._write_journal(path, GOOD, [])
    return None


def write_sidecar(path: Path) -> Path | None:
    files.atomic_write(path, b'{"api_key": null}', what="knowledge-base sidecar", base=path.parent.parent)
    return None


WRITERS: dict[str, tuple[str, Callable[[Path], Path | None]]] = {
    "env file": (".env", write_env),
    "secret_key": ("secret_key", write_secret_key),
    "rotation journal": ("secret_key.lfadmin-rotation", write_journal),
    "sidecar": ("embedding_metadata.json", write_sidecar),
}


def place(tmp_path: Path, name: str) -> Path:
    d = tmp_path / "dir" / "kb"
    d.mkdir(parents=True)
    return d / name


@pytest.mark.parametrize("which", list(WRITERS))
def test_a_link_in_place_of_a_written_file_is_refused(tmp_path: Path, which: str) -> None:
    name, write = WRITERS[which]
    path = place(tmp_path, name)
    victim = tmp_path / "victim"
    victim.write_text(VICTIM)
    victim.chmod(0o644)
    path.symlink_to(victim)
    with pytest.raises(Refused, match=f"{path} is a symbolic link"):
        write(path)
    assert victim.read_text() == VICTIM and mode(victim) == 0o644
    assert path.is_symlink() and os.readlink(path) == str(victim)
    # No backup, no temp file: not beside the link, not beside its target.
    assert sorted(p.name for p in path.parent.iterdir()) == [name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "home", "victim"]


@pytest.mark.parametrize("which", list(WRITERS))
def test_a_dangling_link_is_refused_too(tmp_path: Path, which: str) -> None:
    """A link to a file that does not exist yet: writing would create it wherever it points."""
    name, write = WRITERS[which]
    path = place(tmp_path, name)
    path.symlink_to(tmp_path / "created-by-root")
    with pytest.raises(Refused, match="symbolic link"):
        write(path)
    assert not (tmp_path / "created-by-root").exists()


@pytest.mark.parametrize("which", list(WRITERS))
def test_a_fifo_in_place_of_a_written_file_is_refused(tmp_path: Path, which: str) -> None:
    name, write = WRITERS[which]
    path = place(tmp_path, name)
    os.mkfifo(path)
    with pytest.raises(InvalidInput, match=f"{path} is a named pipe, not a regular file"):
        write(path)  # and does not block on it
    assert stat.S_ISFIFO(path.lstat().st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
@pytest.mark.parametrize("which", list(WRITERS))
def test_a_replaced_file_and_its_backup_keep_owner_group_and_mode(tmp_path: Path, which: str) -> None:
    """M13: rotating as root must not hand the service user's files to root."""
    name, write = WRITERS[which]
    path = place(tmp_path, name)
    path.write_text(OLD_ENV if which == "env file" else "old")
    os.chown(path, NOBODY, other_gid())
    path.chmod(0o640)
    backup = write(path)
    assert owner(path) == (NOBODY, other_gid(), 0o640)
    assert path.read_text() != (OLD_ENV if which == "env file" else "old")
    if which in ("env file", "secret_key"):
        assert backup is not None and backup.parent == path.parent
        assert owner(backup) == (NOBODY, other_gid(), 0o640)
        assert backup.read_text() == (OLD_ENV if which == "env file" else "old")
    assert not list(path.parent.glob(".*.tmp"))


@pytest.mark.parametrize("which", list(WRITERS))
def test_a_new_file_is_0600(tmp_path: Path, which: str) -> None:
    name, write = WRITERS[which]
    path = place(tmp_path, name)
    old = os.umask(0)
    try:
        write(path)
    finally:
        os.umask(old)
    assert owner(path) == (os.geteuid(), os.getegid(), 0o600)


@pytest.mark.parametrize("which", ["env file", "secret_key"])
def test_a_link_planted_where_the_backup_goes_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    """The backup's name is predictable to the second: a link planted there is not followed,
    and the file it would back up stays as it was."""
    from datetime import datetime, timezone

    fixed = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return fixed

    monkeypatch.setattr(envfile, "datetime", Frozen)
    name, write = WRITERS[which]
    path = place(tmp_path, name)
    old = OLD_ENV if which == "env file" else "old"
    path.write_text(old)
    victim = tmp_path / "victim"
    victim.write_text(VICTIM)
    planted = path.with_name(f"{name}.lfadmin-bak-20260102T030405000006Z")
    planted.symlink_to(victim)
    with pytest.raises(Refused, match=f"{planted} is a symbolic link"):
        write(path)
    assert victim.read_text() == VICTIM and path.read_text() == old
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([name, planted.name])


def test_an_env_file_in_a_missing_directory_is_named(tmp_path: Path) -> None:
    r = run("secrets", "generate", "--write-env", str(tmp_path / "nowhere" / ".env"))
    one_error(r, 4, f"cannot write env file {tmp_path / 'nowhere' / '.env'}: {tmp_path / 'nowhere'} does not exist")


def test_a_sidecar_behind_a_linked_folder_is_not_written(tmp_path: Path) -> None:
    """With ``base``, no directory between it and the file may be a link (a folder swapped for a
    link after the scan cannot redirect the rewrite)."""
    root = tmp_path / "kbs"
    (root / "alice").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "embedding_metadata.json").write_text(VICTIM)
    (root / "alice" / "docs").symlink_to(elsewhere)
    path = root / "alice" / "docs" / "embedding_metadata.json"
    with pytest.raises(Refused, match=f"is reached through a symbolic link \\({root / 'alice' / 'docs'}\\)"):
        files.atomic_write(path, b"{}", what="knowledge-base sidecar", base=root)
    assert (elsewhere / "embedding_metadata.json").read_text() == VICTIM
    assert [p.name for p in elsewhere.iterdir()] == ["embedding_metadata.json"]


# -- the readers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.symlink_to("/etc/hostname"),
         "secret key file {p} is a symbolic link; lfadmin does not read or write files through links"),
        (lambda p: os.mkfifo(p), "secret key file {p} is a named pipe, not a regular file"),
        (lambda p: p.mkdir(), "secret key file {p} is a directory"),
        (lambda p: p.write_bytes(b"k" * (files.SECRET_CAP + 1)),
         "secret key file {p} is larger than 64 KiB; refusing to read it"),
        (lambda p: p.write_bytes(b"\xff\xfekey"), "secret key file {p} is not UTF-8 text"),
    ],
    ids=["link", "fifo", "directory", "too large", "not utf-8"],
)
def test_secret_file_reads_refuse_what_is_not_a_secret_file(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "secret_key"
    setup(p)
    with pytest.raises(LfadminError) as exc:
        files.read_text(p, files.SECRET_FILE)
    assert exc.value.message == message.format(p=p)


def test_a_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as exc:
        files.read_text(Path("/dev/zero"), "env file", cap=files.TEXT_CAP, follow=True)
    assert exc.value.message == "env file /dev/zero is a character device, not a regular file"


# -- through the commands --------------------------------------------------------------------------


def one_error(r: object, code: int, text: str) -> None:
    out = getattr(r, "stderr", "")
    assert getattr(r, "exit_code", None) == code, r
    assert out.startswith(f"Error: {text}") and out.count("\n") == 1, r
    assert "Traceback" not in out


@pytest.mark.parametrize("option", ["--secret-key-file", "--env-file"])
@pytest.mark.parametrize("source", ["/dev/zero", "fifo", "huge"])
def test_m10_unbounded_reads_fail_fast(tmp_path: Path, option: str, source: str) -> None:
    """M10: every file a user names is a regular file of bounded size, or one line and exit 4."""
    if source == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)  # nobody writes to it: reading would block forever
        kind = "is a named pipe, not a regular file"
    elif source == "huge":
        path = tmp_path / "huge"
        with path.open("wb") as fh:
            fh.truncate(files.TEXT_CAP + 1)  # sparse: no disk used
        kind = "is larger than"
    else:
        path = Path(source)
        kind = "is a character device, not a regular file"
    args = ("superuser", "--username", "rescue", "--break-glass", "--reason", "r", "--secret-key-file",
            str(path)) if option == "--secret-key-file" else ("--env-file", str(path), "info")
    what = "--secret-key-file" if option == "--secret-key-file" else "env file"
    r = run_process(*args, env={"LANGFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/missing.db",
                                "LANGFLOW_ENABLE_SUPERUSER_CLI": "true"})
    one_error(r, 4, f"{what} {path} {kind}")


def test_m10_stdin_is_capped(tmp_path: Path) -> None:
    r = run("secrets", "rotate", "--new-key-stdin", input="k" * (70 * 1024),
            env={"LANGFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/missing.db"})
    one_error(r, 4, "--new-key-stdin: more than 64 KiB on stdin; that is not a secret")


def test_h4_rotate_refuses_a_linked_secret_key_before_commit(lfdb: LangflowDB, tmp_path: Path) -> None:
    """H4: ``<config dir>/secret_key`` is a link to a file root may write: refused, named, before
    the database changes; its target is neither replaced nor used as the key."""
    victim = tmp_path / "victim"
    victim.write_text(lfdb.secret_key)  # even a target holding the right key is not used
    cfg = lfdb.config_dir / "secret_key"
    cfg.symlink_to(victim)
    before = lfdb.snapshot()
    env = {k: v for k, v in lfdb.auth_env().items() if k != "LANGFLOW_SECRET_KEY"}
    for args, stdin in (
        (("secrets", "rotate", "--generate", "--write-config-dir", "--old-key-stdin"), lfdb.secret_key),
        (("secrets", "rotate", "--generate", "--write-config-dir"), None),  # key from the file
        (("secrets", "check"), None),
        (("info",), None),
    ):
        r = run(*args, input=stdin, env=env)
        one_error(r, 10, f"secret key file {cfg} is a symbolic link; lfadmin does not read or write")
    assert lfdb.snapshot() == before
    assert victim.read_text() == lfdb.secret_key and mode(victim) == 0o644
    assert sorted(p.name for p in lfdb.config_dir.iterdir()) == ["secret_key"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("victim")) == ["victim"]


def test_a_linked_secret_key_unused_beside_the_variable_is_reported_not_fatal(lfdb: LangflowDB, tmp_path: Path) -> None:
    """With LANGFLOW_SECRET_KEY set, Langflow never reads the file: a link there is a warning
    for ``secrets check`` and a finding of the doctor, never a refusal of the whole command;
    and the link's target is not read either way."""
    victim = tmp_path / "victim"
    victim.write_text(VICTIM)
    cfg = lfdb.config_dir / "secret_key"
    cfg.symlink_to(victim)
    said = f"secret key file {cfg} is a symbolic link; lfadmin does not read or write files through links"
    r = lfdb.run("secrets", "check")
    assert r.exit_code == 0, r
    assert f"Warning: secret key: {said}" in r.stderr and "it is not used while LANGFLOW_SECRET_KEY is set" in r.stderr
    r = lfdb.run("config", "doctor", "--json")
    found = [f for f in r.json["findings"] if f["id"] == "LF-SECRET-006"]
    assert (r.exit_code, [f["severity"] for f in found]) == (12, ["high"]), r
    assert found[0]["message"].startswith(said)
    assert "LF-SECRET-005" not in {f["id"] for f in r.json["findings"]}  # the target was not read
    env = {k: v for k, v in lfdb.auth_env().items() if k != "LANGFLOW_SECRET_KEY"}
    r = run("config", "doctor", "--json", env=env)  # the file is the key: nothing more to judge
    assert "LF-SECRET-006" in {f["id"] for f in r.json["findings"]}, r


def test_h4_generate_force_refuses_a_linked_secret_key(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    victim = tmp_path / "victim"
    victim.write_text(VICTIM)
    (cfg / "secret_key").symlink_to(victim)
    r = run("secrets", "generate", "--write-config-dir", "--force", env={"LANGFLOW_CONFIG_DIR": str(cfg)})
    one_error(r, 10, f"secret key file {cfg / 'secret_key'} is a symbolic link")
    assert victim.read_text() == VICTIM and [p.name for p in cfg.iterdir()] == ["secret_key"]


def test_rotate_refuses_a_linked_env_file_before_commit(lfdb: LangflowDB, tmp_path: Path) -> None:
    real = tmp_path / "real.env"
    real.write_text(f"LANGFLOW_SECRET_KEY={lfdb.secret_key}\n")
    link = tmp_path / "server.env"
    link.symlink_to(real)
    before = lfdb.snapshot()
    r = lfdb.run("secrets", "rotate", "--generate", "--write-env", str(link))
    one_error(r, 10, f"env file {link} is a symbolic link")
    assert lfdb.snapshot() == before and real.read_text() == f"LANGFLOW_SECRET_KEY={lfdb.secret_key}\n"
    assert not (lfdb.config_dir / "secret_key.lfadmin-rotation").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_m13_rotation_as_root_keeps_the_service_users_files(lfdb: LangflowDB, tmp_path: Path) -> None:
    """M13: env file and secret_key owned by the service user come back with the same owner,
    group and mode, and so do their backups."""
    envf = tmp_path / "server.env"
    envf.write_text(f"LANGFLOW_SECRET_KEY={lfdb.secret_key}\n")
    cfg = lfdb.config_dir / "secret_key"
    cfg.write_text(lfdb.secret_key)
    for p, m in ((envf, 0o640), (cfg, 0o600)):
        os.chown(p, NOBODY, other_gid())
        p.chmod(m)
    env = {k: v for k, v in lfdb.auth_env().items() if k != "LANGFLOW_SECRET_KEY"}
    r = run("secrets", "rotate", "--new-key-stdin", "--env-file", str(envf), "--write-env", str(envf),
            "--write-config-dir", "--json", input=NEW, env=env)
    assert r.exit_code == 0, r
    assert envf.read_text() == f"LANGFLOW_SECRET_KEY={NEW}\n" and cfg.read_text() == NEW
    assert owner(envf) == (NOBODY, other_gid(), 0o640)
    assert owner(cfg) == (NOBODY, other_gid(), 0o600)
    backups = {Path(f["path"]): Path(f["backup"]) for f in r.json["files"]}
    assert owner(backups[envf]) == (NOBODY, other_gid(), 0o640) and backups[envf].parent == envf.parent
    assert owner(backups[cfg]) == (NOBODY, other_gid(), 0o600) and backups[cfg].parent == cfg.parent


def test_m8_a_secret_key_file_that_is_not_utf8(lfdb: LangflowDB) -> None:
    """M8: one line naming the file, exit 4, in ``info`` and ``secrets check``; ``config doctor``
    reports it as a finding and says its database part could not run (exit 13)."""
    cfg = lfdb.config_dir / "secret_key"
    cfg.write_bytes(b"\xffnot-utf8-key")
    env = {**lfdb.auth_env(), "LANGFLOW_SECRET_KEY": ""}
    for args in (("info",), ("secrets", "check")):
        r = run(*args, env=env)
        one_error(r, 4, f"secret key file {cfg} is not UTF-8 text")
    r = run("config", "doctor", "--json", env=env)
    assert r.exit_code == 13, r
    assert [f["message"] for f in r.json["findings"] if f["id"] == "LF-SECRET-006"] == [
        f"secret key file {cfg} is not UTF-8 text"
    ]
    assert r.json["database"]["status"] != "checked"


def test_m7_a_config_dir_that_is_a_file(lfdb: LangflowDB, tmp_path: Path) -> None:
    """M7: named as what it is (exit 4), not as an unreadable rotation journal or exit 1."""
    notdir = tmp_path / "not-a-dir"
    notdir.write_text("x")
    message = f"the config dir {notdir} is not a directory (point LANGFLOW_CONFIG_DIR at a directory)"
    r = run("secrets", "generate", "--write-config-dir", env={"LANGFLOW_CONFIG_DIR": str(notdir)})
    one_error(r, 4, message)
    before = lfdb.snapshot()
    r = lfdb.run("secrets", "rotate", "--generate", LANGFLOW_CONFIG_DIR=str(notdir))
    one_error(r, 4, message)
    assert "journal" not in r.stderr and lfdb.snapshot() == before
    assert notdir.read_text() == "x"


@pytest.mark.parametrize("sqlite_db", ["1.6.9"], indirect=True)
@pytest.mark.parametrize("link_at", ["user folder", "kb folder", "sidecar"])
def test_h5_sidecars_behind_links_are_named_never_skipped(
    sqlite_db: LangflowDB, tmp_path: Path, link_at: str
) -> None:
    """H5: Langflow reads a sidecar through a link, so ``secrets check`` counts it (and says it is
    behind a link) and ``secrets rotate`` refuses, naming it, before the database commit."""
    db = sqlite_db
    root = tmp_path / "kbs"
    sidecar(root, "alice/plain", db.version, enc(db, "sk-plain"))
    real = sidecar(tmp_path / "elsewhere", "alice/docs", db.version, enc(db, "sk-linked"))
    if link_at == "user folder":
        (root / "bob").symlink_to(tmp_path / "elsewhere" / "alice")
        link, label = root / "bob", "bob/docs"
    elif link_at == "kb folder":
        (root / "alice" / "docs").symlink_to(real.parent)
        link, label = root / "alice" / "docs", "alice/docs"
    else:
        (root / "alice" / "docs").mkdir()
        (root / "alice" / "docs" / "embedding_metadata.json").symlink_to(real)
        link, label = root / "alice" / "docs" / "embedding_metadata.json", "alice/docs"
    chk = db.run("secrets", "check", "--json", **kb_env(root))
    assert chk.exit_code == 0, chk
    kb = next(s for s in chk.json["stores"] if s["store"] == "kb_embedding_metadata.api_key")
    assert (kb["rows"], kb["values"], kb["counts"]["ok"]) == (2, 2, 2)
    assert kb["notes"] == [f"{label}: reached through the symbolic link {link}; Langflow reads it, "
                           "`lfadmin secrets rotate` refuses to write through it"]
    before, content = db.snapshot(), real.read_bytes()
    r = db.run("secrets", "rotate", "--new-key-stdin", input=NEW, **kb_env(root))
    one_error(r, 10, f"1 knowledge-base embedding key(s) to re-encrypt are reached through a symbolic "
                     f"link: {label} (through {link}); lfadmin does not write through links; rolled back")
    assert db.snapshot() == before and real.read_bytes() == content
    assert not (db.config_dir / "secret_key.lfadmin-rotation").exists()
    # Told to leave them, rotation goes on and lists what it left.
    r = db.run("secrets", "rotate", "--new-key-stdin", "--skip-undecryptable", input=NEW, **kb_env(root))
    assert r.exit_code == 0, r
    assert f"left undecryptable: kb_embedding_metadata.api_key {label} (through {link}) (left under the old key)" in r.stderr
    assert real.read_bytes() == content


@pytest.mark.parametrize("sqlite_db", ["1.6.9"], indirect=True)
def test_a_malformed_sidecar_is_named_by_rotate(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    db = sqlite_db
    root = tmp_path / "kbs"
    broken = sidecar(root, "bob/broken", db.version, None)
    broken.write_text('{"api_key": "gAAAAA')
    r = db.run("secrets", "rotate", "--new-key-stdin", input=NEW, **kb_env(root))
    assert r.exit_code == 0, r
    assert f"Warning: left {broken} as it is: not a JSON object" in r.stderr
    assert broken.read_text() == '{"api_key": "gAAAAA'


@pytest.mark.parametrize("sqlite_db", ["1.6.9"], indirect=True)
def test_flows_whose_data_is_not_json_are_named(sqlite_db: LangflowDB) -> None:
    db = sqlite_db
    (flow_id, name), *_ = db.query("SELECT id, name FROM flow ORDER BY id")
    db.execute("UPDATE flow SET data = :d WHERE id = :i", d="{not json", i=flow_id)
    r = db.run("secrets", "scan-flows", "--json")
    assert r.exit_code == 0, r
    (row,) = r.json["unscannable"]
    assert row.startswith("flow ") and f"(flow {name!r}, owner " in row
    assert row.endswith("its data is not a JSON object, so it was not scanned")
    human = db.run("secrets", "scan-flows")
    assert "Warning: not scanned: flow " in human.stderr


@pytest.mark.parametrize("sqlite_db", ["1.6.9"], indirect=True)
def test_a_read_only_sqlite_file_is_not_written(sqlite_db: LangflowDB) -> None:
    """Low: a 0444 database was made read-only on purpose; root could write it, and did."""
    db = sqlite_db
    assert db.path is not None
    db.path.chmod(0o444)
    before = db.snapshot()
    r = db.run("user", "deactivate", "bob")
    one_error(r, 4, f"the SQLite database {db.path} is read-only (mode 0444); refusing to write it")
    assert db.snapshot() == before and mode(db.path) == 0o444
    assert db.run("user", "list").exit_code == 0  # reading it is fine


def test_the_audit_trail_is_not_appended_through_a_link(tmp_path: Path) -> None:
    from lfadmin.core import audit
    from lfadmin.core.audit.trail import append
    from lfadmin.langflow.env import Environment
    from lfadmin.langflow.settings import LangflowSettings

    victim = tmp_path / "victim"
    victim.write_text(VICTIM)
    trail = tmp_path / "audit.jsonl"
    trail.symlink_to(victim)
    settings = LangflowSettings(Environment.load(None, {audit.ENV_VAR: str(trail)}))
    with pytest.raises(audit.AuditUnavailable, match=f"cannot write the audit trail {trail}"):
        append(audit.location(settings), {"event": "test"})
    assert victim.read_text() == VICTIM


# -- found by the attacker-view review of the merged change ----------------------------------------


def test_the_audit_log_is_not_the_env_files_to_choose(lfdb: LangflowDB, tmp_path: Path) -> None:
    """LFADMIN_AUDIT_LOG in the server's env file would let its owner pick a file for a root
    run to create (directories and all) or append to: refused, nothing created or changed."""
    envf = tmp_path / "server.env"
    target = tmp_path / "victimdir" / "new" / "log"
    envf.write_text(f"LFADMIN_AUDIT_LOG={target}\n")
    before = lfdb.snapshot()
    r = lfdb.run("--env-file", str(envf), "user", "promote", "alice")
    one_error(r, 4, f"LFADMIN_AUDIT_LOG is set in the env file {envf}:1: it is lfadmin's own setting")
    assert lfdb.snapshot() == before and not (tmp_path / "victimdir").exists()


def test_an_audit_log_that_is_a_fifo_is_refused_not_waited_on(lfdb: LangflowDB) -> None:
    fifo = lfdb.config_dir / "lfadmin-audit.jsonl"
    os.mkfifo(fifo)
    before = lfdb.snapshot()
    r = run_process("user", "promote", "alice", env=lfdb.auth_env())  # used to wait for a reader forever
    one_error(r, 5, f"the audit trail {fifo} (Langflow's config dir) is not a regular file")
    assert lfdb.snapshot() == before


def test_a_config_dir_name_too_long_is_named_not_a_crash(lfdb: LangflowDB) -> None:
    long = "/tmp/" + "a" * 300
    for args in (("info",), ("secrets", "check")):  # the key from <config dir>/secret_key
        r = lfdb.run(*args, LANGFLOW_CONFIG_DIR=long, LANGFLOW_SECRET_KEY="")
        assert r.exit_code == 4 and r.stderr.startswith(f"Error: the config dir {long} cannot be used: "), (args, r)


def test_a_link_swapped_in_after_the_check_is_not_read_into_a_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever owns the env file's directory swaps the file for a link between lfadmin's check
    and its read: the read does not follow it, so no backup receives the link target's text."""
    victim = tmp_path / "shadow"
    victim.write_text("root:$6$secret-hash\n")
    envf = tmp_path / "server.env"
    envf.write_text(OLD_ENV)
    real_check = envfile.check_writable

    def check_then_swap(path: Path, name: str = envfile.SECRET_KEY_VAR) -> str | None:
        current = real_check(path, name)
        path.unlink()
        path.symlink_to(victim)
        return current

    monkeypatch.setattr(envfile, "check_writable", check_then_swap)
    with pytest.raises(Refused, match="is a symbolic link"):
        envfile.set_variable(envf, "LANGFLOW_SECRET_KEY", GOOD)
    assert not [p for p in tmp_path.iterdir() if "lfadmin-bak" in p.name]
    assert victim.read_text() == "root:$6$secret-hash\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_trail_root_creates_in_the_service_users_config_dir_is_theirs(tmp_path: Path) -> None:
    """Root's first audited run in a config dir the service user owns creates the trail owned by
    that user and group, still 0600: the next run as the service user can append to it. In a
    directory of root's own, the trail stays root's."""
    from tests.support.databases import make_db
    from tests.support.rows import AUDIT, audit_records

    db = next(make_db("sqlite", "1.13.0", tmp_path))
    os.chown(db.config_dir, NOBODY, other_gid())
    r = db.run("user", "create", "dora", "--password-env", "PW", PW="Dora-pw-2026-long")
    assert r.exit_code == 0, r
    assert owner(db.config_dir / AUDIT) == (NOBODY, other_gid(), 0o600)
    assert [rec["command"] for rec in audit_records(db)] == ["user create"]
    own = tmp_path / "own" / "a.jsonl"
    r = db.run("user", "delete", "dora", "--yes", LFADMIN_AUDIT_LOG=str(own))
    assert r.exit_code == 0, r
    assert owner(own) == (0, 0, 0o600)
