"""ASGI entry point: HTTP, plus websockets when the project has them (see config/routing.py)."""

import importlib.util
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before the websocket routing imports models.
http_application = get_asgi_application()

if importlib.util.find_spec("config.routing"):
    from config.routing import build_application

    application = build_application(http_application)
else:
    application = http_application
