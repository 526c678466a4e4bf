"""Writing secrets to files: one variable in an env file, or Langflow's ``secret_key`` file.

Both writes are ``files.atomic_write`` (temp file in the same directory, ``fsync``, atomic
``rename``), so a crash leaves either the old file or the new one, never half of either. A
replaced file and its backup keep the old file's owner, group and mode (a service user's 0640
env file stays the service user's after a rotation run as root); a new file is 0600. An env
file keeps every other line, comment, blank line and their order byte for byte; only the one
assignment changes (or is appended).

A symbolic link is never written through: the file to write (and its backup's place) is the
path given, and a link there is refused before anything changes, naming it - whoever owns the
directory could otherwise point it at any file a root run would then clobber. Operators whose
env file is a link name the file it points to. (Reading follows an env file's link, as
``load_dotenv`` does; ``lfadmin.files`` explains the rules.)

Langflow reads settings case-insensitively (``langflow_secret_key`` counts), so a second
assignment in any case is a duplicate we refuse: which one wins is not obvious to a reader.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lfadmin.errors import InvalidInput
from lfadmin.files import (
    SECRET_CAP,
    SECRET_FILE,
    TEXT_CAP,
    atomic_write,
    check_config_dir,
    check_replaceable,
    read_text,
)
from lfadmin.langflow.env import read_env_text

SECRET_KEY_VAR = "LANGFLOW_SECRET_KEY"  # noqa: S105 - a variable name, not a secret
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_\-.=+/]*$")


@dataclass(frozen=True)
class Assignment:
    line: int  # 1-based
    value: str


@dataclass(frozen=True)
class Written:
    path: Path
    backup: Path | None
    replaced_line: int | None  # None: appended / new file


def _read(path: Path) -> str:
    return read_env_text(path)


def _bindings(text: str, path: Path, name: str) -> list[tuple[int, int, str, str]]:
    """(start offset, end offset, original text, value) of each assignment to ``name``."""
    import io

    from dotenv.parser import parse_stream

    found = []
    offset = 0
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        start, offset = offset, offset + len(original)
        if binding.error:
            continue  # not ours to judge here; Environment.load reports unparsable lines
        if binding.key is not None and binding.key.lower() == name.lower():
            # The parser's "original" starts with the blank lines before the assignment.
            lead = len(original) - len(original.lstrip(" \t\r\n"))
            found.append((start + lead, offset, original[lead:], binding.value or ""))
    return found


def find_assignments(path: Path, name: str = SECRET_KEY_VAR) -> list[Assignment]:
    text = _read(path)
    return [
        Assignment(text.count("\n", 0, start) + 1, value)
        for start, _end, _orig, value in _bindings(text, path, name)
    ]


def check_writable(path: Path, name: str = SECRET_KEY_VAR) -> str | None:
    """Refuse before anything changes: a link, unreadable, read-only, duplicate assignments,
    an owner or group we could not keep (``files.check_replaceable``).

    Returns the current value of ``name`` in the file (None when it has none).
    """
    if check_replaceable(path, "env file") is None:
        return None
    found = find_assignments(path, name)
    if len(found) > 1:
        lines = ", ".join(str(a.line) for a in found)
        raise InvalidInput(
            f"env file {path} assigns {name} more than once (lines {lines}); "
            "keep one and rerun"
        )
    return found[0].value if found else None


def _quote(value: str) -> str:
    if _SAFE_VALUE.match(value):
        return value
    if "'" not in value and "\n" not in value:
        return f"'{value}'"
    raise InvalidInput("a value for an env file cannot contain both ' and newlines")


def set_variable(path: Path, name: str, value: str, *, backup: bool = True) -> Written:
    """Set or replace ``name=value`` in ``path`` in place, keeping everything else."""
    old = check_replaceable(path, "env file")
    check_writable(path, name)
    # Read without following a link: one swapped in since the check must not have its target's
    # text copied into the backup (owned like the env file, so readable by whoever swapped it).
    text = (read_text(path, "env file", cap=TEXT_CAP) or "") if old is not None else ""
    found = _bindings(text, path, name)
    line = f"{name}={_quote(value)}"
    if found:
        start, end, original, _ = found[0]
        prefix = "export " if original.lstrip().startswith("export ") else ""
        ending = "\r\n" if original.endswith("\r\n") else ("\n" if original.endswith("\n") else "")
        new = text[:start] + prefix + line + ending + text[end:]
        replaced: int | None = text.count("\n", 0, start) + 1
    else:
        sep = "" if not text or text.endswith("\n") else "\n"
        new = text + sep + line + "\n"
        replaced = None
    saved = _backup(path, text, old, "env file") if backup and old is not None else None
    atomic_write(path, new.encode("utf-8"), what="env file")
    return Written(path, saved, replaced)


def _backup(path: Path, content: str, like: os.stat_result, what: str) -> Path:
    """A copy of the old content beside ``path`` (never beside a link's target), with the old
    file's owner, group and mode: whoever could read the old file can read its backup, no one else."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.lfadmin-bak-{stamp}")
    atomic_write(target, content.encode("utf-8"), like=like, what=f"backup of {what}")
    return target


def write_secret_file(path: Path, value: str, *, backup: bool = True) -> Written:
    """Langflow's ``<config dir>/secret_key``: the key alone, no newline (docs/langflow/settings.md §9); 0600
    when new, else the old file's owner, group and mode."""
    check_config_dir(path.parent)
    old = check_replaceable(path, SECRET_FILE, makes_parent=True)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    saved = None
    if old is not None and backup:
        current = read_text(path, SECRET_FILE, cap=SECRET_CAP) or ""
        saved = _backup(path, current, old, SECRET_FILE)
    atomic_write(path, value.encode("utf-8"), what=SECRET_FILE)
    return Written(path, saved, None)


def check_secret_file(path: Path) -> None:
    """``write_secret_file``'s refusals, up front (before a rotation's commit)."""
    check_config_dir(path.parent)
    check_replaceable(path, SECRET_FILE, makes_parent=True)
