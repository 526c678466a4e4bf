"""File permissions as Langflow's service user sees them: this module runs as ``nobody``.

The suite runs as root (CI, ``make test``), and root may read and write anything: a refusal
that only a permission check makes (a file we may not read, a directory we may not write, a
file owned by someone else) cannot fail there. So ``test_the_module_passes_as_nobody`` (run as
root) re-runs this very module with ``runuser -u nobody`` and requires every test in it to pass,
none skipped; the other tests skip as root and run in that child. They need no database.

The child needs read access to the checkout and its ``.venv`` (a fresh clone in a world-readable
directory has it) and a writable temp dir (made here, owned by nobody). When the checkout is not
readable by nobody (a clone under ``/root``), the test is skipped and says why.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from lfadmin import files
from lfadmin.core import envfile
from lfadmin.errors import InvalidInput, Refused
from tests.support.cli import run
from tests.support.files import mode
from tests.support.secrets_seed import GOOD

ROOT = os.geteuid() == 0
FOREIGN = "UNPRIVILEGED_TEST_FOREIGN_DIR"  # a directory of ours holding a file root owns (set by the parent)
as_user = pytest.mark.skipif(ROOT, reason="runs as nobody, in test_the_module_passes_as_nobody")


@as_user
def test_a_new_file_is_ours_and_0600(tmp_path: Path) -> None:
    w = envfile.set_variable(tmp_path / "new.env", "LANGFLOW_SECRET_KEY", GOOD)
    st = w.path.stat()
    assert (st.st_uid, st.st_gid, mode(w.path)) == (os.geteuid(), os.getegid(), 0o600)


@as_user
def test_our_file_keeps_its_mode_and_its_backup_too(tmp_path: Path) -> None:
    env = tmp_path / "server.env"
    env.write_text("LANGFLOW_SECRET_KEY=old\n")
    env.chmod(0o640)
    w = envfile.set_variable(env, "LANGFLOW_SECRET_KEY", GOOD)
    assert mode(env) == 0o640 and w.backup is not None and mode(w.backup) == 0o640


@as_user
def test_a_file_we_may_not_read(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text(GOOD)
    key.chmod(0)
    env = tmp_path / "server.env"
    env.write_text("A=1\n")
    env.chmod(0)
    r = run("superuser", "--username", "rescue", "--break-glass", "--reason", "r", "--secret-key-file", str(key),
            env={"LANGFLOW_ENABLE_SUPERUSER_CLI": "true", "LANGFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert (r.exit_code, r.stderr) == (4, f"Error: --secret-key-file {key} is not readable (permission denied)\n")
    r = run("--env-file", str(env), "info")
    assert (r.exit_code, r.stderr) == (4, f"Error: env file {env} is not readable (permission denied)\n")


@as_user
def test_a_config_dir_secret_key_we_may_not_read_counts_as_absent(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "secret_key").write_text(GOOD)
    (cfg / "secret_key").chmod(0)
    from lfadmin.langflow.env import Environment
    from lfadmin.langflow.settings import LangflowSettings

    settings = LangflowSettings(Environment.load(None, {"LANGFLOW_CONFIG_DIR": str(cfg)}))
    assert settings.secret_key() is None


@as_user
def test_a_read_only_file_and_a_read_only_directory(tmp_path: Path) -> None:
    env = tmp_path / "ro.env"
    env.write_text("A=1\n")
    env.chmod(0o444)
    with pytest.raises(InvalidInput, match="is read-only"):
        envfile.set_variable(env, "LANGFLOW_SECRET_KEY", GOOD)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "server.env").write_text("A=1\n")
    locked.chmod(0o555)
    try:
        with pytest.raises(Refused, match="its directory is not writable by this user; nothing changed"):
            envfile.set_variable(locked / "server.env", "LANGFLOW_SECRET_KEY", GOOD)
    finally:
        locked.chmod(0o755)
    assert (locked / "server.env").read_text() == "A=1\n" and env.read_text() == "A=1\n"


@as_user
def test_a_file_owned_by_someone_else_is_not_taken_over() -> None:
    """Writable by us (mode 0666, in our directory), but replacing it would make it ours and
    lock its owner out: refused, unchanged."""
    foreign = Path(os.environ[FOREIGN]) / "secret_key"
    assert foreign.stat().st_uid != os.geteuid()
    with pytest.raises(Refused, match=f"rewriting {foreign} \\(owned by uid 0\\) as uid {os.geteuid()}"):
        envfile.write_secret_file(foreign, GOOD)
    r = run("secrets", "generate", "--write-config-dir", "--force", env={"LANGFLOW_CONFIG_DIR": str(foreign.parent)})
    assert r.exit_code == 10 and "would change its owner" in r.stderr, r
    assert foreign.read_text() == "root's" and foreign.stat().st_uid == 0
    assert sorted(p.name for p in foreign.parent.iterdir()) == ["secret_key"]


@as_user
def test_a_link_is_refused_for_us_too(tmp_path: Path) -> None:
    (tmp_path / "victim").write_text("v")
    (tmp_path / "secret_key").symlink_to(tmp_path / "victim")
    with pytest.raises(Refused, match="is a symbolic link"):
        envfile.write_secret_file(tmp_path / "secret_key", GOOD)
    with pytest.raises(Refused, match="is a symbolic link"):
        files.read_text(tmp_path / "secret_key", files.SECRET_FILE)
    assert (tmp_path / "victim").read_text() == "v"


# -- the parent, as root -----------------------------------------------------------------------------


def _nobody() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return None


def _interpreters() -> list[list[str]]:
    """Ways to run this venv's Python as nobody: the venv itself; else, when its interpreter lives
    where nobody cannot go (pyenv under /root), a system Python of the same version with the
    venv's site-packages and the checkout on ``PYTHONPATH`` (compiled modules match the version)."""
    import site
    import sysconfig

    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    path = os.pathsep.join([str(Path(__file__).resolve().parent.parent), *site.getsitepackages(),
                            sysconfig.get_paths()["purelib"]])
    found = [[sys.executable]]
    for d in ("/usr/bin", "/usr/local/bin"):
        exe = Path(d) / version
        if exe.exists():
            found.append(["env", f"PYTHONPATH={path}", str(exe)])
    return found


@pytest.mark.skipif(not ROOT, reason="the parent runs as root and starts the child as nobody")
def test_the_module_passes_as_nobody() -> None:
    who = _nobody()
    runuser = shutil.which("runuser")
    if who is None or runuser is None:
        pytest.skip("needs the user nobody and runuser (util-linux)")
    repo = Path(__file__).resolve().parent.parent
    work = Path(tempfile.mkdtemp(prefix="lfadmin-nobody-"))
    try:
        os.chown(work, who.pw_uid, who.pw_gid)
        foreign = work / "foreign"
        foreign.mkdir()
        os.chown(foreign, who.pw_uid, who.pw_gid)
        (foreign / "secret_key").write_text("root's")
        (foreign / "secret_key").chmod(0o666)
        env = {
            "PATH": "/usr/bin:/bin", "HOME": str(work), "TMPDIR": str(work), "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1", FOREIGN: str(foreign),
        }
        base = [runuser, "-u", "nobody", "--", "env", "-i", *(f"{k}={v}" for k, v in env.items())]
        python, why = None, ""
        for candidate in _interpreters():
            probe = subprocess.run([*base, *candidate, "-c", "import lfadmin, tests.conftest"],
                                   cwd=repo, capture_output=True, text=True, timeout=60)
            if probe.returncode == 0:
                python = candidate
                break
            why = probe.stderr.strip()[-200:]
        if python is None:
            pytest.skip(f"nobody cannot run this checkout's Python or read its .venv ({repo}): {why}")
        proc = subprocess.run(
            [*base, *python, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
             f"--basetemp={work / 'pytest'}", "-o", "addopts=-ra --strict-markers",
             str(Path(__file__).relative_to(repo)), "-k", "not as_nobody"],
            cwd=repo, capture_output=True, text=True, timeout=300,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tests = sum(1 for name in dir(sys.modules[__name__]) if name.startswith("test_") and name != "test_the_module_passes_as_nobody")
    assert f"{tests} passed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout
