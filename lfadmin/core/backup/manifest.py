"""The manifest that travels with every backup: what it holds, where from, and how to check it.

A backup is two files: ``PATH`` - the database itself, in the format its backend's own tools read
(a SQLite file ``sqlite3`` opens; a ``pg_dump -Fc`` archive ``pg_restore`` reads) - and
``PATH.manifest.json`` beside it. Keeping the data in the tools' own format means a backup is
usable without lfadmin, and the data is written once (no second copy into a tar: the bench holds
a 1 GB backup within 1.2x of ``sqlite3 .backup``). The manifest is small, plain JSON an operator
can read; restore refuses a backup without one, whose checksum does not match, whose release is
newer than lfadmin knows, or whose backend is not the target's (docs/backup.md).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfadmin.db import execute
from lfadmin.errors import InvalidInput, Refused, UnsupportedDatabase
from lfadmin.files import TEXT_CAP, read_text
from lfadmin.langflow.schema import KNOWN_HEADS, NEWEST_KNOWN, fmt

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

FORMAT = "lfadmin-backup"
FORMAT_VERSION = 1
SUFFIX = ".manifest.json"
WHAT = "backup"
MANIFEST_WHAT = "backup manifest"


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


@dataclass(frozen=True)
class Manifest:
    """What ``PATH.manifest.json`` holds (docs/backup.md lists each field)."""

    created_at: str  # ISO 8601, UTC
    lfadmin_version: str
    backend: str  # "sqlite" | "postgresql"
    langflow_release: str  # as `lfadmin info` shows it: "1.13.0", or a range "1.12.3 – 1.12.8"
    alembic_revision: str | None
    database: str  # the source database URL, masked (never a password)
    identity: str  # the source database: backend, host, port and name, or the SQLite file
    method: str  # what made the data file: "sqlite3 online backup API", "pg_dump -Fc (15.18)"
    file: str  # the data file's name (beside the manifest)
    size: int
    sha256: str
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, **asdict(self)}

    def dumps(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode()

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """The manifest of the backup at ``path``, or one line saying why it cannot be used."""
        mpath = manifest_path(path)
        text = read_text(mpath, MANIFEST_WHAT, cap=TEXT_CAP, missing_ok=True)
        if text is None:
            raise InvalidInput(
                f"{path} has no manifest ({mpath.name} is missing); lfadmin restores only backups "
                "it can verify",
                hint="restore it with sqlite3 or pg_restore by hand, or find the manifest",
            )
        try:
            data = json.loads(text)
        except ValueError:
            raise InvalidInput(f"{MANIFEST_WHAT} {mpath} is not JSON") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InvalidInput(f"{mpath} is not an lfadmin backup manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise UnsupportedDatabase(
                f"{mpath} is format version {data.get('format_version')!r}; this lfadmin reads "
                f"version {FORMAT_VERSION}",
                hint="restore it with the lfadmin that made it, or a newer one",
            )
        fields: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        types: dict[str, type | tuple[type, ...]] = {"size": int, "counts": dict, "alembic_revision": (str, type(None))}
        for name, value in fields.items():
            if not isinstance(value, types.get(name, str)) or isinstance(value, bool):
                raise InvalidInput(f"{mpath} is damaged: field {name!r} is missing or not valid")
        if fields["backend"] not in ("sqlite", "postgresql"):
            raise InvalidInput(f"{mpath} is damaged: unknown backend {fields['backend']!r}")
        if fields["file"] != path.name:
            raise InvalidInput(
                f"{mpath} describes {fields['file']}, not {path.name}",
                hint="restore the file it was made for, or rename both together",
            )
        return cls(**fields)

    def check_release(self) -> None:
        """A backup of a Langflow newer than lfadmin knows: lfadmin cannot tell what restoring it
        means (the release that made it should restore it): exit 6. An unknown revision on the
        columns of a known release (a development build) is that release's."""
        if self.alembic_revision in KNOWN_HEADS or not self.langflow_release.startswith("newer"):
            return
        raise UnsupportedDatabase(
            f"this backup was made by a Langflow newer than any lfadmin knows (alembic revision "
            f"{self.alembic_revision}, newest known: Langflow {fmt(NEWEST_KNOWN)}); refusing to restore it",
            hint="upgrade lfadmin, or restore with the database's own tools",
        )

    def verify(self, path: Path) -> None:
        """The data file is the one the manifest describes: size, then SHA-256 (exit 4 if not)."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            raise InvalidInput(f"{WHAT} {path} does not exist") from None
        if stat.S_ISLNK(st.st_mode):
            raise _linked(path)
        size = st.st_size
        if size != self.size:
            raise InvalidInput(
                f"{WHAT} {path} is damaged: {size} bytes, its manifest says {self.size} "
                "(truncated or changed); nothing was changed"
            )
        if sha256_file(path) != self.sha256:
            raise InvalidInput(
                f"{WHAT} {path} is damaged: its SHA-256 does not match its manifest; nothing was changed"
            )


def _linked(path: Path) -> Refused:
    return Refused(f"{WHAT} {path} is a symbolic link; lfadmin does not read backups through links",
                   hint="name the file itself")


def sha256_fd(fd: int) -> tuple[str, int]:
    """SHA-256 and size of what ``fd`` holds (``pread``: the descriptor's offset is left alone)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := os.pread(fd, 1 << 20, size):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def sha256_and_sync(fd: int) -> tuple[str, int]:
    """``sha256_fd`` while ``fsync`` writes the same file out: hashing (from the page cache) and
    the disk's write take about as long for a large backup, and neither holds the GIL, so on two
    cores the pair costs one of them (bench/bench_backup.py)."""
    result: list[tuple[str, int]] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            result.append(sha256_fd(fd))
        except BaseException as exc:  # re-raised in the caller's thread
            failed.append(exc)

    hasher = threading.Thread(target=run, name="lfadmin-sha256")
    hasher.start()
    try:
        os.fsync(fd)
    finally:
        hasher.join()
    if failed:
        raise failed[0]
    return result[0]


def sha256_file(path: Path) -> str:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _linked(path) from None
        raise InvalidInput(f"{WHAT} {path} cannot be read: {exc.strerror}") from None
    try:
        return sha256_fd(fd)[0]
    finally:
        os.close(fd)


def counts(conn: Connection) -> dict[str, int]:
    """Rows an operator recognises a database by: recorded in the manifest, checked after a restore."""
    row = execute(
        conn,
        'SELECT (SELECT COUNT(*) FROM "user"), (SELECT COUNT(*) FROM flow), '
        "(SELECT COUNT(*) FROM variable), (SELECT COUNT(*) FROM apikey), (SELECT COUNT(*) FROM folder)",
    ).one()
    return dict(zip(("users", "flows", "variables", "api_keys", "folders"), map(int, row), strict=True))
