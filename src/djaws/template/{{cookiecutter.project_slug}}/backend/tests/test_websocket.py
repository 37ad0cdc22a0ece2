"""The notifications websocket: JWT in the query string, file.processed pushed to the owner."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.models import User
from apps.core.notify import notify_user
from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"host", b"localhost"), (b"origin", b"http://localhost")]


def communicator(token: str = "") -> WebsocketCommunicator:
    path = f"/ws/notifications/?token={token}" if token else "/ws/notifications/"
    return WebsocketCommunicator(application, path, headers=HEADERS)


def access_token(user: User) -> str:
    return str(RefreshToken.for_user(user).access_token)


def test_anonymous_socket_is_closed_with_4401() -> None:
    async def scenario() -> Any:
        socket = communicator()
        connected, code = await socket.connect()
        await socket.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4401)


@pytest.mark.parametrize("token", ["not-a-jwt", "refresh"])
def test_an_invalid_or_refresh_token_is_closed_with_4401(user: User, token: str) -> None:
    raw = str(RefreshToken.for_user(user)) if token == "refresh" else token

    async def scenario() -> Any:
        socket = communicator(raw)
        connected, code = await socket.connect()
        await socket.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4401)


def test_user_receives_own_events_only(user: User, other_user: User) -> None:
    tokens = access_token(user), access_token(other_user)

    async def scenario() -> tuple[dict, bool]:
        mine, theirs = communicator(tokens[0]), communicator(tokens[1])
        assert (await mine.connect())[0]
        assert (await theirs.connect())[0]
        await sync_to_async(notify_user)(user.pk, "file.processed", {"file": {"id": "f-1", "status": "processed"}})
        message = await mine.receive_json_from(timeout=5)
        stranger_got_nothing = await theirs.receive_nothing(timeout=0.3)
        await mine.disconnect()
        await theirs.disconnect()
        return message, stranger_got_nothing

    message, stranger_got_nothing = async_to_sync(scenario)()
    assert message == {"type": "file.processed", "file": {"id": "f-1", "status": "processed"}}
    assert stranger_got_nothing


def test_ping_pong(user: User) -> None:
    token = access_token(user)

    async def scenario() -> dict:
        socket = communicator(token)
        await socket.connect()
        await socket.send_json_to({"type": "ping"})
        reply = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return reply

    assert async_to_sync(scenario)() == {"type": "pong"}


@pytest.mark.parametrize("origin", [b"https://evil.example", b"null", None])
def test_a_socket_from_a_foreign_or_missing_origin_is_refused(user: User, origin: bytes | None) -> None:
    token = access_token(user)
    headers = [(b"host", b"localhost")] + ([(b"origin", origin)] if origin is not None else [])

    async def scenario() -> tuple[Any, bool, bool]:
        foreign = WebsocketCommunicator(application, f"/ws/notifications/?token={token}", headers=headers)
        own = communicator(token)
        refused = await foreign.connect()
        accepted, _ = await own.connect()
        # An event for the user reaches the socket from the site's origin only.
        await sync_to_async(notify_user)(user.pk, "file.processed", {"file": {"id": "f-1"}})
        delivered = (await own.receive_json_from(timeout=5))["type"] == "file.processed"
        await foreign.disconnect()
        await own.disconnect()
        return refused, accepted, delivered

    # Channels' origin check closes before the handshake, without a code of its own (1000), before the
    # token is read (a token refusal is 4401). The same valid token works from the site's own origin.
    assert async_to_sync(scenario)() == ((False, 1000), True, True)


def test_a_deactivated_user_cannot_open_a_socket_with_a_token_issued_before(user: User) -> None:
    token = access_token(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    async def scenario() -> Any:
        socket = communicator(token)
        connected, code = await socket.connect()
        await socket.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4401)
