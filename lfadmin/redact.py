"""What lfadmin never prints: one module for masking URLs, quoting input, and the last guard.

lfadmin holds the secret key, passwords, API keys and database credentials. Three layers keep
them out of what it prints (README "Security: what lfadmin never prints"):

1. Messages quote structure, not raw input: ``quote_value`` shows a value only when it is too
   short to be a secret worth the name, else its length.
2. Database URLs are masked by parsing (``mask_url``), never by a regex over the string: the user
   info ends at the *last* ``@`` (an unencoded ``@`` in a password), the password is replaced,
   and so is every query parameter that carries a secret (libpq honours ``password=`` and
   ``sslpassword=`` in the query string, PostgreSQL 18 ``oauth_client_secret=``).
3. The last guard: every secret the process loads is ``register``-ed where it enters (stdin,
   prompts, the environment and env files, the ``secret_key`` file, URLs, decrypted values), and
   ``guard_streams`` scrubs each of them from everything written to stdout and stderr - errors,
   warnings, tables, JSON, ``--debug`` tracebacks, Click's own messages. A value the user asked
   to see (``api-key create``, ``secrets generate``, ``secrets show --reveal``) is printed inside
   ``reveal(value)``.

What is not registered (it would mangle ordinary output, and it protects little): values shorter
than ``MIN_SECRET_LEN`` characters, Langflow's public legacy default ``langflow``, and a value
equal to a name printed anyway (a URL password equal to its user or database name).

Kept free of heavy imports: ``lfadmin --help`` loads this module.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO
from urllib.parse import quote, unquote

MIN_SECRET_LEN = 6
"""Shorter values are neither scrubbed nor counted as secrets when quoted (see module doc)."""

MASK = "***"
_PUBLIC = frozenset({"langflow"})  # Langflow's legacy default password: known to everyone

# libpq connection parameters whose value is a secret (libpq "Parameter Key Words"); any other
# key naming a password, secret or token is masked too, in case a driver passes it on.
_SECRET_PARAMS = frozenset({"password", "sslpassword", "oauth_client_secret"})
_SECRET_PARAM_WORDS = ("pass", "secret", "token", "credential")

_secrets: set[str] = set()
_revealed: list[str] = []
_pattern: re.Pattern[str] | dict[str, list[str]] | None = None


# -- registration ---------------------------------------------------------------------------------


def reset() -> None:
    """Forget every registered secret (a new run in the same process: tests)."""
    global _pattern
    _secrets.clear()
    _revealed.clear()
    _pattern = None


def register(value: str | None, *, public: Iterable[str | None] = ()) -> None:
    """Remember a secret so that ``scrub`` removes it, in the forms it could be printed in.

    ``public``: names printed anyway (a URL's user and host); a value equal to one is no secret.
    """
    global _pattern
    if not value or not isinstance(value, str):
        return
    known = {p for p in public if p}
    forms = {value, value.strip(), *value.splitlines()}
    for form in list(forms):
        forms.add(repr(form)[1:-1])  # as a message's {value!r} shows it
        forms.add(json.dumps(form, ensure_ascii=False)[1:-1])  # as --json shows it
        forms.add(quote(form, safe="", errors="surrogateescape"))  # as a URL carries it
    added = False
    for form in forms:
        form = form.strip()
        worth = len(form) >= MIN_SECRET_LEN and form not in known and form.lower() not in _PUBLIC
        if worth and form not in _secrets:
            _secrets.add(form)
            added = True
    if added:
        _pattern = None


_SECRET_NAME_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY", "SIGNING_KEY", "CREDENTIAL")
_NOT_SECRET_SUFFIXES = ("_FILE", "_PATH", "_DIR", "_SOURCE", "_ALGORITHM", "_SECONDS", "_NAME", "_ENV")


def secret_name(name: str) -> bool:
    """Does an environment variable of this name hold a secret (``LANGFLOW_SECRET_KEY``,
    ``LANGFLOW_SUPERUSER_PASSWORD``, ``OPENAI_API_KEY``), not a setting about one
    (``LANGFLOW_API_KEY_SOURCE``, ``ACCESS_TOKEN_EXPIRE_SECONDS``)?"""
    upper = name.upper()
    return any(w in upper for w in _SECRET_NAME_WORDS) and not upper.endswith(_NOT_SECRET_SUFFIXES)


_ASSIGNED = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*['\"]?(.*?)['\"]?\s*$")


def register_variable(name: str, value: str) -> None:
    """An environment variable as it is loaded: its value when the name says it is a secret,
    the credentials of any URL it holds (``LANGFLOW_DATABASE_URL``, a ``REDIS_URL``). A value
    of several lines (an env file's unclosed quote swallows the lines after it) is also read
    line by line, as the assignments it swallowed."""
    if secret_name(name):
        register(value)
    if "://" in value:
        register_url(value)
    if "\n" in value:
        for line in value.splitlines():
            found = _ASSIGNED.match(line)
            if found and (secret_name(found[1]) or "://" in found[2]):
                register_variable(found[1], found[2])


@contextmanager
def reveal(*values: str) -> Iterator[None]:
    """Print ``values`` on purpose: the user asked for them (a new API key, ``--reveal``)."""
    global _pattern
    _revealed.extend(values)
    _pattern = None
    try:
        yield
    finally:
        for v in values:
            _revealed.remove(v)
        _pattern = None


_FLAT_LIMIT = 20  # up to this many secrets, one regex alternation; beyond, a prefix index


def _matcher() -> re.Pattern[str] | dict[str, list[str]] | None:
    """What ``scrub`` searches with, rebuilt after each change to the registered set.

    An alternation of literals costs ``re`` one try per secret at every position: fine for the
    few secrets a command loads, too slow for thousands of decrypted values over a long listing,
    which get an index of their first ``MIN_SECRET_LEN`` characters instead.
    """
    global _pattern
    if _pattern is None:
        active = [s for s in _secrets if not any(s in r for r in _revealed)]
        if not active:
            return None
        active.sort(key=len, reverse=True)  # longest first: an encoded form before its plain one
        if len(active) <= _FLAT_LIMIT:
            _pattern = re.compile("|".join(re.escape(s) for s in active))
        else:
            index: dict[str, list[str]] = {}
            for s in active:
                index.setdefault(s[:MIN_SECRET_LEN], []).append(s)
            _pattern = index
    return _pattern


def scrub(text: str) -> str:
    """``text`` with every registered secret (not being revealed) replaced by ``***``."""
    if not _secrets or not text:
        return text
    matcher = _matcher()
    if matcher is None:
        return text
    if isinstance(matcher, re.Pattern):
        return matcher.sub(MASK, text)
    pieces: list[str] = []
    start = i = 0
    last = len(text) - MIN_SECRET_LEN
    get = matcher.get
    while i <= last:
        for secret in get(text[i : i + MIN_SECRET_LEN], ()):
            if text.startswith(secret, i):
                pieces += [text[start:i], MASK]
                i = start = i + len(secret)
                break
        else:
            i += 1
    return "".join(pieces) + text[start:] if pieces else text


# -- quoting input --------------------------------------------------------------------------------


def showable(raw: str) -> bool:
    """Can a value from the input be shown? Only when it cannot be a credential worth the name:
    shorter than ``MIN_SECRET_LEN``, or one word of at most 12 ASCII letters (``perhaps``, a
    typo of ``true``); never when it is part of a registered secret."""
    if not raw:
        return True
    word = len(raw) <= 12 and raw.isascii() and raw.isalpha()
    return (len(raw) < MIN_SECRET_LEN or word) and not any(raw in s for s in _secrets)


def quote_value(raw: str) -> str:
    """A value from the input, for a message: ``'perhaps'``, or only its length."""
    return repr(raw) if showable(raw) else f"a value of {len(raw)} characters (not shown)"


def mask_secret(value: str) -> str:
    """A secret for a report: only its length (``(empty)`` when there is nothing)."""
    if value == "":
        return "(empty)"
    return f"****** ({len(value)} characters)"


# -- database URLs --------------------------------------------------------------------------------


def split_url(raw: str) -> tuple[str, str | None, str, str | None] | None:
    """(scheme, user info, host+path, query) of a URL, the user info ending at the *last* ``@``.

    lfadmin's one URL parse that needs no SQLAlchemy (``db.parse_url`` is the one that connects).

    None when ``raw`` has no ``scheme://``. A host, port and path never hold an ``@``, a password
    may (unencoded, as people type them), so the last ``@`` is the only safe end; an ``@`` in a
    query value then makes more of the URL count as user info - masked, never shown.
    """
    scheme, sep, rest = raw.partition("://")
    if not sep:
        return None
    at = -1 if scheme.lower().startswith("sqlite") else rest.rfind("@")  # sqlite: a file path
    tail = rest[at + 1 :]
    hostpath, q, query = tail.partition("?")
    return scheme, (rest[:at] if at >= 0 else None), hostpath, (query if q else None)


def _secret_param(key: str) -> bool:
    name = unquote(key).strip().lower()
    if name.endswith("file"):  # passfile, sslkeyfile: where a secret is, not the secret
        return False
    return name in _SECRET_PARAMS or any(w in name for w in _SECRET_PARAM_WORDS)


def mask_url(raw: str) -> str:
    """A database URL safe to print: password and secret query parameters replaced by ``***``.

    The user name stays (it is printed in many places anyway); a string that is not a URL is
    shown only when it cannot carry a credential (no ``@``, no ``=`` of a libpq DSN).
    """
    parts = split_url(raw)
    if parts is None:
        return MASK if any(c in raw for c in "@=") else raw
    scheme, userinfo, hostpath, query = parts
    shown = f"{scheme}://"
    if userinfo is not None:
        user, colon, _password = userinfo.partition(":")
        if any(c in user for c in "@/?#"):
            shown += MASK
        else:
            shown += f"{user}:{MASK}" if colon else user
        shown += "@"
    shown += hostpath
    if query is not None:
        params = []
        for param in query.split("&"):
            key, eq, value = param.partition("=")
            params.append(f"{key}={MASK}" if eq and value and _secret_param(key) else param)
        shown += "?" + "&".join(params)
    return shown


def url_secrets(raw: str) -> list[str]:
    """The secrets a URL carries: its password and secret query values, as typed and decoded."""
    parts = split_url(raw)
    if parts is None:
        return []
    _scheme, userinfo, _hostpath, query = parts
    found = []
    if userinfo is not None and ":" in userinfo:
        found.append(userinfo.partition(":")[2])
    for param in (query or "").split("&"):
        key, eq, value = param.partition("=")
        if eq and value and _secret_param(key):
            found.append(value)
    return [form for f in found if f for form in dict.fromkeys((f, unquote(f)))]


def url_public_names(raw: str) -> list[str]:
    """What of a URL is printed anyway: its user name and host+path pieces."""
    parts = split_url(raw)
    if parts is None:
        return []
    _scheme, userinfo, hostpath, _query = parts
    names = [unquote(userinfo.partition(":")[0])] if userinfo is not None else []
    return names + [p for p in re.split(r"[/:]", hostpath) if p]


def register_url(raw: str) -> None:
    """Register the secrets a database URL carries (see ``url_secrets``)."""
    public = url_public_names(raw)
    for secret in url_secrets(raw):
        register(secret, public=public)


def readings(raw: str) -> list[str]:
    """``raw`` spelt unambiguously once for each ``@`` that could end its user info, the last
    ``@`` first: every other ``@`` percent-encoded (``bob:p@ss@host`` -> ``bob:p%40ss@host``),
    for a parser that ends the user info at the first ``@`` (SQLAlchemy's ``make_url``)."""
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme.lower().startswith("sqlite") or rest.count("@") < 2:
        return []
    ats = [i for i, c in enumerate(rest) if c == "@"][::-1][:8]
    return [f"{scheme}://{rest[:i].replace('@', '%40')}@{rest[i + 1 :].replace('@', '%40')}" for i in ats]


# -- the last guard -------------------------------------------------------------------------------


class _Scrubbed:
    """A text stream whose ``write`` scrubs registered secrets; everything else is the stream's
    but ``buffer``: Click writes through a stream's binary buffer when it distrusts its encoding
    (an ASCII locale), which would go around the scrub; without one it writes to us."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(scrub(text) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._stream, name)


@contextmanager
def guard_streams() -> Iterator[None]:
    """For the block, ``sys.stdout`` and ``sys.stderr`` scrub every registered secret."""
    saved = sys.stdout, sys.stderr
    sys.stdout = _Scrubbed(saved[0])
    sys.stderr = _Scrubbed(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
