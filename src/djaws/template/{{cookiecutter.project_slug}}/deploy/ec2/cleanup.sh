#!/usr/bin/env bash
# Weekly (cron): drop images, containers and build cache unused for a week, and old journal
# entries. Old images otherwise fill a small host's disk within weeks of deploys.
set -euo pipefail

main() {
    docker container prune --force --filter "until=168h"
    docker image prune --all --force --filter "until=168h"
    docker builder prune --all --force --filter "until=168h" > /dev/null || true
    journalctl --vacuum-time=14d > /dev/null
    df -h /
}

main "$@"
