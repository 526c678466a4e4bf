"""Data on stdout, talk on stderr, and the one set of rules for tables (docs/text-output.md).

The only module besides ``lfadmin.cli`` that uses rich."""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console
    from rich.text import Text

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


# emoji=False on both: rich would turn ":cat:" inside a value into a glyph after the scrub saw
# the text, so a secret holding one would no longer match and would be printed.


def err_console() -> Console:
    global _stderr
    if _stderr is None:
        _stderr = _console_class()(
            stderr=True, highlight=False, emoji=False, soft_wrap=True, color_system=_color_system()
        )
    return _stderr


def out_console() -> Console:
    global _stdout
    if _stdout is None:
        _stdout = _console_class()(highlight=False, emoji=False, color_system=_color_system())
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


def size(n: int) -> str:
    """1323008 -> "1.3 MB" (decimal units, as `ls -h --si` and disk vendors count)."""
    if n < 1000:
        return f"{n} bytes"
    exp = min(3, (len(str(n)) - 1) // 3)
    return f"{n / 1000 ** exp:.1f} {('KB', 'MB', 'GB')[exp - 1]}"


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


# -- tables: the one set of layout rules (docs/text-output.md) -------------------------------------
#
# On a terminal, as `gh`, `kubectl get` and `docker ps` print: upper-case headers, two spaces
# between columns, no borders; ids cut to 8 characters (git's short form; any unique prefix is
# accepted back as input), times as an age ("8d ago", "in 30d"), masked keys as their prefix and
# four stars. Columns come in order of importance: when a row would not fit the terminal, long
# cells are cut with "…" to CUT_TO characters, then columns are dropped from the right (the first
# never), then the widest is cut further - a row never wraps. `--wide` shows every column with
# full ids and times and cuts nothing. Not on a terminal (a pipe, a file): tab-separated values,
# as `gh` prints when piped - no header, every column, the values --json holds (full ids, ISO
# 8601 times).

SHORT_ID = 8
"""Characters of an id shown on a terminal (git's short form); ``--wide`` shows all of it."""
KEY_STARS = "****"
"""What follows a masked key's visible prefix on a terminal (Langflow: one star per hidden character)."""
GAP = "  "
CUT_TO = 24
"""Long cells (names, titles) are cut with "…" down to this many characters before any column
is dropped; a row of short columns is worth more than one long name."""
wide = False
"""``--wide``: every column, full values, nothing dropped or cut."""
now: datetime | None = None
"""The time ages are counted from; None: the clock (scripts/gen_docs.py pins it for screenshots)."""


@dataclass(frozen=True)
class Col:
    """One column of a table. Cells holding a ``uuid.UUID`` or a ``datetime`` are shortened by
    the rules above whatever the column; ``masked_key`` marks a column of masked API keys."""

    header: str
    only: Literal["wide", "narrow"] | None = None
    """"wide": shown only with --wide and when piped; "narrow": a summary of wide columns,
    shown only without them (a store receipt's ``counts``)."""
    masked_key: bool = False


def _is_terminal() -> bool:
    """The terminal layout: stdout is a terminal (TTY_COMPATIBLE=1 or FORCE_COLOR force it, as
    rich reads them; TTY_COMPATIBLE=0 forces tab-separated values)."""
    return out_console().is_terminal


def _age(seconds: int) -> str:
    """kubectl's HumanDuration: two units while they say something, one after."""
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if years < 8:
        return f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    return f"{years}y"


def _cell(value: Any, col: Col, mode: Literal["short", "wide", "tsv"]) -> str:
    """One value as a cell, by the rules above (``None``: "-" on a terminal, empty when piped)."""
    import uuid
    from datetime import datetime, timezone

    from lfadmin.redact import scrub

    if value is None:
        return "" if mode == "tsv" else "-"
    if isinstance(value, uuid.UUID):
        return str(value)[:SHORT_ID] if mode == "short" else str(value)
    if isinstance(value, datetime):
        if mode == "tsv":
            return value.isoformat()
        if mode == "wide":
            return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
        delta = int(((now or datetime.now(timezone.utc)) - value).total_seconds())
        return f"{_age(delta)} ago" if delta >= 0 else f"in {_age(-delta)}"
    text = scrub(str(value))  # before a cell is cut or folded: no piece of a secret survives
    if mode == "tsv":
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if col.masked_key and mode == "short" and "*" in text:
        return text[: text.index("*")] + KEY_STARS
    return text


def _natural(headers: list[str], cells: list[list[str]]) -> list[int]:
    from rich.cells import cell_len

    return [max([cell_len(h)] + [cell_len(r[i]) for r in cells]) for i, h in enumerate(headers)]


def _fit(headers: list[str], cells: list[list[str]], width: int) -> tuple[list[int], list[int]]:
    """Which columns a terminal of ``width`` shows and how wide each is: long cells are cut
    first (widest first, down to CUT_TO), then columns are dropped from the right (never the
    first), then the widest is cut further (never below its header)."""
    widths = _natural(headers, cells)
    shown = list(range(len(headers)))

    def excess() -> int:
        return sum(widths[i] for i in shown) + len(GAP) * (len(shown) - 1) - width

    def shrink(candidates: list[int], floor: dict[int, int]) -> None:
        while excess() > 0:
            roomy = [i for i in candidates if widths[i] > floor[i]]
            if not roomy:
                return
            widest = max(roomy, key=lambda i: widths[i] - floor[i])
            widths[widest] -= min(widths[widest] - floor[widest], excess())

    headers_len = {i: max(len(h), 1) for i, h in enumerate(headers)}
    shrink(shown, {i: max(CUT_TO, headers_len[i]) for i in shown})
    while excess() > 0 and len(shown) > 1:
        shown.pop()
    shrink(shown, headers_len)
    return shown, [widths[i] for i in shown]


def table(
    columns: Sequence[str | Col],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
) -> None:
    """Rows of data on stdout, by the rules above; columns in order of importance."""
    with writing():
        _table(columns, rows, title)


def _table(columns: Sequence[str | Col], rows: Iterable[Sequence[Any]], title: str | None) -> None:
    from rich.text import Text

    cols = [c if isinstance(c, Col) else Col(c) for c in columns]
    data = [list(r) for r in rows]
    terminal = _is_terminal()
    full = wide or not terminal
    keep = [i for i, c in enumerate(cols) if c.only != ("narrow" if full else "wide")]
    if not terminal:
        if title:
            say(title)
        for row in data:
            sys.stdout.write("\t".join(_cell(row[i], cols[i], "tsv") for i in keep) + "\n")
        sys.stdout.flush()
        return
    mode: Literal["short", "wide"] = "wide" if wide else "short"
    headers = [cols[i].header.upper() for i in keep]
    cells = [[_cell(row[i], cols[i], mode) for i in keep] for row in data]
    console = out_console()
    if wide:
        shown, widths = list(range(len(headers))), _natural(headers, cells)
    else:
        shown, widths = _fit(headers, cells, console.width)
    if title:
        console.print(Text(title, style="bold"), soft_wrap=True)

    def line(values: list[str], style: str = "") -> Text:
        out = Text(style=style, end="\n")
        for n, (i, w) in enumerate(zip(shown, widths, strict=True)):
            # Text(), not str: a username like "[bold]x" must not be read as rich markup.
            cell = Text(values[i])
            cell.truncate(w, overflow="ellipsis", pad=n < len(shown) - 1)
            out.append_text(cell)
            if n < len(shown) - 1:
                out.append(GAP)
        out.rstrip()
        return out

    console.print(line(headers, "bold"), soft_wrap=True)
    for row in cells:
        console.print(line(row), soft_wrap=True)
    hidden = [headers[i].lower() for i in range(len(headers)) if i not in shown]
    if hidden:
        say(f"hidden to fit {console.width} columns: {', '.join(hidden)} (--wide shows every column)")


def record(rows: Iterable[tuple[str, Any]]) -> None:
    """One object as ``field  value`` lines (``user show``, ``info``): on a terminal a long value
    wraps under itself (a hanging indent), never back to column 0; piped, ``field<TAB>value``."""
    with writing():
        _record(rows)


def _record(rows: Iterable[tuple[str, Any]]) -> None:
    from rich.cells import cell_len
    from rich.text import Text

    col = Col("value")
    pairs = list(rows)
    if not _is_terminal():
        for name, value in pairs:
            sys.stdout.write(f"{_cell(name, col, 'tsv')}\t{_cell(value, col, 'tsv')}\n")
        sys.stdout.flush()
        return
    indent = max((cell_len(name) for name, _ in pairs), default=0) + len(GAP)
    for name, value in pairs:
        hanging(Text(name.ljust(indent), style="bold"), _cell(value, col, "wide"))


def hanging(lead: str | Text, text: str | Text, *, console: Console | None = None) -> None:
    """``lead`` then ``text`` (stdout unless ``console``): on a terminal, lines that wrap start
    under the text's first character - a hanging indent - never at column 0. Not on a terminal
    (a pipe, a file) nothing wraps: a line is as long as it is."""
    from rich.text import Text

    console = console or out_console()
    from lfadmin.redact import scrub

    head = Text(lead) if isinstance(lead, str) else lead
    body = Text(text) if isinstance(text, str) else text
    if scrub(body.plain) != body.plain:  # before wrapping splits a secret past the stream guard
        body = Text(scrub(body.plain), style=body.style)
    if not body.plain:  # a lead alone wraps as text of its own
        head, body = Text(""), head
    if not console.is_terminal or wide:
        console.print(Text.assemble(head, body), soft_wrap=True)
        return
    width, lead_len = console.width, head.cell_len
    # A long lead (a store name) would leave a narrow column: hang past its own indent instead.
    pad = lead_len if lead_len <= width // 3 else len(head.plain) - len(head.plain.lstrip()) + 4
    first = body.wrap(console, max(width - lead_len, 20), overflow="fold")[0]
    first.rstrip()
    console.print(Text.assemble(head, first), soft_wrap=True)
    rest = body[len(first.plain) :]
    rest = rest[len(rest.plain) - len(rest.plain.lstrip()) :]
    if rest.plain:
        for part in rest.wrap(console, max(width - pad, 20), overflow="fold"):
            part.rstrip()
            console.print(Text.assemble(" " * pad, part), soft_wrap=True)


def say_hanging(lead: str, text: str) -> None:
    """``say`` for a line that belongs under another (``  store undecryptable: ...``): wrapped
    lines keep the lead's indent on a terminal."""
    if not quiet:
        hanging(lead, text, console=err_console())
