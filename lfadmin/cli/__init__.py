"""The ``lfadmin`` command: a thin Typer layer over ``lfadmin.core``.

``main()`` is the one place where an ``LfadminError`` becomes ``Error: ...`` on stderr and its
exit code; anything else is a bug, reported in one line (``--debug`` shows the traceback).
"""

import functools
import importlib
import inspect
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from lfadmin import __version__, output
from lfadmin.cli import options
from lfadmin.cli.options import Invocation
from lfadmin.cli.superuser import superuser

# Command groups: name -> (module, hidden). A run builds only the group it invokes (Typer turns
# every command of every group it holds into a parser on each run); help and completion build all.
GROUPS: dict[str, tuple[str, bool]] = {
    "user": ("lfadmin.cli.users", False),
    "users": ("lfadmin.cli.users", True),
    "api-key": ("lfadmin.cli.api_keys", False),
    "api-keys": ("lfadmin.cli.api_keys", True),
    "secrets": ("lfadmin.cli.secrets", False),
    "config": ("lfadmin.cli.config", False),
    "upgrade": ("lfadmin.cli.upgrade", False),
    "backup": ("lfadmin.cli.backup", False),
    "audit": ("lfadmin.cli.audit", False),
    "db": ("lfadmin.cli.db", False),
}
_ROOT_ORDER = [
    "user", "users", "api-key", "api-keys", "superuser", "secrets", "config", "backup", "db", "upgrade", "audit",
]
# Hidden root commands that are another group's command: name -> (module, function). The
# specification lfadmin was built from calls the doctor `config-audit` (also `config audit`).
ALIASES: dict[str, tuple[str, str]] = {"config-audit": ("lfadmin.cli.config", "doctor")}


def make_app(only: str | None = None, *, root_help: bool = False) -> typer.Typer:
    """The ``lfadmin`` app; ``only``: the one group this run invokes (None: every group).

    ``root_help``: the groups without their commands - all that ``lfadmin --help`` shows of them
    is their one-line help (test_docs holds the two renderings equal)."""
    root = typer.Typer(
        name="lfadmin",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name in _ROOT_ORDER:
        if name == "superuser":
            root.command("superuser")(superuser)
        elif only is None or name == only:
            module, hidden = GROUPS[name]
            group: typer.Typer = importlib.import_module(module).app
            if root_help:
                stub = typer.Typer(no_args_is_help=True)
                registered = group.registered_callback  # a group's help is its callback's docstring
                assert registered is not None and registered.callback is not None
                stub.callback()(registered.callback)
                group = stub
            root.add_typer(group, name=name, hidden=hidden)
    for name, (module, function) in ALIASES.items():
        if only is None or name == only:
            root.command(name, hidden=True)(getattr(importlib.import_module(module), function))
    root.callback()(root_callback)
    root.command()(info)
    _reflow_help(root)
    return root


@functools.cache
def _command(only: str | None, root_help: bool) -> typer.core.TyperGroup:
    """``make_app(only)`` as the click command it runs, built once a process.

    Typer rebuilds the click tree from every command's signature at each call (about 25 ms for a
    group); a process runs one command, but a host that calls ``main()`` again (the test suite
    runs lfadmin in-process thousands of times) reuses the tree, which holds no per-run state:
    the run's ``Invocation`` arrives as ``obj``."""
    command = typer.main.get_command(make_app(only, root_help=root_help))
    assert isinstance(command, typer.core.TyperGroup)
    return command


def reflow(doc: str | None) -> str | None:
    """A docstring as help: each paragraph one line, for the terminal to wrap at its width;
    a ``\\b`` line starts a block kept verbatim (examples) up to the next blank line or ``\\b``.

    Typer's rich help keeps a docstring's single line breaks, so a paragraph broken at 96
    columns in the source broke mid-sentence at 80. Each line of a verbatim block starts with
    ``\\b``, which rich does not print: it holds the line's indentation against the dedenting
    Typer does, so examples are indented the same under every command."""
    if not doc:
        return doc
    out: list[str] = []
    for para in inspect.cleandoc(doc).split("\n\n"):
        blocks: list[list[str]] = [[]]
        verbatim = [False]
        for line in para.split("\n"):
            if line.strip() == "\b":
                blocks.append([])
                verbatim.append(True)
            else:
                blocks[-1].append(line)
        out += [
            "\n".join("\b" + ln for ln in lines) if keep else " ".join(ln.strip() for ln in lines)
            for lines, keep in zip(blocks, verbatim, strict=True)
            if lines
        ]
    return "\n\n".join(out)


def _reflow_help(app: typer.Typer) -> None:
    """Every command's and group's help through ``reflow``, from the source docstring (kept
    aside: an app is built on each run, several times in one test process)."""
    infos = [app.registered_callback, *app.registered_commands]
    for info in infos:
        if info is not None and info.callback is not None:
            source = info.callback.__dict__.setdefault("_source_doc", info.callback.__doc__)
            info.callback.__doc__ = reflow(source)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _reflow_help(group.typer_instance)


def wants_root_help(argv: Sequence[str]) -> bool:
    """``lfadmin``, ``lfadmin --help`` or ``lfadmin -h``: only the root's help is printed."""
    return all(arg in ("-h", "--help") for arg in argv)


def invoked_group(argv: Sequence[str]) -> str | None:
    """The group (or alias) an argument list runs (``lfadmin --env-file X user list`` -> ``user``)."""
    takes_value = set()
    for ann, default in options.OPTIONS.values():
        if default is None:  # not a flag (in Annotated form Typer reads the first name from `default`)
            info = ann.__metadata__[0]
            takes_value.update([info.default, *info.param_decls])
    args = iter(argv)
    for arg in args:
        if arg in ("-h", "--help", "--version") or arg == "--":
            return None
        if arg.startswith("-"):
            if arg in takes_value:
                next(args, None)
            continue
        return arg if arg in GROUPS or arg in ALIASES else None
    return None


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole app, for scripts/gen_docs.py and tests
        return make_app()
    raise AttributeError(name)


def _version_line() -> str:
    return f"lfadmin {__version__} (Python {sys.version.split()[0]}, {sys.executable})"


def _version(value: bool) -> None:
    if value:
        output.emit_line(_version_line())
        raise typer.Exit()


@options.global_options
def root_callback(
    inv: Invocation,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """Administer a Langflow server through its own database (SQLite or PostgreSQL).

    \b
        lfadmin --env-file /srv/langflow/.env info
        lfadmin user list --json
        lfadmin config doctor --env-file /srv/langflow/.env
    """


@options.global_options
def info(inv: Invocation) -> None:
    """Show the database, the Langflow release that made it, and the settings in effect.

    \b
        lfadmin info --env-file /srv/langflow/.env
    """
    from lfadmin.core.info import gather

    data = gather(options.target(inv, with_creds=False))
    if inv.json:
        output.emit_json(data)
        return
    rows = [
        ("database", f"{data['database_url']}  ({data['database_source']})"),
        ("backend", data["backend"]),
        ("alembic revision", data["alembic_revision"]),
        ("Langflow release", data["langflow_release"] + ("  (--langflow-version)" if data["release_pinned"] else "")),
        ("capabilities", ", ".join(k for k, v in data["capabilities"].items() if v) or "-"),
        ("users", "{users} ({active_users} active)".format(**data["counts"])),
        ("superusers", "{superusers} ({active_superusers} active)".format(**data["counts"])),
        ("API keys", data["counts"]["api_keys"]),
        ("variables", data["counts"]["variables"]),
        ("flows", data["counts"]["flows"]),
        (
            "AUTO_LOGIN",
            f"{data['auto_login']['value']}  ({data['auto_login']['source']})"
            + (f", acts as {data['auto_login']['acts_as']!r}" if data["auto_login"]["acts_as"] else ""),
        ),
        ("config dir", data["config_dir"]),
        ("secret key", data["secret_key_source"] or "none yet (Langflow would generate one)"),
    ]
    output.record(rows)


def _after_commit(inv: Invocation) -> str:
    """What any failure after a committed change must add: the database did change."""
    return f"; {inv.changed} WAS changed: {inv.after_commit}" if inv.committed else ""


def _on_sigint(_signum: int, _frame: object) -> None:
    from lfadmin.errors import Interrupted

    raise Interrupted("interrupted")


def main() -> None:
    from lfadmin import redact

    inv = options.start()
    redact.reset()
    with redact.guard_streams():  # the last guard: no secret lfadmin loaded reaches the terminal
        _run(inv)


def _run(inv: Invocation) -> None:
    import signal
    import threading

    from lfadmin import redact
    from lfadmin.errors import ExitCode, Interrupted, LfadminError, OutputFailed

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _on_sigint) if in_main_thread else None
    try:
        if sys.argv[1:] == ["--version"]:  # the usual case, without building every command's parser
            output.emit_line(_version_line())
            return
        args, completing = sys.argv[1:], "_LFADMIN_COMPLETE" in os.environ
        only = None if completing else invoked_group(args)
        with options.no_color_for_typer():
            _command(only, not completing and wants_root_help(args))(obj=inv)
    except OutputFailed as exc:
        if exc.broken_pipe and not inv.committed:  # `lfadmin ... | head`: quiet, like other tools
            sys.exit(int(ExitCode.BROKEN_PIPE))
        output.error(str(exc) + _after_commit(inv))
        sys.exit(int(ExitCode.OUTPUT_FAILED))
    except (Interrupted, KeyboardInterrupt):
        output.error("interrupted" + (_after_commit(inv) or "; nothing was changed"))
        sys.exit(int(ExitCode.INTERRUPTED))
    except LfadminError as exc:
        _debug_traceback(inv)
        output.error(str(exc) + _after_commit(inv))
        sys.exit(int(exc.exit_code))
    except Exception as exc:
        _debug_traceback(inv)
        first = (redact.scrub(str(exc)).strip().splitlines() or [""])[0][:200]  # scrubbed, then cut
        output.error(
            f"internal error ({type(exc).__name__}: {first}); rerun with --debug for details{_after_commit(inv)}"
        )
        sys.exit(int(ExitCode.INTERNAL))
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)


def _debug_traceback(inv: Invocation) -> None:
    """``--debug``: the traceback, on the guarded stderr (a bare ``raise`` would print it after
    the guard is gone, secrets and all), then the usual error line and exit code."""
    if inv.debug:
        import traceback

        traceback.print_exc(file=sys.stderr)
