"""Credential endpoints are rate-limited per client address and per account, and the address comes
from the trusted proxies only: a client that writes its own X-Forwarded-For gains nothing."""

from __future__ import annotations

import sys

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.core.client_address import client_address
from tests.conftest import PASSWORD, run_fresh

# What the load balancer appends: the address the connection really came from.
REAL_ADDRESS = "203.0.113.7"


@pytest.fixture(autouse=True)
def behind_one_proxy(settings: pytest.FixtureRequest) -> None:
    """As deployed: one proxy (load balancer or nginx) in front of the app."""
    settings.TRUSTED_PROXY_HOPS = 1


def through_proxy(spoofed: str, real: str = REAL_ADDRESS) -> dict[str, str]:
    """Headers of a request whose client wrote `spoofed` and whose proxy appended `real`."""
    return {"HTTP_X_FORWARDED_FOR": f"{spoofed}, {real}", "REMOTE_ADDR": "10.0.0.2"}


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "198.51.100.1, 203.0.113.7", "10.0.0.2"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7, 104.16.0.1", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),
        (1, "", "10.0.0.2"),
        (1, "198.51.100.1, not-an-address", "10.0.0.2"),
        (1, " , ,", "10.0.0.2"),
    ],
)
def test_client_address_is_taken_from_the_trusted_hops(
    settings: pytest.FixtureRequest, hops: int, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXY_HOPS = hops
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")
    assert client_address(request) == expected


def test_password_guesses_from_one_address_are_refused_whatever_the_header_says(db: None) -> None:
    client = APIClient()
    statuses = [
        client.post(
            "/api/auth/token/",
            {"email": f"user{number}@example.com", "password": "guess"},
            **through_proxy(f"198.51.100.{number}"),
        ).status_code
        for number in range(50)
    ]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}


def test_password_guesses_on_one_account_are_refused_from_any_address(user: User) -> None:
    client = APIClient()
    statuses = [
        client.post(
            "/api/auth/token/",
            {"email": "ADA@example.com ", "password": "guess"},
            **through_proxy("198.51.100.1", real=f"192.0.2.{number}"),
        ).status_code
        for number in range(15)
    ]
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}
    # Another account from a fresh address is unaffected.
    other = client.post(
        "/api/auth/token/",
        {"email": "grace@example.com", "password": "guess"},
        **through_proxy("1.1.1.1", real="192.0.2.200"),
    )
    assert other.status_code == 401


def test_registrations_from_one_address_are_limited(db: None) -> None:
    client = APIClient()
    statuses = [
        client.post(
            "/api/auth/register/",
            {"email": f"new{number}@example.com", "password": PASSWORD},
            **through_proxy(f"198.51.100.{number}"),
        ).status_code
        for number in range(25)
    ]
    assert statuses[:20] == [201] * 20
    assert set(statuses[20:]) == {429}
    assert User.objects.count() == 20


@pytest.mark.parametrize("path", ["/api/auth/token/refresh/", "/api/auth/token/verify/"])
def test_token_refresh_and_verify_are_limited_per_address(db: None, path: str) -> None:
    client = APIClient()
    field = "refresh" if path.endswith("refresh/") else "token"
    statuses = [
        client.post(path, {field: f"not-a-token-{number}"}, **through_proxy(f"198.51.100.{number}")).status_code
        for number in range(25)
    ]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}


def test_admin_login_form_is_limited(user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client = Client()
    responses = [
        client.post(
            "/api/admin/login/",
            {"username": "ada@example.com", "password": f"guess-{number}"},
            **through_proxy(f"198.51.100.{number}"),
        )
        for number in range(12)
    ]
    assert [response.status_code for response in responses[:10]] == [200] * 10
    refused = responses[10]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    # The right password is refused too while the account is limited: guessing gains nothing.
    again = client.post(
        "/api/admin/login/", {"username": "ada@example.com", "password": PASSWORD}, **through_proxy("1.1.1.1")
    )
    assert again.status_code == 429


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TRUSTED_PROXY_HOPS", "9"), ("TRUSTED_PROXY_HOPS", "one"), ("AUTH_THROTTLE_RATE", "20/fortnight")],
)
def test_bad_limits_stop_start_up_with_one_line(variable: str, value: str) -> None:
    result = run_fresh([sys.executable, "manage.py", "check"], **{variable: value})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert variable in result.stderr
