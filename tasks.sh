#!/usr/bin/env bash
# The course's two everyday commands. Each first makes sure the pinned environment
# exists in .venv/ (created once, reinstalled only when pyproject.toml changes).
#
#   bash tasks.sh demo   build release/ from source/, grade the bundled example
#                        submissions, write feedback and print the grade table
#   bash tasks.sh test   run the test suite (extra arguments go to pytest)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${COURSE_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

find_python311() {
    # Debian's Python first: a venv made from it can be run by every user (JupyterHub, the
    # system tests' Unix users); one made from a Python under a private home folder cannot.
    for candidate in /usr/bin/python3.11 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            command -v "$candidate"
            return
        fi
    done
    echo "Python 3.11 is required (python3.11 or python3 on PATH)." >&2
    exit 1
}

ensure_environment() {
    local python
    python="$(find_python311)"
    # A .venv made from another Python (pyenv's, say) is made again from the one found above.
    local base='import sys; print(sys.base_prefix)'
    if [ ! -x "$PY" ] || [ "$("$PY" -c "$base")" != "$("$python" -c "$base")" ]; then
        "$python" -m venv --clear "$VENV"
    fi
    local stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        echo "Installing the pinned course environment into $VENV ..."
        "$PY" -m pip install --quiet --upgrade pip
        # torch first, pinned: left to the resolver it would pull CUDA wheels.
        "$PY" -m pip install --quiet "$(grep -o 'torch==[0-9.]*' "$ROOT/pyproject.toml")"
        "$PY" -m pip install --quiet -e "$ROOT[test]"
        rm -f "$VENV"/.installed-*
        touch "$stamp"
    fi
    # The course works offline: JupyterLab neither offers to fetch news nor checks for updates.
    mkdir -p "$VENV/share/jupyter/lab/settings"
    echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
        > "$VENV/share/jupyter/lab/settings/overrides.json"
    # nbgrader runs tools such as alembic by name: the environment's come first.
    export PATH="$VENV/bin:$PATH"
    # Jupyter, IPython and matplotlib keep their config and caches in the environment.
    export JUPYTER_CONFIG_DIR="$VENV/etc/jupyter-user"
    export JUPYTER_DATA_DIR="$VENV/share/jupyter-user"
    export JUPYTER_RUNTIME_DIR="$VENV/var/jupyter-runtime"
    export IPYTHONDIR="$VENV/etc/ipython"
    export MPLCONFIGDIR="$VENV/etc/matplotlib"
}

cd "$ROOT"
case "${1:-}" in
    demo)
        ensure_environment
        shift
        "$PY" -m autograder demo "$@"
        ;;
    test)
        ensure_environment
        shift
        "$PY" -m pytest "$@"
        ;;
    *)
        echo "usage: bash tasks.sh demo|test [arguments]" >&2
        exit 2
        ;;
esac
