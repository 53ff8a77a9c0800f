# Sourced by scripts/run and scripts/test: make .venv and install the project into it when pyproject.toml changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${YIJIAN_VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3}"
if ! "$PYTHON_BIN" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "yijian needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi
STAMP="$VENV/.yijian-installed"
WANT="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)-${YIJIAN_EXTRAS:-test}"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  # pip runs quietly: without this line a first run shows nothing for a minute (on stderr, as it is not output).
  if [ -f "$STAMP" ]; then
    echo "pyproject.toml changed: updating the dependencies in .venv…" >&2
  else
    echo "installing dependencies into .venv (first run, about a minute)…" >&2
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON_BIN" -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[${YIJIAN_EXTRAS:-test}]"
  echo "$WANT" > "$STAMP"
fi
