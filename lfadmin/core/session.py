"""What a core function works with: one connection inside one transaction (``Session``).

Below everything else in core: the row layers, authentication and the audit trail all take a
``Session``, and ``lfadmin.core.target`` - which authenticates - opens it. A session also carries
what its command's audit record will say (``AuditNote``): core functions name what they act on
with ``s.subject(...)``; ``Target.session`` writes the record (``lfadmin.core.audit.record``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
class AuditNote:
    """What a session's audit record says beyond who acted and how it ended (docs/audit.md).

    ``command``/``database``: set by ``Target``; ``targets``: what the command acted on, in the
    order named (``Session.subject``); ``details``: fields a command adds (a grant, a reveal);
    ``claimed``: (name, method) of an invoker not yet proven, recorded if authentication fails;
    ``written``: the record is already in the trail (a reveal writes it before the value shows)."""

    command: str | None = None
    database: str | None = None
    targets: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    claimed: tuple[str | None, str] | None = None
    written: bool = False


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
    audit_note: AuditNote = field(default_factory=AuditNote)

    def subject(self, what: str) -> None:
        """Name what the command acts on (``"user alice"``, ``"api-key 1f0c..."``) for its
        audit record; naming the same thing twice records it once."""
        if what not in self.audit_note.targets:
            self.audit_note.targets.append(what)

    def detail(self, **fields: Any) -> None:
        """Add fields to the command's audit record (never a secret: the trail is scrubbed, but
        a value that is not loaded as a secret would not be)."""
        self.audit_note.details.update(fields)

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
