"""Install paths a fresh machine uses (issue #5): a wheel builds, installs, and runs.

- ``uv build`` makes the wheel and sdist from this checkout;
- the wheel goes into a throwaway virtual environment (``uv venv`` + ``uv pip install``, which
  fetches the dependencies through uv's cache), where ``lfadmin`` and ``python -m lfadmin`` run a
  real command on a copy of a Langflow-made database;
- ``uv tool install`` (the pipx way) puts ``lfadmin`` on a private bin directory;
- ``pip install .`` from this checkout, as the README's first command does.

Marked ``install`` (about 15-60 s, needs the package index or a warm uv cache): runs by default and
in CI; ``pytest -m "not install"`` leaves it out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lfadmin import __version__
from tests.support import FIXTURES, ROOT

pytestmark = pytest.mark.install


def _uv() -> str:
    beside = Path(sys.executable).parent / "uv"  # the [test] extra installs it into the venv
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        pytest.fail("uv not found: install the test extra (pip install -e '.[test]')")
    return found


def _run(*argv: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 180) -> str:
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, argv))} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc.stdout


# Captured at import, before conftest's clean_env points HOME into tmp_path: a warm cache is what
# keeps this test fast.
UV_CACHE = os.environ.get("UV_CACHE_DIR") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"
)


def uv_env() -> dict[str, str]:
    """uv with the user's cache, no interpreter downloads, nothing from LANGFLOW_* or a venv."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("LANGFLOW_", "UV_", "VIRTUAL_ENV"))}
    return {**env, "UV_CACHE_DIR": UV_CACHE, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(_uv(), "build", "--wheel", "--sdist", "--out-dir", out, ROOT, env=uv_env())
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob("lfadmin-*.whl")
    return found


def test_wheel_holds_the_package_and_the_entry_point(wheel: Path, dist: Path) -> None:
    assert wheel.name == f"lfadmin-{__version__}-py3-none-any.whl"
    assert len(list(dist.glob(f"lfadmin-{__version__}.tar.gz"))) == 1
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = f"lfadmin-{__version__}.dist-info"
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
        metadata = zf.read(f"{info}/METADATA").decode()
    assert {"lfadmin/__init__.py", "lfadmin/__main__.py", "lfadmin/cli/__init__.py"} <= set(names)
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n]
    assert "lfadmin = lfadmin.cli:main" in entry_points
    assert f"Version: {__version__}" in metadata
    assert "requires-dist: sqlalchemy" in metadata.lower()


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("venv") / "v"
    _run(_uv(), "venv", "--quiet", "--seed", "--python", sys.executable, path, env=uv_env())
    _run(_uv(), "pip", "install", "--quiet", "--python", path / "bin" / "python", wheel, env=uv_env())
    yield path


def _clean(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("LANGFLOW_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(extra or {})
    return env


def test_installed_wheel_runs_as_a_command_and_as_a_module(venv: Path, tmp_path: Path) -> None:
    py = venv / "bin" / "python"
    expected = f"lfadmin {__version__} (Python {sys.version.split()[0]}, {py})\n"
    env = _clean()
    # cwd elsewhere: from this checkout, `python -m lfadmin` would import ./lfadmin, not the wheel
    assert _run(venv / "bin" / "lfadmin", "--version", env=env, cwd=tmp_path) == expected
    assert _run(py, "-m", "lfadmin", "--version", env=env, cwd=tmp_path) == expected
    # a real command: the dependencies were installed, and the code is the wheel's, not this checkout's
    # (the README's first command: the 1.13.0 fixture, as its superuser admin)
    db = tmp_path / "langflow.db"
    shutil.copyfile(FIXTURES / "langflow-1.13.0.db", db)
    admin = next(u for u in json.loads((FIXTURES / "langflow-1.13.0.json").read_text())["users"]
                 if u["username"] == "admin")
    out = _run(venv / "bin" / "lfadmin", "--database-url", f"sqlite:///{db}", "--json", "user", "list",
               env=_clean({"LANGFLOW_CONFIG_DIR": str(tmp_path / "cfg"), "LANGFLOW_SUPERUSER": "admin",
                           "LANGFLOW_SUPERUSER_PASSWORD": admin["password"]}), cwd=tmp_path)
    assert "admin" in [u["username"] for u in json.loads(out)["users"]]
    where = _run(py, "-c", "import lfadmin; print(lfadmin.__file__)", env=env, cwd=tmp_path)
    assert where.startswith(str(venv))


def test_uv_tool_install(wheel: Path, tmp_path: Path) -> None:
    tools, bindir = tmp_path / "tools", tmp_path / "bin"
    env = {**uv_env(), "UV_TOOL_DIR": str(tools), "UV_TOOL_BIN_DIR": str(bindir)}
    _run(_uv(), "tool", "install", "--quiet", "--python", sys.executable, wheel, env=env)
    out = _run(bindir / "lfadmin", "--version", env=_clean())
    assert out.startswith(f"lfadmin {__version__} (Python {sys.version.split()[0]}, {tools}")
    assert "Usage: lfadmin" in _run(bindir / "lfadmin", "--help", env=_clean())


def test_pip_install_from_the_checkout(venv: Path, tmp_path: Path) -> None:
    """`pip install .` (the README's first command) builds from source with pip's own isolation.

    --no-deps: the wheel test above already installed the dependencies into this environment.
    """
    py = venv / "bin" / "python"
    _run(py, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", ROOT, env=_clean(), cwd=tmp_path)
    env = _clean()
    assert _run(venv / "bin" / "lfadmin", "--version", env=env, cwd=tmp_path).startswith(f"lfadmin {__version__} ")
    assert _run(py, "-c", "import lfadmin; print(lfadmin.__file__)", env=env, cwd=tmp_path).startswith(str(venv))
