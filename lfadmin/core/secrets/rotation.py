"""``secrets rotate``: re-encrypt every store under a new secret key, then switch the key files.

Ordering (each step's crash leaves a state the next run recognises):

1. Validate everything that can be validated without writing: the new key, the env file
   (readable, writable, one ``LANGFLOW_SECRET_KEY``), the config dir, that no other process has
   the SQLite file open / no other client is connected on PostgreSQL (``--force`` overrides).
2. Write a journal ``<config dir>/secret_key.lfadmin-rotation`` (0600) holding the new key —
   the only copy of a ``--generate``d key until the key files are written.
3. One transaction (``lfadmin.core.secrets.reencrypt``): every value of every store
   (``lfadmin.core.secrets.stores``) is decrypted with the old key(s) and re-encrypted under the new key
   with the release's derivation, in primary-key batches. Legacy short-key values are healed on
   the way; 1.6-era encrypted Generic variables become plaintext on 1.8+ schemas. Values that
   open only with the *new* key count as already rotated (a rerun after a crash between commit
   and key files is a no-op on the database). Anything that opens with neither key aborts and
   rolls back (unless ``--skip-undecryptable``).
4. Before commit, re-read the rewritten rows and decrypt them with the new key only (a sample,
   or all with ``--verify-all``), comparing plaintext fingerprints. The knowledge-base sidecars
   on disk (``lfadmin.core.secrets.sidecars``) are classified here too: one no key opens aborts like
   a row does, and every file to rewrite must be writable by us without changing its owner.
5. Commit. Then the sidecars, one by one (temp file, fsync, verify, rename: each file is old or
   new, never half), while the key files still hold the old key. Then the env file (it wins over
   the config-dir file at Langflow's start), then ``<config dir>/secret_key``, each atomic with a
   0600 backup of the old one. Then the journal goes.

A crash before the commit leaves the database under the old key and the key files untouched (the
stale journal is discarded on the next run, because its key opens nothing). A crash after the
commit leaves the database under the new key and the journal naming it: the next run (any
``secrets rotate`` invocation) finds that the journal's key opens the database, adopts it,
rewrites the sidecars still under the old key (those that open with the new one are done; the
old key is still the one in effect, because the key files come last) and finishes writing the
key files. Files cannot join the database transaction; this order is what makes them safe.

The keys' route, straight down and back once (``--old-key-stdin``, ``--new-key-stdin``)::

    cli/secrets.py rotate      stdin read once (cli/options.read_stdin_secret: old key on line 1,
                               new key on line 2) -> RotationRequest(new_key, old_keys, ...)
                               + target(inv) (global options and the invoker's credentials)
      core/secrets/rotation.py rotate(target, request)
                               old keys: the request's, else the key in effect (target.settings);
                               an interrupted rotation's key from its journal; key files checked;
                               target.session(write=True) authenticates the invoker and opens the
                               one transaction; key.validate_new_key; each key becomes a Keyring
                               once (keyring.py), handed down as rings:
        core/secrets/reencrypt.py   rewrite_store / verify_store over stores.STORES
        core/secrets/sidecars.py    plan (before commit) / apply (after)
        core/secrets/key.py         install: the new key into the env file, then secret_key
    <- Receipt (its new_key is never in to_json); the CLI renders it, and prints the key only
       when no file got it (Receipt.journal).

Nothing calls back up: no session factory from the CLI, no key helper from the variables module.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfadmin.core import envfile
from lfadmin.core.secrets import sidecars
from lfadmin.core.secrets.faults import kill_point
from lfadmin.core.secrets.inventory import generic_plaintext
from lfadmin.core.secrets.key import (
    JOURNAL_NAME,
    KeyFile,
    config_key_file,
    current_file_key,
    generate_key,
    install,
    validate_new_key,
)
from lfadmin.core.secrets.keyring import Keyring
from lfadmin.core.secrets.reencrypt import Ctx, StoreReceipt, probe, rewrite_stores, verify_stores
from lfadmin.errors import InvalidInput, Refused, Undecryptable
from lfadmin.files import TEXT_CAP, atomic_write, check_config_dir, check_replaceable, read_text
from lfadmin.langflow.crypto import fingerprint

if TYPE_CHECKING:
    from lfadmin.core.session import Progress, Session
    from lfadmin.core.target import Target
    from lfadmin.langflow.settings import LangflowSettings



# -- request and receipt ------------------------------------------------------------------------


@dataclass
class RotationRequest:
    new_key: str | None = None  # None with generate=True
    generate: bool = False
    old_keys: list[str] | None = None  # None: the key in effect
    dry_run: bool = False
    skip_undecryptable: bool = False
    write_env: Path | None = None
    write_config_dir: bool = False
    force: bool = False
    verify_all: bool = False


@dataclass
class Receipt:
    old_fingerprints: list[str]
    new_fingerprint: str
    dry_run: bool
    stores: list[StoreReceipt] = field(default_factory=list)
    duration_s: float = 0.0
    resumed: bool = False
    undecryptable_rows: list[str] = field(default_factory=list)
    files: list[KeyFile] = field(default_factory=list)  # key.install's
    warnings: list[str] = field(default_factory=list)
    journal: str | None = None  # still on disk: the key exists only there and in the caller's hands
    new_key: str = field(default="", repr=False)  # never in to_json: the caller shows it on purpose

    @property
    def changed(self) -> int:
        return sum(r.reencrypted + r.healed_legacy + r.generic_decrypted for r in self.stores)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "resumed": self.resumed,
            "old_fingerprints": self.old_fingerprints,
            "new_fingerprint": self.new_fingerprint,
            "duration_s": round(self.duration_s, 3),
            "changed": self.changed,
            "stores": [r.to_json() for r in self.stores],
            "undecryptable_rows": self.undecryptable_rows,
            "files": self.files,
            "warnings": self.warnings,
        }


# -- journal ------------------------------------------------------------------------------------


def journal_path(settings: LangflowSettings) -> Path:
    return settings.config_dir / JOURNAL_NAME


def _write_journal(path: Path, new_key: str, old_fps: list[str]) -> None:
    journal = {"new_key": new_key, "new_fingerprint": fingerprint(new_key), "old_fingerprints": old_fps}
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
        atomic_write(path, json.dumps(journal).encode("utf-8"), what=JOURNAL_WHAT)
    except OSError as exc:  # the config dir: not writable, a file, on a full disk
        raise InvalidInput(
            f"cannot write the rotation's journal {path} ({exc.strerror or type(exc).__name__}); "
            "nothing was changed",
            hint="the journal lets an interrupted rotation finish: make the config dir writable",
        ) from None


JOURNAL_WHAT = "rotation journal"


def _read_journal(path: Path) -> str | None:
    """The key of an interrupted rotation; None when there is no journal. A config dir that is
    not a directory, or a journal that is a link, not a regular file, too large or not UTF-8,
    is one error naming exactly that (``lfadmin.files``)."""
    check_config_dir(path.parent)
    text = read_text(path, JOURNAL_WHAT, cap=TEXT_CAP, missing_ok=True)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidInput(
            f"{path} (an interrupted rotation's journal) cannot be read; inspect it and remove it"
        ) from None
    key = data.get("new_key") if isinstance(data, dict) else None
    return key if isinstance(key, str) and key else None


def drop_journal(path: Path) -> None:
    with suppress(FileNotFoundError):
        path.unlink()


# -- running Langflow ---------------------------------------------------------------------------


def langflow_activity(s: Session) -> list[str]:
    """Evidence that something else uses the database right now (empty: nothing seen).

    SQLite: another process holding the file, its ``-wal`` or ``-shm`` open (``/proc/*/fd``;
    where there is no ``/proc``, a non-empty ``-wal`` file). Langflow keeps its pool open while it
    runs, so a running server always shows up. PostgreSQL: other client sessions on the same
    database in ``pg_stat_activity``.
    """
    from sqlalchemy import text

    if s.backend == "sqlite":
        rows = s.conn.execute(text("PRAGMA database_list")).all()
        main = next((r[2] for r in rows if r[1] == "main"), None)
        if not main:
            return []
        names = {main, main + "-wal", main + "-shm"}
        proc = Path("/proc")
        if not proc.is_dir():
            wal = Path(main + "-wal")
            return [f"{wal} is not empty"] if wal.exists() and wal.stat().st_size > 0 else []
        found = []
        me = os.getpid()
        for entry in proc.iterdir():
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            try:
                fds = list((entry / "fd").iterdir())
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target in names:
                    try:
                        comm = (entry / "comm").read_text().strip()
                    except OSError:
                        comm = "?"
                    found.append(f"process {entry.name} ({comm}) has {target} open")
                    break
        return found
    rows = s.conn.execute(
        text(
            "SELECT pid, application_name, client_addr FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
    ).all()
    return [f"PostgreSQL session {r[0]} ({r[1] or 'no application_name'}, {r[2] or 'local'})" for r in rows]


# -- orchestration ------------------------------------------------------------------------------


def _old_keys(settings: LangflowSettings, req: RotationRequest) -> list[str]:
    if req.old_keys:
        return list(req.old_keys)
    key = settings.secret_key()
    if key is None:
        raise InvalidInput(
            "no secret key is in effect to rotate from",
            hint="pass the old key with --old-key-stdin, or --env-file the server's .env",
        )
    return [key.value]


def rotate(target: Target, req: RotationRequest, *, progress: Progress | None = None) -> Receipt:
    """``secrets rotate``: the whole rotation (module docstring), in the invoker's authenticated
    transaction (``target.session``). The receipt carries the new key (``Receipt.new_key``) for
    the caller to show when no file got it (``Receipt.journal``)."""
    started = time.monotonic()
    settings = target.settings
    old = _old_keys(settings, req)
    journal = journal_path(settings)
    pending = _read_journal(journal)

    # Step 1: validate the files before touching anything: no link, a regular file whose
    # owner, group and mode the replacement can keep (``lfadmin.files``).
    if req.write_env is not None:
        envfile.check_writable(req.write_env)
    if req.write_config_dir:
        envfile.check_secret_file(config_key_file(settings))
    if not req.dry_run:
        check_replaceable(journal, JOURNAL_WHAT, makes_parent=True)
    if req.new_key is not None and req.generate:
        raise InvalidInput("use either --new-key-stdin or --generate, not both")

    with target.session(write=not req.dry_run) as s:
        s.subject("secret key")
        schema = s.schema
        resumed = False
        new_key: str
        others = [Keyring(k, schema.encrypt_derivation(k) if k else None) for k in old if k != pending]
        if pending is not None and probe(s, Keyring(pending, schema.encrypt_derivation(pending)), others) is not False:
            # A rotation to ``pending`` committed (or nothing is encrypted): finish it.
            if req.new_key is not None and req.new_key != pending:
                raise Refused(
                    f"an interrupted rotation to key {fingerprint(pending)} committed but its key "
                    f"files were not all written ({journal})",
                    hint="rerun with that key (or with --generate, which reuses it) to finish first",
                )
            new_key, resumed = pending, True
            old = [k for k in old if k != pending]
        else:
            if pending is not None and not req.dry_run:
                drop_journal(journal)  # stale: its transaction never committed
            new_key = req.new_key if req.new_key is not None else generate_key()
            validate_new_key(new_key, old)
        new_keys = Keyring(new_key, schema.encrypt_derivation(new_key))
        old_rings = [Keyring(k, schema.encrypt_derivation(k) if k else None) for k in old]
        if not new_keys.can_write:
            raise InvalidInput("no usable Fernet key derives from the new key")
        receipt = Receipt([fingerprint(k) for k in old], fingerprint(new_key), req.dry_run, resumed=resumed,
                          new_key=new_key)

        if not req.force and not req.dry_run:
            seen = langflow_activity(s)
            if seen:
                raise Refused(
                    "Langflow (or something else) is using the database: " + "; ".join(seen[:3]),
                    hint="stop every Langflow instance that shares it and rerun, or pass --force",
                )

        if not req.dry_run:
            _write_journal(journal, new_key, receipt.old_fingerprints)
            kill_point("journal-written")
        try:
            ctx = Ctx(s, old_rings, new_keys, req.verify_all, req.dry_run, req.skip_undecryptable, progress,
                       generic_plain=generic_plaintext(s) is True)
            stores, samples = rewrite_stores(ctx)
            receipt.stores.extend(stores)
            kb_rec = StoreReceipt(sidecars.STORE, False)
            receipt.stores.append(kb_rec)
            files = sidecars.plan(settings, schema, old_rings, new_keys, kb_rec, dry_run=req.dry_run)
            for label in files.undecryptable:
                ctx.undecryptable_total += 1
                if len(ctx.undecryptable_rows) < 50:
                    ctx.undecryptable_rows.append(f"{sidecars.STORE} {label}")
            if files.unverified is not None and sidecars.release_reads(schema):
                receipt.warnings.append(
                    f"no knowledge bases at {files.unverified} (Langflow's default, for the user "
                    "lfadmin runs as): if the server runs as another user or keeps them elsewhere, "
                    "their embedding keys are still under the old key; point "
                    "LANGFLOW_KNOWLEDGE_BASES_DIR at them and rotate with the old key "
                    "(--old-key-stdin) to this one"
                )
            if files.ignored:
                receipt.warnings.append(
                    f"left {files.ignored} knowledge-base embedding key(s) in legacy sidecars under "
                    f"{files.root} as they are: Langflow {schema.release_label} never decrypts them"
                    + (
                        ", and rewriting them would break its fingerprints of legacy knowledge bases"
                        if schema.lo >= sidecars.FINGERPRINTED_SINCE
                        else ""
                    )
                    + "; after a downgrade, re-enter those embedding keys"
                )
            for path in files.malformed:
                receipt.warnings.append(
                    f"left {path} as it is: not a JSON object, so Langflow reads it as having no "
                    "embedding key (re-enter that knowledge base's key in Langflow)"
                )
            if files.linked and not req.skip_undecryptable:
                raise Refused(
                    f"{len(files.linked)} knowledge-base embedding key(s) to re-encrypt are reached "
                    f"through a symbolic link: {'; '.join(files.linked[:5])}; lfadmin does not write "
                    "through links; rolled back, nothing changed",
                    hint="replace each link with the folder or file it points to and rerun, or pass "
                    "--skip-undecryptable to leave those keys under the old key",
                )
            for label in files.linked:
                ctx.undecryptable_total += 1
                if len(ctx.undecryptable_rows) < 50:
                    ctx.undecryptable_rows.append(f"{sidecars.STORE} {label} (left under the old key)")
            receipt.undecryptable_rows = ctx.undecryptable_rows
            if ctx.undecryptable_total and not req.skip_undecryptable:
                more = ctx.undecryptable_total - len(ctx.undecryptable_rows)
                raise Undecryptable(
                    f"{ctx.undecryptable_total} value(s) open with neither the old nor the new key "
                    f"(first: {ctx.undecryptable_rows[0]}{f'; {more} more' if more > 0 else ''}); "
                    "rolled back, nothing changed",
                    hint="pass the right key with --old-key-stdin, or --skip-undecryptable to "
                    "rotate the rest and leave those as they are",
                )
            if not req.dry_run:
                verify_stores(ctx, samples)
                kill_point("before-commit")
        except BaseException:
            if not req.dry_run and not resumed:
                drop_journal(journal)
            raise
    # Committed (the with block ended normally).
    if req.dry_run:
        receipt.duration_s = time.monotonic() - started
        return receipt
    kill_point("after-commit")
    # The sidecars before the key files: until those change, a rerun still has the old key.
    sidecars.apply(files, old_rings, new_keys, kb_rec, after_each=lambda: kill_point("mid-files"))
    receipt.warnings.extend(_install(settings, req, new_key, receipt, old))
    if receipt.files:
        drop_journal(journal)
    else:
        receipt.journal = str(journal)
    receipt.duration_s = time.monotonic() - started
    return receipt


def _install(
    settings: LangflowSettings, req: RotationRequest, new_key: str, receipt: Receipt, old: list[str]
) -> list[str]:
    """Write the key files (env file first: it wins at Langflow's start); say what else to do."""
    warnings = []
    receipt.files.extend(install(
        settings, new_key, write_env=req.write_env, write_config_dir=req.write_config_dir,
        after_env=lambda: kill_point("after-env-file"),
    ))
    kill_point("after-key-files")

    key = settings.secret_key()
    if key is not None and key.value != new_key:
        origin = key.origin
        if origin.kind == "environment":
            warnings.append(
                f"LANGFLOW_SECRET_KEY is set in the environment ({fingerprint(key.value)}): change it "
                "wherever it is set (service unit, compose file, secret store) before starting Langflow"
            )
        elif origin.kind == "file" and key.path is None:
            target = Path(os.path.realpath(origin.path or ""))
            if req.write_env is None or Path(os.path.realpath(req.write_env)) != target:
                warnings.append(f"{key.source} still holds the old key; update it (or use --write-env)")
        elif key.path is not None and not req.write_config_dir:
            warnings.append(f"{key.path} still holds the old key; update it (or use --write-config-dir)")
    cfg_file = config_key_file(settings)
    current = current_file_key(cfg_file)
    if current is not None and current != new_key and not req.write_config_dir and key is not None and key.path is None:
        warnings.append(
            f"{cfg_file} still holds a previous key; Langflow overwrites it from LANGFLOW_SECRET_KEY "
            "at start, but a server started without the variable would use it"
        )
    return warnings
