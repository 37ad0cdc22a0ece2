#!/usr/bin/env bash
# Weekly (cron): drop images, containers and build cache unused for a week, and old journal
# entries. The seed's 8 GiB host filled up with old images.
set -euo pipefail

main() {
    docker container prune --force --filter "until=168h"
    docker image prune --all --force --filter "until=168h"
    docker builder prune --all --force --filter "until=168h" > /dev/null || true
    journalctl --vacuum-time=14d > /dev/null
    df -h /
}

main "$@"
