#!/usr/bin/env bash
# Creates .venv with djaws installed (editable). Usage: scripts/bootstrap.sh [EXTRAS], e.g. "test".
set -euo pipefail
cd "$(dirname "$0")/.."

ensure_uv() {
  if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check uv
  fi
}

main() {
  local extras=${1:-}
  ensure_uv
  # The real interpreter, not a pyenv shim (uv would otherwise pick another Python).
  local python
  python=$(python3 -c 'import sys; print(sys.executable)')
  [ -x .venv/bin/python ] || uv venv --quiet --python "$python" .venv
  if [ -n "$extras" ]; then
    uv pip install --quiet --python .venv/bin/python -e ".[${extras}]"
  else
    uv pip install --quiet --python .venv/bin/python -e .
  fi
  if [[ ",$extras," == *",test,"* ]]; then
    link_test_support
  fi
}

# Tests and benchmarks import one helper library, tests/support/, as `support`: the dev environment puts tests/ on
# its path, so neither edits sys.path.
link_test_support() {
  local site_packages
  site_packages=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  printf '%s\n' "$PWD/tests" >"$site_packages/djaws-test-support.pth"
}

main "$@"
