"""The one secret Langflow keeps outside its database: knowledge-base embedding API keys.

``<knowledge_bases_dir>/<username>/<kb>/embedding_metadata.json`` is a JSON object written with
``json.dumps(metadata, indent=2)``; its ``"api_key"`` is the embedding provider's key as a Fernet
token from ``encrypt_api_key`` (the same derivation as every database value), or ``null``.

* 1.6.9 writes it when a knowledge base is created or ingested with a key and decrypts it on
  ingestion and retrieval (``langflow/components/knowledge_bases/ingestion.py:287-320, 559-568``,
  ``retrieval.py:111-134``); 1.10.3 likewise (``lfx/components/files_and_knowledge/knowledge.py:
  645-708, 1242-1246``, ``_kb_paths.py:49-75``). A key that does not decrypt is logged and dropped:
  the user has to type it again.
* 1.12.0 and later never decrypt it: lfx 1.12.0's ``_kb_paths.py`` no longer reads the sidecar
  ("The on-disk ``embedding_metadata.json`` sidecar this module used to read is gone",
  ``lfx/components/files_and_knowledge/_kb_paths.py:1-7``; ``groups/paths.py:15-25``: "no longer
  written or read by any steady-state code path"), and 1.12.8's ``load_kb_metadata`` sets it to
  ``None`` (``_kb_paths.py:91-92``); lfx 1.11.6 still decrypts it (``_kb_paths.py:90``).
* 1.13.0 neither writes nor decrypts it: ``load_kb_metadata`` sets it to ``None``
  (``lfx/components/files_and_knowledge/_kb_paths.py:91-92``), the ``knowledge_base`` row is the
  only authority, and the one reader left (``backfill_from_disk``) ignores the field. The legacy
  ``<username>/<kb>`` directories stay on disk as the automatic upgrade's rollback source, and
  1.13 fingerprints **every byte** of them (``services/knowledge_base_storage/maintenance.py:
  55-86``): a rewritten sidecar makes a retired source raise "Retired migration source changed.
  Administrator recovery is required" (``coordinator.py:229-253``) and a pending upgrade stop with
  "Source fingerprint changed" (``coordinator.py:403-404, 459-461``). So on 1.13 lfadmin reports
  them (``advisory``: out of totals and exit codes) and never rewrites them; 1.12 likewise (it
  never reads them: nothing is gained by rewriting them).

The directory layout is ``<root>/<username>/<kb>`` in every release (username at write time,
``ingestion.py:532-537``); 1.13 adds ``<root>/sqlite/<owner id>/`` stores and a ``.migration``
folder, neither of which holds a sidecar at the second level. Dot-named folders are skipped, as
1.13's own scan does (``legacy_directories.py:78-110``).

Symbolic links below the root (a user folder, a knowledge-base folder or the sidecar itself) are
never skipped silently: 1.6-1.12 open the sidecar by path, through any link, so lfadmin reads
them the same way (a regular file, size-capped: ``lfadmin.files``) and ``secrets check``
classifies them like any other, with a note naming the link. But lfadmin never *writes*
through a link (whoever owns a knowledge-base folder could point it at any file a root run
would then replace), so ``secrets rotate`` refuses, before the database commit and naming them,
when such a sidecar holds a key to re-encrypt (``--skip-undecryptable`` leaves them as they are,
listed). A sidecar that is not a JSON object (Langflow reads it as having no key) is named in a
note by ``secrets check`` and in a warning by ``secrets rotate``, never rewritten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfadmin.core.secrets.keyring import Keyring, open_first
from lfadmin.core.secrets.status import Status, StoreReport, classify_token
from lfadmin.errors import InvalidInput, LfadminError
from lfadmin.files import TEXT_CAP, atomic_write, check_replaceable, read_bytes, temp_glob
from lfadmin.langflow.crypto import looks_encrypted

if TYPE_CHECKING:
    from lfadmin.core.secrets.reencrypt import StoreReceipt
    from lfadmin.core.session import Session
    from lfadmin.langflow.schema import Schema
    from lfadmin.langflow.settings import LangflowSettings

STORE = "kb_embedding_metadata.api_key"
SIDECAR = "embedding_metadata.json"
FIELD = "api_key"
IGNORED_SINCE = (1, 12, 0)  # lfx 1.12.0 _kb_paths.py:1-7: the sidecar is no longer read
FINGERPRINTED_SINCE = (1, 13, 0)  # knowledge_base_storage/maintenance.py:55-86 of 1.13.0


def release_reads(schema: Schema) -> bool:
    """Does the detected release decrypt sidecar keys? (1.6-1.11 yes; 1.12 and newer no.)

    Verified in the wheels: lfx 1.11.6 ``_kb_paths.py:90`` decrypts; lfx 1.12.0 (langflow 1.12.0
    requires ``lfx~=1.12.0``) and 1.12.8 do not (see the module docstring)."""
    return schema.lo < IGNORED_SINCE


def locate(settings: LangflowSettings) -> Path | None:
    """The knowledge-bases directory when it exists; None when unset or missing (no store)."""
    found = settings.knowledge_bases_dir()
    if found is None:
        return None
    root = found[0]
    return root if root.is_dir() else None


@dataclass
class Sidecar:
    path: Path
    label: str  # "<username>/<kb>", as an operator finds it
    text: str | None = None
    data: dict[str, Any] | None = None  # None: malformed (Langflow reads it as {})
    error: str | None = None  # could not be read at all
    link: Path | None = None  # the symbolic link it is reached through, if any

    @property
    def malformed(self) -> bool:
        """Read, but not a JSON object: Langflow reads it as having no key."""
        return self.error is None and self.data is None

    @property
    def value(self) -> str | None:
        """The ``api_key`` string, when there is a non-empty one."""
        val = self.data.get(FIELD) if self.data is not None else None
        return val if isinstance(val, str) and val else None


WHAT = "knowledge-base sidecar"


def _load(path: Path, label: str, link: Path | None = None) -> Sidecar:
    car = Sidecar(path, label, link=link)
    try:
        raw = read_bytes(path, WHAT, cap=TEXT_CAP, follow=link is not None) or b""
    except LfadminError as exc:
        car.error = exc.message.replace(f"{WHAT} {path} ", "", 1)
        return car
    try:
        car.text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return car  # Langflow's json.load fails too and treats it as empty
    try:
        data = json.loads(car.text)
    except ValueError:
        return car
    car.data = data if isinstance(data, dict) else None
    return car


def scan(root: Path) -> Iterator[Sidecar]:
    """Every ``<root>/<user>/<kb>/embedding_metadata.json``, sorted; raises OSError for ``root``."""
    for owner in sorted(root.iterdir()):
        if owner.name.startswith(".") or not owner.is_dir():
            continue
        owner_link = owner if owner.is_symlink() else None
        try:
            kbs = sorted(owner.iterdir())
        except OSError as exc:
            yield Sidecar(owner, owner.name, error=exc.strerror or type(exc).__name__)
            continue
        for kb in kbs:
            label = f"{owner.name}/{kb.name}"
            path = kb / SIDECAR
            try:
                if kb.name.startswith(".") or not kb.is_dir():
                    continue
                link = owner_link or (kb if kb.is_symlink() else None) or (path if path.is_symlink() else None)
                if not (path.exists() or path.is_symlink()):
                    continue
            except OSError as exc:  # a folder we may list but not enter
                yield Sidecar(path, label, error=exc.strerror or type(exc).__name__)
                continue
            yield _load(path, label, link)


def _describe(root: Path, reads: bool) -> str:
    where = f"knowledge-base embedding API keys ({root}/<user>/<kb>/{SIDECAR})"
    if reads:
        return where
    return where + "; legacy sidecars Langflow 1.12+ never decrypts: not in totals or the exit code"


# -- secrets check ------------------------------------------------------------------------------


def inventory(s: Session, keys: Keyring) -> StoreReport:
    """The sidecars as one more store of ``secrets check`` (absent without the directory)."""
    root = locate(s.settings)
    if root is None:
        return StoreReport(STORE, "knowledge-base embedding API keys (no knowledge-bases directory)", False)
    reads = release_reads(s.schema)
    rep = StoreReport(STORE, _describe(root, reads), True, advisory=not reads)

    def count(status: Status, readable: bool, label: str) -> None:
        rep.count(status, readable or not reads, lambda: label)  # unread by 1.13: no server problem

    try:
        cars = list(scan(root))
    except OSError as exc:
        count(Status.UNDECRYPTABLE, False, f"{root} (cannot be listed: {exc.strerror})")
        return rep
    for car in cars:
        rep.rows += 1
        if car.link is not None:
            rep.notes.append(
                f"{car.label}: reached through the symbolic link {car.link}; Langflow reads it, "
                "`lfadmin secrets rotate` refuses to write through it"
            )
        if car.error is not None:
            count(Status.UNDECRYPTABLE, False, f"{car.label} (cannot be read: {car.error})")
            continue
        if car.malformed:
            rep.notes.append(f"{car.label}: {car.path} is not a JSON object; Langflow reads it as having no key")
            continue
        value = car.value
        if value is None:
            continue
        if not looks_encrypted(value):
            count(Status.PLAINTEXT, True, car.label)
            continue
        status, readable = classify_token(s, value, keys)
        count(status, readable, car.label)
    return rep


# -- secrets rotate -----------------------------------------------------------------------------


@dataclass
class RotationPlan:
    """What rotation does to the sidecars, decided before the database commits."""

    root: Path | None
    rewrite: list[Sidecar] = field(default_factory=list)
    undecryptable: list[str] = field(default_factory=list)  # labels
    linked: list[str] = field(default_factory=list)  # keys to rewrite behind a link: refused
    malformed: list[str] = field(default_factory=list)  # not JSON objects: nothing to rewrite
    ignored: int = 0  # keys left alone because the release never reads them (1.13)
    unverified: Path | None = None  # the default directory, missing for the user lfadmin runs as


def unverified_default(settings: LangflowSettings) -> Path | None:
    """The knowledge-bases directory when it is Langflow's default and missing here.

    The default expands ``~`` for the user lfadmin runs as; the server may run as another
    user (``sudo lfadmin ...``), whose sidecars a rotation would then silently miss."""
    found = settings.knowledge_bases_dir()
    if found is None or found[1].kind != "default" or found[0].is_dir():
        return None
    return found[0]


def plan(
    settings: LangflowSettings,
    schema: Schema,
    old: list[Keyring],
    new: Keyring,
    rec: StoreReceipt,
    *,
    dry_run: bool,
) -> RotationPlan:
    """Classify every sidecar (counting into ``rec``) and check the rewrites can be done.

    Runs inside the rotation's transaction, before commit: anything refused here leaves the
    database and every file as they were. A sidecar already readable under the new key counts
    as done (a rerun after a crash between commit and the last file finishes the rest)."""
    root = locate(settings)
    out = RotationPlan(root)
    if root is None:
        rec.present = False
        out.unverified = unverified_default(settings)
        return out
    try:
        cars = list(scan(root))
    except OSError as exc:
        raise InvalidInput(
            f"cannot list the knowledge-bases directory {root}: {exc.strerror}",
            hint="run as the user Langflow runs as, or point LANGFLOW_KNOWLEDGE_BASES_DIR at the right place",
        ) from None
    if not release_reads(schema):
        rec.present = False
        out.ignored = sum(1 for c in cars if c.value is not None and looks_encrypted(c.value))
        return out
    rec.present = True
    for car in cars:
        rec.rows += 1
        if car.error is not None:
            rec.undecryptable += 1
            out.undecryptable.append(f"{car.label} (cannot be read: {car.error})")
            continue
        if car.malformed:
            out.malformed.append(str(car.path))
            continue
        value = car.value
        if value is None:
            continue
        if not looks_encrypted(value):
            rec.plaintext_left += 1
            continue
        opened = open_first(old, value)
        if opened is not None and car.link is not None:
            rec.undecryptable += 1  # left under the old key
            out.linked.append(f"{car.label} (through {car.link})")
        elif opened is not None:
            if opened[1]:
                rec.healed_legacy += 1
            else:
                rec.reencrypted += 1
            out.rewrite.append(car)
        elif new.open(value) is not None:
            rec.already_new += 1
        else:
            rec.undecryptable += 1
            out.undecryptable.append(car.label)
    if not dry_run:
        for car in out.rewrite:
            check_replaceable(car.path, WHAT)
    return out


def apply(
    rotation: RotationPlan,
    old: list[Keyring],
    new: Keyring,
    rec: StoreReceipt,
    after_each: Callable[[], None] | None = None,
) -> None:
    """After commit: re-encrypt each planned sidecar in place (temp file, fsync, rename).

    Each file is read again (something may have written it since the plan), its key
    re-encrypted under ``new`` with the release's derivation, the new text checked to decrypt
    to the same plaintext with ``new`` only, then renamed over the original with its mode and
    owner. Only ``"api_key"``'s value changes: the rest of the file stays byte for byte."""
    for car in rotation.rewrite:
        for stale in car.path.parent.glob(temp_glob(SIDECAR)):  # a rotation killed mid-write
            with suppress(OSError):
                stale.unlink()
        fresh = _load(car.path, car.label)
        value = fresh.value
        if fresh.error is not None or fresh.text is None or fresh.data is None or value is None:
            raise _unfinished(car.path, fresh.error or "it changed since the rotation began")
        opened = open_first(old, value)
        if opened is None:
            if new.open(value) is not None:
                continue  # written under the new key since the plan: done
            raise _unfinished(car.path, "its api_key no longer opens with the old key")
        plain = opened[0]
        token = new.seal(plain)
        text = replace_value(fresh.text, fresh.data, value, token)

        def verify(written: bytes, plain: str = plain, path: Path = car.path) -> None:
            data = json.loads(written.decode("utf-8"))
            got = new.open(data.get(FIELD, "")) if isinstance(data, dict) else None
            if got is None or got[0] != plain or got[1] is not new.write:
                raise _unfinished(path, "verification failed: it did not read back under the new key")

        try:
            atomic_write(car.path, text.encode("utf-8"), verify=verify, what=WHAT, base=rotation.root)
        except OSError as exc:
            raise _unfinished(car.path, exc.strerror or type(exc).__name__) from None
        rec.verified += 1
        if after_each is not None:
            after_each()


def _unfinished(path: Path, why: str) -> InvalidInput:
    return InvalidInput(
        f"the database is rotated, but {path} could not be rewritten ({why}); the key files are "
        "unchanged and the rotation journal keeps the new key",
        hint="fix the file and rerun the same `lfadmin secrets rotate` (it finishes the rest)",
    )


def replace_value(text: str, data: dict[str, Any], old: str, new: str) -> str:
    """``text`` with the ``"api_key"`` value swapped, everything else byte for byte.

    Falls back to ``json.dumps(..., indent=2)`` - Langflow's own format, same key order - when
    the token is not found exactly once as that field's literal (a hand-edited file)."""
    expected = {**data, FIELD: new}
    found = list(re.finditer(r'("api_key"\s*:\s*)"' + re.escape(old) + '"', text))
    if len(found) == 1:
        m = found[0]
        out = text[: m.start()] + m.group(1) + json.dumps(new) + text[m.end():]
        with suppress(ValueError):
            parsed = json.loads(out)
            if parsed == expected and list(parsed) == list(expected):
                return out
    return json.dumps(expected, indent=2)
