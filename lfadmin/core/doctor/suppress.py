"""Suppressions: accepted findings, kept in a file in the operator's repository.

Like ``.trivyignore``, one suppression a line; unlike it, a reason is required::

    # .lfadmin-ignore
    LF-AUTH-006  exp:2027-03-31  sign-up is open for the spring workshop
    LF-FLOW-001  flows are exported with keys stripped by our CI

- ``CHECK_ID``, then optionally ``exp:YYYY-MM-DD`` (the last day it applies), then the reason.
- ``#`` starts a comment line; blank lines are ignored.
- A line without a reason, or with a malformed date, is an error (the file is the operator's
  policy: a half-read policy would be worse than none).
- An unknown check ID is a warning (a typo, or a check a newer lfadmin renamed).
- An expired suppression no longer applies, with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lfadmin.core.doctor.model import REGISTRY, Suppression
from lfadmin.errors import InvalidInput
from lfadmin.files import TEXT_CAP, read_text

DEFAULT_FILE = ".lfadmin-ignore"
_ID = re.compile(r"^LF-[A-Z]+-\d{3}$")
_EXP = re.compile(r"^exp:(\S+)$")


@dataclass
class Suppressions:
    active: dict[str, Suppression] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def load(path: Path | None, ignore: list[str], today: date) -> Suppressions:
    result = Suppressions()
    for raw in ignore:
        check_id = raw.strip().upper()
        if check_id not in REGISTRY:
            result.warnings.append(f"--ignore {raw}: no such check ID")
            continue
        result.active[check_id] = Suppression(check_id, "ignored on the command line", None, "--ignore")
    if path is None:
        return result
    text = read_text(path, "suppression file", cap=TEXT_CAP, follow=True) or ""
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{path}:{lineno}"
        parts = stripped.split(None, 1)
        check_id = parts[0].upper()
        rest = parts[1].strip() if len(parts) > 1 else ""
        if not _ID.match(check_id):
            raise InvalidInput(f"{where}: {parts[0]!r} is not a check ID like LF-AUTH-001")
        expires: str | None = None
        first = rest.split(None, 1)[0] if rest else ""
        m = _EXP.match(first)
        if m:
            try:
                expires = date.fromisoformat(m.group(1)).isoformat()
            except ValueError:
                raise InvalidInput(f"{where}: {first!r} is not exp:YYYY-MM-DD") from None
            rest = rest[len(first) :].strip()
        reason = rest.lstrip("#").strip()
        if not reason:
            raise InvalidInput(f"{where}: suppressing {check_id} needs a reason after the ID")
        if check_id not in REGISTRY:
            result.warnings.append(f"{where}: unknown check ID {check_id} (suppression ignored)")
            continue
        if expires is not None and date.fromisoformat(expires) < today:
            result.warnings.append(f"{where}: the suppression of {check_id} expired on {expires}; reporting it again")
            continue
        result.active[check_id] = Suppression(check_id, reason, expires, where)
    return result
