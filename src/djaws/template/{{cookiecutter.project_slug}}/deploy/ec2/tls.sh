#!/usr/bin/env bash
# HTTPS on the all-in-one host, by TLS_MODE in host.env (Terraform's tls_mode):
#   letsencrypt  certbot (the compose service `certbot`, run on demand) gets a certificate for
#                DOMAIN_NAME from ACME_DIRECTORY_URL by the http-01 challenge and renews it.
#   cloudflare   the certificate and key (Cloudflare Origin CA) come from the Secrets Manager
#                secret TLS_CERTIFICATE_SECRET_ARN; nginx takes visitors' addresses from Cloudflare.
#   off          plain HTTP.
# The certificate nginx serves is state/tls/site.pem (chain, then key; root only). The two files
# nginx includes from state/nginx/ follow it: tls.conf (the HTTPS server, nginx-https.conf, once a
# certificate is installed) and http.conf (port 80 serves the site, or redirects to HTTPS). Nothing
# redirects to HTTPS before a certificate is served there, and the app is told it is served over
# HTTPS (render-env.sh asks `tls.sh serving`) only from the deploy after that.
#
#   tls.sh prepare  deploy.sh, before it writes .env: get a certificate if there is none (through
#                   nginx on port 80, or certbot's own server there before nginx ever ran), then
#                   write the nginx files. A failed attempt leaves the site on HTTP.
#   tls.sh renew    cron, twice a day: renew (certbot renews within 30 days of expiry) or fetch the
#                   secret again, reload nginx when the certificate changed; a first certificate
#                   redeploys the current tag so the app switches to its HTTPS settings.
#   tls.sh serving  exit status 0 when HTTPS is served.
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR
readonly TLS_DIR="$APP_DIR/state/tls"
readonly NGINX_STATE_DIR="$APP_DIR/state/nginx"
readonly CERTIFICATE="$TLS_DIR/site.pem"
# The domain site.pem was issued for: a new DOMAIN_NAME needs a new certificate.
readonly CERTIFICATE_DOMAIN="$TLS_DIR/domain"
readonly LIVE_DIR="$APP_DIR/state/letsencrypt/live/site"

COMPOSE=(docker compose --project-directory "$APP_DIR" -f "$APP_DIR/docker-compose.prod.yml")
if [[ -f "$APP_DIR/docker-compose.override.yml" ]]; then
    COMPOSE+=(-f "$APP_DIR/docker-compose.override.yml")
fi
readonly COMPOSE
# certbot runs on demand in its compose service (profile "tls": `up` never starts it).
readonly CERTBOT_RUN=("${COMPOSE[@]}" --profile tls run --rm --no-deps -T)

log() {
    echo "tls: $(date -u +%H:%M:%S) $*" >&2
}

load_settings() {
    set -a
    # shellcheck source=/dev/null
    source "$APP_DIR/host.env"
    set +a
    TLS_MODE="${TLS_MODE:-off}"
    case "$TLS_MODE" in
        off | letsencrypt | cloudflare) ;;
        *) log "TLS_MODE=$TLS_MODE is not one of off, letsencrypt, cloudflare"; exit 2 ;;
    esac
    if [[ "$TLS_MODE" == letsencrypt && -z "${DOMAIN_NAME:-}" ]]; then
        log "TLS_MODE=letsencrypt needs DOMAIN_NAME"
        exit 2
    fi
}

serving() {
    [[ "$TLS_MODE" != off && -s "$CERTIFICATE" ]] || return 1
    [[ "$TLS_MODE" != letsencrypt || "$(cat "$CERTIFICATE_DOMAIN" 2> /dev/null)" == "$DOMAIN_NAME" ]]
}

nginx_container() {
    docker ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
        --filter "label=com.docker.compose.service=nginx" --quiet | head -n1
}

# Replace site.pem with $1 when it differs; exit status 0 when it changed.
install_certificate() {
    local candidate="$1"
    if [[ -s "$CERTIFICATE" ]] && cmp -s "$candidate" "$CERTIFICATE"; then
        rm -f "$candidate"
        return 1
    fi
    chmod 600 "$candidate"
    mv "$candidate" "$CERTIFICATE"
    echo "${DOMAIN_NAME:-}" > "$CERTIFICATE_DOMAIN"
    log "certificate installed: $(openssl x509 -noout -subject -enddate -in "$CERTIFICATE" | tr '\n' ' ')"
}

install_from_certbot() {
    local candidate
    candidate="$(mktemp "$TLS_DIR/.site.XXXXXX")"
    cat "$LIVE_DIR/fullchain.pem" "$LIVE_DIR/privkey.pem" > "$candidate"
    install_certificate "$candidate"
}


# http-01 through nginx's /.well-known/acme-challenge/ (state/acme), or, before nginx first
# started, through certbot's own server on the host's HTTP port.
issue_letsencrypt() {
    local contact=(--register-unsafely-without-email)
    if [[ -n "${ACME_EMAIL:-}" ]]; then
        contact=(--email "$ACME_EMAIL")
    fi
    local publish=() method=(--webroot --webroot-path /var/www/acme)
    if [[ -z "$(nginx_container)" ]]; then
        publish=(--publish "${HTTP_PORT:-80}:80")
        method=(--standalone)
    fi
    log "requesting a certificate for $DOMAIN_NAME from $ACME_DIRECTORY_URL (${method[0]#--})"
    if ! "${CERTBOT_RUN[@]}" "${publish[@]}" certbot certonly "${method[@]}" --cert-name site --domain "$DOMAIN_NAME" \
        --server "$ACME_DIRECTORY_URL" "${contact[@]}" --agree-tos --non-interactive --keep-until-expiring >&2; then
        log "certbot could not get a certificate"
        return 1
    fi
    install_from_certbot || true
}

renew_letsencrypt() {
    # Renewals always go through nginx, which holds port 80 by then.
    # The cron line's time is drawn per host at first boot: certbot's own random wait (up to 8 minutes) would
    # only make the run longer.
    if ! "${CERTBOT_RUN[@]}" certbot renew --webroot --webroot-path /var/www/acme --non-interactive \
        --no-random-sleep-on-renew >&2; then
        log "certbot could not renew the certificate"
        return 1
    fi
    install_from_certbot
}

fetch_origin_certificate() {
    local candidate
    candidate="$(mktemp "$TLS_DIR/.site.XXXXXX")"
    if ! aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$TLS_CERTIFICATE_SECRET_ARN" \
        --query SecretString --output text > "$candidate" 2> /dev/null \
        || ! openssl x509 -noout -in "$candidate" 2> /dev/null \
        || ! openssl pkey -noout -in "$candidate" 2> /dev/null; then
        rm -f "$candidate"
        log "no certificate and key in the secret $TLS_CERTIFICATE_SECRET_ARN yet: the site stays on HTTP"
        return 1
    fi
    install_certificate "$candidate"
}

write_file() {
    local target="$1" temporary
    temporary="$(mktemp "$NGINX_STATE_DIR/.tls.XXXXXX")"
    cat > "$temporary"
    chmod 644 "$temporary"
    mv "$temporary" "$target"
}

write_nginx_files() {
    mkdir -p "$NGINX_STATE_DIR"
    {
        echo "# Written by deploy/ec2/tls.sh (TLS_MODE=$TLS_MODE)."
        if [[ "$TLS_MODE" == cloudflare ]]; then
            cat "$APP_DIR/deploy/ec2/cloudflare.conf"
        fi
        if serving; then
            cat "$APP_DIR/deploy/ec2/nginx-https.conf"
        fi
    } | write_file "$NGINX_STATE_DIR/tls.conf"
    if serving; then
        # shellcheck disable=SC2016 # nginx variables, written as they are
        printf '%s\n' "# Written by deploy/ec2/tls.sh: HTTPS serves the site." \
            'location / {' '    return 301 https://$host$request_uri;' '}' | write_file "$NGINX_STATE_DIR/http.conf"
    else
        printf '%s\n' "# Written by deploy/ec2/tls.sh: no certificate, the site is served over HTTP." \
            'include /etc/nginx/site.conf;' | write_file "$NGINX_STATE_DIR/http.conf"
    fi
}

reload_nginx() {
    local nginx
    nginx="$(nginx_container)"
    if [[ -n "$nginx" ]]; then
        docker exec "$nginx" nginx -t -q && docker exec "$nginx" nginx -s reload
    fi
}

prepare() {
    mkdir -p "$TLS_DIR" "$APP_DIR/state/acme" "$APP_DIR/state/letsencrypt"
    chmod 700 "$TLS_DIR"
    case "$TLS_MODE" in
        letsencrypt)
            if ! serving && ! issue_letsencrypt; then
                log "no certificate for $DOMAIN_NAME yet (does its A record point here?): the site stays on HTTP; tls.sh renew retries"
            fi ;;
        cloudflare) fetch_origin_certificate || true ;;
        off) ;;
    esac
    write_nginx_files
}

renew() {
    local was_serving=false changed=false
    if serving; then
        was_serving=true
    fi
    case "$TLS_MODE" in
        letsencrypt)
            if [[ "$was_serving" == true ]]; then
                renew_letsencrypt && changed=true
            else
                issue_letsencrypt && changed=true
            fi ;;
        cloudflare) fetch_origin_certificate && changed=true ;;
        off) return 0 ;;
    esac
    if [[ "$changed" != true ]]; then
        return 0
    fi
    write_nginx_files
    local tag
    tag="$(sed -n 's/^IMAGE_TAG=//p' "$APP_DIR/state/release.env" 2> /dev/null || true)"
    if [[ "$was_serving" == true ]]; then
        reload_nginx
    elif [[ -z "$tag" ]]; then
        log "first certificate installed; no release deployed yet: the first deploy starts the app over HTTPS"
    else
        log "first certificate: redeploying the current tag with HTTPS settings"
        "$APP_DIR/deploy/ec2/deploy.sh" "$tag" > /dev/null
    fi
}

main() {
    load_settings
    case "${1:-}" in
        prepare) prepare ;;
        renew) renew ;;
        serving) serving ;;
        *) echo "usage: tls.sh prepare|renew|serving" >&2; exit 2 ;;
    esac
}

main "$@"
