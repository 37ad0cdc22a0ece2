#!/usr/bin/env bash
# Nightly (cron): dump the database container to the media bucket under backups/postgres/.
# The bucket's lifecycle rule deletes dumps older than backup_expiry_days.
# Restore: aws s3 cp <uri> - | docker compose exec -T postgres pg_restore -U app -d <db> --clean
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR

main() {
    set -a
    # shellcheck source=/dev/null
    source "$APP_DIR/.env"
    set +a
    local target
    target="${BACKUP_S3_URI}$(date -u +%Y-%m-%dT%H%M%SZ).dump"
    docker compose --project-directory "$APP_DIR" -f "$APP_DIR/docker-compose.prod.yml" exec -T postgres \
        pg_dump --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --format custom \
        | aws s3 cp --region "$AWS_REGION" - "$target"
    echo "backup-db: wrote $target"
}

main "$@"
