"""JWT authentication for websockets: browsers cannot set headers on a WebSocket, so the access
token comes in the query string (``/ws/notifications/?token=<access>``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken


@database_sync_to_async
def user_for_token(raw_token: str) -> Any:
    """The active user an access token belongs to, or AnonymousUser."""
    try:
        token = AccessToken(raw_token)
    except TokenError:
        return AnonymousUser()
    user = get_user_model().objects.filter(pk=token.get("user_id"), is_active=True).first()
    return user or AnonymousUser()


class JwtAuthMiddleware(BaseMiddleware):
    """Puts the token's user into ``scope["user"]``."""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        scope = dict(scope, user=await user_for_token(token) if token else AnonymousUser())
        return await super().__call__(scope, receive, send)
