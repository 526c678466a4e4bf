"""Start-up cost of lfadmin next to its framework floors, measured in the same run.

    python bench/bench_startup.py [--runs 15]

Each command runs N times as a fresh process; we report the median wall time and the peak RSS
(ru_maxrss from wait4). The floors (issue #5):

- a one-command Typer app's ``--help``: the floor for ``lfadmin --help`` and ``lfadmin --version``;
- ``python -c "import typer, rich.table, sqlalchemy"``: the floor for ``lfadmin user list``, a
  command that reads the database (the 1.13.0 fixture, as admin with its API key: a hash lookup,
  so the row measures start-up and not a bcrypt verification).

Targets: within 1.3x of the floor and under 60 MB peak RSS, printed as PASS/FAIL lines. The runs
are interleaved (one of each command per round), so a busy machine slows floors and lfadmin
alike; every command runs once first, untimed, with bytecode writing on, so no row pays for
compiling modules (pip compiles them at install time; PYTHONDONTWRITEBYTECODE would not).
This is a report, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TARGET_RATIO = 1.3
TARGET_RSS_MB = 60.0
HELP_FLOOR = "floor: one-command Typer app --help"
DB_FLOOR = "floor: import typer, rich.table, sqlalchemy"

# Not a floor the issue names, printed for context: what running (not --help) a one-command Typer
# app costs. Typer 0.29 imports pydantic there for argument coercion; pyproject caps Typer below it.
TYPER_RUN_REF = "ref: one-command Typer app run + rich.table, sqlalchemy"
TYPER_RUN = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "x") -> None:
    import rich.table, sqlalchemy
app()
"""

TYPER_ONE = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "x") -> None:
    \"\"\"Say hello.\"\"\"
app()
"""


@dataclass
class Row:
    label: str
    argv: list[str]
    floor: str | None = None
    times: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak(self) -> float:
        return max(self.rss)


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{err.decode(errors='replace')[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def lfadmin_argv() -> list[str]:
    """The console script users run (pip/uv put it beside the interpreter), else ``python -m``."""
    script = Path(PY).parent / "lfadmin"
    return [str(script)] if script.exists() else [PY, "-m", "lfadmin"]


def versions() -> str:
    out = []
    for dist in ("lfadmin", "typer", "rich", "SQLAlchemy"):
        try:
            out.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist} ?")
    return ", ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description="lfadmin start-up next to its framework floors")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp())
    db = tmp / "langflow.db"
    shutil.copyfile(ROOT / "tests" / "fixtures" / "langflow-1.13.0.db", db)
    manifest = json.loads((ROOT / "tests" / "fixtures" / "langflow-1.13.0.json").read_text())
    admin_key = next(k["plaintext"] for k in manifest["api_keys"] if k["owner"] == "admin")
    typer_app = tmp / "one.py"
    typer_app.write_text(TYPER_ONE)
    typer_run = tmp / "run.py"
    typer_run.write_text(TYPER_RUN)
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("LANGFLOW_", "LFADMIN_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({"LANGFLOW_DATABASE_URL": f"sqlite:///{db}", "LANGFLOW_CONFIG_DIR": str(tmp / "cfg"),
                "LANGFLOW_SECRET_KEY": manifest["secret_key"], "LANGFLOW_API_KEY": admin_key})

    lf = lfadmin_argv()
    rows = [
        Row("python -c pass", [PY, "-c", "pass"]),
        Row(HELP_FLOOR, [PY, str(typer_app), "--help"]),
        Row("lfadmin --help", [*lf, "--help"], HELP_FLOOR),
        Row("lfadmin --version", [*lf, "--version"], HELP_FLOOR),
        Row(DB_FLOOR, [PY, "-c", "import typer, rich.table, sqlalchemy"]),
        Row(TYPER_RUN_REF, [PY, str(typer_run), "--name", "y"]),
        Row("lfadmin user list (1.13.0 fixture)", [*lf, "-q", "user", "list"], DB_FLOOR),
    ]
    by_label = {r.label: r for r in rows}
    try:
        for r in rows:  # warm-up: writes __pycache__, fills the page cache
            run_once(r.argv, env)
        for _ in range(args.runs):
            for r in rows:
                t, rss = run_once(r.argv, env)
                r.times.append(t)
                r.rss.append(rss)
    finally:
        shutil.rmtree(tmp)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load {load:.1f}; {versions()}; {args.runs} interleaved runs; "
        f"lfadmin run as: {' '.join(Path(a).name for a in lf)}"
    )
    ref = by_label[TYPER_RUN_REF].median
    print(f"{'command':58} {'median ms':>10} {'peak RSS MB':>12} {'x floor':>8} {'x ref':>6}")
    for r in rows:
        ratio = f"{r.median / by_label[r.floor].median:.2f}" if r.floor else ""
        vs_ref = f"{r.median / ref:.2f}" if r.floor == DB_FLOOR else ""
        print(f"{r.label:58} {r.median * 1000:10.0f} {r.peak:12.1f} {ratio:>8} {vs_ref:>6}")
    print()
    failed = 0
    for r in rows:
        if r.floor is None:
            continue
        ratio = r.median / by_label[r.floor].median
        for ok, what in (
            (ratio <= TARGET_RATIO, f"time {ratio:.2f}x {r.floor.removeprefix('floor: ')} (target <= {TARGET_RATIO}x)"),
            (r.peak < TARGET_RSS_MB, f"peak RSS {r.peak:.1f} MB (target < {TARGET_RSS_MB:.0f} MB)"),
        ):
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'}  {r.label}: {what}")
    print(f"\n{'all targets met' if not failed else f'{failed} target(s) missed'}")


if __name__ == "__main__":
    main()
