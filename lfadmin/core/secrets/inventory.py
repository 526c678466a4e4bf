"""What ``secrets check`` and ``config doctor`` say of every stored secret: each value's status
against the key in effect, counted per store (``StoreReport``), read-only."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Any

from lfadmin.core.secrets.stores import STORES, Cell, Row, Store, where
from lfadmin.langflow.crypto import MINIMUM_KEY_LENGTH, is_sso_envelope, looks_encrypted, sso_decrypt

if TYPE_CHECKING:
    from collections.abc import Callable

    from lfadmin.core.secrets.keyring import Keyring
    from lfadmin.core.session import Progress, Session

GENERIC_PLAINTEXT_SINCE = (1, 8, 0)  # Generic variables stored in plaintext from 1.8.0 (§7)


class Status(str, Enum):
    """What one stored value is, judged against the secret key in effect."""

    OK = "ok"  # opens with the derivation the release writes
    LEGACY = "legacy"  # short key: opens only with the other derivation (random.Random/SHA-256)
    UNDECRYPTABLE = "undecryptable"  # looks encrypted, opens with no derivation of this key
    PLAINTEXT = "plaintext"  # stored in clear where Langflow would encrypt
    ENCRYPTED_GENERIC = "encrypted-generic"  # 1.6-era encrypted Generic variable on 1.8+
    PLAIN_EXPECTED = "plain-expected"  # in clear, and that is the release's format


def generic_plaintext(s: Session) -> bool | None:
    """True when the release stores Generic variables in clear (1.8+), None when ambiguous."""
    if s.schema.lo >= GENERIC_PLAINTEXT_SINCE:
        return True
    if s.schema.hi < GENERIC_PLAINTEXT_SINCE:
        return False
    return None


def expects_encryption(s: Session, store: Store, row: Row) -> bool:
    """Would the detected release have encrypted this value when it wrote it?"""
    if store.name == "variable.value" and row.extra.get("type") == "Generic":
        return generic_plaintext(s) is False
    if store.name == "apikey.api_key":
        return s.schema.api_keys_encrypted
    return True


def classify(s: Session, store: Store, row: Row, cell: Cell, keys: Keyring) -> tuple[Status, bool]:
    """Judge one value against ``keys`` (the key in effect): (status, does the release read it?).

    ``keys`` tries every derivation; the release reads only ``schema.read_derivations``
    (1.10.1–1.10.3: SHA-256 only for short keys; a key with a trailing newline: only 1.6–1.8's
    always-pad derivation). A value that opens only with a derivation the release cannot use is
    ``legacy`` for a short key (rotation heals it) and ``undecryptable`` otherwise.
    """
    if cell.sso:
        if not is_sso_envelope(cell.value):
            return Status.PLAINTEXT, True
        ok = sso_decrypt(keys.secret, cell.value) is not None
        return (Status.OK if ok else Status.UNDECRYPTABLE), ok
    if not (store.always_encrypted or looks_encrypted(cell.value)):
        status = Status.PLAINTEXT if expects_encryption(s, store, row) else Status.PLAIN_EXPECTED
        return status, True
    generic = (
        store.name == "variable.value"
        and row.extra.get("type") == "Generic"
        and generic_plaintext(s) is True
    )
    return classify_token(s, cell.value, keys, encrypted_generic=generic)


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


def counted(reports: list[StoreReport]) -> list[StoreReport]:
    """The reports that count toward totals, exit codes and findings: not the advisory ones
    (a store the release never decrypts is reported, never counted)."""
    return [r for r in reports if not r.advisory]


def inventory(
    s: Session,
    keys: Keyring,
    *,
    progress: Progress | None = None,
) -> list[StoreReport]:
    """Every store of docs/langflow/crypto.md §7, each value classified against ``keys``. Read-only.

    Stores the schema does not have are listed with ``present=False`` so a report always
    shows the whole inventory. Row labels (id, name, owner) are collected as examples for
    every problem status, at most five per status; values and plaintexts never leave here.
    """
    reports: list[StoreReport] = []
    for store in STORES:
        rep = StoreReport(store.name, store.description, store.present(s))
        reports.append(rep)
        if not rep.present:
            continue
        total = store.count(s) if progress else 0
        for batch in store.rows(s):
            for row in batch:
                rep.rows += 1
                for cell in store.cells(row):
                    status, readable = classify(s, store, row, cell, keys)
                    rep.count(status, readable, partial(where, row, cell))
            if progress:
                progress(store.name, rep.rows, total)
    # Not a table: the knowledge-base sidecars on disk (docs/langflow/knowledge-bases.md).
    from lfadmin.core.secrets import sidecars as kb_sidecars

    reports.append(kb_sidecars.inventory(s, keys))
    return reports
