"""What ``secrets check`` and ``config doctor`` say of every stored secret: each value's status
against the key in effect, counted per store (``StoreReport``), read-only; and ``check``, the
``secrets check`` command: the key in effect judged, then every store against it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from lfadmin.core.secrets import sidecars
from lfadmin.core.secrets.key import JOURNAL_NAME, KeyReport, key_problems, key_report, key_warnings
from lfadmin.core.secrets.keyring import Keyring
from lfadmin.core.secrets.status import Status, StoreReport, classify_token
from lfadmin.core.secrets.stores import STORES, Cell, Row, Store, where
from lfadmin.errors import InvalidInput, LfadminError, Undecryptable
from lfadmin.langflow.crypto import fingerprint, is_sso_envelope, looks_encrypted, sso_decrypt

if TYPE_CHECKING:
    from lfadmin.core.session import Progress, Session
    from lfadmin.core.target import Target

GENERIC_PLAINTEXT_SINCE = (1, 8, 0)  # Generic variables stored in plaintext from 1.8.0 (§7)


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
    reports.append(sidecars.inventory(s, keys))
    return reports


# -- secrets check ------------------------------------------------------------------------------


@dataclass
class SecretsCheck:
    key: KeyReport
    stores: list[StoreReport]
    pending_rotation: str | None = None
    release: str = ""

    def total(self, status: Status) -> int:
        """Across the stores the release reads (``inventory.counted``)."""
        return sum(r.counts[status.value] for r in counted(self.stores))

    @property
    def undecryptable(self) -> int:
        return self.total(Status.UNDECRYPTABLE)

    @property
    def server_unreadable(self) -> int:
        return sum(r.server_unreadable for r in counted(self.stores))

    @property
    def failed(self) -> bool:
        """Something does not decrypt for the release (exit code 11)."""
        return self.undecryptable > 0 or self.server_unreadable > 0

    def error(self) -> LfadminError | None:
        """What makes ``secrets check`` fail, once the report is shown: exit code 11 when
        something does not decrypt, else 4 when the key itself is unusable."""
        if self.failed:
            return Undecryptable(
                f"{max(self.undecryptable, self.server_unreadable)} stored value(s) do not decrypt "
                f"under the secret key in effect for Langflow {self.release}",
                hint="find the key they were written with and run `lfadmin secrets rotate --old-key-stdin`",
            )
        if self.key.problems:
            return InvalidInput(f"the secret key is unusable: {self.key.problems[0]}")
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "key": self.key.to_json(),
            "pending_rotation": self.pending_rotation,
            "totals": {st.value: self.total(st) for st in Status},
            "server_unreadable": self.server_unreadable,
            "stores": [r.to_json() for r in self.stores],
        }


def check(
    target: Target,
    secret: str | None = None,
    *,
    progress: Progress | None = None,
) -> SecretsCheck:
    """``secrets check``: the key in effect (or ``secret``) against every encrypted store.

    Read-only; never raises for findings — the caller renders the report, then raises
    ``SecretsCheck.error()`` (``config doctor`` runs ``inventory`` itself).
    """
    with target.session(write=False) as s:
        return _check(s, secret, progress)


def _check(s: Session, secret: str | None, progress: Progress | None) -> SecretsCheck:
    rep, in_effect = key_report(s.settings, s.schema)
    if secret is not None:
        rep = KeyReport("given key", fingerprint(secret), len(secret),
                        s.schema.encrypt_derivation(secret).value, key_problems(secret),
                        key_warnings(secret, s.schema))
        in_effect = secret
    keys = Keyring(in_effect or "", s.schema.encrypt_derivation(in_effect) if in_effect else None)
    if in_effect and not keys.usable and not rep.problems:
        rep.problems.append("no Fernet key can be derived from it")
    stores = inventory(s, keys, progress=progress)
    journal = s.settings.config_dir / JOURNAL_NAME
    pending = str(journal) if journal.exists() else None
    return SecretsCheck(rep, stores, pending, s.schema.release_label)
