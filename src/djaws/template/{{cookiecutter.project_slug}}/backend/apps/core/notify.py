"""Push events to a user's open websockets; a no-op when the project has no websockets.

Events are a courtesy on top of the API, which always has the current state: one that cannot be sent
(Redis away) is logged and dropped, and the work that caused it stands.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from apps.core.errors import UNREACHABLE

logger = logging.getLogger(__name__)


def user_group(user_id: object) -> str:
    """The channel-layer group every socket of one user joins."""
    return f"user.{user_id}"


def notify_user(user_id: object, event_type: str, payload: dict[str, Any]) -> None:
    """Send ``{"type": event_type, ...payload}`` to every socket the user has open."""
    if not settings.USE_WEBSOCKET:
        return
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "notify", "event": event_type, **payload})
    except UNREACHABLE["cache"] as error:
        logger.warning("%s for user %s not sent: the channel layer is unavailable (%s)", event_type, user_id, error)
