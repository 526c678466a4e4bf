"""What one stored secret is, judged against a key: its ``Status``, the counts per store
(``StoreReport``), and the judgement of one Fernet token (``classify_token``).

The vocabulary every secret store shares - the database's (``lfadmin.core.secrets.inventory``)
and the knowledge-base sidecars on disk (``lfadmin.core.secrets.sidecars``) - kept below both so
that neither needs the other to speak it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from lfadmin.langflow.crypto import MINIMUM_KEY_LENGTH

if TYPE_CHECKING:
    from lfadmin.core.secrets.keyring import Keyring
    from lfadmin.core.session import Session


class Status(str, Enum):
    """What one stored value is, judged against the secret key in effect."""

    OK = "ok"  # opens with the derivation the release writes
    LEGACY = "legacy"  # short key: opens only with the other derivation (random.Random/SHA-256)
    UNDECRYPTABLE = "undecryptable"  # looks encrypted, opens with no derivation of this key
    PLAINTEXT = "plaintext"  # stored in clear where Langflow would encrypt
    ENCRYPTED_GENERIC = "encrypted-generic"  # 1.6-era encrypted Generic variable on 1.8+
    PLAIN_EXPECTED = "plain-expected"  # in clear, and that is the release's format


def classify_token(
    s: Session, token: str, keys: Keyring, *, encrypted_generic: bool = False
) -> tuple[Status, bool]:
    """Judge one Fernet token (see ``classify``); also used for the knowledge-base sidecars."""
    opened = keys.open(token)
    if opened is None:
        return Status.UNDECRYPTABLE, False
    reads = s.schema.read_derivations(keys.secret)
    readable = opened[1] in reads
    short = len(keys.secret) < MINIMUM_KEY_LENGTH
    if not readable and not short:
        return Status.UNDECRYPTABLE, False
    if encrypted_generic:
        return Status.ENCRYPTED_GENERIC, readable
    if keys.write is not None and opened[1] is not keys.write:
        # A short key: opens only with the other release family's derivation (docs/langflow/crypto.md §2).
        return Status.LEGACY, readable
    return Status.OK, readable


@dataclass
class StoreReport:
    """Counts for one store: what ``secrets check`` prints and ``config doctor`` consumes."""

    store: str
    description: str
    present: bool
    rows: int = 0
    values: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {st.value: 0 for st in Status})
    server_unreadable: int = 0  # values the detected release itself cannot decrypt
    examples: dict[str, list[str]] = field(default_factory=dict)  # status -> up to 5 row labels
    # Counted for information only: the release never decrypts this store (1.13's legacy
    # knowledge-base sidecars), so it is left out of totals, exit codes and findings.
    advisory: bool = False
    # What an operator should know about entries that are counted as rows but hold no value
    # to judge, or are reached in an unusual way (a sidecar behind a symbolic link, one that is
    # not JSON): each names the entry. In JSON only when there are some.
    notes: list[str] = field(default_factory=list)

    def count(self, status: Status, readable: bool, where: Callable[[], str]) -> None:
        """One value: its status, whether the release reads it, and for a problem (the first
        five of each status) ``where()`` an operator finds it."""
        self.values += 1
        self.counts[status.value] += 1
        if not readable:
            self.server_unreadable += 1
        if status not in (Status.OK, Status.PLAIN_EXPECTED):
            ex = self.examples.setdefault(status.value, [])
            if len(ex) < 5:
                ex.append(where())

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "description": self.description,
            "present": self.present,
            "rows": self.rows,
            "values": self.values,
            "counts": dict(self.counts),
            "server_unreadable": self.server_unreadable,
            "examples": {k: list(v) for k, v in self.examples.items()},
            **({"notes": list(self.notes)} if self.notes else {}),
        }
