"""files.atomic_write: the one way lfadmin replaces a file that holds a secret."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from lfadmin import files
from lfadmin.errors import Conflict, InvalidInput, Refused
from lfadmin.files import atomic_write
from tests.support.files import mode


def test_a_new_file_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o277)  # would make an O_CREAT 0600 file 0400
    try:
        atomic_write(tmp_path / "secret_key", b"k")
    finally:
        os.umask(old)
    assert mode(tmp_path / "secret_key") == 0o600
    assert (tmp_path / "secret_key").read_bytes() == b"k"


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    env, sidecar = tmp_path / ".env", tmp_path / "embedding_metadata.json"
    for p, m in ((env, 0o640), (sidecar, 0o644)):
        p.write_bytes(b"old")
        p.chmod(m)
    atomic_write(env, b"new")
    atomic_write(sidecar, b"new")
    assert (mode(env), mode(sidecar)) == (0o640, 0o644)
    assert env.read_bytes() == sidecar.read_bytes() == b"new"


def test_a_failed_check_leaves_the_file_and_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    target = tmp_path / "kb" / "embedding_metadata.json"
    target.write_bytes(b"old")
    seen: list[bytes] = []

    def verify(written: bytes) -> None:
        seen.append(written)
        raise ValueError("does not read back")

    with pytest.raises(ValueError, match="does not read back"):
        atomic_write(target, b"new", verify=verify)
    assert seen == [b"new"]  # the bytes on disk, read back
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["embedding_metadata.json"]


@pytest.mark.skipif(sys.platform != "linux", reason="renameat2 is Linux's")
def test_a_move_never_replaces_what_appeared_after_its_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race the check alone loses: an empty directory made at the destination between the
    check and the rename. Plain ``rename`` would silently replace it; renameat2(RENAME_NOREPLACE)
    refuses, and the move says so."""
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "kb.txt").write_text("data")
    (tmp_path / "alicia").mkdir()  # appears "after" the check: the check is made not to see it
    real_lstat = os.lstat

    def lstat_missing_the_newcomer(path: Any, *, dir_fd: int | None = None) -> os.stat_result:
        if path == "alicia":
            raise FileNotFoundError(path)
        return real_lstat(path, dir_fd=dir_fd)

    monkeypatch.setattr(files.os, "lstat", lstat_missing_the_newcomer)
    with pytest.raises(Conflict, match="already exists"):
        files.move_path(tmp_path / "alice", tmp_path / "alicia", "knowledge-base folder")
    assert (tmp_path / "alice" / "kb.txt").read_text() == "data"
    assert list((tmp_path / "alicia").iterdir()) == []


def test_a_move_renames_the_entry(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    files.move_path(tmp_path / "alice", tmp_path / "sub" / "alicia", "folder")
    assert (tmp_path / "sub" / "alicia").is_dir() and not (tmp_path / "alice").exists()


def test_a_move_never_goes_through_a_link_below_its_root(tmp_path: Path) -> None:
    """The reviewer's reproduction: a file row ``<uuid>/shadow`` with ``<storage>/<uuid>`` made a
    link to another directory must not make root move that directory's ``shadow`` into storage;
    the root itself (an operator's choice) may be a link."""
    (tmp_path / "store").mkdir()
    root = tmp_path / "root-link"
    root.symlink_to(tmp_path / "store")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "shadow").write_text("secret")
    (root / "u1").symlink_to(tmp_path / "elsewhere")
    src, dst = root / "u1" / "shadow", root / "u2" / "shadow"
    with pytest.raises(Refused, match="is a symbolic link or not a directory"):
        files.check_move(src, dst, "uploaded file", directory=False, root=root)
    with pytest.raises(InvalidInput):  # the check raced: the descriptor walk refuses the link
        files.move_path(src, dst, "uploaded file", root=root)
    with pytest.raises(InvalidInput):  # no root: src's directory itself is opened without following
        files.move_path(src, dst, "uploaded file")
    assert (tmp_path / "elsewhere" / "shadow").read_text() == "secret" and not dst.exists()
    # A destination directory swapped for a link is refused the same way.
    (root / "u1").unlink()
    (root / "u1").mkdir()
    (root / "u1" / "f").write_text("mine")
    (root / "u2").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(Refused):
        files.check_move(root / "u1" / "f", root / "u2" / "f", "uploaded file", directory=False, root=root)
    with pytest.raises(InvalidInput):
        files.move_path(root / "u1" / "f", root / "u2" / "f", "uploaded file", root=root)
    assert not (tmp_path / "elsewhere" / "f").exists()
    # Through the linked root, real directories below it: the move is made.
    (root / "u2").unlink()
    assert files.check_move(root / "u1" / "f", root / "u2" / "f", "uploaded file", directory=False, root=root)
    files.move_path(root / "u1" / "f", root / "u2" / "f", "uploaded file", root=root)
    assert (tmp_path / "store" / "u2" / "f").read_text() == "mine"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a folder away")
def test_folders_a_move_makes_are_like_their_parent(tmp_path: Path) -> None:
    """A transfer run as root must not leave root-owned 0755 folders the Langflow server (its own
    user) cannot write: each folder made takes its parent's owner, group and mode."""
    root = tmp_path / "store"
    (root / "a").mkdir(parents=True)
    (root / "a" / "f").write_text("x")
    os.chown(root, 65534, 65534)
    root.chmod(0o750)
    files.move_path(root / "a" / "f", root / "b" / "c" / "f", "uploaded file", root=root)
    for made in (root / "b", root / "b" / "c"):
        st = made.stat()
        assert (st.st_uid, st.st_gid, mode(made)) == (65534, 65534, 0o750), made
    assert (root / "b" / "c" / "f").read_text() == "x"
