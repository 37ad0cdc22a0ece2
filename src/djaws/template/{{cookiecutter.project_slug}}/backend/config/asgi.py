"""ASGI entry point: HTTP, plus websockets when the project has them (see config/routing.py)."""

import importlib.util
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django runs each ASGI request's synchronous code in a thread of its own, and a kept database connection
# belongs to its thread: kept connections would pile up, one per thread, until the database refuses more.
# Here each request closes its connection when it ends (the web process, config/rsgi.py, keeps them).
os.environ["DB_CONN_MAX_AGE"] = "0"

# Django must be set up before the websocket routing imports models.
http_application = get_asgi_application()

if importlib.util.find_spec("config.routing"):
    from config.routing import build_application

    application = build_application(http_application)
else:
    application = http_application
