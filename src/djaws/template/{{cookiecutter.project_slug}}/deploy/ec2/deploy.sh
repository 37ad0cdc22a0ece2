#!/usr/bin/env bash
# Deploy an image tag on the all-in-one host with no request left unanswered; rollback is deploying
# the previous tag. `ops` runs it through SSM Run Command: cd APP_DIR && deploy/ec2/deploy.sh TAG
#
# 1. Get or refresh the TLS certificate (tls.sh prepare, TLS_MODE in host.env), refresh .env
#    (render-env.sh), pull the backend and frontend images tagged TAG.
# 2. Migrate in a one-off container of the new image; if that fails nothing else has changed.
# 3. Request-serving services (frontend, web, websocket), one at a time: start the new container
#    beside the old one, wait until it answers its readiness check, point nginx's upstream at it
#    (state/nginx/upstreams.conf, then a graceful reload: in-flight requests finish on the old
#    workers), let the old container drain, stop it.
# 4. Worker and beat: the old container stops before the new one starts (beat never runs twice).
# 5. Readiness through nginx: /api/health/ready/ and /.
# Any failure after step 2 puts every moved service back on the previous tag the same way, and the
# script exits non-zero with one line naming what failed. state/release.env records the current and
# previous tags; with .env and the upstream file it lets the host come back right after a reboot
# (the containers restart with the Docker daemon). The last line on stdout is a JSON result.
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR
readonly STATE_DIR="$APP_DIR/state"
readonly RELEASE_FILE="$STATE_DIR/release.env"
readonly UPSTREAM_DIR="$STATE_DIR/nginx"
readonly READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-120}"
# nginx's old workers finish the requests they hold within this; the old container answers them.
readonly DRAIN_SECONDS="${DRAIN_SECONDS:-5}"
readonly STOP_TIMEOUT_SECONDS="${STOP_TIMEOUT_SECONDS:-30}"

COMPOSE=(docker compose --project-directory "$APP_DIR" -f "$APP_DIR/docker-compose.prod.yml")
# A host may add an override file (the repository's container tests use one for the log driver).
if [[ -f "$APP_DIR/docker-compose.override.yml" ]]; then
    COMPOSE+=(-f "$APP_DIR/docker-compose.override.yml")
fi
readonly COMPOSE

# Request-serving services in the order they are replaced, and the port nginx reaches each on.
declare -A SERVICE_PORT=([frontend]=3000 [web]=8000 [websocket]=8001)
readonly SERVING_ORDER=(frontend web websocket)
readonly BACKGROUND_ORDER=(worker beat)
declare -A ACTIVE=()
MOVED=()
NEW_TAG=""
PREVIOUS_TAG=""
MIGRATION_EXIT_CODE="null"
FAILED=""

log() {
    echo "deploy: $(date -u +%H:%M:%S) $*" >&2
}

result() {
    local status="$1" failed="${2:-}"
    printf '{"tag": "%s", "previous_tag": "%s", "migration_exit_code": %s, "status": "%s", "failed": "%s"}\n' \
        "$NEW_TAG" "$PREVIOUS_TAG" "$MIGRATION_EXIT_CODE" "$status" "${failed//\"/\'}"
}

load_env_file() {
    set -a
    # shellcheck source=/dev/null
    source "$1"
    set +a
}

login_to_registry() {
    if [[ -z "${ECR_REGISTRY:-}" ]]; then
        return 0
    fi
    aws ecr get-login-password --region "$AWS_REGION" \
        | docker login --username AWS --password-stdin "$ECR_REGISTRY" > /dev/null
}

sync_bundle() {
    # Terraform keeps the project's host files under the bucket's deploy-bundle/ prefix (host_files.tf).
    # Each is downloaded beside its target and renamed over it: a script that is running (this one
    # included) goes on reading the file it opened, and runs as the new version next time.
    local prefix="deploy-bundle/" keys key target
    keys="$(aws s3 ls --recursive --region "$AWS_REGION" "s3://$AWS_STORAGE_BUCKET_NAME/$prefix" 2> /dev/null \
        | awk '{print $4}')" || return 0
    while read -r key; do
        [[ -n "$key" ]] || continue
        target="$APP_DIR/${key#"$prefix"}"
        mkdir -p "$(dirname "$target")"
        aws s3 cp --region "$AWS_REGION" --only-show-errors "s3://$AWS_STORAGE_BUCKET_NAME/$key" "$target.new"
        if [[ "$target" == *.sh ]]; then
            chmod 0755 "$target.new"
        fi
        mv -f "$target.new" "$target"
    done <<< "$keys"
}

compose_services() {
    "${COMPOSE[@]}" config --services 2> /dev/null
}

has_service() {
    grep -qx "$1" <<< "$SERVICES"
}

# Containers of a service (running or not), newest first.
containers_of() {
    docker ps --all --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
        --filter "label=com.docker.compose.service=$1" --format '{{.Names}}'
}

running_containers_of() {
    docker ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
        --filter "label=com.docker.compose.service=$1" --format '{{.Names}}'
}

image_of() {
    docker inspect --format '{{.Config.Image}}' "$1"
}

set_env_tag() {
    local tag="$1" temporary
    temporary="$(mktemp "$APP_DIR/.env.XXXXXX")"
    chmod 600 "$temporary"
    { grep -v '^IMAGE_TAG=' "$APP_DIR/.env"; echo "IMAGE_TAG=$tag"; } > "$temporary"
    mv "$temporary" "$APP_DIR/.env"
    export IMAGE_TAG="$tag"
}

record_release() {
    mkdir -p "$STATE_DIR"
    printf 'IMAGE_TAG=%s\nPREVIOUS_IMAGE_TAG=%s\nDEPLOYED_AT=%s\n' \
        "$NEW_TAG" "$PREVIOUS_TAG" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$RELEASE_FILE.tmp"
    mv "$RELEASE_FILE.tmp" "$RELEASE_FILE"
}

pull_images() {
    local tag="$1"
    docker pull --quiet "$BACKEND_IMAGE:$tag" > /dev/null
    if has_service frontend; then
        docker pull --quiet "$FRONTEND_IMAGE:$tag" > /dev/null
    fi
}

wait_for_data_services() {
    "${COMPOSE[@]}" up -d --no-deps postgres redis >&2
    local postgres redis started="$SECONDS"
    postgres="$(running_containers_of postgres | head -n1)"
    redis="$(running_containers_of redis | head -n1)"
    while (( SECONDS - started < READY_TIMEOUT_SECONDS )); do
        if docker exec "$postgres" pg_isready -q -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
            && docker exec "$redis" redis-cli ping > /dev/null 2>&1; then
            log "postgres and redis ready after $(( SECONDS - started ))s"
            return 0
        fi
        sleep 1
    done
    return 1
}

migrate() {
    local code=0
    "${COMPOSE[@]}" run --rm --no-deps -T web python manage.py migrate --noinput >&2 || code=$?
    MIGRATION_EXIT_CODE="$code"
    return "$code"
}

# The Host header readiness checks send: the first of ALLOWED_HOSTS, as a visitor would.
site_host() {
    echo "${ALLOWED_HOSTS%%,*}"
}

# https once deploy/ec2/tls.sh serves a certificate (render-env.sh sets SERVED_OVER_HTTPS from it).
site_scheme() {
    if [[ "${SERVED_OVER_HTTPS:-false}" == true ]]; then
        echo https
    else
        echo http
    fi
}

is_ready() {
    local service="$1" container="$2" port="${SERVICE_PORT[$1]}"
    if [[ "$service" == frontend ]]; then
        docker exec "$container" node -e \
            "fetch('http://127.0.0.1:$port/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" \
            > /dev/null 2>&1
    else
        # As nginx forwards it: over HTTPS, Django redirects a request without X-Forwarded-Proto: https.
        docker exec "$container" python -c \
            "import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], headers={'Host': sys.argv[2], 'X-Forwarded-Proto': sys.argv[3]}), timeout=5)" \
            "http://127.0.0.1:$port/api/health/ready/" "$(site_host)" "$(site_scheme)" > /dev/null 2>&1
    fi
}

wait_until_ready() {
    local service="$1" container="$2" started="$SECONDS"
    while (( SECONDS - started < READY_TIMEOUT_SECONDS )); do
        if is_ready "$service" "$container"; then
            log "$container ready after $(( SECONDS - started ))s"
            return 0
        fi
        if [[ "$(docker inspect --format '{{.State.Running}}' "$container" 2> /dev/null)" != true ]]; then
            log "$container exited"
            break
        fi
        sleep 1
    done
    docker logs --tail 20 "$container" >&2 || true
    return 1
}

upstream_block() {
    local service="$1" container="$2"
    echo "upstream $service {"
    echo "    server $container:${SERVICE_PORT[$service]};"
    # A websocket holds its connection; pooling idle ones is for plain HTTP.
    if [[ "$service" != websocket ]]; then
        echo "    keepalive 16;"
    fi
    echo "}"
}

write_upstreams() {
    local service temporary
    mkdir -p "$UPSTREAM_DIR"
    temporary="$(mktemp "$UPSTREAM_DIR/.upstreams.XXXXXX")"
    {
        echo "# Written by deploy/ec2/deploy.sh: the containers nginx sends requests to."
        for service in "${SERVING_ORDER[@]}"; do
            if [[ -n "${ACTIVE[$service]:-}" ]]; then
                upstream_block "$service" "${ACTIVE[$service]}"
            fi
        done
    } > "$temporary"
    chmod 644 "$temporary"
    # A rename inside the mounted directory: nginx sees the new file (a bind-mounted file would not).
    mv "$temporary" "$UPSTREAM_DIR/upstreams.conf"
}

# On the first deploy nginx is not running yet: start_nginx starts it once every upstream exists.
# A container just started may take a moment to be found by name on the network: the test is retried.
reload_nginx() {
    local nginx attempt
    nginx="$(running_containers_of nginx | head -n1)"
    if [[ -z "$nginx" ]]; then
        return 0
    fi
    for attempt in $(seq 1 15); do
        if docker exec "$nginx" nginx -t -q 2> /dev/null; then
            docker exec "$nginx" nginx -s reload
            return
        fi
        sleep 1
    done
    docker exec "$nginx" nginx -t -q
}

start_nginx() {
    if [[ -z "$(running_containers_of nginx)" ]]; then
        "${COMPOSE[@]}" up -d --no-deps nginx >&2
    fi
}

remove_container() {
    docker stop --time "$STOP_TIMEOUT_SECONDS" "$1" > /dev/null 2>&1 || true
    docker rm --force "$1" > /dev/null 2>&1 || true
}

# The container nginx sends a service's requests to now: the one in the upstream file, else the newest running.
find_active() {
    local service="$1" named=""
    if [[ -f "$UPSTREAM_DIR/upstreams.conf" ]]; then
        named="$(awk -v service="$service" '$1 == "upstream" && $2 == service { inside = 1 }
            inside && $1 == "server" { sub(/:[0-9]+;$/, "", $2); print $2; exit }' "$UPSTREAM_DIR/upstreams.conf")"
    fi
    if [[ -n "$named" ]] && running_containers_of "$service" | grep -qx "$named"; then
        echo "$named"
    else
        running_containers_of "$service" | head -n1
    fi
}

# Start a container of the service on $IMAGE_TAG beside the active one, switch nginx to it, retire the old.
replace_serving() {
    local service="$1" old="${ACTIVE[$1]:-}" leftover new=""
    for leftover in $(containers_of "$service"); do
        if [[ "$leftover" != "$old" ]]; then
            remove_container "$leftover"
        fi
    done
    local count=1
    if [[ -n "$old" ]]; then
        count=2
    fi
    "${COMPOSE[@]}" up -d --no-deps --no-recreate --scale "$service=$count" "$service" >&2 || true
    for leftover in $(running_containers_of "$service"); do
        if [[ "$leftover" != "$old" ]]; then
            new="$leftover"
        fi
    done
    if [[ -z "$new" || "$(image_of "$new")" != *":$IMAGE_TAG" ]]; then
        log "no new $service container on $IMAGE_TAG started"
        return 1
    fi
    if ! wait_until_ready "$service" "$new"; then
        remove_container "$new"
        return 1
    fi
    ACTIVE[$service]="$new"
    write_upstreams || return 1
    reload_nginx || return 1
    if [[ -n "$old" ]]; then
        sleep "$DRAIN_SECONDS"
        remove_container "$old"
    fi
    log "$service now on $new ($IMAGE_TAG)"
}

# Worker and beat: stop the old container, then start the new one.
replace_background() {
    local service="$1" old
    for old in $(containers_of "$service"); do
        remove_container "$old"
    done
    "${COMPOSE[@]}" up -d --no-deps "$service" >&2 || return 1
    [[ -n "$(running_containers_of "$service")" ]]
}

# Over HTTPS when it serves: --resolve sends the site's name (SNI and Host) to this host, and the
# certificate is not checked here (a Cloudflare origin certificate is trusted by Cloudflare alone).
check_through_nginx() {
    local scheme port="${HTTP_PORT:-80}" path
    scheme="$(site_scheme)"
    if [[ "$scheme" == https ]]; then
        port="${HTTPS_PORT:-443}"
    fi
    local paths=(/api/health/ready/)
    if has_service frontend; then
        paths+=(/)
    fi
    local attempt
    for path in "${paths[@]}"; do
        # A freshly started nginx takes a moment to listen.
        for attempt in $(seq 1 30); do
            if curl -fsS -o /dev/null --max-time 10 --insecure --resolve "$(site_host):$port:127.0.0.1" \
                "$scheme://$(site_host):$port$path"; then
                break
            fi
            if [[ "$attempt" -eq 30 ]]; then
                log "GET $path through nginx failed"
                return 1
            fi
            sleep 1
        done
    done
}

# Move every service to $IMAGE_TAG; FAILED names the first step that fails.
move_services() {
    local service
    for service in "${SERVING_ORDER[@]}"; do
        if has_service "$service"; then
            replace_serving "$service" || { FAILED="$service readiness"; return 1; }
            MOVED+=("$service")
        fi
    done
    start_nginx || { FAILED="nginx start"; return 1; }
    for service in "${BACKGROUND_ORDER[@]}"; do
        if has_service "$service"; then
            MOVED+=("$service")
            replace_background "$service" || { FAILED="$service start"; return 1; }
        fi
    done
    check_through_nginx || { FAILED="readiness through nginx"; return 1; }
}

roll_back() {
    local failed="$1" service
    if [[ -z "$PREVIOUS_TAG" ]]; then
        log "$failed failed and there is no previous release to restore"
        result failed "$failed"
        exit 1
    fi
    log "$failed failed: restoring $PREVIOUS_TAG"
    set_env_tag "$PREVIOUS_TAG"
    local moved=("${MOVED[@]}")
    MOVED=()
    local restore_failed=""
    for service in "${moved[@]}"; do
        if [[ -n "${SERVICE_PORT[$service]:-}" ]]; then
            replace_serving "$service" || restore_failed+=" $service"
        else
            replace_background "$service" || restore_failed+=" $service"
        fi
    done
    if [[ -n "$restore_failed" ]]; then
        result failed "$failed; restoring $PREVIOUS_TAG failed for:$restore_failed"
        exit 1
    fi
    result rolled_back "$failed"
    exit 1
}

main() {
    NEW_TAG="${1:?usage: deploy.sh IMAGE_TAG}"
    load_env_file "$APP_DIR/host.env"
    export COMPOSE_PROJECT_NAME
    if [[ -f "$RELEASE_FILE" ]]; then
        PREVIOUS_TAG="$(sed -n 's/^IMAGE_TAG=//p' "$RELEASE_FILE")"
    fi
    sync_bundle
    # The certificate first (or none): .env says whether the app is served over HTTPS.
    if ! bash "$APP_DIR/deploy/ec2/tls.sh" prepare; then
        result failed "tls set-up"
        exit 1
    fi
    "$APP_DIR/deploy/ec2/render-env.sh" "$NEW_TAG"
    load_env_file "$APP_DIR/.env"
    SERVICES="$(compose_services)"
    readonly SERVICES

    log "deploying $NEW_TAG (previous: ${PREVIOUS_TAG:-none})"
    local service
    for service in "${SERVING_ORDER[@]}"; do
        ACTIVE[$service]="$(find_active "$service")"
    done
    if ! login_to_registry || ! pull_images "$NEW_TAG"; then
        set_env_tag "${PREVIOUS_TAG:-$NEW_TAG}"
        result failed "pulling $NEW_TAG"
        exit 1
    fi
    if ! wait_for_data_services; then
        set_env_tag "${PREVIOUS_TAG:-$NEW_TAG}"
        result failed "postgres or redis not ready"
        exit 1
    fi
    if ! migrate; then
        log "migrations failed with exit code $MIGRATION_EXIT_CODE; nothing else changed"
        set_env_tag "${PREVIOUS_TAG:-$NEW_TAG}"
        result failed "migrations"
        exit 1
    fi
    if ! move_services; then
        roll_back "$FAILED"
    fi
    record_release
    log "$NEW_TAG is live"
    result deployed
}

main "$@"
