"""Looking at files the way the file-safety tests do."""

from __future__ import annotations

import stat
from pathlib import Path


def mode(p: Path) -> int:
    """The permission bits of ``p`` (following a symlink)."""
    return stat.S_IMODE(p.stat().st_mode)
