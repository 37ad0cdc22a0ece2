#!/usr/bin/env bash
# Run a Django management command in a one-off container of the tag the host runs now, e.g.
#   deploy/ec2/manage.sh migrate --noinput      deploy/ec2/manage.sh createsuperuser
# `ops migrate` / `ops manage` run it through SSM Run Command; its exit code is the command's.
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR

main() {
    if [[ $# -eq 0 ]]; then
        echo "usage: manage.sh COMMAND [ARGS...]" >&2
        exit 2
    fi
    local compose=(docker compose --project-directory "$APP_DIR" -f "$APP_DIR/docker-compose.prod.yml")
    if [[ -f "$APP_DIR/docker-compose.override.yml" ]]; then
        compose+=(-f "$APP_DIR/docker-compose.override.yml")
    fi
    # .env names the current tag (deploy.sh keeps it so); a terminal gets an interactive session.
    local tty=()
    if [[ ! -t 0 ]]; then
        tty=(-T)
    fi
    exec "${compose[@]}" run --rm --no-deps "${tty[@]}" web python manage.py "$@"
}

main "$@"
