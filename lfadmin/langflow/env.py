"""The environment Langflow would see, with where each value came from.

Langflow reads settings through pydantic-settings with ``env_prefix="LANGFLOW_"`` and
``case_sensitive=False`` (docs/langflow/settings.md §1): ``langflow_auto_login`` counts like
``LANGFLOW_AUTO_LOGIN``. A few variables are read with ``os.getenv`` instead and are therefore
exact-case, ``LANGFLOW_DATABASE_URL`` among them.

``langflow run --env-file FILE`` applies ``load_dotenv(FILE, override=True)`` (all releases,
docs/langflow/settings.md §2): the file's values win over the process environment, ``${VAR}`` interpolation
sees the file's own earlier values first, and a ``KEY`` line without ``=`` sets nothing. We parse
with python-dotenv's own parser, but refuse a line it cannot parse instead of skipping it, because
an operator who typed it meant something.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from lfadmin import redact
from lfadmin.errors import InvalidInput
from lfadmin.files import TEXT_CAP, read_text

PREFIX = "LANGFLOW_"

# pydantic v2's lax str -> bool rules, case-insensitive, nothing stripped (docs/langflow/settings.md §6).
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


@dataclass(frozen=True)
class Origin:
    """Where a value came from: an env file line, the process environment, or a default."""

    kind: str  # "file" | "environment" | "default" | "option"
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.kind == "file":
            return f"{self.path}:{self.line}"
        return self.kind

    def where(self) -> str:
        """For a sentence: "the environment", "/srv/.env:3"."""
        return str(self) if self.kind == "file" else f"the {self.kind}"


DEFAULT = Origin("default")
ENVIRONMENT = Origin("environment")


@dataclass(frozen=True)
class Value:
    name: str  # the variable's name as written (e.g. "langflow_auto_login")
    raw: str
    origin: Origin

    def describe(self) -> str:
        return f"{self.name} ({self.origin})"

    def boolean(self) -> bool:
        """The value as Langflow parses a boolean; one it refuses is an error, exit 4."""
        parsed = parse_bool(self.raw)
        if parsed is None:
            raise InvalidInput(
                f"{self.describe()}: {redact.quote_value(self.raw)} is not a boolean Langflow accepts "
                "(use true/false, 1/0, yes/no, on/off); Langflow would refuse to start"
            )
        return parsed


def parse_bool(raw: str) -> bool | None:
    """Langflow's (pydantic's) boolean parsing; None when Langflow would refuse the value."""
    low = raw.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return None


class Environment:
    """An ordered view of variables as Langflow would get them, each with its origin."""

    def __init__(self, values: Mapping[str, Value], env_file: Path | None = None) -> None:
        self._values = dict(values)
        self.env_file = env_file

    @classmethod
    def load(
        cls, env_file: Path | None = None, environ: Mapping[str, str] | None = None
    ) -> Environment:
        base = dict(os.environ if environ is None else environ)
        values: dict[str, Value] = {k: Value(k, v, ENVIRONMENT) for k, v in base.items()}
        if env_file is not None:
            for name, val in read_env_file(env_file, base).items():
                # dict assignment keeps an existing key's position, as os.environ does.
                values[name] = val
        for val in values.values():  # every secret that enters through the environment
            # The env file is the server's, all of it; of the invoker's own environment only what
            # lfadmin reads: scrubbing, say, a GITHUB_TOKEN from every output would let whoever sets
            # one censor names or break a --json document, and protect nothing lfadmin loaded.
            if val.origin.kind == "file" or val.name.upper().startswith((PREFIX, "LFADMIN_")):
                redact.register_variable(val.name, val.raw)
        return cls(values, env_file)

    def __iter__(self) -> Iterator[Value]:
        return iter(self._values.values())

    def exact(self, name: str) -> Value | None:
        """``os.getenv(name)`` semantics: exact case, empty counts as unset."""
        val = self._values.get(name)
        return val if val is not None and val.raw != "" else None

    def setting(self, field: str) -> Value | None:
        """``LANGFLOW_<field>`` matched case-insensitively; the last one in environ order wins."""
        wanted = (PREFIX + field).lower()
        found = None
        for val in self._values.values():
            if val.name.lower() == wanted:
                found = val
        return found

    def text(self, field: str, default: str = "") -> str:
        val = self.setting(field)
        return default if val is None else val.raw

    def boolean(self, field: str, default: bool) -> bool:
        val = self.setting(field)
        if val is None:
            return default
        return val.boolean()

    def optional_boolean(self, field: str) -> bool | None:
        return None if self.setting(field) is None else self.boolean(field, False)


def read_env_text(path: Path) -> str:
    """An env file's text, or one clear error saying why it cannot be read.

    Through ``lfadmin.files.read_text``: a regular file (not ``/dev/zero`` or a FIFO), at
    most ``TEXT_CAP`` bytes, strict UTF-8. A symbolic link is followed, as the server's
    ``load_dotenv`` follows it (deployments link env files; reading one changes nothing, and
    writing through one is refused in ``lfadmin.core.envfile``)."""
    return read_text(path, "env file", cap=TEXT_CAP, follow=True) or ""


_ASSIGNMENT = re.compile(r"[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=")


def unparsable_line(path: Path, line: int, text: str) -> str:
    """The error for a line python-dotenv cannot parse: where it is and which variable it
    assigns, never its text - the value may be a password cut short by a stray quote."""
    found = _ASSIGNMENT.match(text.lstrip("\r\n"))
    what = f"the line assigning {found.group(1)}" if found else "this line"
    return f"{path}:{line}: cannot parse {what} (not shown, it may hold a secret; check its quotes)"


def read_env_file(path: Path, environ: Mapping[str, str]) -> dict[str, Value]:
    """Parse ``path`` like ``load_dotenv(path, override=True)``; refuse what it would skip."""
    from dotenv.parser import parse_stream
    from dotenv.variables import parse_variables

    text = read_env_text(path)
    if "\x00" in text:
        raise InvalidInput(f"env file {path} is binary, not an env file")

    resolved: dict[str, Value] = {}
    for binding in parse_stream(io.StringIO(text)):
        # A binding's text starts with the blank lines before it; count them to name its line.
        original = binding.original.string
        lead = original[: len(original) - len(original.lstrip())]
        line = binding.original.line + lead.count("\n")
        if binding.error:
            raise InvalidInput(unparsable_line(path, line, original))
        if binding.key is None or binding.value is None:
            continue  # comments, blank lines, and `KEY` without `=` set nothing
        # override=True interpolation: process environment first, then the file's own values.
        scope: dict[str, str | None] = dict(environ)
        scope.update({k: v.raw for k, v in resolved.items()})
        raw = "".join(atom.resolve(scope) for atom in parse_variables(binding.value))
        resolved[binding.key] = Value(binding.key, raw, Origin("file", str(path), line))
    return resolved
