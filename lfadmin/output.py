"""Data on stdout, talk on stderr. The only module besides ``lfadmin.cli`` that uses rich."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Console

_stderr: Console | None = None
_stdout: Console | None = None
quiet = False


def _color_system() -> Literal["auto"] | None:
    """NO_COLOR (no-color.org) means no escape codes at all: rich's own handling keeps bold and dim."""
    return None if os.environ.get("NO_COLOR") else "auto"


def err_console() -> Console:
    global _stderr
    if _stderr is None:
        from rich.console import Console

        _stderr = Console(stderr=True, highlight=False, soft_wrap=True, color_system=_color_system())
    return _stderr


def out_console() -> Console:
    global _stdout
    if _stdout is None:
        from rich.console import Console

        _stdout = Console(highlight=False, color_system=_color_system())
    return _stdout


def say(message: str) -> None:
    """Conversation: progress and confirmations, on stderr, silenced by --quiet."""
    if not quiet:
        err_console().print(message, markup=False)


def warn(message: str) -> None:
    """Warnings stay visible under --quiet: they are about the operator's data."""
    err_console().print(f"Warning: {message}", markup=False, style="yellow")


def error(message: str) -> None:
    err_console().print(f"Error: {message}", markup=False, style="bold red")


JSON_SCHEMA_VERSION = 1
"""The version of every ``--json`` document (docs/json.md); raised only by a breaking change."""


def emit_json(data: dict[str, Any], *, versioned: bool = True) -> None:
    """One JSON document on stdout, ``schema_version`` first (``versioned=False``: a file format
    of its own, like the ``user export`` manifest, which carries its own ``apiVersion``)."""
    if versioned:
        data = {"schema_version": JSON_SCHEMA_VERSION, **data}
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def emit_line(text: str) -> None:
    """One bare line of data on stdout (e.g. a key for ``KEY=$(lfadmin ...)``)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


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
    out_console().print(t)
