#!/usr/bin/env bash
# Generates a demo project and serves its backend on the embedded default (SQLite, no servers) at 127.0.0.1.
# Usage: scripts/demo.sh [PORT]   (default 8000; the project goes to .work/demo/demo_shop)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${1:-8000}
OUTPUT_DIR=${DJAWS_DEMO_DIR:-.work/demo}
ADMIN_EMAIL=demo@example.com

main() {
  bash scripts/bootstrap.sh
  .venv/bin/djaws new "Demo Shop" --no-input --output-dir "$OUTPUT_DIR" --force
  cd "$OUTPUT_DIR/demo_shop/backend"
  # The real interpreter, not a pyenv shim.
  export UV_PYTHON
  UV_PYTHON=$(python3 -c 'import sys; print(sys.executable)')
  uv sync --locked --quiet
  .venv/bin/python manage.py migrate --noinput --verbosity 0
  local password
  password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')
  .venv/bin/python manage.py shell -v 0 -c "
from apps.accounts.models import User
user = User.objects.filter(email='$ADMIN_EMAIL').first() or User.objects.create_superuser('$ADMIN_EMAIL')
user.set_password('$password'); user.save()"
  cat <<TXT

Demo project: $(cd .. && pwd)
  API docs: http://127.0.0.1:${PORT}/api/docs/
  Admin:    http://127.0.0.1:${PORT}/api/admin/   (${ADMIN_EMAIL} / ${password})
  Health:   http://127.0.0.1:${PORT}/api/health/  (readiness: /api/health/ready/)
Press Ctrl+C to stop.

TXT
  exec .venv/bin/uvicorn config.asgi:application --host 127.0.0.1 --port "$PORT" --no-access-log --lifespan off
}

main "$@"
