"""Protocol routing: HTTP to Django, websockets to the notification consumer behind JWT auth."""

from asgiref.typing import ASGIApplication as ASGIApp
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from apps.notifications.auth import JwtAuthMiddleware
from apps.notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]


def build_application(http_application: ASGIApp) -> ASGIApp:
    """The ASGI application serving both protocols."""
    return ProtocolTypeRouter(
        {
            "http": http_application,
            "websocket": AllowedHostsOriginValidator(JwtAuthMiddleware(URLRouter(websocket_urlpatterns))),
        }
    )
