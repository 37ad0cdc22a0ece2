#!/usr/bin/env bash
# Runs the whole djaws test suite on a fresh machine: installs what is missing, then pytest.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/tool -x
set -euo pipefail
cd "$(dirname "$0")/.."

main() {
  bash scripts/install-system-deps.sh
  bash scripts/bootstrap.sh test
  if [ -f .ci/install-infra-tools ]; then
    bash .ci/install-infra-tools
  fi
  command -v terraform >/dev/null 2>&1 || { echo "terraform is not on PATH (the infra tests need 1.11+)" >&2; exit 1; }
  # Two workers for two cores; tests sharing an expensive fixture (a Terraform apply) carry one xdist group.
  # The slowest tests and fixtures are listed at the end: where the run's time goes.
  .venv/bin/python -m pytest -n "${DJAWS_TEST_WORKERS:-2}" --dist loadgroup --durations=25 "$@"
}

main "$@"
