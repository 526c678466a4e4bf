"""The one way lfadmin reads a file a user names or that holds a secret, and replaces one.

lfadmin often runs as root, on files in directories that belong to Langflow's service user. The
attacker this module assumes owns such a directory (the config dir, a knowledge-base folder,
the directory of an env file) or a file in it, and wants a root run to read or clobber a file
they could not touch themselves. So:

* ``read_text`` opens with ``O_NOFOLLOW | O_NONBLOCK`` (a symbolic link is refused, naming it;
  a FIFO cannot block the open), requires a regular file (not ``/dev/zero``, a FIFO, a
  directory), reads at most ``cap`` bytes (a larger file is refused, never read whole) and
  decodes UTF-8 strictly. Every failure is one ``LfadminError`` naming the file, never its
  content. ``follow=True`` (env files only: the server's ``load_dotenv`` follows links and so
  do operators' deployments) still enforces the rest.
* ``atomic_write`` refuses a symbolic link at the target (``Refused``), and replaces the file
  by writing a temp file beside it (``O_CREAT | O_EXCL | O_NOFOLLOW``: never through a link,
  never an existing file), ``fsync``, reading it back through the same descriptor, and
  ``rename``. Every step after the parent is opened goes through a descriptor of that
  directory, so the parent cannot be swapped for a link half-way. The new file gets the old
  one's owner, group and mode exactly (a new file: 0600, the caller's owner), so rotating as
  root does not hand the service's files to root.
* ``check_replaceable`` refuses up front, before any database change, what ``atomic_write``
  would refuse or could not do without changing owner or group.

What this cannot guarantee, and does not try to: the parent directory itself is taken as
named (a link in the *parent's* path is followed, as the operator wrote it); whoever owns that
directory can still rename or delete entries in it at any moment, so a check and the later
rename are not one atomic step (the rename replaces a directory entry, never writes through a
link, so the worst such a race does is make the new file land where the owner put a link, or
fail); a hard link planted in such a directory is read like the file (Linux's
``fs.protected_hardlinks``, on by default, stops planting links to files the planter cannot
write); and anyone who can read the files lfadmin writes already holds the keys.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from lfadmin.errors import Conflict, InvalidInput, Refused

SECRET_FILE = "secret key file"  # noqa: S105 - how messages name <config dir>/secret_key
SECRET_CAP = 64 * 1024  # a secret key file; Langflow's are 43 characters
TEXT_CAP = 4 * 1024 * 1024  # env files, sidecars, the rotation journal, suppression files
MANIFEST_CAP = 64 * 1024 * 1024  # `user apply`: a user a few hundred bytes, 100k users fit
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_KINDS = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
)


def temp_glob(name: str) -> str:
    """The pattern of the temp files ``atomic_write`` makes for a file called ``name``."""
    return f".{name}.lfadmin-*.tmp"


def check_config_dir(config_dir: Path) -> None:
    """Refuse a config dir that is not a directory (M7), naming it; a missing one is fine."""
    for d in (config_dir, *config_dir.parents):
        try:
            is_dir = stat.S_ISDIR(os.stat(d).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            if not os.path.islink(d):
                continue  # missing: look further up
            is_dir = False  # a dangling link
        except OSError as exc:  # a name too long, a directory we may not search
            raise InvalidInput(f"the config dir {config_dir} cannot be used: {exc.strerror}",
                               hint="point LANGFLOW_CONFIG_DIR at a directory") from None
        if not is_dir:
            where = "" if d == config_dir else f" ({d} is not a directory)"
            raise InvalidInput(f"the config dir {config_dir} is not a directory{where}",
                               hint="point LANGFLOW_CONFIG_DIR at a directory")
        return


def _kind(mode: int) -> str:
    return next((k for test, k in _KINDS if test(mode)), "not a regular file")


def _symlink(what: str, path: Path) -> Refused:
    return Refused(
        f"{what} {path} is a symbolic link; lfadmin does not read or write files through links",
        hint="replace the link with the file itself, or name the file it points to",
    )


def _open_error(exc: OSError, what: str, path: Path) -> InvalidInput | Refused:
    if exc.errno == errno.ELOOP:
        return _symlink(what, path)
    if exc.errno == errno.ENOENT:
        return InvalidInput(f"{what} {path} does not exist")
    if exc.errno == errno.ENOTDIR:
        return InvalidInput(f"{what} {path} cannot be read: {path.parent} is not a directory")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return InvalidInput(f"{what} {path} is not readable (permission denied)")
    return InvalidInput(f"{what} {path} cannot be read: {exc.strerror or type(exc).__name__}")


def read_text(
    path: Path,
    what: str,
    *,
    cap: int = SECRET_CAP,
    follow: bool = False,
    missing_ok: bool = False,
    unreadable_ok: bool = False,
) -> str | None:
    """The text of ``path``, or one clear error naming it (``what``: "env file", ...).

    ``None`` only with ``missing_ok`` and no file there, or ``unreadable_ok`` and no permission.
    Never follows a final symbolic link unless ``follow``; never opens anything but a regular
    file; never reads more than ``cap``."""
    data = read_bytes(path, what, cap=cap, follow=follow, missing_ok=missing_ok, unreadable_ok=unreadable_ok)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{what} {path} is not UTF-8 text") from None


def read_bytes(
    path: Path,
    what: str,
    *,
    cap: int = SECRET_CAP,
    follow: bool = False,
    missing_ok: bool = False,
    unreadable_ok: bool = False,
) -> bytes | None:
    """``read_text`` without the decoding."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if follow else _NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise _open_error(FileNotFoundError(errno.ENOENT, "missing"), what, path) from None
    except PermissionError:
        if unreadable_ok:
            return None
        raise _open_error(PermissionError(errno.EACCES, "denied"), what, path) from None
    except OSError as exc:
        raise _open_error(exc, what, path) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise InvalidInput(f"{what} {path} is a directory")
            raise InvalidInput(f"{what} {path} is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > cap:
            raise InvalidInput(f"{what} {path} is larger than {_size(cap)}; refusing to read it")
        try:
            data = _read_at_most(fd, cap + 1)
        except OSError as exc:
            raise _open_error(exc, what, path) from None
        if len(data) > cap:  # grew while we read, or a /proc-style file with no size
            raise InvalidInput(f"{what} {path} is larger than {_size(cap)}; refusing to read it")
    finally:
        os.close(fd)
    return data


def _size(cap: int) -> str:
    return f"{cap // (1024 * 1024)} MiB" if cap >= 1024 * 1024 else f"{cap // 1024} KiB"


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    got = 0
    while got < limit:
        chunk = os.read(fd, min(65536, limit - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_output(path: Path, data: bytes, what: str) -> None:
    """A file the user named for output (``config doctor --output``): created 0600 or truncated
    in place (a device such as ``/dev/full`` is written like a file), never through a symbolic
    link - a root run must not clobber whatever a link in a shared directory points at. Any
    other failure is the ``OSError`` itself, for the caller to report as output that failed."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _symlink(what, path) from None
        raise
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def check_replaceable(path: Path, what: str, *, makes_parent: bool = False) -> os.stat_result | None:
    """Refuse, before anything changes, a replacement ``atomic_write`` would refuse or could
    not do faithfully; returns the current file's ``lstat`` (None: there is none yet).

    Refused (10): a symbolic link; a directory this user may not write in; a file whose owner
    or group this user could not give the new file. Invalid input (4): not a regular file,
    read-only (mode bits too: root may write anything, but a 0444 file was made read-only on
    purpose), a parent that is not a directory (or is missing, unless the caller
    ``makes_parent``)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise InvalidInput(f"cannot write {what} {path}: {path.parent} is not a directory") from None
    except OSError as exc:
        raise InvalidInput(f"{what} {path} cannot be examined: {exc.strerror}") from None
    if st is None:
        parent = path.parent
        if parent.exists() and not parent.is_dir():
            raise InvalidInput(f"cannot write {what} {path}: {parent} is not a directory")
        if not parent.exists() and not makes_parent:
            raise InvalidInput(f"cannot write {what} {path}: {parent} does not exist")
    elif stat.S_ISLNK(st.st_mode):
        raise _symlink(what, path)
    elif stat.S_ISDIR(st.st_mode):
        raise InvalidInput(f"{what} {path} is a directory")
    elif not stat.S_ISREG(st.st_mode):
        raise InvalidInput(f"{what} {path} is {_kind(st.st_mode)}, not a regular file")
    elif not os.access(path, os.W_OK) or not st.st_mode & 0o222:
        raise InvalidInput(f"{what} {path} is read-only; make it writable or choose another")
    if path.parent.is_dir() and not os.access(path.parent, os.W_OK | os.X_OK):
        raise Refused(
            f"cannot {'rewrite' if st is not None else 'write'} {path}: its directory is not writable "
            "by this user; nothing changed",
            hint="run lfadmin as the user Langflow runs as",
        )
    if st is not None:
        _check_keepable(path, st)
    return st


def _check_keepable(path: Path, st: os.stat_result) -> None:
    """A user other than root can give a new file only their own uid and one of their groups."""
    me = os.geteuid()
    if me not in (0, st.st_uid):
        raise Refused(
            f"rewriting {path} (owned by uid {st.st_uid}) as uid {me} would change its owner "
            "and lock Langflow out of it; nothing changed",
            hint="run lfadmin as the file's owner (the user Langflow runs as) or as root",
        )
    if me != 0 and st.st_gid != os.getegid() and st.st_gid not in os.getgroups():
        raise Refused(
            f"rewriting {path} (group {st.st_gid}) would change its group to {os.getegid()}; nothing changed",
            hint="run lfadmin as a member of the file's group, or as root",
        )


def atomic_write(
    path: Path,
    content: bytes,
    *,
    like: os.stat_result | None = None,
    verify: Callable[[bytes], None] | None = None,
    what: str = "file",
    base: Path | None = None,
) -> None:
    """Put ``content`` at ``path`` atomically, never through a symbolic link.

    The new file keeps the replaced file's owner, group and mode (``like``, when given, is the
    file to copy them from instead: a backup takes its original's); a file that did not exist
    is created 0600. ``verify`` gets the bytes read back from disk before the rename and raises
    to stop it. With ``base`` (a directory above ``path``), no directory between the two may
    be a symbolic link either: each is opened relative to the one above with ``O_NOFOLLOW``."""
    dfd = _open_parent(path, what, base)
    try:
        try:
            old: os.stat_result | None = os.stat(path.name, dir_fd=dfd, follow_symlinks=False)
        except FileNotFoundError:
            old = None
        if old is not None and stat.S_ISLNK(old.st_mode):
            raise _symlink(what, path)
        if old is not None and not stat.S_ISREG(old.st_mode):
            raise InvalidInput(f"{what} {path} is {_kind(old.st_mode)}, not a regular file")
        model = like if like is not None else old
        if model is not None:
            _check_keepable(path, model)
        tmp = f".{path.name}.lfadmin-{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=dfd)
        try:
            try:
                _fill(fd, content, model)
                if verify is not None:
                    os.lseek(fd, 0, os.SEEK_SET)
                    verify(_read_at_most(fd, len(content) + 1))
            finally:
                os.close(fd)
            os.replace(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        # The rename is done. Making it durable is best effort (not every filesystem can fsync
        # a directory); a failure here is no reason to report the write as failed.
        with suppress(OSError):
            os.fsync(dfd)
    finally:
        os.close(dfd)


_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_parent(path: Path, what: str, base: Path | None) -> int:
    if base is None:
        return os.open(path.parent, _DIR_FLAGS)
    fd = os.open(base, _DIR_FLAGS)
    here = base
    try:
        for part in path.parent.relative_to(base).parts:
            here = here / part
            try:
                nfd = os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(here):
                    raise Refused(
                        f"{what} {path} is reached through a symbolic link ({here}); "
                        "lfadmin does not write through links",
                        hint="replace the link with the directory it points to",
                    ) from None
                raise
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return fd


def _fill(fd: int, content: bytes, model: os.stat_result | None) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view):]
    if model is None:
        os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)  # whatever the umask
    else:
        if os.geteuid() == 0:
            os.fchown(fd, model.st_uid, model.st_gid)
        elif model.st_gid != os.getegid():
            os.fchown(fd, -1, model.st_gid)
        os.fchmod(fd, stat.S_IMODE(model.st_mode))  # after chown, which clears set-id bits
    os.fsync(fd)


class NewFile:
    """A file under construction by ``new_file``: ``fd`` is open read-write on it; ``tool_path``
    names it for a tool that wants a path (SQLite), through the directory's descriptor where the
    system allows (``/proc/self/fd/N/NAME``), so a swapped parent cannot redirect it."""

    def __init__(self, fd: int, tool_path: str) -> None:
        self.fd = fd
        self.tool_path = tool_path


@contextmanager
def new_file(path: Path, what: str) -> Iterator[NewFile]:
    """Make a new file at ``path`` that must not exist yet (a backup): built as a temp file beside
    it (``O_CREAT | O_EXCL | O_NOFOLLOW``, 0600, through a descriptor of the directory), fsynced
    and linked into place when the block ends normally; removed on any error.

    Never replaces anything: a link at ``path`` is refused (10), any other existing file is a
    ``Conflict`` (9), also when one appears while the block runs (the final step is ``link``,
    which fails on an existing name, not ``rename``)."""
    _check_new(path, what)
    try:
        dfd = _open_parent(path, what, None)
    except FileNotFoundError:
        raise InvalidInput(f"cannot write {what} {path}: {path.parent} does not exist") from None
    except NotADirectoryError:
        raise InvalidInput(f"cannot write {what} {path}: {path.parent} is not a directory") from None
    except PermissionError:
        raise InvalidInput(f"cannot write {what} {path}: {path.parent} is not accessible") from None
    try:
        tmp = f".{path.name}.lfadmin-{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd)
        except PermissionError:
            raise Refused(
                f"cannot write {path}: its directory is not writable by this user; nothing changed"
            ) from None
        proc_dir = f"/proc/self/fd/{dfd}"
        tool_path = f"{proc_dir}/{tmp}" if os.path.isdir(proc_dir) else str(path.parent / tmp)
        try:
            try:
                os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)  # whatever the umask
                yield NewFile(fd, tool_path)
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
            except FileExistsError:
                _check_new(path, what)  # names a link as such
                raise
            os.unlink(tmp, dir_fd=dfd)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        with suppress(OSError):
            os.fsync(dfd)
    finally:
        os.close(dfd)


def _check_new(path: Path, what: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InvalidInput(f"{what} {path} cannot be examined: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise _symlink(what, path)
    raise Conflict(f"{what} {path} already exists; lfadmin does not overwrite it", hint="choose another path")


# -- moving a directory (``user rename``: a knowledge-base folder named after its owner) -------


def check_dir_move(src: Path, dst: Path, what: str) -> bool:
    """Refuse, before anything changes, a move ``move_dir`` would refuse or could not do;
    True when ``src`` exists (there is something to move).

    Conflict (9): ``dst`` exists (unless it is ``src`` itself: a change of case on a
    case-insensitive filesystem) - even with no ``src``, since whatever is there would become
    the new owner's. Refused (10): ``src`` is a symbolic link, or its directory is not writable
    by this user. Invalid input (4): ``src`` is not a directory. ``check_move`` does the same
    for a move into another directory, of a directory or a regular file."""
    return check_move(src, dst, what, directory=True, root=src.parent)


def check_move(src: Path, dst: Path, what: str, *, directory: bool, root: Path | None = None) -> bool:
    """``check_dir_move`` for ``move_path``: ``src`` a directory (``directory``) or a regular
    file; ``dst``'s directory (or the nearest one that exists, when it must be made) writable.
    Refused (10): a directory on the way is a symbolic link - below ``root`` (which may itself
    be one: an operator's choice) every component must be a real directory; with no ``root``,
    ``src``'s directory and ``dst``'s (when it exists) must not be links."""
    for where in dict.fromkeys((src.parent, dst.parent)):
        bad = _link_on_the_way(where, root)
        if bad is not None:
            raise Refused(
                f"cannot move {what} {src} to {dst}: {bad} is a symbolic link or not a directory; "
                "lfadmin does not move files through links; nothing changed",
                hint="replace the link with the directory itself",
            )
    src_st, dst_st = _lstat(src, what), _lstat(dst, what)
    if dst_st is not None and not (src_st is not None and os.path.samestat(src_st, dst_st)):
        raise Conflict(
            f"{what} {dst} already exists; nothing changed",
            hint="move or remove it first (it would become this user's)",
        )
    if src_st is None:
        return False
    if stat.S_ISLNK(src_st.st_mode):
        raise _symlink(what, src)
    if directory and not stat.S_ISDIR(src_st.st_mode):
        raise InvalidInput(f"{what} {src} is {_kind(src_st.st_mode)}, not a directory")
    if not directory and not stat.S_ISREG(src_st.st_mode):
        raise InvalidInput(f"{what} {src} is {_kind(src_st.st_mode)}, not a regular file")
    parent = dst.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    for where in dict.fromkeys((src.parent, parent)):
        if not os.access(where, os.W_OK | os.X_OK):
            raise Refused(
                f"cannot move {what} {src}: {where} is not writable by this user; nothing changed",
                hint="run lfadmin as the user Langflow runs as",
            )
    return True


def _below(path: Path, root: Path) -> tuple[str, ...] | None:
    """The components of ``path`` below ``root`` (lexically, no ``..``); None when not under it."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return None
    return None if any(p in ("..", ".") for p in parts) else parts


def _link_on_the_way(path: Path, root: Path | None) -> Path | None:
    """The first existing directory from below ``root`` down to ``path`` that is a link or not a
    directory (``path`` alone with no ``root``); ``path`` itself when it is not under ``root``."""
    if root is None:
        chain = [path]
    else:
        parts = _below(path, root)
        if parts is None:
            return path
        chain = [root.joinpath(*parts[: i + 1]) for i in range(len(parts))]
    for where in chain:
        try:
            st = os.lstat(where)
        except FileNotFoundError:
            return None  # made by the move, as a real directory
        except OSError:
            return where
        if not stat.S_ISDIR(st.st_mode):
            return where
    return None


def _open_dir(path: Path, root: Path | None, *, create: bool) -> int:
    """A descriptor of directory ``path``, walked from ``root`` (followed: it may be a link) one
    component at a time, never through a link (``O_NOFOLLOW``); with no ``root``, from ``path``
    itself (or, with ``create``, its nearest existing ancestor), never a link either. ``create``:
    missing directories are made, each with the owner, group and mode of its parent (a transfer
    run as root must leave folders the Langflow server, running as its own user, can write)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    if root is None:
        root = path
        while create and not os.path.lexists(root) and root != root.parent:
            root = root.parent
        fd = os.open(root, flags | _NOFOLLOW)
    else:
        fd = os.open(root, flags)
    parts = _below(path, root)
    try:
        if parts is None:
            raise OSError(errno.EXDEV, f"{path} is not under {root}")
        for part in parts:
            made = False
            if create:
                try:
                    os.mkdir(part, mode=0o700, dir_fd=fd)
                    made = True
                except FileExistsError:
                    pass
            nxt = os.open(part, flags | _NOFOLLOW, dir_fd=fd)
            if made:
                _like_parent(nxt, os.fstat(fd))
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def _like_parent(fd: int, parent: os.stat_result) -> None:
    """Give a directory just made the owner and group (when root can) and mode of its parent."""
    if hasattr(os, "fchown") and os.geteuid() == 0:
        os.fchown(fd, parent.st_uid, parent.st_gid)
    os.fchmod(fd, stat.S_IMODE(parent.st_mode))  # after the chown, which may clear set-id bits


def _lstat(path: Path, what: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInput(f"{what} {path} cannot be examined: {exc.strerror}") from None


def move_dir(src: Path, dst: Path, what: str) -> None:
    """Rename directory ``src`` to ``dst`` in the same parent (``move_path``)."""
    move_path(src, dst, what, root=src.parent)


_RENAME_NOREPLACE = 1  # linux/fs.h


def _rename_noreplace(src_fd: int, src: str, dst_fd: int, dst: str) -> bool:
    """``renameat2(..., RENAME_NOREPLACE)``: the kernel refuses to replace an entry that appeared
    at ``dst`` after the check (someone who can write in the directory racing us); raises
    ``FileExistsError`` then. False where the call or the filesystem lacks it (not Linux, an
    old glibc, a filesystem answering EINVAL): the caller renames after its own check."""
    if sys.platform != "linux":
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(src_fd, os.fsencode(src), dst_fd, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS):
        return False
    raise OSError(err, os.strerror(err), dst)


def _rename_entry(src_fd: int, src: str, dst_fd: int, dst: str, *, replace_itself: bool) -> None:
    """The one rename of ``move_path``: never over another entry where the kernel can promise
    it; ``replace_itself``: ``dst`` is ``src`` under another case (a case-insensitive filesystem)."""
    if replace_itself or not _rename_noreplace(src_fd, src, dst_fd, dst):
        os.rename(src, dst, src_dir_fd=src_fd, dst_dir_fd=dst_fd)


def move_path(src: Path, dst: Path, what: str, *, root: Path | None = None) -> None:
    """Rename ``src`` to ``dst`` (same filesystem; ``dst``'s missing directories are made, as
    Langflow's storage makes them): the entry itself, never a link (checked again through a
    descriptor of its directory), never over an existing entry (checked just before;
    ``rename`` would silently replace an empty directory or a file). Raises ``InvalidInput``
    naming both paths when the move cannot be done. Both directories are opened without
    following a link (below ``root``, which may be one: ``_open_dir``), so a directory swapped
    for a link cannot make root move a file from, or into, elsewhere."""
    try:
        fd = _open_dir(src.parent, root, create=False)
    except OSError as exc:
        raise InvalidInput(f"cannot move {what} {src} to {dst}: {exc.strerror}") from None
    dst_fd = fd
    try:
        if dst.parent != src.parent:
            dst_fd = _open_dir(dst.parent, root, create=True)
        st = os.lstat(src.name, dir_fd=fd)
        if stat.S_ISLNK(st.st_mode):
            raise _symlink(what, src)
        same = False
        with suppress(FileNotFoundError):
            same = os.path.samestat(st, os.lstat(dst.name, dir_fd=dst_fd))  # a case-only rename
            if not same:
                raise Conflict(f"{what} {dst} already exists")
        _rename_entry(fd, src.name, dst_fd, dst.name, replace_itself=same)
        for done in dict.fromkeys((fd, dst_fd)):
            with suppress(OSError):  # durable if the filesystem can say so
                os.fsync(done)
    except OSError as exc:
        if exc.errno == errno.EEXIST:  # it appeared after the check: renameat2 refused to replace it
            raise Conflict(f"{what} {dst} already exists") from None
        raise InvalidInput(f"cannot move {what} {src} to {dst}: {exc.strerror}") from None
    finally:
        if dst_fd != fd:
            os.close(dst_fd)
        os.close(fd)
