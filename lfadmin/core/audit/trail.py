"""The audit trail's file: where it lives, the one way a line is appended, and the hash chain.

Where: ``$LFADMIN_AUDIT_LOG`` when set (env only, never ``--env-file``); else ``lfadmin-audit.jsonl``
in Langflow's config dir, beside the server's ``secret_key`` - the directory that belongs to the
server rather than to whoever runs lfadmin, and the one the break-glass path proves access to;
when that directory does not exist (lfadmin never creates it: Langflow does, with its own
permissions) the trail goes to ``audit.jsonl`` in lfadmin's state dir
(``~/.local/state/lfadmin`` on Linux).

Why a file and not Langflow's own tables: only 1.13 has ``audit_events``, its vocabulary belongs
to Langflow, and a row there disappears with the transaction it was written in - a refused
attempt must leave a trace anyway.

The file is created 0600 (it names users and hosts) - by root in a directory someone else owns,
owned by that directory's owner and group, so the server's user can keep appending; each record
is one line written with one ``write()`` on an ``O_APPEND`` descriptor under ``flock``, then
fsynced. Each record carries
``prev``: the SHA-256 of the previous line's bytes (without its newline; the first line of a
trail chains to ``GENESIS``). The previous line is read under the same lock, so concurrent
lfadmin processes extend one chain. A trail begun by an lfadmin without the chain keeps its old
lines: the first chained line hashes the last unchained one, and ``verify`` says where the chain
starts (docs/audit.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lfadmin import redact
from lfadmin.errors import ExitCode, InvalidInput, LfadminError, NotFound
from lfadmin.langflow.settings import LangflowSettings

FILE_NAME = "lfadmin-audit.jsonl"
ENV_VAR = "LFADMIN_AUDIT_LOG"
GENESIS = "0" * 64  # what the first line of a trail chains to
_TAIL_CHUNK = 4096


class AuditUnavailable(LfadminError):
    """The audit trail cannot be written: the audited action is not done either."""

    # Same code as an unwritable database: the operator fixes a path or a permission.
    exit_code = ExitCode.DB_UNAVAILABLE


class ChainBroken(LfadminError):
    """``audit verify``: a line was edited, deleted, inserted or moved."""

    exit_code = ExitCode.FINDINGS  # a check that found a problem, like `config doctor --fail-on`


@dataclass(frozen=True)
class Location:
    path: Path
    why: str  # "LFADMIN_AUDIT_LOG (environment)", "Langflow's config dir", ...


def location(settings: LangflowSettings) -> Location:
    val = settings.env.exact(ENV_VAR)
    if val is not None:
        if val.origin.kind == "file":
            # The server's env file is not lfadmin's to configure: whoever owns it must not
            # choose which file a root run creates or appends to.
            raise InvalidInput(
                f"{ENV_VAR} is set in the env file {val.origin}: it is lfadmin's own setting, "
                "read only from the environment lfadmin runs in"
            )
        return Location(Path(val.raw).expanduser(), val.describe())
    config_dir = settings.config_dir
    try:
        in_config_dir = config_dir.is_dir()
    except OSError:  # a name too long: not a place to write to
        in_config_dir = False
    if in_config_dir:
        return Location(config_dir / FILE_NAME, "Langflow's config dir")
    from platformdirs import user_state_dir

    return Location(
        Path(user_state_dir("lfadmin")) / "audit.jsonl",
        f"lfadmin's state dir (Langflow's config dir {config_dir} does not exist here)",
    )


def line_hash(line: bytes) -> str:
    """What the next record's ``prev`` holds: SHA-256 of a line, without its newline."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def check_writable(loc: Location) -> None:
    """Prove, before a change that cannot be rolled back, that a record can be appended to the
    trail: opened as ``append`` opens it (same flags, same checks), locked, closed - nothing
    written. ``AuditUnavailable`` otherwise: no record, no change."""
    fd, created = _open_created(loc)
    try:
        _lock(fd)
    except OSError as exc:
        raise _unavailable(loc, exc) from None
    finally:
        os.close(fd)
        if created:  # a refusal after this check must leave no file behind: append makes it again
            with contextlib.suppress(FileNotFoundError):
                os.unlink(loc.path)


def append(loc: Location, record: dict[str, Any]) -> None:
    """Append ``record`` chained to the trail's last line; ``AuditUnavailable`` if it cannot be
    made durable (``prev`` is set here, under the lock)."""
    fd = _open(loc)
    try:
        _lock(fd)
        last = _last_line(fd)
        chained = {**record, "prev": GENESIS if last is None else line_hash(last)}
        # The same last guard as stdout and stderr: no secret the process loaded, even in a reason.
        text = redact.scrub(json.dumps(chained, ensure_ascii=False, default=str))
        os.write(fd, (text + "\n").encode("utf-8"))
        os.fsync(fd)
    except OSError as exc:
        raise AuditUnavailable(
            f"cannot write the audit trail {loc.path}: {exc.strerror}",
            hint=f"fix its permissions or set {ENV_VAR} to a writable file",
        ) from None
    finally:
        os.close(fd)  # also releases the lock


def _unavailable(loc: Location, exc: OSError) -> AuditUnavailable:
    return AuditUnavailable(
        f"cannot write the audit trail {loc.path} ({loc.why}): {exc.strerror}",
        hint=f"fix its permissions or set {ENV_VAR} to a writable file",
    )


def _open(loc: Location) -> int:
    """The trail's descriptor for appending (created 0600 when missing)."""
    return _open_created(loc)[0]


def _open_created(loc: Location) -> tuple[int, bool]:
    """``_open``, and whether this call created the file."""
    try:
        loc.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Never through a symbolic link, and only into a regular file (a FIFO would block the
        # run inside its write transaction): whoever owns the directory must not be able to
        # make a root run append to a file of their choosing, or hang it.
        flags = os.O_RDWR | os.O_APPEND | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
        fd, created = _open_or_create(loc.path, flags)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise AuditUnavailable(
                f"the audit trail {loc.path} ({loc.why}) is not a regular file",
                hint=f"remove it, or set {ENV_VAR} to a regular file",
            )
        if created:
            _give_to_directory_owner(fd, loc.path.parent)
    except OSError as exc:
        raise _unavailable(loc, exc) from None
    return fd, created


def _open_or_create(path: Path, flags: int) -> tuple[int, bool]:
    """Open ``path`` with ``flags``, creating it 0600 when missing; (fd, whether it was created
    by this call - O_EXCL says so, so a file someone else made is never re-owned)."""
    for _ in range(3):
        try:
            return os.open(path, flags), False
        except FileNotFoundError:
            pass
        try:
            return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600), True
        except FileExistsError:
            continue  # made between the two calls: open it as it is
    return os.open(path, flags), False


def _give_to_directory_owner(fd: int, directory: Path) -> None:
    """Root creating the trail in a directory someone else owns (Langflow's config dir, owned by
    the user Langflow runs as): the file goes to the directory's owner and group, still 0600, so
    the next run as that user can append to it - as ``lfadmin.files.atomic_write`` keeps an
    existing file's owner. Through the descriptor (``fchown``): never a link's target."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    owner = os.stat(directory)
    if owner.st_uid != 0:
        os.fchown(fd, owner.st_uid, owner.st_gid)


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: O_APPEND writes of one line are atomic enough
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _last_line(fd: int) -> bytes | None:
    """The file's last non-empty line (None: an empty file), read backwards in chunks."""
    end = os.fstat(fd).st_size
    tail = b""
    pos = end
    while pos > 0:
        step = min(_TAIL_CHUNK, pos)
        pos -= step
        tail = os.pread(fd, step, pos) + tail
        body = tail.rstrip(b"\n")
        if b"\n" in body:
            return body.rsplit(b"\n", 1)[1]
    body = tail.rstrip(b"\n")
    return body or None


def lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of every non-empty line; ``NotFound`` when there is no trail."""
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise NotFound(f"no audit trail at {path}: nothing has been recorded there yet") from None
    except OSError as exc:
        raise AuditUnavailable(f"cannot read the audit trail {path}: {exc.strerror}") from None
    with f:
        for number, raw in enumerate(f, 1):
            if raw.strip():
                yield number, raw.rstrip(b"\n")


def read(path: Path) -> list[dict[str, Any]]:
    """Every record in ``path`` (none: no trail yet) - for tests and operators' scripts."""
    try:
        return [json.loads(raw) for _, raw in lines(path)]
    except NotFound:
        return []


@dataclass(frozen=True)
class Verified:
    """An intact chain: how many lines, where the chain starts, and its head (the last line's
    hash: kept elsewhere, it also proves that no line was cut off the end)."""

    path: Path
    records: int
    chain_starts: int  # line number of the first chained record (0: none)
    head: str

    def to_json(self) -> dict[str, Any]:
        return {
            "trail": str(self.path),
            "intact": True,
            "records": self.records,
            "unchained": self.chain_starts - 1 if self.chain_starts else self.records,
            "chain_starts_at_line": self.chain_starts or None,
            "head": self.head,
        }


def verify(path: Path) -> Verified:
    """Check every ``prev``; ``ChainBroken`` names the first line that does not follow (never
    its content). Lines before the first chained one were written by an older lfadmin."""
    previous: bytes | None = None
    start = count = 0
    for number, raw in lines(path):
        count += 1
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        prev = record.get("prev") if isinstance(record, dict) else None
        if prev is None and not start and isinstance(record, dict):
            previous = raw  # an unchained record from before the chain
            continue
        expected = GENESIS if previous is None else line_hash(previous)
        if prev != expected:
            what = "is not a chained record" if prev is None else "does not chain to the line before it"
            raise ChainBroken(
                f"the audit trail {path} is broken at line {number}: it {what} "
                "(a line was edited, deleted, inserted or moved there)",
                hint="compare with a backup of the trail; lfadmin never rewrites it",
            )
        start = start or number
        previous = raw
    return Verified(path, count, start, line_hash(previous) if previous is not None else GENESIS)
