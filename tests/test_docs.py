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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@pytest.mark.parametrize("args", [["--help"], ["-h"], []], ids=["--help", "-h", "no arguments"])
def test_root_help_from_group_stubs_is_the_whole_apps(args: list[str]) -> None:
    """``lfadmin --help`` builds the groups without their commands: it must print what the whole
    app (the one scripts/gen_docs.py documents) prints."""
    from tests.support.cli import run

    script = "import sys; sys.argv = ['lfadmin', *sys.argv[1:]]\nfrom lfadmin.cli import make_app\nmake_app()()"
    whole = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60)
    fast = run(*args)
    assert (fast.exit_code, fast.stdout, fast.stderr) == (whole.returncode, whole.stdout, whole.stderr)
    assert "secrets" in fast.stdout + fast.stderr and "api-key" in fast.stdout + fast.stderr


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


# -- docs/json.md: every documented --json shape is what the command prints ---------------------


@dataclass
class JsonCase:
    """How to make one command print its JSON on a fresh copy of the Langflow 1.13.0 database."""

    args: list[str]
    stdin: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    codes: tuple[int, ...] = (0,)
    manifest: bool = False  # write {tmp}/users.json: the export, with alice disabled
    backup: bool = False  # back up the database to {tmp}/b.db first
    before: tuple[str, ...] = ()  # a command run first (one that leaves an audit record)


JSON_CASES = {
    "lfadmin info --json": JsonCase(["info", "--json"]),
    "lfadmin user list --json": JsonCase(["user", "list", "--json"]),
    "lfadmin user show NAME --json": JsonCase(["user", "show", "alice", "--json"]),
    "lfadmin user create NAME --json": JsonCase(
        ["user", "create", "dora", "--password-env", "DORA_PW", "--json"], env={"DORA_PW": "Dora-pw-2026-long"}
    ),
    "lfadmin user activate|deactivate|promote|demote NAME --json": JsonCase(["user", "deactivate", "alice", "--json"]),
    "lfadmin user set-password NAME --json": JsonCase(
        ["user", "set-password", "alice", "--password-env", "PW", "--json"], env={"PW": "Alice-pw-2026-long"}
    ),
    "lfadmin user rename OLD NEW --json": JsonCase(["user", "rename", "carol", "caroline", "--json"]),
    "lfadmin user delete NAME --json": JsonCase(["user", "delete", "carol", "--yes", "--json"]),
    "lfadmin user transfer OLD NEW --json": JsonCase(["user", "transfer", "alice", "carol", "--json"]),
    "lfadmin user delete NAME --transfer-to NEW --json": JsonCase(
        ["user", "delete", "alice", "--transfer-to", "carol", "--yes", "--json"]
    ),
    "lfadmin user export": JsonCase(["user", "export"]),
    "lfadmin user diff FILE --json": JsonCase(["user", "diff", "{tmp}/users.json", "--json"], codes=(3,), manifest=True),
    "lfadmin user apply FILE --json": JsonCase(["user", "apply", "{tmp}/users.json", "--json"], manifest=True),
    "lfadmin api-key create --json": JsonCase(["api-key", "create", "--name", "ci", "--expires-in", "30d", "--json"]),
    "lfadmin api-key list --json": JsonCase(["api-key", "list", "--all", "--json"]),
    "lfadmin api-key revoke KEY --json": JsonCase(["api-key", "revoke", "alice-key", "--user", "alice", "--json"]),
    "lfadmin api-key prune --json": JsonCase(["api-key", "prune", "--unused-for", "1s", "--dry-run", "--json"]),
    "lfadmin api-key encrypt-legacy --json": JsonCase(["api-key", "encrypt-legacy", "--dry-run", "--json"]),
    "lfadmin superuser --json": JsonCase(
        ["superuser", "--username", "ops", "--password-env", "PW", "--json"], env={"PW": "Ops-pw-2026-long"}
    ),
    "lfadmin secrets list --json": JsonCase(["secrets", "list", "--json"]),
    "lfadmin secrets set NAME --json": JsonCase(
        ["secrets", "set", "NEW_KEY", "--user", "alice", "--value-stdin", "--json"], stdin="s3cret-value"
    ),
    "lfadmin secrets show NAME --json": JsonCase(["secrets", "show", "ADMIN_CRED", "--user", "admin", "--json"]),
    "lfadmin secrets delete NAME --json": JsonCase(["secrets", "delete", "ADMIN_CRED", "--user", "admin", "--json"]),
    "lfadmin secrets generate --write-env FILE --json": JsonCase(
        ["secrets", "generate", "--write-env", "{tmp}/new.env", "--json"]
    ),
    "lfadmin secrets check --json": JsonCase(["secrets", "check", "--json"]),
    "lfadmin secrets rotate --json": JsonCase(["secrets", "rotate", "--generate", "--dry-run", "--json"]),
    "lfadmin secrets scan-flows --json": JsonCase(["secrets", "scan-flows", "--json"]),
    "lfadmin config doctor --json": JsonCase(["config", "doctor", "--json"], codes=(0, 12)),
    "lfadmin config doctor --list-checks --json": JsonCase(["config", "doctor", "--list-checks", "--json"]),
    "lfadmin upgrade check --json": JsonCase(["upgrade", "check", "--to", "1.13.0", "--json"], codes=(0, 12)),
    "lfadmin upgrade repair --json": JsonCase(["upgrade", "repair", "--dry-run", "--json"]),
    "lfadmin backup create PATH --json": JsonCase(["backup", "create", "{tmp}/b.db", "--json"]),
    "lfadmin backup restore PATH --json": JsonCase(["backup", "restore", "{tmp}/b.db", "--yes", "--json"], backup=True),
    "lfadmin audit list --json": JsonCase(["audit", "list", "--json"], before=("user", "deactivate", "alice")),
    "lfadmin audit verify --json": JsonCase(["audit", "verify", "--json"], before=("user", "deactivate", "alice")),
    "lfadmin db prune --json": JsonCase(["db", "prune", "--older-than", "0d", "--keep-last", "1", "--json"]),
    "lfadmin db vacuum --json": JsonCase(["db", "vacuum", "--json"]),
}


def run_json_case(case: JsonCase, tmp_path: Path) -> Any:
    from tests.support.databases import make_db

    gen = make_db("sqlite", "1.13.0", tmp_path)
    db = next(gen)
    try:
        if case.manifest:
            doc = json.loads(db.run("user", "export").stdout)
            users = doc["users"] if isinstance(doc, dict) and "users" in doc else doc
            next(u for u in users if u["username"] == "alice")["state"] = "disabled"
            (tmp_path / "users.json").write_text(json.dumps(doc))
        if case.backup:
            assert db.run("backup", "create", str(tmp_path / "b.db")).exit_code == 0
        if case.before:
            assert db.run(*case.before).exit_code == 0
        args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
        result = db.run(*args, input=case.stdin, **case.env)
        assert result.exit_code in case.codes, result
        return json.loads(result.stdout)
    finally:
        gen.close()


def documented_json() -> dict[str, Any]:
    """``### `title` `` headings of docs/json.md, each with the first json block under it."""
    text = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    found = {}
    for m in re.finditer(r"^### `([^`]+)`\n(.*?)^```json\n(.*?)^```", text, re.M | re.S):
        found[m.group(1)] = json.loads(m.group(3))
    return found


def shape_diff(doc: Any, actual: Any, where: str = "$") -> list[str]:
    """Where ``actual`` has other keys than the documented example (``{}``, ``[]``, null: any)."""
    if doc is None or doc == {} or doc == []:
        return []
    if isinstance(doc, dict):
        if not isinstance(actual, dict):
            return [f"{where}: documented an object, got {type(actual).__name__}"]
        problems = [f"{where}.{k}: not documented" for k in sorted(set(actual) - set(doc))]
        problems += [f"{where}.{k}: documented, missing" for k in sorted(set(doc) - set(actual))]
        for k in sorted(set(doc) & set(actual)):
            problems += shape_diff(doc[k], actual[k], f"{where}.{k}")
        return problems
    if isinstance(doc, list):
        if not isinstance(actual, list):
            return [f"{where}: documented a list, got {type(actual).__name__}"]
        return [p for i, item in enumerate(actual) for p in shape_diff(doc[0], item, f"{where}[{i}]")]
    if isinstance(actual, (dict, list)):
        return [f"{where}: documented a scalar, got {type(actual).__name__}"]
    return []


def test_json_doc_covers_every_command() -> None:
    documented = documented_json()
    assert sorted(documented) == sorted(JSON_CASES)
    for path in PATHS:
        groups = {"user", "api-key", "secrets", "config", "upgrade", "backup", "audit", "db"}
        if not path or (path[0] in groups and len(path) == 1):
            continue  # the root and the groups print no JSON
        assert any(
            t.split()[1 : len(path)] == path[:-1] and path[-1] in t.split()[len(path)].split("|") for t in JSON_CASES
        ), f"docs/json.md has no section for lfadmin {' '.join(path)}"


def test_the_shape_check() -> None:
    assert shape_diff({"a": [{"b": 1}], "c": {}}, {"a": [{"b": 2}, {"b": None}], "c": {"x": 1}}) == []
    assert shape_diff({"a": [{"b": 1}]}, {"a": [{"b": 1, "z": 0}], "y": 1}) == ["$.y: not documented", "$.a[0].z: not documented"]
    assert shape_diff({"a": 1, "b": 2}, {"a": 1}) == ["$.b: documented, missing"]


@pytest.mark.parametrize("title", list(JSON_CASES))
def test_json_output_matches_docs(title: str, tmp_path: Path) -> None:
    actual = run_json_case(JSON_CASES[title], tmp_path)
    assert shape_diff(documented_json()[title], actual) == []
    if title == "lfadmin user export":  # Langflow's manifest format, versioned by its apiVersion
        assert "schema_version" not in actual and actual["apiVersion"] == "langflow.ai/v1"
    else:  # one envelope: an object, its version first
        assert next(iter(actual.items())) == ("schema_version", 1)


# -- the hand-written examples use options that exist -------------------------------------------


def _doc_commands(path: Path) -> list[list[str]]:
    """``lfadmin ...`` command lines in a markdown file's code blocks and inline code."""
    text = path.read_text(encoding="utf-8")
    if START_MARK in text:  # the generated reference is checked by gen_docs --check
        head, rest = text.split(START_MARK, 1)
        text = head + rest.split(END_MARK, 1)[1]
    text = re.sub(r"\\\n\s*", " ", text)  # shell line continuations
    chunks = re.findall(r"```[a-z]*\n(.*?)```", text, re.S) + re.findall(r"`([^`\n]*lfadmin [^`\n]*)`", text)
    return [words for chunk in chunks for words in invocations(chunk)]


START_MARK, END_MARK = "<!-- commands:start -->", "<!-- commands:end -->"
DOCS = ["README.md", "docs/ci.md", "docs/json.md", "docs/text-output.md", "docs/backup.md", "docs/users.md",
        "docs/retention.md"]


def doc_problems(path: Path, helps: dict[str, str]) -> list[str]:
    by_length = sorted(PATHS, key=len, reverse=True)
    problems = []
    commands = _doc_commands(path)
    if not commands:
        return [f"no lfadmin examples found in {path}"]
    for words in commands:
        words = [w.strip("\"'`,;)") for w in words]
        if len(words) > 1 and (words[1] in {">", ">>", "<", "|"} or words[1].isupper()):
            continue  # `lfadmin > file`, or a placeholder such as `lfadmin COMMAND --help`
        cmd = next(p for p in by_length if _runs(words, p))
        if any(len(q) > len(cmd) and q[: len(cmd)] == cmd for q in PATHS):  # a group: what follows it?
            i = next((i + len(cmd) for i in range(1, len(words)) if words[i : i + len(cmd)] == cmd), 1)
            rest = [w for w in words[i:] if not w.startswith("-")]
            if rest and not (len(cmd) == 0 and words[1].startswith("-")) and not rest[0].isupper():
                subs = {q[len(cmd)] for q in PATHS if len(q) == len(cmd) + 1 and q[: len(cmd)] == cmd}
                if rest[0] != "..." and not set(rest[0].split("/")) <= subs:  # README's `user list/show/...`
                    problems.append(f"unknown command: {' '.join(words)}")
                continue
        known = helps[" ".join(cmd)] + helps[""]
        for w in words[1:]:
            opt = w.split("=", 1)[0]
            if re.fullmatch(r"--[a-z][a-z0-9-]*", opt) and not re.search(rf"{re.escape(opt)}(?![a-z0-9-])", known):
                problems.append(f"lfadmin {' '.join(cmd)} has no {opt}: {' '.join(words)}")
    return problems


@pytest.mark.parametrize("doc", DOCS)
def test_documented_examples_use_real_commands_and_options(doc: str, helps: dict[str, str]) -> None:
    assert doc_problems(ROOT / doc, helps) == []


def test_the_doc_checker(tmp_path: Path, helps: dict[str, str]) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "```sh\nlfadmin user list --inactive --json\nlfadmin user lst\nlfadmin user list/show\n"
        "lfadmin --env-file .env api-key create \\\n  --name ci --expires-in 1d --colour\n```\n"
    )
    assert doc_problems(doc, helps) == [
        "unknown command: lfadmin user lst",
        "lfadmin api-key create has no --colour: lfadmin --env-file .env api-key create --name ci --expires-in 1d --colour",
    ]
