"""Generate what the docs copy from lfadmin itself, so they cannot drift from the code.

    python scripts/gen_docs.py          # rewrite README.md's command reference and completions/*
    python scripts/gen_docs.py --check  # change nothing; exit 1 with a diff when anything is stale

- README.md, between ``<!-- commands:start -->`` and ``<!-- commands:end -->``: the ``--help`` of
  every visible command and group, rendered as a 100-column terminal without colour shows it.
  The global options are shown once, under ``lfadmin``; each command's own ``--help`` repeats them.
- ``completions/lfadmin.bash``, ``completions/_lfadmin`` (zsh), ``completions/lfadmin.fish``: what
  ``_LFADMIN_COMPLETE=source_bash|source_zsh|source_fish lfadmin`` prints, with a header line.
- ``docs/screenshots/*.svg``: what an 80-column terminal shows for a few commands run on the
  1.13.0 fixture (rich's own SVG export), with the clock pinned so the ages in them never drift.

The help text comes from the docstrings in ``lfadmin/cli/``: edit those, then rerun this script.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
COMPLETIONS = ROOT / "completions"
START = "<!-- commands:start -->"
END = "<!-- commands:end -->"
WIDTH = 100
# shell -> (file name, comment leader); zsh needs "#compdef" on line 1, so its header goes after it.
SHELLS = {"bash": ("lfadmin.bash", "#"), "zsh": ("_lfadmin", "#"), "fish": ("lfadmin.fish", "#")}
GLOBAL_PANEL = "Global options"
SCREENSHOTS = ROOT / "docs" / "screenshots"
SHOT_WIDTH = 80
SHOT_DB = ROOT / "tests" / "fixtures" / "langflow-1.13.0.db"
SHOT_MANIFEST = ROOT / "tests" / "fixtures" / "langflow-1.13.0.json"
SHOT_ENV = "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_SECRET_KEY=changeme\nLANGFLOW_CORS_ORIGINS=*\n"
# name -> (arguments, authenticate as admin, exit code); the doctor reads only its --env-file.
SHOTS = {
    "user-list": (["user", "list"], True, 0),
    "api-key-list": (["api-key", "list", "--all"], True, 0),
    "secrets-check": (["secrets", "check"], True, 0),
    "config-doctor": (
        ["config", "doctor", "--env-file", ".env", "--no-database", "--langflow-version", "1.13.0"], False, 12
    ),
}


def _pin_environment() -> None:
    """The same bytes on every machine: fixed width, no colour, nothing from the caller's shell."""
    for name in list(os.environ):
        if name.upper().startswith(("LANGFLOW_", "LFADMIN_", "_LFADMIN_")) or name in {
            "FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES",
        }:
            del os.environ[name]
    os.environ.update(
        {"TERMINAL_WIDTH": str(WIDTH), "COLUMNS": str(WIDTH), "NO_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    )


def _cli() -> Any:
    import typer  # noqa: TID251 (a script over the CLI, like lfadmin/cli)

    sys.path.insert(0, str(ROOT))
    from lfadmin.cli import app

    return typer.main.get_command(app)


def commands(cli: Any) -> Iterator[tuple[list[str], Any]]:
    """Every visible command and group, depth first, in the order ``--help`` lists them."""

    def walk(cmd: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        yield path, cmd
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(None):
                sub = cmd.get_command(None, name)
                if sub is not None and not sub.hidden:
                    yield from walk(sub, [*path, name])

    yield from walk(cli, [])


def _invoke(cli: Any, args: list[str], env: dict[str, str] | None = None) -> str:
    """Run the click command in-process (one import for all ~35 helps) and capture stdout."""
    buf = io.StringIO()
    saved = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(buf):
            try:
                cli.main(args=args, prog_name="lfadmin", standalone_mode=False)
            except SystemExit as exc:
                if exc.code not in (0, None):
                    raise RuntimeError(f"lfadmin {' '.join(args)} exited {exc.code}") from None
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return buf.getvalue()


def _drop_panel(text: str, title: str) -> str:
    """Remove one rich panel (``╭─ title ─...╮`` to ``╰─...╯``) from rendered help."""
    out, skipping = [], False
    for line in text.splitlines():
        if line.startswith(f"╭─ {title} "):
            skipping = True
        if not skipping:
            out.append(line)
        if skipping and line.startswith("╰"):
            skipping = False
    return "\n".join(out)


def help_text(cli: Any, path: list[str]) -> str:
    text = _invoke(cli, [*path, "--help"])
    if path:
        text = _drop_panel(text, GLOBAL_PANEL)
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def reference(cli: Any) -> str:
    parts = [
        "<!-- Generated by scripts/gen_docs.py from `--help`: edit the docstrings in lfadmin/cli/, "
        "then run `python scripts/gen_docs.py`. -->",
        "",
        "The global options are listed once, under `lfadmin`; every command accepts them too.",
    ]
    for path, _cmd in commands(cli):
        name = " ".join(["lfadmin", *path])
        parts += ["", f"### `{name}`", "", "```text", help_text(cli, path), "```"]
    return "\n".join(parts)


def completion(cli: Any, shell: str) -> str:
    script = _invoke(cli, [], env={"_LFADMIN_COMPLETE": f"source_{shell}"}).strip("\n")
    header = (
        f"# Generated by scripts/gen_docs.py from `_LFADMIN_COMPLETE=source_{shell} lfadmin`; do not edit."
    )
    lines = script.splitlines()
    if lines and lines[0].startswith("#compdef"):
        return "\n".join([lines[0], header, *lines[1:]]) + "\n"
    return "\n".join([header, *lines]) + "\n"


def render_readme(current: str, cli: Any) -> str:
    if current.count(START) != 1 or current.count(END) != 1 or current.index(START) > current.index(END):
        raise SystemExit(f"README.md needs exactly one {START} ... {END} pair")
    head, rest = current.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{reference(cli)}\n{END}{tail}"


@contextlib.contextmanager
def _scene(env: dict[str, str]) -> Iterator[Path]:
    """A copy of the fixture in a fresh directory (the cwd, so paths print short), and ``env``."""
    import shutil
    import tempfile

    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        shutil.copyfile(SHOT_DB, here / "langflow.db")
        (here / ".env").write_text(SHOT_ENV)
        for made in (here / "langflow.db", here / ".env"):
            made.chmod(0o600)  # not the umask's choice: the doctor reports file modes
        (here / "config").mkdir(mode=0o700)
        os.chdir(here)
        os.environ.update({**env, "HOME": str(here)})
        try:
            yield here
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)


def screenshots() -> dict[Path, str]:
    """Each of SHOTS run in-process with stdout and stderr on one recording 80-column terminal."""
    import json
    import sqlite3
    from datetime import datetime, timedelta, timezone

    from rich.console import Console  # noqa: TID251 (a script over the CLI, like lfadmin/cli)

    from lfadmin import cli, output

    manifest = json.loads(SHOT_MANIFEST.read_text())
    with contextlib.closing(sqlite3.connect(f"file:{SHOT_DB}?immutable=1", uri=True)) as db:
        made = datetime.fromisoformat(db.execute('SELECT max(create_at) FROM "user"').fetchone()[0])
    now = made.replace(tzinfo=timezone.utc) + timedelta(days=3, hours=2)  # as if three days later
    admin_key = next(k["plaintext"] for k in manifest["api_keys"] if k["owner"] == "admin")
    files = {}
    for name, (args, auth, code) in SHOTS.items():
        env = {"LANGFLOW_DATABASE_URL": "sqlite:///langflow.db", "LANGFLOW_CONFIG_DIR": "config"}
        if auth:
            env.update({"LANGFLOW_SECRET_KEY": manifest["secret_key"], "LANGFLOW_AUTO_LOGIN": "False",
                        "LANGFLOW_SUPERUSER": "admin", "LANGFLOW_API_KEY": admin_key})
        console = Console(record=True, width=SHOT_WIDTH, force_terminal=True, color_system="truecolor",
                          file=io.StringIO(), highlight=False)
        saved_argv = sys.argv
        with _scene(env):
            output._stdout = output._stderr = console
            output.now = now
            sys.argv = ["lfadmin", *args]
            exit_code = 0
            try:
                cli.main()
            except SystemExit as exc:
                exit_code = exc.code if isinstance(exc.code, int) else 1
            finally:
                sys.argv = saved_argv
                output._stdout = output._stderr = None
                output.now = None
        if exit_code != code:
            raise RuntimeError(f"lfadmin {' '.join(args)} exited {exit_code}, not {code}:\n{console.export_text()}")
        files[SCREENSHOTS / f"{name}.svg"] = console.export_svg(title=" ".join(["lfadmin", *args]))
    return files


def expected(cli: Any) -> dict[Path, str]:
    files = {README: render_readme(README.read_text(encoding="utf-8"), cli)}
    for shell, (name, _) in SHELLS.items():
        files[COMPLETIONS / name] = completion(cli, shell)
    files.update(screenshots())
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 (with a diff) if anything is out of date")
    args = parser.parse_args(argv)
    _pin_environment()
    cli = _cli()
    stale = []
    for path, text in expected(cli).items():
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old == text:
            continue
        rel = path.relative_to(ROOT)
        stale.append(str(rel))
        if args.check:
            sys.stdout.writelines(
                difflib.unified_diff(
                    old.splitlines(keepends=True), text.splitlines(keepends=True), f"a/{rel}", f"b/{rel}", n=1
                )
            )
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"\nout of date: {', '.join(stale)}; run: python scripts/gen_docs.py", file=sys.stderr)
        return 1
    if not args.check:
        print(f"updated: {', '.join(stale)}" if stale else "everything was up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
