"""What a core function works with: one connection inside one transaction (``Session``).

Below everything else in core: the row layers, authentication and the audit trail all take a
``Session``, and ``lfadmin.core.target`` - which authenticates - opens it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lfadmin.core.actor import Actor
from lfadmin.errors import LfadminError
from lfadmin.langflow.codec import Codec
from lfadmin.langflow.crypto import fingerprint_key, value_fingerprint
from lfadmin.langflow.schema import Schema
from lfadmin.langflow.settings import LangflowSettings

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


Progress = Callable[[str, int, int], None]
"""``progress(what, done, total)``: how core functions report long work (total 0: unknown)."""


def _ignore(_: str) -> None:
    return None


@dataclass
class Session:
    """One connection inside one transaction, with what the database is (``schema``), the
    settings Langflow runs with, the codec for this backend's values, and who acts."""

    conn: Connection
    schema: Schema
    settings: LangflowSettings
    codec: Codec
    warn: Callable[[str], None] = _ignore
    actor: Actor | None = None

    @property
    def backend(self) -> str:
        return self.schema.backend

    @functools.cached_property
    def _fingerprint_key(self) -> bytes:
        try:
            key = self.settings.secret_key()
        except LfadminError:  # an unusable key file: commands that need the key say so
            key = None
        return fingerprint_key(key.value if key else None)

    def fingerprint(self, value: str) -> str:
        """The fingerprint shown for a stored value (a variable, a secret in a flow): keyed by
        the secret key in effect (``crypto.value_fingerprint``), never a plain hash of it."""
        return value_fingerprint(self._fingerprint_key, value)
