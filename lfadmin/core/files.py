"""Replacing a file that holds a secret: the old file or the new one, never half of either.

``atomic_write`` writes a temp file beside the target (``.<name>.lfadmin-<hex>.tmp``, created
0600 with ``O_EXCL | O_NOFOLLOW``), fsyncs it, optionally checks the bytes on disk, renames it
over the target and fsyncs the directory. A failure before the rename leaves the target as it
was and removes the temp file; a process killed mid-write leaves one that ``temp_glob`` finds.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path


def temp_glob(name: str) -> str:
    """The pattern of the temp files ``atomic_write`` makes for a file called ``name``."""
    return f".{name}.lfadmin-*.tmp"


def atomic_write(
    path: Path,
    content: bytes,
    *,
    keep_mode_and_owner: bool = False,
    verify: Callable[[bytes], None] | None = None,
) -> None:
    """Put ``content`` at ``path`` atomically: mode 0600, or with ``keep_mode_and_owner`` the
    existing file's mode, owner (when root) and group (one the caller is in). ``verify`` gets
    the bytes read back from disk before the rename and raises to stop it."""
    st = path.stat() if keep_mode_and_owner else None
    tmp = path.with_name(f".{path.name}.lfadmin-{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            if st is None:
                os.fchmod(fh.fileno(), stat.S_IRUSR | stat.S_IWUSR)  # whatever the umask
            else:
                if os.geteuid() == 0:
                    os.fchown(fh.fileno(), st.st_uid, st.st_gid)
                elif st.st_gid != os.getegid():
                    os.fchown(fh.fileno(), -1, st.st_gid)
                os.fchmod(fh.fileno(), stat.S_IMODE(st.st_mode))
            os.fsync(fh.fileno())
        if verify is not None:
            verify(tmp.read_bytes())
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            tmp.unlink()
        raise
    # The rename is done. Making it durable is best effort (not every filesystem can fsync a
    # directory); a failure here is no reason to report the write as failed.
    with suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
