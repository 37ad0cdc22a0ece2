#!/usr/bin/env bash
# What the host runs now, as one JSON line on stdout; `ops status` runs it through SSM Run Command:
# each compose container's service, state and health (one-off `run` containers left out), the tag
# deploy.sh recorded, disk use in percent of / and of the database volume, memory in KiB, uptime.
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR
readonly CONTAINER_JSON='{"service": {{json (index .Config.Labels "com.docker.compose.service")}}, "state": {{json .State.Status}}, "health": {{if .State.Health}}{{json .State.Health.Status}}{{else}}""{{end}}}'

containers() {
    local ids
    ids="$(docker ps --all --quiet --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
        --filter "label=com.docker.compose.oneoff=False")"
    if [[ -n "$ids" ]]; then
        # shellcheck disable=SC2086 # one argument per container id
        docker inspect --format "$CONTAINER_JSON" $ids | paste -sd, -
    fi
}

disk_percent() {
    df --output=pcent "$1" | tail -n1 | tr -dc 0-9
}

memory_kib() {
    awk -v key="$1:" '$1 == key { print $2 }' /proc/meminfo
}

main() {
    # shellcheck source=/dev/null
    source "$APP_DIR/host.env"
    local tag="" data
    if [[ -f "$APP_DIR/state/release.env" ]]; then
        tag="$(sed -n 's/^IMAGE_TAG=//p' "$APP_DIR/state/release.env")"
    fi
    data="$(docker volume inspect --format '{{.Mountpoint}}' "${COMPOSE_PROJECT_NAME}_postgres-data" 2> /dev/null || echo /)"
    printf '{"containers": [%s], "image_tag": "%s", "disk_percent": {"root": %s, "data": %s}, ' \
        "$(containers)" "$tag" "$(disk_percent /)" "$(disk_percent "$data")"
    printf '"memory_kib": {"total": %s, "available": %s}, "uptime_seconds": %s}\n' \
        "$(memory_kib MemTotal)" "$(memory_kib MemAvailable)" "$(cut -d. -f1 /proc/uptime)"
}

main "$@"
