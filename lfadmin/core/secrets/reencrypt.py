"""The database part of ``secrets rotate``: every value of one store decrypted with the old
key(s) and re-encrypted under the new one, in batches inside the caller's transaction, then
re-read and checked (``verify_store``). ``probe`` tells which key a database is under.

``upgrade repair`` runs the same pass with one key as old and new (``Ctx.in_place``): a value
the release already reads as written stays as it is; what rotation heals on the way (legacy
short-key tokens, 1.6-era encrypted Generic variables on 1.8+) is all that changes.

Counts go into a ``StoreReceipt`` per store; nothing here commits, writes files or decides what
to do about a value no key opens (``Ctx.undecryptable_*``: ``rotation.rotate`` does).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lfadmin.core.secrets.faults import kill_point
from lfadmin.core.secrets.keyring import Keyring, open_first
from lfadmin.core.secrets.stores import STORES, Cell, Row, Store, driver_errors, where
from lfadmin.errors import LfadminError, Refused
from lfadmin.langflow.crypto import (
    fingerprint,
    is_sso_envelope,
    looks_encrypted,
    sso_decrypt,
    sso_encrypt,
)

if TYPE_CHECKING:
    from lfadmin.core.session import Progress, Session

SAMPLE_PER_STORE = 500


@dataclass
class StoreReceipt:
    store: str
    present: bool
    rows: int = 0
    reencrypted: int = 0
    healed_legacy: int = 0
    generic_decrypted: int = 0
    already_new: int = 0
    plaintext_left: int = 0
    undecryptable: int = 0
    verified: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Ctx:
    s: Session
    old: list[Keyring]
    new: Keyring
    verify_all: bool
    dry_run: bool
    skip: bool
    progress: Progress | None
    undecryptable_rows: list[str] = field(default_factory=list)
    undecryptable_total: int = 0
    generic_plain: bool = False  # the release stores Generic variables in clear (1.8+)
    in_place: bool = False  # old and new are the same key (upgrade repair): rewrite only what must change


def _rotate_cell(
    ctx: Ctx, store: Store, row: Row, cell: Cell, rec: StoreReceipt, want_fp: bool
) -> tuple[str | None, str | None]:
    """(new value or None to keep, plaintext fingerprint for verification when ``want_fp``)."""
    if cell.sso:
        if not is_sso_envelope(cell.value):
            rec.plaintext_left += 1
            return None, None
        for k in ctx.old:
            plain = sso_decrypt(k.secret, cell.value)
            if plain is not None and ctx.in_place:
                rec.already_new += 1
                return None, None
            if plain is not None:
                rec.reencrypted += 1
                return sso_encrypt(ctx.new.secret, plain), fingerprint(plain) if want_fp else None
        if sso_decrypt(ctx.new.secret, cell.value) is not None:
            rec.already_new += 1
            return None, None
        _undecryptable(ctx, store, row, cell, rec)
        return None, None
    if not (store.always_encrypted or looks_encrypted(cell.value)):
        rec.plaintext_left += 1
        return None, None
    opened = open_first(ctx.old, cell.value)
    if opened is not None:
        plain, legacy = opened
        if (
            store.name == "variable.value"
            and row.extra.get("type") == "Generic"
            and ctx.generic_plain
            and not plain.startswith("gAAAAA")
        ):
            if not ctx.s.codec.text_storable(plain):
                raise Refused(
                    f"{store.name} {where(row, cell)} decrypts to a value with a NUL character, which "
                    "PostgreSQL cannot store in clear as Langflow 1.8+ keeps Generic variables; "
                    "rolled back, nothing changed",
                    hint="set that variable again (lfadmin secrets set NAME --user USER --value-stdin) and rerun",
                )
            rec.generic_decrypted += 1  # what 1.8+ would have written (docs/langflow/crypto.md §8)
            return plain, None
        if legacy:
            rec.healed_legacy += 1
        elif ctx.in_place:  # already under the key and derivation the release writes
            rec.already_new += 1
            return None, None
        else:
            rec.reencrypted += 1
        return ctx.new.seal(plain), fingerprint(plain) if want_fp else None
    if ctx.new.open(cell.value) is not None:
        rec.already_new += 1
        return None, None
    _undecryptable(ctx, store, row, cell, rec)
    return None, None


def _undecryptable(ctx: Ctx, store: Store, row: Row, cell: Cell, rec: StoreReceipt) -> None:
    rec.undecryptable += 1
    ctx.undecryptable_total += 1
    if len(ctx.undecryptable_rows) < 50:
        ctx.undecryptable_rows.append(f"{store.name} {where(row, cell)}")


def rewrite_store(ctx: Ctx, store: Store, rec: StoreReceipt) -> dict[Any, dict[tuple[Any, ...], str]]:
    """Rewrite one store; returns {pk: {path: plaintext fingerprint}} for the verification sample.

    On PostgreSQL each batch's UPDATE is sent in psycopg's pipeline mode and not waited for: the
    server applies it while this process decrypts and encrypts the next batch, and leaving the
    pipeline before the next read waits for it. Same statements, one transaction; an error in a
    pipelined UPDATE surfaces there and rolls everything back. SQLite runs in this process:
    nothing to overlap."""
    s = ctx.s
    sample: dict[Any, dict[tuple[Any, ...], str]] = {}
    total = store.count(s) if ctx.progress else 0
    raw = _pipeline_connection(s) if not ctx.dry_run else None
    if raw is not None:
        store.prepare_bulk(s)  # its catalog reads cannot run inside a pipeline
    first_write = True
    with driver_errors(s), contextlib.ExitStack() as in_flight:
        batches = store.rows(s, owners=False)
        batch = next(batches, None)
        while batch is not None:
            params = _rotate_batch(ctx, store, batch, rec, sample)  # the server writes meanwhile
            in_flight.close()  # wait for the previous batch's UPDATE
            upcoming = next(batches, None)
            if params and not ctx.dry_run:
                if raw is not None and not first_write:
                    in_flight.enter_context(raw.pipeline())
                store.bulk_update(s, params)
                if first_write:
                    first_write = False
                    kill_point("mid-rewrite")
            if ctx.progress:
                ctx.progress(store.name, rec.rows, total)
            batch = upcoming
    return sample


Sample = dict[Any, dict[tuple[Any, ...], str]]  # {pk: {path: plaintext fingerprint}}


def rewrite_stores(ctx: Ctx) -> tuple[list[StoreReceipt], list[tuple[Store, StoreReceipt, Sample]]]:
    """``rewrite_store`` over every store of ``stores.STORES``: a receipt per store (absent ones
    too, so a receipt shows the whole inventory), and what ``verify_stores`` re-reads."""
    receipts: list[StoreReceipt] = []
    samples: list[tuple[Store, StoreReceipt, Sample]] = []
    for store in STORES:
        rec = StoreReceipt(store.name, store.present(ctx.s))
        receipts.append(rec)
        if rec.present:
            samples.append((store, rec, rewrite_store(ctx, store, rec)))
    return receipts, samples


def verify_stores(ctx: Ctx, samples: list[tuple[Store, StoreReceipt, Sample]]) -> None:
    for store, rec, sample in samples:
        verify_store(ctx, store, rec, sample)


def _pipeline_connection(s: Session) -> Any:
    """The psycopg connection under the session when pipeline mode is available, else None."""
    if s.backend != "postgresql":
        return None
    import psycopg

    raw = s.conn.connection.dbapi_connection
    return raw if isinstance(raw, psycopg.Connection) and psycopg.Pipeline.is_supported() else None


def _rotate_batch(
    ctx: Ctx, store: Store, batch: list[Row], rec: StoreReceipt, sample: dict[Any, dict[tuple[Any, ...], str]]
) -> list[dict[str, Any]]:
    """The crypto of one batch: ``[{"k": key, "v": new column value}]`` for rows that change."""
    params = []
    rec.rows += len(batch)
    cells, rebuild = store.cells, store.rebuild
    for row in batch:
        want_fp = len(sample) < SAMPLE_PER_STORE
        changes: dict[tuple[Any, ...], str] = {}
        fps: dict[tuple[Any, ...], str] = {}
        for cell in cells(row):
            new_value, fp = _rotate_cell(ctx, store, row, cell, rec, want_fp)
            if new_value is not None:
                changes[cell.path] = new_value
                if fp is not None:
                    fps[cell.path] = fp
        if changes:
            params.append({"k": row.pk, "v": rebuild(row, changes)})
            if fps:
                sample[row.pk] = fps
    return params


def verify_store(ctx: Ctx, store: Store, rec: StoreReceipt, sample: dict[Any, dict[tuple[Any, ...], str]]) -> None:
    """Re-read rewritten rows; each value must open with the new key and match its fingerprint."""
    from sqlalchemy import bindparam, text

    s = ctx.s
    q = s.conn.dialect.identifier_preparer.quote
    sql = text(
        f"SELECT {store.key_select(s)}, t.{q(store.column)} FROM {q(store.table)} t "
        f"WHERE t.{store.key_sql(s)} IN :ks"
    ).bindparams(bindparam("ks", expanding=True))
    pks = list(sample)
    for start in range(0, len(pks), 500):
        chunk = pks[start:start + 500]
        found: dict[Any, Any] = dict(s.conn.execute(sql, {"ks": chunk}).all())
        for pk in chunk:
            row = Row(pk, found.get(pk))
            cells = {c.path: c for c in store.cells(row)}
            for path, fp in sample[pk].items():
                cell = cells.get(path)
                if cell is None:
                    raise LfadminError(f"verification failed: {store.name} row {pk} lost a value; rolled back")
                if cell.sso:
                    plain = sso_decrypt(ctx.new.secret, cell.value)
                else:
                    opened = ctx.new.open(cell.value)
                    plain = opened[0] if opened and opened[1] is ctx.new.write else None
                if plain is None or fingerprint(plain) != fp:
                    raise LfadminError(
                        f"verification failed: {store.name} row {pk} does not read back under the new "
                        "key; rolled back, nothing changed"
                    )
                rec.verified += 1
    if ctx.verify_all:
        _verify_all(ctx, store, rec)


def _verify_all(ctx: Ctx, store: Store, rec: StoreReceipt) -> None:
    """Stream the store again: every value we encrypted (or found already new) opens with the
    new key and its release derivation. Streams, so memory stays flat."""
    opened = 0
    for batch in store.rows(ctx.s, owners=False):
        for row in batch:
            for cell in store.cells(row):
                if cell.sso:
                    opened += is_sso_envelope(cell.value) and sso_decrypt(ctx.new.secret, cell.value) is not None
                elif store.always_encrypted or looks_encrypted(cell.value):
                    got = ctx.new.open(cell.value)
                    opened += got is not None and got[1] is ctx.new.write
    expected = rec.reencrypted + rec.healed_legacy + rec.already_new
    if opened < expected:
        raise LfadminError(
            f"verification failed: only {opened} of {expected} {store.name} values read back under "
            "the new key; rolled back, nothing changed"
        )
    rec.verified = opened


def probe(s: Session, keys: Keyring, others: list[Keyring]) -> bool | None:
    """Is the database under ``keys`` rather than ``others``? The first encrypted value either
    one opens decides: True for ``keys``, False for ``others``; None when no value opens with
    any of them (nothing encrypted). A value neither opens - one an earlier rotation left
    behind with ``--skip-undecryptable`` - decides nothing."""
    for store in STORES:
        if not store.present(s):
            continue
        for batch in store.rows(s, batch=200):
            for row in batch:
                for cell in store.cells(row):
                    if cell.sso:
                        if not is_sso_envelope(cell.value):
                            continue
                        if sso_decrypt(keys.secret, cell.value) is not None:
                            return True
                        if any(sso_decrypt(k.secret, cell.value) is not None for k in others):
                            return False
                    elif store.always_encrypted or looks_encrypted(cell.value):
                        if keys.open(cell.value) is not None:
                            return True
                        if any(k.open(cell.value) is not None for k in others):
                            return False
    return None
