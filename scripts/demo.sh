#!/usr/bin/env bash
# Generates a demo project and serves it on the embedded default (SQLite, in-process channel layer, tasks run
# inline: no servers to install) at http://127.0.0.1:PORT/.
#
# Usage: scripts/demo.sh [--api-only] [PORT]   (PORT defaults to 8000; the project goes to .work/demo/demo_shop)
#
#   default     the product: the built Next.js frontend on PORT in front of the backend on PORT+1 (loopback only;
#               DJAWS_DEMO_BACKEND_PORT overrides it). Open the printed URL, sign up, upload a file and watch its
#               status change live; the admin and API docs are under /api/ on the same URL. Needs Node.js 20.9+.
#               Later runs reuse node_modules and the build while the generated frontend is unchanged.
#   --api-only  the backend alone on PORT (API docs, admin, health): no Node.js, no frontend build.
#
# Ctrl+C stops everything; if either server exits, the other is stopped too.
set -euo pipefail
cd "$(dirname "$0")/.."

OUTPUT_DIR=${DJAWS_DEMO_DIR:-.work/demo}
ADMIN_EMAIL=demo@example.com
# The oldest Node.js the generated frontend supports: its package.json "engines".
NODE_MINIMUM=$(sed -n 's/.*"node": ">=\([0-9.]*\)".*/\1/p' "src/djaws/template/{{cookiecutter.project_slug}}/frontend/package.json")
STOP_GRACE_TENTHS=50 # how long the servers get to stop after SIGTERM (tenths of a second) before SIGKILL
SERVER_PIDS=()
ADMIN_PASSWORD=

usage() {
  sed -n '2,15s/^# \{0,1\}//p' "$0"
}

valid_port() {
  [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]
}

fail() {
  echo "demo.sh: $*" >&2
  exit 2
}

now() {
  echo "${EPOCHREALTIME/,/.}"
}

# Seconds since $1 (a `now` reading), with one decimal.
since() {
  awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for_port() { # PORT PID NAME LOG
  local attempt
  for attempt in $(seq 600); do
    port_in_use "$1" && return 0
    if ! kill -0 "$2" 2>/dev/null; then
      echo "demo.sh: the $3 exited before it listened on port $1; the end of $4:" >&2
      tail -n 30 "$4" >&2
      exit 1
    fi
    [ "$attempt" -lt 600 ] && sleep 0.1
  done
  echo "demo.sh: the $3 did not listen on port $1 within 60 s; see $4" >&2
  exit 1
}

# Refuses a Node.js older than the frontend's package.json "engines" allows, in one line with the fix.
require_node() {
  local version=none
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    version=$(node --version)
    version=${version#v}
    if [ "$(printf '%s\n%s\n' "$NODE_MINIMUM" "$version" | sort -V | head -n 1)" = "$NODE_MINIMUM" ]; then
      return 0
    fi
  fi
  echo "demo.sh: the frontend needs Node.js ${NODE_MINIMUM} or newer with npm (found: ${version});" \
    "install it from https://nodejs.org/en/download, or run: bash scripts/demo.sh --api-only" >&2
  exit 1
}

# What the frontend's install and build depend on, as one hash: the rendered sources (not what npm and
# `next build` write next to them), the Node.js version, and $1 (the backend URL baked into the build).
frontend_fingerprint() {
  local frontend=$1 extra=$2
  {
    (cd "$frontend" && find . \( -name node_modules -o -name .next \) -prune -o -type f \
      ! -name next-env.d.ts ! -name '*.tsbuildinfo' ! -name package-lock.json -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum)
    node --version
    echo "$extra"
  } | sha256sum | cut -d ' ' -f 1
}

npm_quietly() { # LOG COMMAND... (the output goes to LOG; its end is shown if the command fails)
  local log=$1
  shift
  if ! env -u NODE_ENV NEXT_TELEMETRY_DISABLED=1 npm_config_update_notifier=false npm_config_fund=false \
    npm_config_audit=false "$@" >"$log" 2>&1; then
    echo "demo.sh: \`$*\` failed; the end of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# npm install unless node_modules was installed from this package.json; next build unless the build is of
# these sources for this backend URL. Prints what it did and how long it took.
prepare_frontend() {
  local frontend=$1 backend_url=$2 logs=$3 started
  local installed_stamp=$frontend/node_modules/.djaws-demo-installed
  local built_stamp=$frontend/.next/djaws-demo-built
  local package_hash fingerprint
  package_hash=$( (cat "$frontend/package.json"; node --version) | sha256sum | cut -d ' ' -f 1)
  if [ -f "$installed_stamp" ] && [ "$(cat "$installed_stamp")" = "$package_hash" ]; then
    echo "  npm install: skipped (node_modules matches package.json)"
  else
    started=$(now)
    rm -f "$installed_stamp"
    (cd "$frontend" && npm_quietly "$logs/npm-install.log" npm install --no-audit --no-fund)
    echo "$package_hash" >"$installed_stamp"
    echo "  npm install: $(since "$started") s"
  fi
  fingerprint=$(frontend_fingerprint "$frontend" "$backend_url")
  if [ -f "$built_stamp" ] && [ -f "$frontend/.next/standalone/server.js" ] &&
    [ "$(cat "$built_stamp")" = "$fingerprint" ]; then
    echo "  next build:  skipped (the frontend and backend URL are unchanged)"
  else
    started=$(now)
    rm -f "$built_stamp"
    (cd "$frontend" && BACKEND_URL=$backend_url npm_quietly "$logs/next-build.log" npm run build)
    echo "$fingerprint" >"$built_stamp"
    echo "  next build:  $(since "$started") s"
  fi
}

# Installs the backend from its lock, migrates SQLite and sets the admin's password to ADMIN_PASSWORD.
prepare_backend() {
  local backend=$1
  # The real interpreter, not a pyenv shim.
  export UV_PYTHON
  UV_PYTHON=$(python3 -c 'import sys; print(sys.executable)')
  (cd "$backend" && uv sync --locked --quiet)
  (cd "$backend" && .venv/bin/python manage.py migrate --noinput --verbosity 0)
  (cd "$backend" && .venv/bin/python manage.py shell -v 0 -c "
from apps.accounts.models import User
user = User.objects.filter(email='$ADMIN_EMAIL').first() or User.objects.create_superuser('$ADMIN_EMAIL')
user.set_password('$ADMIN_PASSWORD'); user.save()")
}

# Stops whatever servers are still running: SIGTERM, then SIGKILL after the grace period.
stop_servers() {
  local pid alive
  [ "${#SERVER_PIDS[@]}" -gt 0 ] || return 0
  kill -TERM "${SERVER_PIDS[@]}" 2>/dev/null || true
  for _ in $(seq "$STOP_GRACE_TENTHS"); do
    alive=0
    for pid in "${SERVER_PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ "$alive" -eq 1 ] || break
    sleep 0.1
  done
  kill -KILL "${SERVER_PIDS[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  SERVER_PIDS=()
}

api_only() {
  local port=$1
  prepare_backend "$OUTPUT_DIR/demo_shop/backend"
  cd "$OUTPUT_DIR/demo_shop/backend"
  cat <<TXT

Demo project: $(cd .. && pwd)
  API docs: http://127.0.0.1:${port}/api/docs/
  Admin:    http://127.0.0.1:${port}/api/admin/   (${ADMIN_EMAIL} / ${ADMIN_PASSWORD})
  Health:   http://127.0.0.1:${port}/api/health/  (readiness: /api/health/ready/)
Press Ctrl+C to stop.

TXT
  exec .venv/bin/uvicorn config.asgi:application --host 127.0.0.1 --port "$port" --no-access-log --lifespan off
}

product() {
  local port=$1 started=$2 backend_port step setup_pid project logs url backend_pid frontend_pid exited status
  backend_port=${DJAWS_DEMO_BACKEND_PORT:-$((port + 1))}
  if ! valid_port "$backend_port" || [ "$backend_port" -eq "$port" ]; then
    fail "the backend port ${backend_port} must be a port number other than ${port}"
  fi
  port_in_use "$backend_port" && fail "port ${backend_port} (the backend's, PORT+1) is in use; pick another PORT"
  project=$(cd "$OUTPUT_DIR/demo_shop" && pwd)
  logs=$(cd "$OUTPUT_DIR" && pwd)/logs
  mkdir -p "$logs"

  # The backend's install (mostly downloads) runs while npm installs and Next.js builds.
  step=$(now)
  prepare_backend "$project/backend" >"$logs/backend-setup.log" 2>&1 &
  setup_pid=$!
  prepare_frontend "$project/frontend" "http://127.0.0.1:${backend_port}" "$logs"
  if ! wait "$setup_pid"; then
    echo "demo.sh: installing or migrating the backend failed; the end of $logs/backend-setup.log:" >&2
    tail -n 30 "$logs/backend-setup.log" >&2
    exit 1
  fi
  echo "  backend install + migrate (alongside): $(since "$step") s"

  step=$(now)
  trap stop_servers EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  # CSRF_TRUSTED_ORIGINS: the admin's forms are posted to the frontend's origin, which proxies them here.
  (cd "$project/backend" && exec env CSRF_TRUSTED_ORIGINS="http://127.0.0.1:${port},http://localhost:${port}" \
    SITE_URL="http://127.0.0.1:${port}" .venv/bin/uvicorn config.asgi:application --host 127.0.0.1 \
    --port "$backend_port" --lifespan off >"$logs/backend.log" 2>&1) &
  backend_pid=$!
  SERVER_PIDS+=("$backend_pid")
  wait_for_port "$backend_port" "$backend_pid" backend "$logs/backend.log"
  (cd "$project/frontend/.next/standalone" && exec env -u BACKEND_URL NEXT_TELEMETRY_DISABLED=1 \
    NODE_ENV=production HOSTNAME=127.0.0.1 PORT="$port" node server.js >"$logs/frontend.log" 2>&1) &
  frontend_pid=$!
  SERVER_PIDS+=("$frontend_pid")
  wait_for_port "$port" "$frontend_pid" frontend "$logs/frontend.log"
  echo "  start:       $(since "$step") s"
  echo "Ready in $(since "$started") s."

  url="http://127.0.0.1:${port}/"
  cat <<TXT

Open ${url}  (sign up, upload a file, watch its status change live)
  Admin:    ${url}api/admin/   (${ADMIN_EMAIL} / ${ADMIN_PASSWORD})
  API docs: ${url}api/docs/
  Health:   ${url}api/health/
Demo project: ${project}
  frontend: node .next/standalone/server.js on port ${port}, pid ${frontend_pid}, log ${logs}/frontend.log
  backend:  uvicorn on 127.0.0.1:${backend_port}, pid ${backend_pid}, log ${logs}/backend.log
Press Ctrl+C to stop.

TXT
  status=0
  wait -n "$backend_pid" "$frontend_pid" || status=$?
  # Ctrl+C reaches the servers as well as this script: a server stopped by SIGINT means the user stopped the demo.
  [ "$status" -ne 130 ] || exit 130
  exited=frontend
  kill -0 "$backend_pid" 2>/dev/null || exited=backend
  echo "demo.sh: the ${exited} exited (status ${status}); stopping the other. The end of ${logs}/${exited}.log:" >&2
  tail -n 20 "$logs/${exited}.log" >&2
  exit 1
}

main() {
  local mode=product port=8000 started
  started=$(now)
  while [ "$#" -gt 0 ]; do
    case $1 in
      --api-only) mode=api_only ;;
      -h | --help) usage; exit 0 ;;
      -*) fail "unknown option $1 (usage: scripts/demo.sh [--api-only] [PORT])" ;;
      *)
        valid_port "$1" || fail "PORT must be a number from 1 to 65535, not '$1'"
        port=$1
        ;;
    esac
    shift
  done
  port_in_use "$port" && fail "port ${port} is in use; pass another: scripts/demo.sh [--api-only] PORT"
  [ "$mode" = api_only ] || require_node

  # bootstrap.sh reinstalls djaws every time: skip it while the install is newer than pyproject.toml.
  if [ ! -x .venv/bin/djaws ] || [ pyproject.toml -nt .venv/bin/djaws ]; then
    bash scripts/bootstrap.sh
  fi
  .venv/bin/djaws new "Demo Shop" --no-input --output-dir "$OUTPUT_DIR" --force >/dev/null
  ADMIN_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')
  echo "Generated ${OUTPUT_DIR}/demo_shop in $(since "$started") s."
  if [ "$mode" = api_only ]; then
    api_only "$port"
  else
    product "$port" "$started"
  fi
}

main "$@"
