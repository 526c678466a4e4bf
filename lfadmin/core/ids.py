"""Ids as people type them: tables show 8 characters (git's short form), so any unique prefix of
an id is accepted wherever a full id is, with or without dashes, in any case."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from lfadmin.errors import InvalidInput

MIN_PREFIX = 4  # as git: shorter prefixes match too much to mean anything
_HEX = re.compile(r"[0-9a-f]+")


def as_prefix(ref: str) -> str | None:
    """The hex digits ``ref`` starts an id with (dashes where a UUID has them), or None."""
    text = ref.strip().lower()
    digits = text.replace("-", "")
    if len(digits) < MIN_PREFIX or len(digits) > 32 or not _HEX.fullmatch(digits):
        return None
    if "-" in text and not str(uuid.UUID(int=0)).startswith(re.sub(r"[0-9a-f]", "0", text)):
        return None  # dashes, but not where a UUID's are
    return digits


def match(ref: str, ids: Iterable[uuid.UUID], *, what: str) -> uuid.UUID | None:
    """The one id ``ref`` is a prefix of; None when it is not a prefix of any; InvalidInput
    (naming the candidates) when several share it."""
    prefix = as_prefix(ref)
    if prefix is None:
        return None
    found = sorted({i for i in ids if i.hex.startswith(prefix)})
    if len(found) > 1:
        raise InvalidInput(
            f"{ref!r} is the start of {len(found)} {what} ids: {', '.join(str(i) for i in found)}",
            hint="type more of the id",
        )
    return found[0] if found else None
