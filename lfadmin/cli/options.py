"""Options every command takes, prompts, and reading secrets from stdin.

``--env-file`` and friends work on the root command and on every subcommand
(``lfadmin --env-file .env user list`` and ``lfadmin user list --env-file .env``): the root
callback and each command write into the run's one ``Invocation``; a command's own value wins.
``main()`` makes the Invocation and hands it to click as the root context's ``obj``; a command
that declares a parameter ``inv: Invocation`` is given it, and passes it on explicitly - there is
no module-global state.
No ``from __future__ import annotations`` here: Typer reads these annotations at runtime.
"""

import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from lfadmin import output, redact
from lfadmin.errors import InvalidInput

if TYPE_CHECKING:
    from lfadmin.core.actor import Credentials
    from lfadmin.core.session import Progress
    from lfadmin.core.target import Target

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Invocation:
    """One run of ``lfadmin``: the merged global options, and what the run has done so far."""

    env_file: Path | None = None
    database_url: str | None = None
    langflow_version: str | None = None
    force_unknown_schema: bool = False
    json: bool = False
    wide: bool = False
    quiet: bool = False
    debug: bool = False
    as_user: str | None = None
    auth_password_stdin: bool = False
    api_key_stdin: bool = False
    # Not options: set once a write transaction commits, so that any failure after it (output,
    # files) says the database changed, and what to do (a command may say more than the default).
    committed: bool = False
    after_commit: str = "the change is committed; check the result before rerunning the command"
    changed: str = "the database"  # what a committed change changed (``secrets generate``: files)
    # Which option read stdin: stdin feeds one secret per run.
    stdin_used_by: str | None = None
    # The command path the audit trail records ("user promote"), set when the command runs.
    command: str | None = None

    def mark_committed(self) -> None:
        """``Target.on_commit``: a write transaction committed."""
        self.committed = True


def start() -> Invocation:
    """A fresh run (tests invoke the app many times in one process)."""
    output.quiet = False
    output.wide = False
    return Invocation()


def _invocation(ctx: typer.Context) -> Invocation:
    """This run's Invocation, kept on the root click context (``main()`` puts it there; an app
    called without one, as scripts/gen_docs.py does, gets a fresh one)."""
    inv: Invocation = ctx.find_root().ensure_object(Invocation)
    return inv


PANEL = "Global options"
EnvFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        help="Read settings from this env file, like `langflow run --env-file` (it overrides the environment).",
        rich_help_panel=PANEL,
        show_default=False,
        readable=False,  # lfadmin.files says why it cannot be read, in one line, exit 4
    ),
]
DatabaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Langflow's database URL (default: LANGFLOW_DATABASE_URL, then Langflow's SQLite location).",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
VersionOpt = Annotated[
    str | None,
    typer.Option(
        "--langflow-version",
        help="The Langflow release that runs on this database, when the schema alone is ambiguous.",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force-unknown-schema",
        help="Write to a schema newer than any Langflow lfadmin knows.",
        rich_help_panel=PANEL,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.", rich_help_panel=PANEL)]
WideOpt = Annotated[
    bool,
    typer.Option(
        "--wide", help="Tables on a terminal: every column, full ids and times.", rich_help_panel=PANEL
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Only data and errors; no chatter.", rich_help_panel=PANEL)
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.", rich_help_panel=PANEL)]
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Superuser to authenticate as when AUTO_LOGIN is off (default: LANGFLOW_SUPERUSER).",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
AuthPwOpt = Annotated[
    bool,
    typer.Option(
        "--auth-password-stdin",
        help="Read the invoking superuser's password from stdin.",
        rich_help_panel=PANEL,
    ),
]
ApiKeyOpt = Annotated[
    bool,
    typer.Option(
        "--api-key-stdin",
        help="Authenticate with a superuser's Langflow API key read from stdin.",
        rich_help_panel=PANEL,
    ),
]

OPTIONS: dict[str, Any] = {
    "env_file": (EnvFileOpt, None),
    "database_url": (DatabaseUrlOpt, None),
    "langflow_version": (VersionOpt, None),
    "force_unknown_schema": (ForceOpt, False),
    "json": (JsonOpt, False),
    "wide": (WideOpt, False),
    "quiet": (QuietOpt, False),
    "debug": (DebugOpt, False),
    "as_user": (AsOpt, None),
    "auth_password_stdin": (AuthPwOpt, False),
    "api_key_stdin": (ApiKeyOpt, False),
}


def apply(inv: Invocation, **values: Any) -> None:
    """Record options given on the command line (defaults never overwrite a root value)."""
    for name, value in values.items():
        if value not in (None, False):
            setattr(inv, name, value)
    output.quiet = inv.quiet
    output.wide = inv.wide


_CTX = "_lfadmin_context"  # the click context Typer hands a command's wrapper
# Hidden spellings of a group: the audit trail records the one the help shows.
CANONICAL = {"users": "user", "api-keys": "api-key", "config-audit": "config doctor"}


def command_path(ctx: typer.Context) -> str | None:
    """The command as the audit trail names it: ``user promote`` (also for ``users promote``);
    None for the root callback."""
    names: list[str] = []
    here: Any = ctx
    while here.parent is not None:
        names.insert(0, here.info_name or "")
        here = here.parent
    if not names:
        return None
    names[0] = CANONICAL.get(names[0], names[0])
    return " ".join(names)


def global_options(func: F) -> F:
    """Add the global options to a command's signature (Typer reads ``__signature__``), and give
    the run's ``Invocation`` to a parameter annotated ``Invocation`` (hidden from Typer)."""
    sig = inspect.signature(func, eval_str=True)
    given = [name for name, p in sig.parameters.items() if p.annotation is Invocation]
    shown = [p for p in sig.parameters.values() if p.annotation is not Invocation]
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
        for name, (ann, default) in OPTIONS.items()
        if name not in sig.parameters
    ]
    ctx_param = inspect.Parameter(_CTX, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = kwargs.pop(_CTX)
        inv = _invocation(ctx)
        inv.command = command_path(ctx) or inv.command
        ours = [name for name in list(kwargs) if name in OPTIONS and name not in sig.parameters]
        apply(inv, **{name: kwargs.pop(name) for name in ours})
        kwargs.update(dict.fromkeys(given, inv))
        return func(*args, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=[*shown, *extra, ctx_param])  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


@contextmanager
def no_color_for_typer() -> Iterator[None]:
    """Under NO_COLOR, Typer's help and usage errors carry no escape codes at all.

    Typer forces a terminal when GITHUB_ACTIONS, FORCE_COLOR or PY_COLORS is set, and rich's own
    NO_COLOR keeps bold and dim; Typer reads _TYPER_FORCE_DISABLE_TERMINAL when it first renders.
    (lfadmin's own consoles: ``output._color_system``.)
    """
    if not os.environ.get("NO_COLOR") or "_TYPER_FORCE_DISABLE_TERMINAL" in os.environ:
        yield
        return
    os.environ["_TYPER_FORCE_DISABLE_TERMINAL"] = "1"
    try:
        yield
    finally:
        os.environ.pop("_TYPER_FORCE_DISABLE_TERMINAL", None)


# -- progress ----------------------------------------------------------------------------------

@contextmanager
def progress(inv: Invocation, label: str) -> Iterator["Progress | None"]:
    """Progress bars on stderr for long work: on a terminal only, never under --quiet or --json.

    Yields None otherwise, and the core then skips even counting its total. The bar appears
    with the first report, so a prompt before the work (``user delete``) is not drawn over.
    """
    if output.quiet or inv.json or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars: list[Progress] = []
    tasks: dict[str, Any] = {}

    def update(what: str, done: int, total: int) -> None:
        if not bars:
            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=output.err_console(),
                transient=True,
            )
            bar.start()
            bars.append(bar)
        if what not in tasks:
            tasks[what] = bars[0].add_task(f"{label} {what}".strip(), total=total or None)
        bars[0].update(tasks[what], completed=done)

    try:
        yield update
    finally:
        for bar in bars:
            bar.stop()


# -- secrets from stdin and prompts -----------------------------------------------------------

STDIN_CAP = 64 * 1024  # bytes: a secret (or two keys, one per line) is far shorter


def read_stdin_secret(inv: Invocation, option: str) -> str:
    """The whole of stdin minus one trailing newline; stdin can feed one secret per command."""
    if inv.stdin_used_by is not None and inv.stdin_used_by != option:
        raise InvalidInput(f"{option} and {inv.stdin_used_by} both read stdin; use only one")
    inv.stdin_used_by = option
    if sys.stdin is None or sys.stdin.closed:
        raise InvalidInput(f"{option}: stdin is closed")
    value = _read_text(option)
    if value.endswith("\r\n"):
        value = value[:-2]
    elif value.endswith("\n"):
        value = value[:-1]
    if not value:
        raise InvalidInput(f"{option}: nothing on stdin")
    redact.register(value)
    return value


def _read_text(option: str) -> str:
    """Stdin decoded strictly as UTF-8: Python's own stdin would let undecodable bytes through as
    surrogates, to fail later inside hashing or the driver. The bytes are never quoted. At most
    STDIN_CAP is read: `< /dev/zero` must not eat all memory."""
    buffer = getattr(sys.stdin, "buffer", None)
    try:
        raw: bytes | str = buffer.read(STDIN_CAP + 1) if buffer is not None else sys.stdin.read(STDIN_CAP + 1)
        if len(raw) > STDIN_CAP:
            raise InvalidInput(f"{option}: more than {STDIN_CAP // 1024} KiB on stdin; that is not a secret")
        if isinstance(raw, bytes):
            return raw.decode("utf-8")
        raw.encode("utf-8")  # a text stream without bytes underneath: refuse surrogates it let in
        return raw
    except UnicodeError:
        raise InvalidInput(f"{option}: stdin is not UTF-8 text") from None
    except OSError as exc:  # a directory, a terminal that went away
        raise InvalidInput(f"{option}: stdin cannot be read ({exc.strerror or type(exc).__name__})") from None


def interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()


def prompt_secret(label: str, *, confirm: bool = False) -> str:
    """A hidden prompt on the terminal; the one seam tests replace."""
    value: str = typer.prompt(label, hide_input=True, confirmation_prompt=confirm, err=True)
    try:
        value.encode("utf-8")  # the terminal's bytes arrive surrogate-escaped when not UTF-8
    except UnicodeError:
        raise InvalidInput(f"{label}: what was typed is not UTF-8 text") from None
    redact.register(value)
    return value


def prompter() -> Callable[[str], str] | None:
    return prompt_secret if interactive() else None


# -- new passwords (user create/set-password, superuser) ----------------------------------------

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
]
PasswordEnv = Annotated[
    str | None,
    typer.Option(
        "--password-env",
        metavar="VAR",
        help="Read the new password from environment variable VAR.",
        show_default=False,
    ),
]


def new_password(inv: Invocation, stdin: bool, env_var: str | None) -> str:
    """A new user's password: --password-stdin, --password-env VAR, or a confirmed prompt."""
    from lfadmin.langflow.crypto import check_password_acceptable, password_truncated

    if stdin and env_var:
        raise InvalidInput("use either --password-stdin or --password-env, not both")
    if stdin:
        password = read_stdin_secret(inv, "--password-stdin")
    elif env_var:
        value = os.environ.get(env_var)
        if not value:
            raise InvalidInput(f"--password-env: environment variable {env_var} is not set")
        redact.register(value)
        password = value
    elif interactive():
        password = prompt_secret("New password", confirm=True)
    else:
        raise InvalidInput(
            "no password given: pipe it to --password-stdin or name a variable with --password-env "
            "(passwords are never accepted as arguments)"
        )
    check_password_acceptable(password)
    if password_truncated(password):
        output.warn(
            "the password is longer than 72 bytes; like Langflow, only its first 72 bytes count"
        )
    return password


# -- opening the database ---------------------------------------------------------------------


BackupOpt = Annotated[
    Path | None,
    typer.Option(
        "--backup",
        metavar="PATH",
        help="First take a verified backup to PATH (as `lfadmin backup create PATH`); if it fails, "
        "nothing is changed. Not taken with --dry-run.",
        show_default=False,
    ),
]


def warn_once(tgt: "Target") -> None:
    """For a command that opens more than one session (a backup first, a plan first): each
    warning or note about the database (an unknown revision, auto-login) is shown once, not per
    session."""
    shown: set[str] = set()

    def once(say: Callable[[str], None]) -> Callable[[str], None]:
        def said(message: str) -> None:
            if message not in shown:
                shown.add(message)
                say(message)

        return said

    tgt.warn, tgt.note = once(tgt.warn), once(tgt.note)


def backup_first(
    inv: Invocation, tgt: "Target", path: Path | None, *, dry_run: bool, auto: bool = False
) -> Path | None:
    """``--backup PATH`` (or, with ``auto``, the default path of ``backup create``): one verified
    backup before the command's transaction (``core.backup.safeguard``); on any failure it raises
    and the command never starts. Skipped under --dry-run, which changes nothing. Returns the
    backup's path (None: none taken)."""
    if path is None and not auto:
        return None
    if dry_run:
        if path is not None:
            output.say("note: --dry-run changes nothing: no backup taken")
        return None
    from lfadmin.core import backup
    from lfadmin.errors import LfadminError

    warn_once(tgt)
    try:
        made = backup.safeguard(tgt, path)
    except LfadminError as exc:
        if path is None and exc.hint is None:  # the automatic one: say how to choose
            exc.hint = ("the automatic backup goes beside the database: choose another place with "
                        "--backup PATH, or --no-backup")
        raise
    output.say(f"Backed up the database to {made.path} (verified: {made.manifest.size} bytes, "
               f"sha256 {made.manifest.sha256[:12]}; restore: lfadmin backup restore {made.path})")
    return made.path



def target(inv: Invocation, *, with_creds: bool = True) -> "Target":
    """Where this run acts, from its global options. ``with_creds``: the invoker's credentials
    (stdin, a prompt later), read when ``Target.session`` first opens, to authenticate."""
    from lfadmin.core.target import Target

    return Target(
        env_file=inv.env_file,
        database_url=inv.database_url,
        langflow_version=inv.langflow_version,
        force_unknown_schema=inv.force_unknown_schema,
        creds=(lambda: credentials(inv)) if with_creds else None,
        warn=output.warn,
        note=output.say,
        on_commit=inv.mark_committed,
        command=inv.command,
    )


def credentials(inv: Invocation) -> "Credentials":
    from lfadmin.core.actor import Credentials

    creds = Credentials(username=inv.as_user, prompt=prompter())
    if inv.api_key_stdin:
        creds.api_key = read_stdin_secret(inv, "--api-key-stdin")
    if inv.auth_password_stdin:
        creds.password = read_stdin_secret(inv, "--auth-password-stdin")
    return creds
