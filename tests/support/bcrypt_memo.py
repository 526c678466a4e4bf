"""bcrypt at Langflow's cost, paid once per password: the suite's biggest single expense, cut.

Langflow hashes with bcrypt at cost 12 (about a quarter of a second a call on these machines),
and lfadmin must write exactly that (``lfadmin/langflow/crypto.py``), so the suite cannot lower
the cost the way Django's test settings swap in a fast hasher. What it can do is never compute
the same hash twice: inside the test process ``bcrypt.gensalt`` returns one fixed salt per cost,
which makes ``hashpw`` a pure function of the password, and both ``hashpw`` and ``checkpw`` are
memoised on their exact arguments. Every hash lfadmin writes is still a real ``$2b$12$`` hash
that real bcrypt (and real Langflow, in the interop tests) verifies; the one property the tests
lose, a fresh salt per hash, is checked on the real functions by
``tests/test_users.py::test_every_password_hash_gets_its_own_salt``.

Processes the suite starts (``run_process``, Langflow's own) use real bcrypt, unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import bcrypt

_REAL = {"gensalt": bcrypt.gensalt, "hashpw": bcrypt.hashpw, "checkpw": bcrypt.checkpw}


def _fixed_gensalt(rounds: int = 12, prefix: bytes = b"2b") -> bytes:
    return _fixed_salts(rounds, prefix)


@functools.cache
def _fixed_salts(rounds: int, prefix: bytes) -> bytes:
    salt: bytes = _REAL["gensalt"](rounds, prefix)
    return salt


@functools.cache
def _hashpw(password: bytes, salt: bytes) -> bytes:
    hashed: bytes = _REAL["hashpw"](password, salt)
    return hashed


@functools.cache
def _checkpw(password: bytes, hashed: bytes) -> bool:
    return bool(_REAL["checkpw"](password, hashed))


_MEMO: dict[str, Callable[..., Any]] = {"gensalt": _fixed_gensalt, "hashpw": _hashpw, "checkpw": _checkpw}


def install() -> None:
    """Memoise bcrypt in this process (``tests/conftest.py`` calls it once, at configure time)."""
    for name, fn in _MEMO.items():
        setattr(bcrypt, name, fn)


@contextmanager
def real_bcrypt() -> Iterator[None]:
    """The real functions, for the test that proves every hash gets its own salt."""
    for name, fn in _REAL.items():
        setattr(bcrypt, name, fn)
    try:
        yield
    finally:
        install()
