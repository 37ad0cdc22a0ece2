#!/usr/bin/env bash
# Restore the database from a dump in the media bucket: deploy/ec2/restore-db.sh KEY, where KEY is
# the dump's key under backups/postgres/. `ops restore` runs it through SSM Run Command.
#
# 1. Download the dump and check that pg_restore reads it: a wrong key or file changes nothing.
# 2. Take a safety dump (backup-db.sh before-restore): restoring it undoes this restore.
# 3. Stop the processes that write to the database: web, websocket, worker and beat, those the
#    compose file has. nginx keeps answering (502 for the API meanwhile).
# 4. In one transaction, drop every table and load the dump (pg_restore --clean --if-exists): any
#    error rolls the whole restore back. Migrations are not run: the database holds exactly what was
#    dumped (`ops migrate` brings an older schema up to the running release).
# 5. Start the stopped processes, reload nginx, check /api/health/ready/ through nginx.
# A failure after step 3 starts the processes again. The last line on stdout is JSON: the status,
# the restored key, the safety dump's key, whether the database changed, and what failed.
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR
readonly READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-120}"
readonly WRITER_SERVICES=(web websocket worker beat)
# Tables created after the dump was taken go too, so the schema is the dump's exactly.
readonly DROP_TABLES="DO \$\$ DECLARE t record; BEGIN
FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', t.tablename);
END LOOP; END \$\$;"

COMPOSE=(docker compose --project-directory "$APP_DIR" -f "$APP_DIR/docker-compose.prod.yml")
if [[ -f "$APP_DIR/docker-compose.override.yml" ]]; then
    COMPOSE+=(-f "$APP_DIR/docker-compose.override.yml")
fi
readonly COMPOSE
KEY=""
DUMP=""
SAFETY_KEY=""
DATABASE_CHANGED=false
WRITERS=()

log() {
    echo "restore-db: $(date -u +%H:%M:%S) $*" >&2
}

result() {
    local status="$1" failed="${2:-}"
    printf '{"status": "%s", "restored": "%s", "safety_dump": "%s", "database_changed": %s, "failed": "%s"}\n' \
        "$status" "$KEY" "$SAFETY_KEY" "$DATABASE_CHANGED" "${failed//\"/\'}"
}

fail() {
    log "$1 failed"
    result failed "$1"
    exit 1
}

safety_dump() {
    local report
    report="$("$APP_DIR/deploy/ec2/backup-db.sh" before-restore | tail -n1)"
    sed -n 's/.*"key": "\([^"]*\)".*/\1/p' <<< "$report"
}

load_dump() {
    {
        echo "BEGIN;"
        echo "$DROP_TABLES"
        "${COMPOSE[@]}" exec -T postgres pg_restore --clean --if-exists --file - < "$1" || exit 1
        # Only a complete script commits: psql ending without it rolls everything back.
        echo "COMMIT;"
    } | "${COMPOSE[@]}" exec -T postgres psql --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        --no-psqlrc --quiet --set ON_ERROR_STOP=1 > /dev/null
}

start_writers() {
    "${COMPOSE[@]}" start "${WRITERS[@]}" >&2
}

is_ready() {
    curl -fs -o /dev/null --max-time 10 -H "Host: ${ALLOWED_HOSTS%%,*}" \
        "http://127.0.0.1:${HTTP_PORT:-80}/api/health/ready/"
}

wait_until_ready() {
    local started="$SECONDS"
    while (( SECONDS - started < READY_TIMEOUT_SECONDS )); do
        if is_ready; then
            log "ready after $(( SECONDS - started ))s"
            return 0
        fi
        sleep 1
    done
    return 1
}

main() {
    KEY="${1:?usage: restore-db.sh KEY (a dump under backups/postgres/)}"
    set -a
    # shellcheck source=/dev/null
    source "$APP_DIR/.env"
    set +a
    local prefix="${BACKUP_S3_URI#s3://*/}" bucket="${BACKUP_S3_URI#s3://}"
    bucket="${bucket%%/*}"
    if [[ "$KEY" != "$prefix"?* || "$KEY" == *..* ]]; then
        fail "checking the key ($KEY is not a dump under $prefix)"
    fi
    local service
    DUMP="$(mktemp "${TMPDIR:-/var/tmp}/restore-db.XXXXXX")"
    trap 'rm -f "$DUMP"' EXIT
    aws s3 cp --region "$AWS_REGION" --only-show-errors "s3://$bucket/$KEY" "$DUMP" || fail "downloading s3://$bucket/$KEY"
    "${COMPOSE[@]}" exec -T postgres pg_restore --list < "$DUMP" > /dev/null || fail "reading $KEY as a pg_dump archive"
    SAFETY_KEY="$(safety_dump)" || fail "the safety dump"
    [[ -n "$SAFETY_KEY" ]] || fail "the safety dump"
    log "safety dump: $SAFETY_KEY"
    for service in $("${COMPOSE[@]}" config --services); do
        if [[ " ${WRITER_SERVICES[*]} " == *" $service "* ]]; then
            WRITERS+=("$service")
        fi
    done
    (( ${#WRITERS[@]} > 0 )) || fail "finding the web service in the compose file"
    log "stopping ${WRITERS[*]}"
    if ! "${COMPOSE[@]}" stop "${WRITERS[@]}" >&2; then
        start_writers || true
        fail "stopping ${WRITERS[*]}"
    fi
    log "loading $KEY"
    if ! load_dump "$DUMP"; then
        start_writers || true
        fail "loading $KEY (rolled back)"
    fi
    DATABASE_CHANGED=true
    log "starting ${WRITERS[*]}"
    start_writers || fail "starting ${WRITERS[*]}"
    # Started containers may have new addresses: nginx looks their names up again.
    "${COMPOSE[@]}" exec -T nginx nginx -s reload >&2 || fail "reloading nginx"
    wait_until_ready || fail "readiness through nginx"
    result restored
}

main "$@"
