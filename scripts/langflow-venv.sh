#!/usr/bin/env bash
# Create (idempotently) a virtualenv holding one real Langflow release, for
# lfadmin's interoperability tests and fixture builds.
#
#   scripts/langflow-venv.sh VERSION        # e.g. 1.6.9, 1.10.3, 1.13.0
#
# The venv lives at ${LFADMIN_LANGFLOW_VENVS:-$HOME/.cache/lfadmin/langflow}/VERSION.
# The last line printed on stdout is the venv path; progress goes to stderr.
# When the venv is already complete (marker file present, python runs), the
# script returns immediately without importing Langflow (keeps it < 1 s).
#
# Pins and per-release extras come from docs/langflow/running.md:
#   * Langflow 1.X.Y below 1.12 is published as langflow-base 0.X.Y;
#   * 1.6.9 / 1.10.3 import openai unconditionally but do not depend on it;
#   * 1.10.3 needs sqlmodel < 0.0.45 (newer maps datetimes to timestamptz and its
#     own startup `alembic check` then fails on PostgreSQL) and SQLAlchemy 2.0.
set -euo pipefail

EXCLUDE_NEWER="2026-11-26T00:00:00Z"

usage() { echo "usage: $0 VERSION   (Langflow version, e.g. 1.6.9, 1.10.3, 1.13.0)" >&2; exit 2; }
[ $# -eq 1 ] || usage
VERSION="$1"
[[ "$VERSION" =~ ^1\.([0-9]+)\.([0-9]+)$ ]] || usage
MINOR="${BASH_REMATCH[1]}"
PATCH="${BASH_REMATCH[2]}"

# Langflow 1.X.Y -> langflow-base 0.X.Y for X < 12, 1.X.Y from 1.12 on.
if [ "$MINOR" -lt 12 ]; then
    BASE_VERSION="0.${MINOR}.${PATCH}"
else
    BASE_VERSION="$VERSION"
fi

# Per-release extras needed for Langflow to start (docs/langflow/running.md §1).
EXTRAS=()
case "$VERSION" in
    1.13.*) ;;
    1.10.*|1.11.*) EXTRAS=("openai>=1.68.2,<3" "sqlmodel>=0.0.37,<0.0.45" "sqlalchemy>=2.0.38,<2.1") ;;
    # 0.9.x: as 0.10, plus a FastAPI cap (fastapi-pagination 0.15.16 breaks on FastAPI 0.156+).
    1.9.*) EXTRAS=("openai>=1.68.2,<3" "sqlmodel>=0.0.37,<0.0.45" "sqlalchemy>=2.0.38,<2.1" "fastapi>=0.135.0,<0.156") ;;
    # 0.8.x caps openai below 2 in its own extra.
    1.8.*) EXTRAS=("openai>=1.68.2,<2") ;;
    *) EXTRAS=("openai>=1.68.2,<3") ;;
esac

ROOT="${LFADMIN_LANGFLOW_VENVS:-$HOME/.cache/lfadmin/langflow}"
VENV="$ROOT/$VERSION"
MARKER="$VENV/.lfadmin-ready"
# The marker records what was installed; a change of pins forces a reinstall.
SPEC="langflow-base[postgresql]==$BASE_VERSION psycopg[binary]>=3.1,<4 ${EXTRAS[*]:-} exclude-newer=$EXCLUDE_NEWER"

# Fast path: already built with the same spec and the interpreter still runs.
if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$SPEC" ] && "$VENV/bin/python" -c "" 2>/dev/null; then
    echo "$VENV"
    exit 0
fi

if ! command -v uv >/dev/null 2>&1; then
    echo "uv not found; installing it with pip" >&2
    python3 -m pip install --quiet --user uv >&2
    export PATH="$HOME/.local/bin:$PATH"
fi

mkdir -p "$ROOT"
# Serialize concurrent builders of the same version (e.g. parallel test jobs); whoever waited
# re-checks the marker and is done if the other process built it meanwhile.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$ROOT/.$VERSION.lock"
    flock 9
    if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$SPEC" ] && "$VENV/bin/python" -c "" 2>/dev/null; then
        echo "$VENV"
        exit 0
    fi
fi

# A venv without marker is a leftover of a failed/interrupted run: start over.
rm -rf "$VENV"
echo "creating $VENV (langflow-base $BASE_VERSION)" >&2
uv venv --quiet -p 3.11 "$VENV" >&2
VIRTUAL_ENV="$VENV" uv pip install --quiet --exclude-newer "$EXCLUDE_NEWER" \
    "langflow-base[postgresql]==$BASE_VERSION" "psycopg[binary]>=3.1,<4" "${EXTRAS[@]}" >&2

# Smoke test: the pieces our fixture/check scripts use must import.
"$VENV/bin/python" - <<'EOF' >&2
import importlib.metadata as md
import psycopg  # noqa: F401  (PostgreSQL driver)
import langflow.services.utils  # noqa: F401  (startup path: initialize_services)
import langflow.services.database.models  # noqa: F401
print("langflow-base", md.version("langflow-base"), "ok")
EOF

printf '%s' "$SPEC" > "$MARKER"
echo "$VENV"
