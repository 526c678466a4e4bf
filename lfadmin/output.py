"""Data on stdout, talk on stderr. The only module besides ``lfadmin.cli`` that uses rich."""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Console

_stderr: Console | None = None
_stdout: Console | None = None
quiet = False


def _color_system() -> Literal["auto"] | None:
    """NO_COLOR (no-color.org) means no escape codes at all: rich's own handling keeps bold and dim."""
    return None if os.environ.get("NO_COLOR") else "auto"


@functools.cache
def _console_class() -> type[Console]:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """Rich's own answer to a closed pipe is ``SystemExit(1)`` (our "internal error"
            code) after pointing *stdout* at /dev/null; raise it as the OSError it is instead,
            for ``writing()`` and ``_talk()`` to handle like any other failed write."""
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return _Console


def err_console() -> Console:
    global _stderr
    if _stderr is None:
        _stderr = _console_class()(stderr=True, highlight=False, soft_wrap=True, color_system=_color_system())
    return _stderr


def out_console() -> Console:
    global _stdout
    if _stdout is None:
        _stdout = _console_class()(highlight=False, color_system=_color_system())
    return _stdout


def _talk(message: str, style: str | None = None) -> None:
    """Stderr is best effort: a process that cannot write it has no one left to tell, and a
    failed warning must not abort a command half-way (the exit code still says how it ended)."""
    try:
        err_console().print(message, markup=False, style=style)
    except OSError:
        detach(sys.stderr)


def say(message: str) -> None:
    """Conversation: progress and confirmations, on stderr, silenced by --quiet."""
    if not quiet:
        _talk(message)


def warn(message: str) -> None:
    """Warnings stay visible under --quiet: they are about the operator's data."""
    _talk(f"Warning: {message}", "yellow")


def error(message: str) -> None:
    _talk(f"Error: {message}", "bold red")


# -- stdout: data, and what happens when it cannot be written -----------------------------------


@contextmanager
def writing() -> Iterator[None]:
    """Every write of data goes through here: a failed write (disk full, closed pipe) is an
    ``OutputFailed`` (exit 14, or 141 quietly for a closed pipe when nothing changed), never an
    internal error; ``lfadmin.cli.main`` says whether the database had changed by then."""
    from lfadmin.errors import OutputFailed

    try:
        yield
        sys.stdout.flush()
    except OSError as exc:
        detach(sys.stdout)
        raise OutputFailed(exc) from None


def detach(stream: Any) -> None:
    """Point a stream that failed at /dev/null: what it still buffers would fail again when
    Python flushes it at exit (exit 120, "Exception ignored"). A stream with no file descriptor
    (tests) is left as it is."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


JSON_SCHEMA_VERSION = 1
"""The version of every ``--json`` document (docs/json.md); raised only by a breaking change."""


def emit_json(data: dict[str, Any], *, versioned: bool = True) -> None:
    """One JSON document on stdout, ``schema_version`` first (``versioned=False``: a file format
    of its own, like the ``user export`` manifest, which carries its own ``apiVersion``)."""
    if versioned:
        data = {"schema_version": JSON_SCHEMA_VERSION, **data}
    with writing():
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def emit_line(text: str) -> None:
    """One bare line of data on stdout (e.g. a key for ``KEY=$(lfadmin ...)``)."""
    with writing():
        sys.stdout.write(text + "\n")


def emit_secret(text: str) -> None:
    """A secret the user asked for (a new API key, ``secrets show --reveal``), alone on stdout:
    the one way past ``redact``'s guard, which would otherwise print ``***``."""
    from lfadmin import redact

    with redact.reveal(text):
        emit_line(text)


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    show_header: bool = True,
) -> None:
    from rich.table import Table
    from rich.text import Text

    from lfadmin.redact import scrub

    t = Table(title=title, title_justify="left", header_style="bold", show_header=show_header)
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        # Text(), not str: a username like "[bold]x" must not be read as rich markup. Scrubbed
        # here, before a narrow terminal folds a cell and splits a secret past the stream guard.
        t.add_row(*(Text("" if v is None else scrub(str(v))) for v in row))
    with writing():
        out_console().print(t)
