"""What a careless or hostile client can send gets a 4xx with a JSON body: never a 5xx."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.models import User
from apps.files.models import UploadedFile
from apps.files.processing import purge_stale_uploads
from tests.conftest import PASSWORD
from tests.test_files import CONTENT, post_form

pytestmark = pytest.mark.django_db


def cursor(raw: str) -> str:
    return quote(base64.b64encode(raw.encode()).decode())


@pytest.mark.parametrize(
    "value",
    [
        cursor("p=not-a-date"),
        cursor("p=2026-13-45T99:99:99"),
        cursor("o=abc&r=1&p=x"),
        cursor("o=-5"),
        "%%%",
        cursor("\x00\x01"),
        "A" * 5000,
    ],
)
def test_malformed_cursor_is_a_400_or_a_first_page(api: APIClient, value: str) -> None:
    response = api.get(f"/api/files/?cursor={value}")
    assert response.status_code in (200, 400, 404), response.content
    response.json()


@pytest.mark.parametrize(
    "page_size", ["-1", "0", "201", "abc", "", " 5", "5.0", "\u0665", "99999999999999999999", "1e3"]
)
def test_page_sizes_outside_the_schema_are_a_400(api: APIClient, page_size: str) -> None:
    response = api.get(f"/api/files/?page_size={quote(page_size)}")
    assert response.status_code == 400, response.content
    assert "page_size" in response.json()


@pytest.mark.parametrize("page_size", ["1", "200"])
def test_page_sizes_within_the_schema_are_served(api: APIClient, page_size: str) -> None:
    assert api.get(f"/api/files/?page_size={page_size}").status_code == 200


@pytest.mark.parametrize("path", ["/api/auth/register/", "/api/auth/token/", "/api/files/uploads/"])
def test_deeply_nested_json_is_a_400(api: APIClient, path: str) -> None:
    body = '{"email": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = api.post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "body",
    ["[1, 2]", '"text"', "null", "123", "{", r'{"email": "\ud800"}', r'{"email": "a\udfffb@example.com"}', "\xff\xfe"],
)
def test_json_that_is_not_an_object_is_a_400(body: str) -> None:
    response = APIClient().post("/api/auth/register/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    response.json()


@pytest.mark.parametrize(
    "payload",
    [
        {"email": ["a@example.com"], "password": PASSWORD},
        {"email": {"x": 1}, "password": {"y": 2}},
        {"email": "a" * 10_000 + "@example.com", "password": PASSWORD},
        {"email": "a@example.com", "password": "x" * 100_000},
        {"email": "a\x00b@example.com", "password": PASSWORD},
    ],
)
def test_odd_registration_fields_are_a_400(payload: dict[str, Any]) -> None:
    response = APIClient().post("/api/auth/register/", payload, format="json")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/files/uploads/", {"filename": 0, "content_type": "text/csv", "size": 3}),
        ("/api/files/uploads/", {"filename": "a.csv", "content_type": "text/csv", "size": "3"}),
        ("/api/files/uploads/", {"filename": "a.csv", "content_type": "text/csv", "size": 3.0}),
        ("/api/files/uploads/", {"filename": "a.csv", "content_type": "text/csv", "size": True}),
        ("/api/auth/register/", {"email": "new@example.com", "password": PASSWORD, "first_name": 0}),
        ("/api/auth/logout/", {"refresh": 0}),
    ],
)
def test_values_of_another_json_type_are_a_400(api: APIClient, path: str, payload: dict[str, Any]) -> None:
    """DRF would coerce them (0 to "0", "3" to 3); the schema says each field's type, and that is what is taken."""
    response = api.post(path, payload, format="json")
    assert response.status_code == 400, response.content
    assert len(response.json()) == 1


def test_form_bodies_are_a_415(api: APIClient) -> None:
    payload = {"filename": "a.csv", "content_type": "text/csv", "size": 3}
    response = api.post("/api/files/uploads/", payload, format="multipart")
    assert response.status_code == 415, response.content
    assert "detail" in response.json()


def test_registering_a_taken_address_in_another_case_is_a_409(user: User) -> None:
    response = APIClient().post("/api/auth/register/", {"email": "ADA@example.com", "password": PASSWORD})
    assert response.status_code == 409


def test_a_registration_racing_another_for_the_same_address_is_a_409(monkeypatch: pytest.MonkeyPatch) -> None:
    """The uniqueness check passes for both; the database refuses the second insert."""
    real_create_user = User.objects.create_user

    def create_after_a_rival(email: str, password: str | None = None, **extra_fields: Any) -> User:
        real_create_user(email=email, password=PASSWORD)
        return real_create_user(email=email, password=password, **extra_fields)

    monkeypatch.setattr(User.objects, "create_user", create_after_a_rival)
    response = APIClient().post("/api/auth/register/", {"email": "race@example.com", "password": PASSWORD})
    assert response.status_code == 409, response.content
    assert "already exists" in response.json()["detail"]


def test_tokens_of_a_deleted_account_reach_nothing(user: User) -> None:
    """An access token stays valid until it expires (stateless); it can no longer reach or create anything."""
    refresh = RefreshToken.for_user(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    user.delete()
    for method, path, data in [
        ("get", "/api/auth/me/", None),
        ("post", "/api/files/uploads/", {"filename": "a.csv", "content_type": "text/csv", "size": 3}),
        ("post", "/api/auth/logout/", {"refresh": str(refresh)}),
    ]:
        response = getattr(api, method)(path, data, format="json")
        assert response.status_code == 401, (path, response.status_code, response.content)
        assert "detail" in response.json()
    assert api.get("/api/files/").json()["results"] == []
    assert UploadedFile.objects.count() == 0
    assert APIClient().post("/api/auth/token/refresh/", {"refresh": str(refresh)}).status_code == 401


@pytest.mark.parametrize(
    "filename",
    ["..", ".", "../../etc/passwd", "a/../../b", "\x00", "..\\..\\x", "CON", " ", "%2e%2e", "ü" * 300, ".hidden"],
)
def test_any_file_name_uploads_lists_deletes_and_purges(api: APIClient, filename: str, settings: Any) -> None:
    response = api.post("/api/files/uploads/", {"filename": filename, "content_type": "text/csv", "size": len(CONTENT)})
    if response.status_code == 400:
        response.json()
        return
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert post_form(ticket, CONTENT) == 204
    file_id = ticket["file"]["id"]
    assert api.post(f"/api/files/{file_id}/complete/").status_code == 200
    assert api.get("/api/files/").status_code == 200
    assert api.get(f"/api/files/{file_id}/download/").status_code == 200
    assert api.delete(f"/api/files/{file_id}/").status_code == 204
    stale = api.post("/api/files/uploads/", {"filename": filename, "content_type": "text/csv", "size": 3})
    UploadedFile.objects.filter(pk=stale.json()["file"]["id"]).update(created_at="2000-01-01T00:00:00Z")
    purge_stale_uploads()
    assert not (settings.MEDIA_ROOT.parent / "etc").exists()


def test_an_upload_form_cannot_replace_a_completed_file(api: APIClient) -> None:
    ticket = api.post(
        "/api/files/uploads/", {"filename": "a.csv", "content_type": "text/csv", "size": len(CONTENT)}
    ).json()
    assert post_form(ticket, CONTENT) == 204
    file_id = ticket["file"]["id"]
    assert api.post(f"/api/files/{file_id}/complete/").status_code == 200
    replay = post_form(ticket, b"MZ\x90\x00 not a csv at all")
    assert replay == 403
    served = api.get(f"/api/files/{file_id}/download/").json()["url"]
    assert b"".join(APIClient().get(served).streaming_content) == CONTENT


def test_a_json_error_for_an_oversized_body() -> None:
    response = APIClient().post(
        "/api/auth/register/", json.dumps({"email": "x" * 3_000_000}), content_type="application/json"
    )
    assert response.status_code in (400, 413), response.status_code
    response.json()
