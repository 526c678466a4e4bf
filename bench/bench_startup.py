"""Start-up cost of lfadmin next to its framework floors, measured in the same run.

    python bench/bench_startup.py [--runs 15]

Each command runs N times as a fresh process; we report the median wall time and the peak RSS
(ru_maxrss from wait4). Floors: ``python -c pass``; a one-command Typer app's ``--help`` (the
floor for ``lfadmin --help``/``--version``); ``python -c "import typer, rich.table, sqlalchemy"``
(the floor for a command that reads the database).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB_FLOOR = "import typer, rich.table, sqlalchemy (floor)"

TYPER_ONE = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "x") -> None:
    \"\"\"Say hello.\"\"\"
app()
"""


def measure(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    times, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        rss.append(usage.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(argv)} failed")
    return statistics.median(times), max(rss)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp())
    db = tmp / "langflow.db"
    shutil.copyfile(ROOT / "tests" / "fixtures" / "langflow-1.6.9.db", db)
    typer_app = tmp / "one.py"
    typer_app.write_text(TYPER_ONE)
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("LANGFLOW_")}
    env.update({"LANGFLOW_DATABASE_URL": f"sqlite:///{db}", "LANGFLOW_CONFIG_DIR": str(tmp / "cfg")})

    rows = [
        ("python -c pass", [PY, "-c", "pass"], None),
        ("typer one-command --help (floor)", [PY, str(typer_app), "--help"], None),
        ("lfadmin --help", [PY, "-m", "lfadmin", "--help"], "typer one-command --help (floor)"),
        ("lfadmin --version", [PY, "-m", "lfadmin", "--version"], "typer one-command --help (floor)"),
        (DB_FLOOR, [PY, "-c", "import typer, rich.table, sqlalchemy"], None),
        ("lfadmin user list (1.6.9 fixture)", [PY, "-m", "lfadmin", "-q", "user", "list"], DB_FLOOR),
    ]
    results: dict[str, tuple[float, float]] = {}
    print(f"{'command':48} {'median ms':>10} {'peak RSS MB':>12} {'x floor':>8}")
    for label, argv, floor in rows:
        med, rss = measure(argv, args.runs, env)
        results[label] = (med, rss)
        ratio = f"{med / results[floor][0]:.2f}" if floor else ""
        print(f"{label:48} {med * 1000:10.0f} {rss:12.1f} {ratio:>8}")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
