"""Registration and JWT authentication: obtain, refresh (with rotation), verify, logout."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts import authentication
from apps.accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def obtain(client: APIClient, email: str = "ada@example.com", password: str = PASSWORD) -> dict:
    response = client.post("/api/auth/token/", {"email": email, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def test_register_creates_user_without_echoing_password() -> None:
    response = APIClient().post("/api/auth/register/", {"email": "New@Example.com", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@example.com"
    assert "password" not in body
    assert User.objects.get(email="new@example.com").check_password(PASSWORD)


def test_register_rejects_duplicate_email(user: User) -> None:
    response = APIClient().post("/api/auth/register/", {"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_register_rejects_weak_password() -> None:
    response = APIClient().post("/api/auth/register/", {"email": "weak@example.com", "password": "123"})
    assert response.status_code == 400
    assert not User.objects.filter(email="weak@example.com").exists()


def test_token_obtain_and_me(user: User) -> None:
    client = APIClient()
    tokens = obtain(client)
    assert set(tokens) == {"access", "refresh"}
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = client.get("/api/auth/me/")
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"


def test_token_obtain_rejects_wrong_password(user: User) -> None:
    response = APIClient().post("/api/auth/token/", {"email": "ada@example.com", "password": "wrong"})
    assert response.status_code == 401


def test_me_requires_authentication() -> None:
    assert APIClient().get("/api/auth/me/").status_code == 401


def test_refresh_rotates_and_blacklists_old_token(user: User) -> None:
    client = APIClient()
    tokens = obtain(client)
    first = client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    reused = client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert reused.status_code == 401


def test_verify_accepts_valid_and_rejects_tampered_token(user: User) -> None:
    client = APIClient()
    access = obtain(client)["access"]
    assert client.post("/api/auth/token/verify/", {"token": access}).status_code == 200
    assert client.post("/api/auth/token/verify/", {"token": access[:-2] + "xx"}).status_code == 401


def test_logout_blacklists_refresh_token(user: User) -> None:
    client = APIClient()
    tokens = obtain(client)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 205
    again = APIClient().post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert again.status_code == 401


@pytest.mark.parametrize("refresh", ["not-a-token", "revoked", "access"])
def test_logout_of_an_unusable_token_succeeds_too(user: User, refresh: str) -> None:
    """RFC 7009: whatever the token, afterwards it cannot be used, so the answer is the same."""
    client = APIClient()
    tokens = obtain(client)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    if refresh == "revoked":
        client.post("/api/auth/logout/", {"refresh": tokens["refresh"]})
    token = {"revoked": tokens["refresh"], "access": tokens["access"]}.get(refresh, refresh)
    assert client.post("/api/auth/logout/", {"refresh": token}).status_code == 205


def test_sign_in_is_rate_limited(user: User) -> None:
    client = APIClient()
    statuses = [
        client.post("/api/auth/token/", {"email": "ada@example.com", "password": "wrong"}).status_code
        for _ in range(25)
    ]
    assert statuses[0] == 401
    assert statuses[-1] == 429


def test_deactivated_user_cannot_refresh_or_read_profile(user: User) -> None:
    client = APIClient()
    tokens = obtain(client)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/auth/me/").status_code == 401


def test_remembered_access_token_still_expires(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    token = AccessToken.for_user(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/files/").status_code == 200
    assert client.get("/api/files/").status_code == 200  # now answered from the remembered validation
    expired = token["exp"] + 1
    monkeypatch.setattr(authentication.time, "time", lambda: expired)
    monkeypatch.setattr(tokens, "aware_utcnow", lambda: datetime.fromtimestamp(expired, UTC))
    response = client.get("/api/files/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_remembered_token_does_not_admit_a_tampered_one(user: User) -> None:
    token = str(AccessToken.for_user(user))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/files/").status_code == 200
    header, payload, signature = token.split(".")
    forged_claims = base64.urlsafe_b64encode(json.dumps({"user_id": str(user.pk + 1)}).encode()).rstrip(b"=").decode()
    for forged in (f"{header}.{payload}.{signature[:-2]}AA", f"{header}.{forged_claims}.{signature}"):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
        assert client.get("/api/files/").status_code == 401
