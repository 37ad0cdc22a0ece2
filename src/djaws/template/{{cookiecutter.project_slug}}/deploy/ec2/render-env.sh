#!/usr/bin/env bash
# Build the host's .env from host.env (settings Terraform wrote at first boot) and the secrets in
# Secrets Manager. The secrets never leave AWS except into this file (mode 600). Once
# deploy/ec2/tls.sh serves a certificate, the site's settings switch to https://DOMAIN_NAME:
# SERVED_OVER_HTTPS (secure cookies, HSTS, Django's own redirect), SITE_URL, CSRF_TRUSTED_ORIGINS.
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
    # Without READINESS_TOKEN_SECRET_ARN in host.env, readiness shows its error text to nobody.
    local readiness_token=""
    if [[ -n "${READINESS_TOKEN_SECRET_ARN:-}" ]]; then
        readiness_token="$(read_secret "$READINESS_TOKEN_SECRET_ARN")"
    fi

    if bash "$APP_DIR/deploy/ec2/tls.sh" serving; then
        SERVED_OVER_HTTPS=true
        SITE_URL="https://$DOMAIN_NAME"
        CSRF_TRUSTED_ORIGINS="https://$DOMAIN_NAME"
    fi

    temporary="$(mktemp "$APP_DIR/.env.XXXXXX")"
    trap 'rm -f "$temporary"' EXIT
    chmod 600 "$temporary"
    {
        grep -v -E '^(IMAGE_TAG|SERVED_OVER_HTTPS|SITE_URL|CSRF_TRUSTED_ORIGINS)=' "$APP_DIR/host.env"
        echo "IMAGE_TAG=$IMAGE_TAG"
        echo "SERVED_OVER_HTTPS=${SERVED_OVER_HTTPS:-false}"
        echo "SITE_URL=$SITE_URL"
        echo "CSRF_TRUSTED_ORIGINS=$CSRF_TRUSTED_ORIGINS"
        echo "SECRET_KEY=$secret_key"
        echo "POSTGRES_PASSWORD=$postgres_password"
        echo "READINESS_TOKEN=$readiness_token"
    } > "$temporary"
    mv "$temporary" "$APP_DIR/.env"
    trap - EXIT
}

main "$@"
