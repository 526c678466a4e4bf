"""Writing secrets to files: one variable in an env file, or Langflow's ``secret_key`` file.

Both writes are ``files.atomic_write`` (temp file in the same directory, ``fsync``, atomic
``rename``, mode 0600), so a crash leaves either the old file or the new one, never half of
either. An env file keeps every other line, comment, blank line and their order byte for byte;
only the one assignment changes (or is appended). Symlinks are followed: the file they point at is replaced.

Langflow reads settings case-insensitively (``langflow_secret_key`` counts), so a second
assignment in any case is a duplicate we refuse: which one wins is not obvious to a reader.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lfadmin.core.files import atomic_write
from lfadmin.errors import InvalidInput

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
    from lfadmin.langflow.env import read_env_text

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
    """Refuse before anything changes: unreadable, read-only, duplicate assignments.

    Returns the current value of ``name`` in the file (None when it has none).
    """
    real = Path(os.path.realpath(path))
    if real.exists():
        found = find_assignments(real, name)
        if len(found) > 1:
            lines = ", ".join(str(a.line) for a in found)
            raise InvalidInput(
                f"env file {path} assigns {name} more than once (lines {lines}); "
                "keep one and rerun"
            )
        if not os.access(real, os.W_OK) or not real.stat().st_mode & 0o222:
            # Mode bits too: root may write anything, but a 0400 file was made read-only on purpose.
            raise InvalidInput(f"env file {path} is read-only; make it writable or choose another")
        current = found[0].value if found else None
    else:
        current = None
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise InvalidInput(f"cannot write in {real.parent} (permission denied)")
    return current


def _quote(value: str) -> str:
    if _SAFE_VALUE.match(value):
        return value
    if "'" not in value and "\n" not in value:
        return f"'{value}'"
    raise InvalidInput("a value for an env file cannot contain both ' and newlines")


def set_variable(path: Path, name: str, value: str, *, backup: bool = True) -> Written:
    """Set or replace ``name=value`` in ``path`` in place, keeping everything else."""
    check_writable(path, name)
    real = Path(os.path.realpath(path))
    text = _read(real) if real.exists() else ""
    found = _bindings(text, real, name)
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
    saved = _backup(real, text) if backup and real.exists() else None
    atomic_write(real, new.encode("utf-8"))
    return Written(path, saved, replaced)


def _backup(real: Path, content: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = real.with_name(f"{real.name}.lfadmin-bak-{stamp}")
    atomic_write(target, content.encode("utf-8"))
    return target


def write_secret_file(path: Path, value: str, *, backup: bool = True) -> Written:
    """Langflow's ``<config dir>/secret_key``: the key alone, no newline, 0600 (CONTRACT §5.3)."""
    real = Path(os.path.realpath(path))
    if not real.parent.exists():
        real.parent.mkdir(parents=True, mode=0o700)
    saved = None
    if real.exists():
        if not os.access(real, os.W_OK) or not real.stat().st_mode & 0o222:
            raise InvalidInput(f"{path} is read-only")
        if backup:
            try:
                saved = _backup(real, real.read_text())
            except OSError as exc:
                raise InvalidInput(f"{path} cannot be read: {exc.strerror}") from None
    atomic_write(real, value.encode("utf-8"))
    return Written(path, saved, None)
