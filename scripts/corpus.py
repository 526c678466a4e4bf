#!/usr/bin/env python3
"""Run a broad corpus of lfadmin invocations and write one normalised transcript per case, so
that two commits can be proved to behave byte-identically with ``diff -r``.

Why: a refactor that moves code around must not change a single byte of what lfadmin prints,
its exit codes, its ``--json`` documents or the files it writes. Unit tests check what someone
thought to assert; this corpus records everything (argv, the stdin's label, exit code, stdout,
stderr, and chosen files afterwards: env files, key files, the audit trail) for some hundreds of
invocations of every command and subcommand, on databases made by real Langflow
(``tests/fixtures``: 1.6.9, 1.8.4, 1.10.3, 1.13.0) on SQLite and PostgreSQL. The cases are in
``scripts/corpus_cases.py``.

How to prove a refactor byte-identical (the working tree against the commit before it)::

    python scripts/corpus.py --ref HEAD~1 --out /tmp/corpus-before   # git archive of that commit
    python scripts/corpus.py --out /tmp/corpus-after                 # this checkout's lfadmin/
    diff -r /tmp/corpus-before /tmp/corpus-after                     # must print nothing

``--ref REF`` runs the ``lfadmin/`` of a commit (``git archive`` into a temporary directory,
nothing checked out); ``--root DIR`` the one in another checkout (``PYTHONPATH=DIR``, with
``DIR/.venv/bin/python`` when there is one). Either way the cases, the fixtures and this
harness are the ones of the checkout you run the script from, so only lfadmin differs.
``--only SUBSTRING`` runs the cases whose id contains it; ``--list`` lists them. When you change
the corpus, run it twice on one commit: the two outputs must be identical, or a normalisation
rule is missing. A run is ~700 invocations, about 5.5 CPU-minutes: 3 minutes on 2 idle cores,
10 to 25 on a machine shared with a test suite or two.

What every case is: a fresh copy of one fixture database (SQLite: a file copy; PostgreSQL:
``CREATE DATABASE lfadmin_corpus_<random> TEMPLATE lfadmin_corpus_tpl_<release>_<digest>``,
dropped after; the templates stay for the next run), a fresh temporary directory (HOME and XDG
dirs, Langflow's config dir, the working directory), then one or more steps on that copy, each
``python -m lfadmin ARGS`` as a subprocess with a controlled environment: nothing from the
caller's (no ``LANGFLOW_*``/``LFADMIN_*``), ``COLUMNS=100``, ``NO_COLOR=1``, ``TERM=dumb``,
``LANG=C.UTF-8``, ``TZ=UTC``, ``PYTHONHASHSEED=0``, stdin a pipe or /dev/null, never a terminal,
``.pyc`` files under a cache of their own (never into the code under test). Cases are
independent and order-free (a pool of ``--jobs`` processes, default 2). Secrets never appear in
file names or transcripts: stdin is recorded by a label, env values by their ``@@ref@@``.
PostgreSQL cases need ``psql`` and ``LFADMIN_TEST_PG_URL`` (default
``postgresql://postgres:postgres@127.0.0.1:5432/postgres``); ``--no-pg`` skips them.

Normalisation rewrites only what legitimately differs from one run to the next, each rule as
narrow as it can be (a rule that hides a real difference defeats the purpose):

1. Paths: the case's temporary directory -> ``<TMP>``; the code root -> ``<ROOT>``; the
   interpreter's prefix -> ``<PREFIX>``; the PostgreSQL database's name -> ``<PGDB>``.
2. UUIDs (dashed or 32 hex digits) that are not in the fixture database (rows a command created
   with a random id) -> ``<uuid-N>``, numbered by first appearance within the case, so "the same
   new id in two places" stays visible. Ids of fixture rows are kept verbatim.
3. API keys (``sk-`` + 43 url-safe characters) that are not the fixture's -> ``<sk-N>``, their
   masked forms (``sk-XXXXX***``) -> ``<sk-N-masked>``. Secret keys (43 url-safe characters
   with upper and lower case and digits) that are neither the fixture's nor one the corpus
   passes in -> ``<key-N>``, and their fingerprints (``sha256(key)[:12]``, as lfadmin shows
   keys) -> ``<key-N-fingerprint>``. A generated key that is never shown (``secrets rotate
   --generate --dry-run``): the fingerprint after ``→`` or in ``"new_fingerprint"``, only in a
   step that generates a key -> ``<fingerprint-of-generated-key>``.
4. Timestamps that are neither in the fixture database (at any precision) nor typed in the
   case (its arguments and files): within 15 minutes of the step's start -> ``<now>``, else
   ``<now+Nd…>``, the distance from the step's start (rounded to the minute; to 5 minutes for a
   time shown to the minute), so an expiry of 30 days stays visible. Compact times in backup
   file names (``20261204T162731675678Z``) within 15 minutes -> ``<now-compact>``.
5. Durations: the value of ``"duration_s"`` in JSON and the seconds of the line that says how
   long a rotation took (``value(s) in 0.83 s``) -> ``<secs>``.
6. The audit trail (``lfadmin-audit.jsonl``, parsed): its ``time`` and ``pid`` -> placeholders
   (``host`` and ``os_user`` are kept: the same machine runs both sides), and ``prev`` (the hash
   of the line before, which holds a time) -> ``<prev>`` unless it is the genesis value.
"""

# ruff: noqa: S603, S607  (running lfadmin and psql as subprocesses is the point)

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

PG_URL = os.environ.get("LFADMIN_TEST_PG_URL", "postgresql://postgres:postgres@127.0.0.1:5432/postgres")
PREFIX = "lfadmin_corpus_"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_cases import (  # noqa: E402  (the cases live beside this script)
    FIXTURES,
    HERE,
    KNOWN_INPUT_KEYS,
    NEW_KEY,
    OTHER_KEY,
    Case,
    Stdin,
    Step,
    build_cases,
    fixture_file,
    manifest,
)

UUID_RE = re.compile(
    r"(?<![0-9A-Fa-f-])([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{32})(?![0-9A-Fa-f-])"
)
TS_RE = re.compile(r"(?<!\d)(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?)(Z|[+-]\d\d:?\d\d)?(?!\d)")


def _canon_uuid(s: str) -> str:
    h = s.replace("-", "").lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _parse_ts(m: re.Match[str]) -> datetime:
    date, clock, tz = m.group(1), m.group(2), m.group(3)
    if clock.count(":") == 1:
        clock += ":00"
    t = datetime.fromisoformat(f"{date}T{clock}")
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        hh, mm = int(tz[1:3]), int(tz[-2:])
        t -= sign * timedelta(hours=hh, minutes=mm)
    return t  # naive UTC


# In a SQLite file the columns of a row are stored back to back: an id or a time may touch
# another one, so the fixture is scanned for every window that has their shape.
_FIXTURE_UUID_RE = re.compile(
    r"(?=([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{32}))"
)
_FIXTURE_TS_RE = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d{1,6})?)(Z|[+-]\d\d:?\d\d)?")


@cache
def fixture_facts(db: str | None) -> tuple[frozenset[str], frozenset[datetime], frozenset[str]]:
    """Ids, timestamps and secrets already in a fixture (kept verbatim in transcripts)."""
    if db is None:
        return frozenset(), frozenset(), frozenset()
    text = fixture_file(db).read_bytes().decode("latin-1")
    ids = frozenset(_canon_uuid(m.group(1)) for m in _FIXTURE_UUID_RE.finditer(text))
    stamps = set()
    for m in _FIXTURE_TS_RE.finditer(text):
        with contextlib.suppress(ValueError):
            stamps.add(_parse_ts(m))
    man = manifest(db)
    secrets = {str(man["secret_key"])} | {str(k["plaintext"]) for k in man["api_keys"]}
    return ids, frozenset(stamps), frozenset(secrets)


# -- normalisation ------------------------------------------------------------------------------

SK_RE = re.compile(r"(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
SK_MASKED_RE = re.compile(r"(?<![A-Za-z0-9_-])(sk-[A-Za-z0-9_-]{5})(\*+)")
KEY_RE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_=-])")
HEX12_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])")
NEW_FP_RE = re.compile(r'(→ |"new_fingerprint": ")([0-9a-f]{12})(?![0-9a-f])')
COMPACT_TS_RE = re.compile(r"(?<![0-9])(\d{8})T(\d{6})(\d{0,6})Z")
DURATION_JSON_RE = re.compile(r'("duration_s": )[0-9.eE+-]+')
DURATION_TEXT_RE = re.compile(r"(value\(s\) in )[0-9]+\.[0-9]+( s)")


def key_fingerprint(key: str) -> str:
    """How lfadmin shows a secret key (``lfadmin/langflow/crypto.py: fingerprint``)."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _looks_generated(s: str) -> bool:
    return bool(re.search(r"[A-Z]", s) and re.search(r"[a-z]", s) and re.search(r"[0-9]", s))


class Normaliser:
    """Per-case state: placeholders are numbered by first appearance within the case."""

    def __init__(self, db: str | None, replacements: list[tuple[str, str]]) -> None:
        self.ids, self.stamps, self.secrets = fixture_facts(db)
        self.replacements = sorted((r for r in replacements if r[0]), key=lambda r: -len(r[0]))  # longest first
        self.uuids: dict[str, str] = {}
        self.sks: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.key_fps: dict[str, str] = {}
        self.known_fps = {key_fingerprint(k) for k in self.secrets | KNOWN_INPUT_KEYS}
        self.fixture_masks = {s[:8] for s in self.secrets if s.startswith("sk-")}

    def learn_keys(self, texts: list[str]) -> None:
        """Number the generated secret keys of the whole case, and learn their fingerprints."""
        for t in texts:
            for m in KEY_RE.finditer(t):
                s = m.group(0)
                if (
                    s not in self.secrets
                    and s not in KNOWN_INPUT_KEYS
                    and _looks_generated(s)
                    and not t[max(0, m.start() - 3) : m.start()].endswith("sk-")
                ):
                    name = self.keys.setdefault(s, f"<key-{len(self.keys) + 1}>")
                    self.key_fps[key_fingerprint(s)] = name[:-1] + "-fingerprint>"

    def text(self, s: str, started: datetime, typed: str, generated: bool = False) -> str:
        for old, new in self.replacements:
            s = s.replace(old, new)
        s = SK_RE.sub(self._sk, s)
        s = SK_MASKED_RE.sub(self._sk_masked, s)
        s = KEY_RE.sub(self._key, s)
        s = UUID_RE.sub(self._uuid, s)
        s = TS_RE.sub(lambda m: self._ts(m, started, typed), s)
        s = COMPACT_TS_RE.sub(lambda m: self._compact_ts(m, started), s)
        if self.key_fps:
            s = HEX12_RE.sub(lambda m: self.key_fps.get(m.group(0), m.group(0)), s)
        if generated:
            s = NEW_FP_RE.sub(
                lambda m: m.group(0) if m.group(2) in self.known_fps else m.group(1) + "<fingerprint-of-generated-key>",
                s,
            )
        s = DURATION_JSON_RE.sub(r"\1<secs>", s)
        s = DURATION_TEXT_RE.sub(r"\1<secs>\2", s)
        return s

    def _uuid(self, m: re.Match[str]) -> str:
        canon = _canon_uuid(m.group(1))
        if canon in self.ids:
            return m.group(0)
        return self.uuids.setdefault(canon, f"<uuid-{len(self.uuids) + 1}>")

    def _sk(self, m: re.Match[str]) -> str:
        if m.group(0) in self.secrets:
            return m.group(0)
        return self.sks.setdefault(m.group(0), f"<sk-{len(self.sks) + 1}>")

    def _sk_masked(self, m: re.Match[str]) -> str:
        prefix = m.group(1)
        if prefix in self.fixture_masks:
            return m.group(0)
        for key, name in self.sks.items():
            if key.startswith(prefix):
                return f"{name[:-1]}-masked>"
        return f"<sk-masked-{len(m.group(2))}>"

    def _key(self, m: re.Match[str]) -> str:
        return self.keys.get(m.group(0), m.group(0))

    def _compact_ts(self, m: re.Match[str], started: datetime) -> str:
        """``20261204T162731675678Z`` (backup file names): only a time of this run is rewritten."""
        try:
            t = datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S")
        except ValueError:
            return m.group(0)
        return "<now-compact>" if abs((t - started).total_seconds()) <= 15 * 60 else m.group(0)

    def _ts(self, m: re.Match[str], started: datetime, typed: str) -> str:
        try:
            t = _parse_ts(m)
        except ValueError:
            return m.group(0)
        if t in self.stamps or m.group(1) in typed:
            return m.group(0)
        seconds_shown = m.group(2).count(":") == 2
        if not seconds_shown and any(k.replace(second=0, microsecond=0) == t for k in self.stamps):
            return m.group(0)  # a fixture time shown to the minute
        if "." not in m.group(2) and any(k.replace(microsecond=0) == t for k in self.stamps):
            return m.group(0)  # a fixture time shown to the second
        delta = (t - started).total_seconds()
        if abs(delta) <= 15 * 60:
            return "<now>"
        step = 60 if seconds_shown else 300  # a time shown to the minute was cut, not rounded
        minutes = round(delta / step) * step // 60
        sign = "+" if minutes >= 0 else "-"
        d, rest = divmod(abs(int(minutes)), 24 * 60)
        h, mi = divmod(rest, 60)
        return f"<now{sign}{d}d{h}h{mi}m>"


# -- running a case -----------------------------------------------------------------------------


@dataclass
class Runner:
    root: Path
    python: Path
    pg_templates: dict[str, str] = field(default_factory=dict)


def _psql(url: str, sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], check=True, capture_output=True, text=True
    )


def _psql_query(sql: str) -> str:
    return subprocess.run(
        ["psql", "-tA", "-d", PG_URL, "-c", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def _pg_url(dbname: str) -> str:
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{dbname}"


def pg_templates(versions: list[str]) -> dict[str, str]:
    """Load each fixture's pg_dump into a template database (once; reused while its dump is unchanged)."""
    names = {}
    for version in versions:
        dump = FIXTURES / f"langflow-{version}.pg.sql"
        digest = hashlib.sha256(dump.read_bytes()).hexdigest()[:12]
        name = f"{PREFIX}tpl_{version.replace('.', '_')}_{digest}"
        if not _psql_query(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            building = name + "_building"
            _psql(PG_URL, f'DROP DATABASE IF EXISTS "{building}"')
            _psql(PG_URL, f'CREATE DATABASE "{building}"')
            subprocess.run(
                ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", _pg_url(building), "-f", str(dump)],
                check=True,
                capture_output=True,
                text=True,
            )
            _psql(PG_URL, f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        names[version] = name
    return names


def _env_base(tmp: Path, runner: Runner) -> dict[str, str]:
    home = tmp / "home"
    cache = (
        Path(tempfile.gettempdir())
        / "lfadmin-corpus-pycache"
        / hashlib.sha256(str(runner.root).encode()).hexdigest()[:12]
    )
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "COLUMNS": "100",
        "LINES": "50",
        "NO_COLOR": "1",
        "TERM": "dumb",
        "TZ": "UTC",
        "PYTHONPATH": str(runner.root),
        "PYTHONHASHSEED": "0",
        "PYTHONPYCACHEPREFIX": str(cache),  # never writes __pycache__ into the code under test
        "PYTHONIOENCODING": "utf-8",
    }


def _auth(st: Step) -> tuple[list[str], dict[str, str], Stdin | None]:
    """Extra args, env and stdin for the step's way of authenticating."""
    off = {"LANGFLOW_AUTO_LOGIN": "False", "LANGFLOW_SUPERUSER": st.as_user}
    if st.auth == "key":
        return [], {**off, "LANGFLOW_API_KEY": f"@@apikey:{st.as_user}@@"}, None
    if st.auth == "key-stdin":
        return (
            ["--api-key-stdin"],
            {"LANGFLOW_AUTO_LOGIN": "False"},
            Stdin(f"{st.as_user}'s API key", f"@@apikey:{st.as_user}@@\n"),
        )
    if st.auth == "pw":
        return [], {**off, "LANGFLOW_SUPERUSER_PASSWORD": f"@@pw:{st.as_user}@@"}, None
    if st.auth == "pw-stdin":
        return (
            ["--as", st.as_user, "--auth-password-stdin"],
            {"LANGFLOW_AUTO_LOGIN": "False"},
            Stdin(f"{st.as_user}'s password", f"@@pw:{st.as_user}@@\n"),
        )
    if st.auth == "auto":
        return [], {"LANGFLOW_AUTO_LOGIN": "True", "LANGFLOW_SUPERUSER": st.as_user}, None
    return [], {}, None


REF_RE = re.compile(r"@@([a-z_]+)(?::([A-Za-z0-9_.-]+))?@@")


def _resolve(s: str, refs: dict[str, str], man: dict[str, Any] | None) -> str:
    def one(m: re.Match[str]) -> str:
        kind, arg = m.group(1), m.group(2)
        if kind == "apikey" and man:
            found = [k["plaintext"] for k in man["api_keys"] if k["owner"] == arg]
            return str(found[0]) if found else f"sk-no-key-for-{arg}"
        if kind == "pw" and man:
            found = [u["password"] for u in man["users"] if u["username"] == arg]
            return str(found[0]) if found else "No-such-user-pw-1"
        return refs[kind]

    return REF_RE.sub(one, s)


@dataclass
class Raw:
    """One step as it ran, before normalisation."""

    argv_shown: str
    env_shown: str
    stdin: str
    typed: str
    started: datetime
    generated: bool
    code: int
    stdout: bytes
    stderr: bytes


def _setup_db(case: Case, tmp: Path, runner: Runner, refs: dict[str, str]) -> str | None:
    """The case's fresh copy of its fixture; returns the PostgreSQL database name, if any."""
    if case.db is None:
        return None
    backend, version = case.db.split("-", 1)
    if backend == "sqlite":
        path = tmp / "langflow.db"
        shutil.copyfile(fixture_file(case.db), path)
        refs["url"] = f"sqlite:///{path}"
        if case.sql:
            conn = sqlite3.connect(path)
            with conn:
                for sql in case.sql:
                    conn.execute(sql)
            conn.close()
        return None
    pgdb = f"{PREFIX}{uuid.uuid4().hex[:12]}"
    _psql(PG_URL, f'CREATE DATABASE "{pgdb}" TEMPLATE "{runner.pg_templates[version]}"')
    refs["url"] = _pg_url(pgdb)
    for sql in case.sql:
        _psql(refs["url"], sql)
    return pgdb


def _run_step(case: Case, st: Step, tmp: Path, runner: Runner, refs: dict[str, str], man: dict[str, Any] | None) -> Raw:
    extra_args, auth_env, auth_stdin = _auth(st) if case.db else ([], {}, None)
    stdin = st.stdin or auth_stdin
    env = _env_base(tmp, runner)
    env["LANGFLOW_CONFIG_DIR"] = str(tmp / "config")
    if case.db:
        env["LANGFLOW_DATABASE_URL"] = refs["url"]
        env["LANGFLOW_SECRET_KEY"] = refs["secret_key"]
    for k, v in {**auth_env, **dict(st.env)}.items():
        if v == "@@unset@@":
            env.pop(k, None)
        else:
            env[k] = _resolve(v, refs, man)
    argv = [*extra_args, *(_resolve(a, refs, man) for a in st.args)]
    data: bytes | None = None
    if stdin is not None:
        data = stdin.text if isinstance(stdin.text, bytes) else _resolve(stdin.text, refs, man).encode()
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    proc = subprocess.run(
        [str(runner.python), "-m", "lfadmin", *argv],
        input=data,
        stdin=None if data is not None else subprocess.DEVNULL,
        capture_output=True,
        env=env,
        cwd=tmp / "work",
        timeout=300,
    )
    return Raw(
        argv_shown=" ".join(_quote(a) for a in [*extra_args, *st.args]),
        env_shown=" ".join(f"{k}={v}" for k, v in sorted({**auth_env, **dict(st.env)}.items())),
        stdin=stdin.label if stdin else "(none: /dev/null)",
        typed=" ".join(argv),
        started=started,
        generated="--generate" in st.args or st.args[:2] == ("secrets", "generate"),
        code=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
    )


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="backslashreplace") + "\n[not UTF-8]"


def run_case(case: Case, runner: Runner) -> tuple[str, str, float]:
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="lfcorpus-"))
    pgdb = None
    try:
        for sub in ("home", "config", "work"):
            (tmp / sub).mkdir()
        man = manifest(case.db) if case.db else None
        refs = {
            "tmp": str(tmp),
            "secret_key": str(man["secret_key"]) if man else "",
            "new_key": NEW_KEY,
            "other_key": OTHER_KEY,
            "url": "",
            "config": str(tmp / "config"),
        }
        pgdb = _setup_db(case, tmp, runner, refs)
        for rel, content in case.files:
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_resolve(content, refs, man).encode("utf-8", "surrogateescape"))
        for rel, mode in case.modes:
            (tmp / rel).chmod(mode)
        for rel, dest in case.links:
            (tmp / rel).symlink_to(tmp / dest)
        raws = [_run_step(case, st, tmp, runner, refs, man) for st in case.steps]
        after = datetime.now(timezone.utc).replace(tzinfo=None)
        shown: list[tuple[str, str | None, str]] = []
        for rel in case.show:
            path = tmp / rel
            if path.is_symlink():
                shown.append((rel, None, f"(a symbolic link to {os.readlink(path)})"))
                continue
            if not path.exists():
                shown.append((rel, None, "(absent)"))
                continue
            content = path.read_bytes().decode("utf-8", errors="backslashreplace")
            if rel.endswith(".jsonl"):
                content = _audit(content)
            shown.append((rel, oct(path.lstat().st_mode & 0o7777), content))

        replacements = [
            (str(tmp), "<TMP>"),
            (os.path.realpath(tmp), "<TMP>"),
            (str(runner.root), "<ROOT>"),
            (str(runner.python.parent.parent), "<PREFIX>"),
        ]
        if pgdb:
            replacements.append((pgdb, "<PGDB>"))
        norm = Normaliser(case.db, replacements)
        # Generated keys are numbered in order of first appearance over the whole case (a key
        # printed by a later step or written to a file may have been fingerprinted before).
        norm.learn_keys([_decode(r.stdout) + _decode(r.stderr) for r in raws] + [c for _, _, c in shown])

        # A time typed anywhere in the case (an argument, a file) is data, not the clock.
        typed = " ".join([r.typed for r in raws] + [c for _, c in case.files])
        out = [f"# case {case.id}", f"db: {case.db or '-'}"]
        out += [f"setup sql: {s}" for s in case.sql]
        for rel, content in case.files:
            out.append(f"setup file {rel}:")
            out += ["  | " + line for line in norm.text(content, after, "").splitlines()]
        out += [f"setup chmod {oct(mode)} {rel}" for rel, mode in case.modes]
        out += [f"setup symlink {rel} -> {dest}" for rel, dest in case.links]
        for n, r in enumerate(raws, 1):
            out.append(f"\n## step {n}")
            out.append("argv: lfadmin " + norm.text(r.argv_shown, r.started, typed))
            out.append("env: " + (r.env_shown or "-"))
            out.append(f"stdin: {r.stdin}")
            out.append(f"exit: {r.code}")
            for name, raw in (("stdout", r.stdout), ("stderr", r.stderr)):
                txt = norm.text(_decode(raw), r.started, typed, generated=r.generated)
                end = "" if txt.endswith("\n") or not txt else "\n[no newline at end]"
                out.append(f"--- {name} ({'empty' if not txt else str(txt.count(chr(10))) + ' newlines'})")
                if txt:
                    out.append(txt.rstrip("\n") + end)
        for rel, file_mode, content in shown:
            out.append(f"\n## file {rel}" + (f" (mode {file_mode})" if file_mode else ""))
            out.append(norm.text(content, after, typed).rstrip("\n"))
        return case.id, "\n".join(out) + "\n", time.monotonic() - t0
    finally:
        if pgdb:
            with contextlib.suppress(subprocess.CalledProcessError):
                _psql(PG_URL, f'DROP DATABASE IF EXISTS "{pgdb}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def _quote(a: str) -> str:
    return a if re.fullmatch(r"[A-Za-z0-9_@%+=:,./<>-]+", a) else json.dumps(a)


def _audit(content: str) -> str:
    """Audit records: ``time`` and ``pid`` differ by run (rule 6); each record re-dumped as it was."""
    lines = []
    for line in content.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        if "time" in rec:
            rec["time"] = "<time>"
        if "pid" in rec:
            rec["pid"] = "<pid>"
        if rec.get("prev") not in (None, "0" * 64):
            rec["prev"] = "<prev>"
        lines.append(json.dumps(rec, ensure_ascii=False))
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------------


def _archive(ref: str) -> Path:
    """``lfadmin/`` of a commit in a temporary directory (``git archive``: nothing is checked out)."""
    dest = Path(tempfile.mkdtemp(prefix="lfcorpus-ref-"))
    archive = subprocess.run(["git", "-C", str(HERE), "archive", ref, "lfadmin"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def _drop_all() -> None:
    names = _psql_query(f"SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'").split()
    for name in names:
        _psql(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"dropped {len(names)} database(s) named {PREFIX}*", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, help="directory to write the transcripts to (replaced)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--root", type=Path, help="the checkout whose lfadmin/ runs (default: this one)")
    where.add_argument("--ref", help="run the lfadmin/ of this git commit of this repository")
    ap.add_argument("--python", type=Path, help="interpreter (default: ROOT/.venv/bin/python, else this one)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", action="append", default=[], help="run only cases whose id contains this (repeatable)")
    ap.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL cases")
    ap.add_argument("--list", action="store_true", help="list the case ids and exit")
    ap.add_argument("--drop-databases", action="store_true", help=f"drop every {PREFIX}* database and exit")
    opts = ap.parse_args()
    if opts.drop_databases:
        _drop_all()
        return 0
    cases = build_cases()
    if opts.only:
        cases = [c for c in cases if any(o in c.id for o in opts.only)]
    if opts.no_pg:
        cases = [c for c in cases if not (c.db or "").startswith("pg-")]
    if opts.list:
        print("\n".join(c.id for c in cases))
        return 0
    if opts.out is None:
        ap.error("--out is required")
    root = _archive(opts.ref) if opts.ref else (opts.root or HERE).resolve()
    try:
        return _run_all(cases, root, opts.python, opts.out, opts.jobs)
    finally:
        if opts.ref:
            shutil.rmtree(root, ignore_errors=True)


def _run_all(cases: list[Case], root: Path, python: Path | None, out: Path, jobs: int) -> int:
    python = python or (root / ".venv" / "bin" / "python")
    if not python.exists():
        python = Path(sys.executable)
    runner = Runner(root, Path(os.path.abspath(python)))
    pg_versions = sorted({c.db.split("-", 1)[1] for c in cases if c.db and c.db.startswith("pg-")})
    if pg_versions:
        runner.pg_templates = pg_templates(pg_versions)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    t0 = time.monotonic()
    took: list[tuple[float, str]] = []
    failed = 0
    # The slowest first (PostgreSQL, many steps), so the short ones fill in behind them.
    cases = sorted(cases, key=lambda c: (not (c.db or "").startswith("pg-"), -len(c.steps)))
    with concurrent.futures.ProcessPoolExecutor(jobs) as pool:
        futures = {pool.submit(run_case, c, runner): c for c in cases}
        for fut in concurrent.futures.as_completed(futures):
            case = futures[fut]
            try:
                case_id, text, secs = fut.result()
            except Exception as exc:  # the harness failed, not lfadmin: say so where the diff shows it
                failed += 1
                case_id, text, secs = case.id, f"# case {case.id}\nHARNESS ERROR: {type(exc).__name__}: {exc}\n", 0.0
                print(f"harness error in {case.id}: {exc}", file=sys.stderr)
            target = out / (case_id + ".txt")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8", "backslashreplace"))  # a file may hold non-UTF-8 bytes
            took.append((secs, case_id))
    steps = sum(len(c.steps) for c in cases)
    print(
        f"{len(cases)} cases, {steps} invocations in {time.monotonic() - t0:.0f} s -> {out}"
        f" (lfadmin from {root}, python {python})",
        file=sys.stderr,
    )
    for secs, case_id in sorted(took, reverse=True)[:3]:
        print(f"  slowest: {secs:5.1f} s  {case_id}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
