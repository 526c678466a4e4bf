"""Docs that cannot drift: every command's help has an example, and everything generated is current.

``scripts/gen_docs.py`` pastes every ``--help`` into README.md and writes ``completions/``;
here it runs in ``--check`` mode. The help texts are read as the user sees them (rendered by
Typer), so an example that lost its ``\\b`` and got re-wrapped into a paragraph does not count.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT / "scripts" / "gen_docs.py"

_DUMP = """
import json, sys
sys.path.insert(0, sys.argv[1])
import gen_docs
gen_docs._pin_environment()
cli = gen_docs._cli()
print(json.dumps([[p, gen_docs.help_text(cli, p)] for p, _ in gen_docs.commands(cli)]))
"""


def _paths() -> list[list[str]]:
    import typer

    from lfadmin.cli import app

    sys.path.insert(0, str(GEN.parent))
    try:
        import gen_docs
    finally:
        sys.path.remove(str(GEN.parent))
    return [path for path, _ in gen_docs.commands(typer.main.get_command(app))]


PATHS = _paths()


@pytest.fixture(scope="module")
def helps() -> dict[str, str]:
    """Every ``--help`` as gen_docs renders it (a fresh process: fixed width, no colour)."""
    proc = subprocess.run(
        [sys.executable, "-c", _DUMP, str(GEN.parent)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return {" ".join(path): text for path, text in json.loads(proc.stdout)}


def test_generated_readme_and_completions_are_current() -> None:
    proc = subprocess.run([sys.executable, str(GEN), "--check"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{proc.stderr}\n{proc.stdout[-6000:]}"


def test_every_command_is_in_the_reference() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [" ".join(p) for p in PATHS if f"### `{' '.join(['lfadmin', *p])}`" not in readme]
    assert not missing
    assert len(PATHS) > 20  # the walk found the groups' commands, not just the root


def invocations(text: str) -> list[list[str]]:
    """``lfadmin ...`` command lines in a help text: at the start of a line, after ``VAR=value``
    assignments, inside ``$(...)`` or after a pipe. Each is returned as its words."""
    found = []
    for line in text.splitlines():
        line = line.strip(" │")
        for piece in re.split(r"\$\(|\|(?!\|)|&&|;", line):
            piece = re.sub(r"^\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*", "", piece)
            if piece.startswith("lfadmin "):
                found.append(piece.split())
    return found


def _runs(words: list[str], path: list[str]) -> bool:
    """Does the command line invoke ``path`` (global options may come before it)?"""
    n = len(path)
    return any(words[i : i + n] == path for i in range(1, len(words) - n + 1)) if n else True


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "lfadmin" for p in PATHS])
def test_help_has_text_and_an_example(path: list[str], helps: dict[str, str]) -> None:
    text = helps[" ".join(path)]
    description = text.split("\n\n", 2)[1] if text.count("\n\n") >= 1 else ""
    assert description.strip() and not description.strip().startswith("╭"), f"no help text:\n{text}"
    examples = [w for w in invocations(text) if _runs(w, path)]
    assert examples, (
        f"`lfadmin {' '.join(path)} --help` shows no example line running it "
        f"(`lfadmin {' '.join(path)} ...`, in a \\b block so it keeps its own line):\n{text}"
    )


def test_the_example_finder() -> None:
    text = (
        " lfadmin user list\n"
        ' printf x | lfadmin user create bob --password-stdin\n'
        " KEY=$(lfadmin --env-file .env api-key create --name ci)\n"
        " ALICE_PW=x lfadmin user apply users.json --dry-run\n"
        " Run lfadmin user show to see it.\n"
    )
    found = invocations(text)
    assert [w[:3] for w in found] == [
        ["lfadmin", "user", "list"], ["lfadmin", "user", "create"], ["lfadmin", "--env-file", ".env"],
        ["lfadmin", "user", "apply"],
    ]
    assert _runs(found[2], ["api-key", "create"]) and not _runs(found[2], ["user"])


# -- the completion scripts work, not only exist ----------------------------------------------------


@pytest.fixture
def lfadmin_on_path(tmp_path: Path) -> dict[str, str]:
    """An ``lfadmin`` executable exactly like the console script, first on PATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "lfadmin"
    exe.write_text(f"#!{sys.executable}\nimport sys\nfrom lfadmin.cli import main\nsys.exit(main())\n")
    exe.chmod(0o755)
    return {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completion_script_completes(lfadmin_on_path: dict[str, str]) -> None:
    script = ROOT / "completions" / "lfadmin.bash"
    probe = (
        f"source {script}\n"
        "complete -p lfadmin\n"
        "COMP_WORDS=(lfadmin us); COMP_CWORD=1; _lfadmin_completion lfadmin; echo \"1:${COMPREPLY[*]}\"\n"
        "COMP_WORDS=(lfadmin api-key ''); COMP_CWORD=2; _lfadmin_completion lfadmin; echo \"2:${COMPREPLY[*]}\"\n"
    )
    proc = subprocess.run(["bash", "--norc", "-c", probe], capture_output=True, text=True, env=lfadmin_on_path,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert "complete -o default -F _lfadmin_completion lfadmin" in out
    assert "1:user" in out  # the hidden alias `users` is not offered
    line2 = next(x for x in out if x.startswith("2:"))
    assert set(line2[2:].split()) == {"create", "list", "revoke", "prune", "encrypt-legacy"}


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion_callbacks(shell: str, lfadmin_on_path: dict[str, str]) -> None:
    """What the zsh and fish scripts run on Tab (the shells themselves may not be installed)."""
    script = (ROOT / "completions" / ("_lfadmin" if shell == "zsh" else "lfadmin.fish")).read_text()
    assert f"_LFADMIN_COMPLETE=complete_{shell}" in script
    env = {**lfadmin_on_path, "_LFADMIN_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": "lfadmin secrets "}
    if shell == "fish":
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    proc = subprocess.run(["lfadmin"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for name in ("generate", "rotate", "scan-flows"):
        assert name in proc.stdout
