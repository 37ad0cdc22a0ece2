#!/usr/bin/env bash
# Dump the database container to the media bucket under backups/postgres/ as <UTC time>[-LABEL].dump
# (pg_dump's custom format). Cron runs it nightly, `ops backup` through SSM Run Command, and
# restore-db.sh before every restore (label before-restore). The bucket's lifecycle rule deletes
# dumps older than backup_expiry_days. The dump goes to a local file first: a pg_dump that fails
# uploads nothing, so a truncated object never passes for the newest dump. The last line on stdout
# is JSON: the dump's URI, key and size in bytes.
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR
DUMP=""

main() {
    local label="${1:-}"
    set -a
    # shellcheck source=/dev/null
    source "$APP_DIR/.env"
    set +a
    local compose=(docker compose --project-directory "$APP_DIR" -f "$APP_DIR/docker-compose.prod.yml")
    if [[ -f "$APP_DIR/docker-compose.override.yml" ]]; then
        compose+=(-f "$APP_DIR/docker-compose.override.yml")
    fi
    local name key target bytes
    name="$(date -u +%Y-%m-%dT%H%M%SZ)${label:+-$label}.dump"
    key="${BACKUP_S3_URI#s3://*/}$name"
    target="$BACKUP_S3_URI$name"
    DUMP="$(mktemp "${TMPDIR:-/var/tmp}/backup-db.XXXXXX")"
    trap 'rm -f "$DUMP"' EXIT
    "${compose[@]}" exec -T postgres \
        pg_dump --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --format custom > "$DUMP"
    bytes="$(stat -c %s "$DUMP")"
    aws s3 cp --region "$AWS_REGION" --only-show-errors "$DUMP" "$target"
    echo "backup-db: wrote $target ($bytes bytes)" >&2
    printf '{"uri": "%s", "key": "%s", "bytes": %s}\n' "$target" "$key" "$bytes"
}

main "$@"
