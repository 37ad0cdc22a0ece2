#!/usr/bin/env bash
# Deploy an image tag on the all-in-one host: refresh .env, pull, migrate, restart, check health.
# The deploy workflow runs it through SSM Run Command: deploy/ec2/deploy.sh <image-tag>
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR
readonly COMPOSE=(docker compose --project-directory "$APP_DIR" -f "$APP_DIR/docker-compose.prod.yml")

log() {
    echo "deploy: $*" >&2
}

login_to_registry() {
    aws ecr get-login-password --region "$AWS_REGION" \
        | docker login --username AWS --password-stdin "$ECR_REGISTRY" > /dev/null
}

sync_bundle() {
    # The deploy workflow may upload newer copies of these to the bucket's deploy-bundle/ prefix.
    local source="s3://$AWS_STORAGE_BUCKET_NAME/deploy-bundle"
    local file
    for file in docker-compose.prod.yml deploy/ec2/nginx.conf; do
        if aws s3 ls --region "$AWS_REGION" "$source/$file" > /dev/null 2>&1; then
            aws s3 cp --region "$AWS_REGION" --only-show-errors "$source/$file" "$APP_DIR/$file"
        fi
    done
}

wait_for_health() {
    local attempt
    for attempt in $(seq 1 30); do
        if curl -fsS -o /dev/null --max-time 5 http://127.0.0.1/api/health/; then
            log "healthy after $attempt checks"
            return 0
        fi
        sleep 5
    done
    log "the site did not answer /api/health/ in time"
    "${COMPOSE[@]}" ps >&2
    return 1
}

main() {
    local image_tag="${1:?usage: deploy.sh IMAGE_TAG}"
    set -a
    # shellcheck source=/dev/null
    source "$APP_DIR/host.env"
    set +a
    sync_bundle
    "$APP_DIR/deploy/ec2/render-env.sh" "$image_tag"
    set -a
    # shellcheck source=/dev/null
    source "$APP_DIR/.env"
    set +a

    log "deploying $image_tag"
    login_to_registry
    "${COMPOSE[@]}" pull --quiet
    "${COMPOSE[@]}" up -d --wait postgres redis
    "${COMPOSE[@]}" run --rm --no-deps web python manage.py migrate --noinput
    "${COMPOSE[@]}" up -d --remove-orphans
    wait_for_health
}

main "$@"
