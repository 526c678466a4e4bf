"""``lfadmin upgrade repair``: after a new release has migrated the database, make every stored
value readable the way that release reads it - without changing the secret key.

No Langflow release converts what an older one left (docs/langflow/upgrades.md): 1.6/1.7's
encrypted Generic variables reach flows as Fernet tokens from 1.8 and drop out of the listing
from 1.10.3 (LF-UPG-007); values written with the short-key ``random.Random`` derivation
decrypt to "" on 1.10.1-1.10.3 (LF-UPG-011); plaintext API keys stay plaintext (LF-UPG-008).
``secrets rotate`` already heals the first two on its way to a new key; repair runs the very same
pass (``core/secrets/reencrypt.py``) with the key in effect as both old and new key
(``Ctx.in_place``), so only what must change is rewritten, and encrypts plaintext API keys with
``api-key encrypt-legacy``'s own function. ``--keep-default-superuser`` applies Langflow's own
preflight advice for LF-UPG-006. Foreign-key orphans (LF-UPG-016) are reported; with
``drop_orphans`` those an ON DELETE rule accounts for are settled the way Langflow's own
``convert-sqlite-to-postgres --drop-orphans`` settles them (``_drop_orphans``).

One transaction, in the authenticated invoker's session; ``dry_run`` rolls it back. A value no
derivation of the key opens is listed and left as it is: repair cannot make it readable (carry
the right key: LF-UPG-010). A second run finds nothing to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lfadmin.core.api_keys import encrypt_legacy_keys
from lfadmin.core.secrets.inventory import generic_plaintext
from lfadmin.core.secrets.keyring import Keyring
from lfadmin.core.secrets.reencrypt import Ctx, StoreReceipt, rewrite_stores, verify_stores
from lfadmin.core.upgrade.db_rules import droppable, orphan_keys
from lfadmin.db import execute
from lfadmin.errors import InvalidInput
from lfadmin.langflow.codec import utcnow
from lfadmin.langflow.crypto import fingerprint
from lfadmin.langflow.settings import DEFAULT_SUPERUSER

if TYPE_CHECKING:
    from lfadmin.core.session import Progress, Session
    from lfadmin.core.target import Target

JSON_SCHEMA_VERSION = 1


@dataclass
class RepairReceipt:
    release: str
    key_fingerprint: str
    dry_run: bool
    stores: list[StoreReceipt] = field(default_factory=list)
    api_keys_encrypted: list[str] = field(default_factory=list)  # "name (owner)"
    api_keys_skipped: list[str] = field(default_factory=list)  # "name (owner): why"
    default_superuser_kept: bool = False
    orphans: list[str] = field(default_factory=list)  # "file.user_id: 2 rows deleted (ON DELETE CASCADE)"
    orphan_rows: int = 0
    undecryptable_rows: list[str] = field(default_factory=list)
    undecryptable: int = 0
    left: list[str] = field(default_factory=list)  # what repair does not change, and what does
    duration_s: float = 0.0

    @property
    def changed(self) -> int:
        return (sum(r.healed_legacy + r.generic_decrypted for r in self.stores)
                + len(self.api_keys_encrypted) + int(self.default_superuser_kept) + self.orphan_rows)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "dry_run": self.dry_run,
            "release": self.release,
            "key_fingerprint": self.key_fingerprint,
            "changed": self.changed,
            "duration_s": round(self.duration_s, 3),
            "stores": [r.to_json() for r in self.stores],
            "api_keys": {"encrypted": self.api_keys_encrypted, "skipped": self.api_keys_skipped},
            "default_superuser_kept": self.default_superuser_kept,
            "orphans": {"rows": self.orphan_rows, "settled": self.orphans},
            "undecryptable": self.undecryptable,
            "undecryptable_rows": self.undecryptable_rows,
            "left": self.left,
        }


def _ring(s: Session) -> Keyring:
    """The key in effect, writing with the derivation the release in place writes."""
    key = s.settings.secret_key()
    if key is None:
        raise InvalidInput(
            f"no secret key: Langflow {s.schema.release_label} decrypts stored values with it, and "
            f"neither LANGFLOW_SECRET_KEY nor {s.settings.config_dir / 'secret_key'} is set",
            hint="--env-file the server's .env, or point LANGFLOW_CONFIG_DIR at the server's config dir",
        )
    ring = Keyring(key.value, s.schema.encrypt_derivation(key.value))
    if not ring.can_write:
        raise InvalidInput(
            f"the secret key in effect is not one Langflow {s.schema.release_label} can use "
            "(LF-UPG-013: a trailing newline or space?); repair keeps the key, so fix the key first",
            hint="lfadmin secrets check",
        )
    return ring


def _keep_default_superuser(s: Session, dry_run: bool) -> bool:
    """LF-UPG-006: Langflow's preflight advice (``langflow/cli/migration_preflight.py``): a
    never-signed-in superuser ``langflow`` gets a ``last_login_at``, so no start removes it."""
    row = execute(
        s.conn, 'SELECT id FROM "user" WHERE username = :n AND is_superuser = :t AND last_login_at IS NULL',
        n=DEFAULT_SUPERUSER, t=True,
    ).first()
    if row is None:
        return False
    if not dry_run:
        execute(s.conn, 'UPDATE "user" SET last_login_at = :now WHERE id = :i',
                now=s.codec.datetime(utcnow()), i=row[0])
    return True


def _api_keys(s: Session, receipt: RepairReceipt, dry_run: bool) -> None:
    """LF-UPG-008 with ``api-key encrypt-legacy``'s function, on releases that read tokens."""
    if not s.schema.api_keys_encrypted:
        return
    result = encrypt_legacy_keys(s, dry_run=dry_run)
    receipt.api_keys_encrypted = [f"{k.name} ({k.owner})" for k in result.encrypted]
    receipt.api_keys_skipped = [f"{k.name} ({k.owner}): {why}" for k, why in result.skipped]


def _left(s: Session, receipt: RepairReceipt, keep_default_superuser: bool, drop_orphans: bool) -> None:
    """What repair leaves alone, said once in the receipt (each with what changes it)."""
    if generic_plaintext(s) is None:
        receipt.left.append(
            f"Generic variables left as stored: the release ({s.schema.release_label}) may be before or after "
            "1.8.0, which stopped encrypting them (pin it with --langflow-version)")
    if not keep_default_superuser:
        row = execute(
            s.conn, 'SELECT 1 FROM "user" WHERE username = :n AND is_superuser = :t AND last_login_at IS NULL',
            n=DEFAULT_SUPERUSER, t=True,
        ).first()
        if row is not None:
            receipt.left.append(
                "the superuser 'langflow' never signed in: a start with AUTO_LOGIN off removes it (LF-UPG-006); "
                "keep it with --keep-default-superuser")
    for o in orphan_keys(s):
        if drop_orphans and droppable(o):  # a dry run's: already in receipt.orphans
            continue
        rule = f"ON DELETE {o.ondelete}" if o.ondelete else "no ON DELETE rule"
        fix = ("--drop-orphans settles them" if droppable(o) else
               "no rule says what to do with them: fix them by hand")
        receipt.left.append(
            f"{o.rows} {o.table} row{'s' if o.rows > 1 else ''} whose {o.column} names no {o.parent}."
            f"{o.parent_column} (LF-UPG-016, {rule}): {fix}")


MAX_ORPHAN_PASSES = 8


def _drop_orphans(s: Session, receipt: RepairReceipt, dry_run: bool) -> None:
    """LF-UPG-016 settled as Langflow 1.13's ``convert-sqlite-to-postgres --drop-orphans`` does
    (``db_rules.droppable``): rows a CASCADE key would have deleted are deleted, keys a SET NULL
    key would have cleared are cleared, anything else is left for ``_left`` to name. Deleting
    orphans can orphan their own children (Langflow never enables SQLite's foreign keys), so
    passes repeat until none is left (a dry run counts the first pass only)."""
    settled: dict[tuple[str, str, str], int] = {}
    q = s.conn.dialect.identifier_preparer.quote
    for _ in range(MAX_ORPHAN_PASSES):
        found = [o for o in orphan_keys(s) if droppable(o)]
        for o in found:
            key = (o.table, o.column, o.ondelete or "")
            settled[key] = settled.get(key, 0) + o.rows
            if dry_run:
                continue
            if o.ondelete == "CASCADE":
                execute(s.conn, f"DELETE FROM {q(o.table)} WHERE {o.where(s)}")
            else:
                execute(s.conn, f"UPDATE {q(o.table)} SET {q(o.column)} = NULL WHERE {o.where(s)}")
        if not found or dry_run:
            break
    verb = {"CASCADE": "deleted", "SET NULL": "key cleared"}
    receipt.orphans = [f"{t}.{c}: {n} row{'s' if n > 1 else ''} {verb[r]} (ON DELETE {r})"
                       for (t, c, r), n in settled.items()]
    receipt.orphan_rows = sum(settled.values())
    for table, _col, _rule in settled:
        s.subject(f"orphaned {table} rows")


def repair(
    target: Target,
    *,
    dry_run: bool = False,
    keep_default_superuser: bool = False,
    drop_orphans: bool = False,
    progress: Progress | None = None,
) -> RepairReceipt:
    """``upgrade repair``: one transaction (module docstring); ``dry_run`` writes nothing."""
    started = time.monotonic()
    with target.session(write=not dry_run) as s:
        s.subject("stored secrets and API keys")
        ring = _ring(s)
        receipt = RepairReceipt(s.schema.release_label, fingerprint(ring.secret), dry_run)
        receipt.default_superuser_kept = keep_default_superuser and _keep_default_superuser(s, dry_run)
        _api_keys(s, receipt, dry_run)  # before the stores: the keys it encrypts count as current there
        ctx = Ctx(s, [ring], ring, verify_all=False, dry_run=dry_run, skip=True, progress=progress,
                  generic_plain=generic_plaintext(s) is True, in_place=True)
        receipt.stores, samples = rewrite_stores(ctx)
        if not dry_run:
            verify_stores(ctx, samples)
        receipt.undecryptable_rows = ctx.undecryptable_rows
        receipt.undecryptable = ctx.undecryptable_total
        if drop_orphans:
            _drop_orphans(s, receipt, dry_run)
        _left(s, receipt, keep_default_superuser, drop_orphans)
    receipt.duration_s = time.monotonic() - started
    return receipt
