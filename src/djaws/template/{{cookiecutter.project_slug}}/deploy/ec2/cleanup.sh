#!/usr/bin/env bash
# Free disk on the host. Old images otherwise fill a small host's disk within weeks of deploys.
#   cleanup.sh               containers, images and build cache unused for a week, journal entries
#                            older than 14 days, container log files over 100 MiB (weekly from cron)
#   cleanup.sh --aggressive  the same for everything unused now, journal entries older than 2 days
#   cleanup.sh --volumes     also volumes no container uses (`ops cleanup --volumes` asks for the
#                            environment's name first)
# Always kept: the images of the current and the previous release (state/release.env; a rollback
# starts the previous one), this compose project's containers, and its volumes (the database).
# `ops cleanup` runs it through SSM Run Command; the last line on stdout is a JSON summary.
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR
readonly UNUSED_FOR="168h"
readonly WEEK_SECONDS=$((7 * 24 * 3600))
readonly LOG_FILE_MAX_BYTES=$((100 * 1024 * 1024))
# Docker's format for an image reference; the Go template is not shell syntax.
readonly IMAGE_REFERENCE='{{.Repository}}:{{.Tag}}'

AGGRESSIVE=false
VOLUMES=false
KEPT_TAGS=()
REMOVED_IMAGES=0

usage() {
    echo "usage: cleanup.sh [--aggressive] [--volumes]" >&2
    exit 2
}

parse_arguments() {
    local argument
    for argument in "$@"; do
        case "$argument" in
            --aggressive) AGGRESSIVE=true ;;
            --volumes) VOLUMES=true ;;
            *) usage ;;
        esac
    done
}

load_settings() {
    # shellcheck source=/dev/null
    source "$APP_DIR/host.env"
    local release="$APP_DIR/state/release.env" tag
    if [[ -f "$release" ]]; then
        while read -r tag; do
            if [[ -n "$tag" ]]; then
                KEPT_TAGS+=("$tag")
            fi
        done < <(sed -n 's/^\(PREVIOUS_\)\{0,1\}IMAGE_TAG=//p' "$release")
    fi
}

disk_use() {
    df -k --output=size,used,pcent / | tail -n1 \
        | awk '{ sub("%", "", $3); printf "{\"size_kib\": %s, \"used_kib\": %s, \"percent\": %s}", $1, $2, $3 }'
}

age_filter() {
    if ! $AGGRESSIVE; then
        echo "--filter"
        echo "until=$UNUSED_FOR"
    fi
}

prune_containers() {
    local filters
    mapfile -t filters < <(age_filter)
    docker container prune --force --filter "label!=com.docker.compose.project=$COMPOSE_PROJECT_NAME" "${filters[@]}"
}

is_kept() {
    local tag="$1" kept
    for kept in "${KEPT_TAGS[@]}"; do
        if [[ "$tag" == "$kept" ]]; then
            return 0
        fi
    done
    return 1
}

is_recent() {
    local created
    created="$(docker image inspect --format '{{.Created}}' "$1")"
    (($(date -d "$created" +%s) > $(date +%s) - WEEK_SECONDS))
}

remove_images() {
    # One reference at a time rather than `docker image prune --all`, which would take the previous
    # release's images too. Docker refuses to remove an image a container uses: those stay.
    local reference
    while read -r reference; do
        if [[ "$reference" == *"<none>"* ]] || is_kept "${reference##*:}"; then
            continue
        fi
        if ! $AGGRESSIVE && is_recent "$reference"; then
            continue
        fi
        if docker image rm "$reference" > /dev/null 2>&1; then
            echo "removed image $reference"
            REMOVED_IMAGES=$((REMOVED_IMAGES + 1))
        fi
    done < <(docker image ls --format "$IMAGE_REFERENCE")
    docker image prune --force > /dev/null
}

prune_build_cache() {
    local filters
    mapfile -t filters < <(age_filter)
    docker builder prune --all --force "${filters[@]}" > /dev/null || true
}

trim_logs() {
    if $AGGRESSIVE; then
        journalctl --vacuum-time=2d > /dev/null
    else
        journalctl --vacuum-time=14d > /dev/null
    fi
    # The services log to CloudWatch; a container with a local log file may still grow one without bound.
    local root
    root="$(docker info --format '{{.DockerRootDir}}')"
    if [[ -d "$root/containers" ]]; then
        find "$root/containers" -name '*-json.log' -size +"$LOG_FILE_MAX_BYTES"c -printf 'emptied log file %p\n' -exec truncate --size 0 {} +
    fi
}

prune_volumes() {
    docker volume prune --all --force --filter "label!=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
}

json_strings() {
    if (($# > 0)); then
        printf '"%s",' "$@" | sed 's/,$//'
    fi
}

main() {
    parse_arguments "$@"
    load_settings
    local before after
    before="$(disk_use)"
    echo "disk / before: $before"
    prune_containers
    remove_images
    prune_build_cache
    trim_logs
    if $VOLUMES; then
        prune_volumes
    fi
    after="$(disk_use)"
    echo "disk / after: $after"
    printf '{"aggressive": %s, "volumes": %s, "kept_tags": [%s], "removed_images": %s, "disk": {"before": %s, "after": %s}}\n' \
        "$AGGRESSIVE" "$VOLUMES" "$(json_strings "${KEPT_TAGS[@]}")" "$REMOVED_IMAGES" "$before" "$after"
}

main "$@"
