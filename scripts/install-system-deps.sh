#!/usr/bin/env bash
# Installs the system programs the tests start for real (Redis) when they are missing. Idempotent.
set -euo pipefail

missing_packages() {
  command -v redis-server >/dev/null 2>&1 || echo redis-server
  command -v make >/dev/null 2>&1 || echo make
  # Browser tests drive Debian's Chromium through Playwright (never `playwright install`).
  [ -x /usr/bin/chromium ] || echo chromium
  # The EC2 host deploy test builds and runs the generated images with podman (no Docker engine here);
  # the base images are made with debootstrap (tests/support/containers.py).
  command -v podman >/dev/null 2>&1 || echo podman buildah fuse-overlayfs slirp4netns uidmap runc
  command -v debootstrap >/dev/null 2>&1 || echo debootstrap
  # The deploy role's image pushes go to the reference registry behind ECR's IAM checks (tests/support/ecr_registry.py).
  command -v docker-registry >/dev/null 2>&1 || echo docker-registry
}

main() {
  local packages
  packages=$(missing_packages | tr '\n' ' ')
  if [ -z "${packages// /}" ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "install these packages first (as root): ${packages}" >&2
    exit 1
  fi
  echo "installing: ${packages}"
  apt-get update -qq
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages} >/dev/null
}

main "$@"
