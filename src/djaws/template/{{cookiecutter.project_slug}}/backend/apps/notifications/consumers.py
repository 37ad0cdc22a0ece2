"""The notifications socket: each signed-in user receives events about their own files."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.core.notify import user_group

UNAUTHORISED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Joins the user's group on connect and forwards events such as ``file.processed``."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHORISED)
            return
        self.group_name = user_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def notify(self, message: dict[str, Any]) -> None:
        """Handler for group messages sent by apps.core.notify.notify_user."""
        payload = {key: value for key, value in message.items() if key not in ("type", "event")}
        await self.send_json({"type": message["event"], **payload})
