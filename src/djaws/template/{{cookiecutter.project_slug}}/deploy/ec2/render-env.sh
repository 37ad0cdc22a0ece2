#!/usr/bin/env bash
# Build the host's .env from host.env (settings Terraform wrote at first boot) and the two secrets
# in Secrets Manager. The secrets never leave AWS except into this file (mode 600).
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR

read_secret() {
    aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$1" \
        --query SecretString --output text
}

main() {
    local image_tag="${1:-}"
    set -a
    # shellcheck source=/dev/null
    source "$APP_DIR/host.env"
    set +a
    if [[ -n "$image_tag" ]]; then
        IMAGE_TAG="$image_tag"
    elif [[ -f "$APP_DIR/.env" ]] && grep -q '^IMAGE_TAG=' "$APP_DIR/.env"; then
        IMAGE_TAG="$(grep '^IMAGE_TAG=' "$APP_DIR/.env" | tail -n1 | cut -d= -f2-)"
    fi

    local secret_key postgres_password temporary
    secret_key="$(read_secret "$DJANGO_SECRET_KEY_ARN")"
    postgres_password="$(read_secret "$POSTGRES_PASSWORD_SECRET_ARN")"

    temporary="$(mktemp "$APP_DIR/.env.XXXXXX")"
    trap 'rm -f "$temporary"' EXIT
    chmod 600 "$temporary"
    {
        grep -v '^IMAGE_TAG=' "$APP_DIR/host.env"
        echo "IMAGE_TAG=$IMAGE_TAG"
        echo "SECRET_KEY=$secret_key"
        echo "POSTGRES_PASSWORD=$postgres_password"
    } > "$temporary"
    mv "$temporary" "$APP_DIR/.env"
    trap - EXIT
}

main "$@"
