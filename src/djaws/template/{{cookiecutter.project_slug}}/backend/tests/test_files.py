"""The files API on the embedded default (local storage with Django-signed URLs)."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.files.models import UploadedFile
from apps.files.processing import purge_stale_uploads, sniff_content_type
from apps.files.serializers import UploadedFileSerializer
from apps.files.storage import LocalUploadStorage
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CONTENT = b"id,name\n1,Ada Lovelace\n2,Grace Hopper\n"


def start_upload(api: APIClient, content: bytes = CONTENT, content_type: str = "text/csv") -> dict[str, Any]:
    response = api.post(
        "/api/files/uploads/", {"filename": "people.csv", "content_type": content_type, "size": len(content)}
    )
    assert response.status_code == 201, response.content
    return response.json()


def post_form(ticket: dict[str, Any], content: bytes, filename: str = "people.csv") -> int:
    """Send the bytes the way a browser does: the presigned fields, then the file."""
    form = dict(ticket["upload"]["fields"])
    form["file"] = SimpleUploadedFile(filename, content)
    return APIClient().post(ticket["upload"]["url"], form, format="multipart").status_code


def test_upload_rejects_type_not_on_allow_list(api: APIClient) -> None:
    response = api.post(
        "/api/files/uploads/", {"filename": "x.exe", "content_type": "application/x-msdownload", "size": 10}
    )
    assert response.status_code == 400
    assert "content_type" in response.json()


def test_upload_rejects_declared_size_over_limit(api: APIClient, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_BYTES = 100
    response = api.post("/api/files/uploads/", {"filename": "big.txt", "content_type": "text/plain", "size": 101})
    assert response.status_code == 400
    assert "size" in response.json()


def test_failed_signing_leaves_no_record(api: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*arguments: object) -> dict:
        raise RuntimeError("no credentials to sign with")

    monkeypatch.setattr(LocalUploadStorage, "presign_upload", refuse)
    api.raise_request_exception = False
    response = api.post("/api/files/uploads/", {"filename": "a.csv", "content_type": "text/csv", "size": 3})
    assert response.status_code == 500
    assert not UploadedFile.objects.exists()


def test_upload_key_is_under_user_prefix(api: APIClient, user: User) -> None:
    ticket = start_upload(api)
    upload = UploadedFile.objects.get(pk=ticket["file"]["id"])
    assert upload.key.startswith(f"uploads/{user.pk}/")
    assert upload.key.endswith("/people.csv")
    assert ticket["file"]["status"] == "pending"
    # The form writes to the incoming key only; completion moves the checked bytes to the file's key.
    assert ticket["upload"]["fields"]["key"] == upload.key.replace("uploads/", "incoming/", 1)


def test_full_flow_upload_complete_process_list_download(
    api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = start_upload(api)
    assert post_form(ticket, CONTENT) == 204
    with django_capture_on_commit_callbacks(execute=True):
        completed = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert completed.status_code == 200, completed.content
    assert completed.json()["status"] == "uploaded"

    record = api.get(f"/api/files/{ticket['file']['id']}/").json()
    assert record["status"] == "processed"
    assert record["checksum_sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert record["detected_type"] == "text/plain"
    assert record["size"] == len(CONTENT)

    listing = api.get("/api/files/").json()
    assert [item["id"] for item in listing["results"]] == [ticket["file"]["id"]]

    download = api.get(f"/api/files/{ticket['file']['id']}/download/")
    assert download.status_code == 200
    fetched = APIClient().get(download.json()["url"])
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content) == CONTENT
    assert "attachment" in fetched["Content-Disposition"]


def test_completion_records_the_measured_size_and_time(api: APIClient) -> None:
    """The declared size is what the client claimed; the record keeps what storage holds."""
    response = api.post("/api/files/uploads/", {"filename": "people.csv", "content_type": "text/csv", "size": 1000})
    ticket = response.json()
    assert post_form(ticket, CONTENT) == 204
    completed = api.post(f"/api/files/{ticket['file']['id']}/complete/").json()
    assert completed["size"] == len(CONTENT)
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    assert (record.size, record.status) == (len(CONTENT), "uploaded")
    assert record.created_at <= record.uploaded_at <= timezone.now()


def test_a_file_exactly_at_the_limit_completes(api: APIClient, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_BYTES = len(CONTENT)
    ticket = start_upload(api)
    assert post_form(ticket, CONTENT) == 204
    assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 200


def test_a_completion_whose_object_changes_during_the_check_conflicts(
    api: APIClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The browser posts the form again between the check and the move: nothing moves, completing again works."""
    ticket = start_upload(api)
    assert post_form(ticket, CONTENT) == 204
    check = LocalUploadStorage.stat_incoming

    def check_then_post_again(storage: LocalUploadStorage, key: str) -> object:
        checked = check(storage, key)
        assert post_form(ticket, CONTENT + b"3,Katherine Johnson\n") == 204
        return checked

    monkeypatch.setattr(LocalUploadStorage, "stat_incoming", check_then_post_again)
    response = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert response.status_code == 409
    assert response.json() == {"detail": "the file changed while it was being checked; complete the upload again"}
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    assert (record.status, record.uploaded_at) == ("pending", None)
    assert LocalUploadStorage(settings.MEDIA_ROOT).stat(record.key) is None
    monkeypatch.undo()
    again = api.post(f"/api/files/{ticket['file']['id']}/complete/").json()
    assert (again["status"], again["size"]) == ("uploaded", len(CONTENT) + len(b"3,Katherine Johnson\n"))


def test_complete_before_upload_conflicts(api: APIClient) -> None:
    ticket = start_upload(api)
    response = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert response.status_code == 409
    assert UploadedFile.objects.get(pk=ticket["file"]["id"]).status == "pending"


@pytest.mark.parametrize(
    ("limit", "stored_type", "reason"),
    [
        # The limit was lowered after the form was signed.
        (8, "text/csv", f"the file is {len(CONTENT)} bytes; the limit is 8"),
        # Bytes that did not come through the form (which stores the signed type).
        (1024, "application/pdf", "the stored content type 'application/pdf' differs from 'text/csv'"),
    ],
)
def test_a_refused_completion_deletes_the_bytes_and_fails_the_file(
    api: APIClient, settings: Any, limit: int, stored_type: str, reason: str
) -> None:
    ticket = start_upload(api)
    incoming = ticket["upload"]["fields"]["key"]
    LocalUploadStorage(settings.MEDIA_ROOT).save(incoming, stored_type, [CONTENT])
    settings.FILE_UPLOAD_MAX_BYTES = limit
    response = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert response.status_code == 400
    assert response.json()["detail"] == reason
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    assert (record.status, record.failure_reason, record.uploaded_at) == ("failed", reason, None)
    assert not any(path.is_file() for path in settings.MEDIA_ROOT.rglob("*"))
    assert api.get(f"/api/files/{ticket['file']['id']}/download/").status_code == 409


def test_download_before_upload_conflicts(api: APIClient) -> None:
    ticket = start_upload(api)
    assert api.get(f"/api/files/{ticket['file']['id']}/download/").status_code == 409


def test_content_not_matching_declared_type_fails_processing(
    api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = start_upload(api, content=b"not really a png", content_type="image/png")
    assert post_form(ticket, b"not really a png", "fake.png") == 204
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 200
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    assert record.status == "failed"
    assert "text/plain" in record.failure_reason


def test_other_users_files_are_not_found(api: APIClient, other_user: User) -> None:
    ticket = start_upload(api)
    stranger = client_for(other_user)
    file_url = f"/api/files/{ticket['file']['id']}/"
    assert stranger.get(file_url).status_code == 404
    assert stranger.post(f"{file_url}complete/").status_code == 404
    assert stranger.get(f"{file_url}download/").status_code == 404
    assert stranger.delete(file_url).status_code == 404
    assert stranger.get("/api/files/").json()["results"] == []


def test_files_require_authentication() -> None:
    assert APIClient().get("/api/files/").status_code == 401


def test_local_upload_rejects_tampered_token(api: APIClient) -> None:
    ticket = start_upload(api)
    ticket["upload"]["fields"]["token"] += "x"
    assert post_form(ticket, CONTENT) == 403


def test_local_upload_rejects_other_key_or_type(api: APIClient) -> None:
    ticket = start_upload(api)
    ticket["upload"]["fields"]["Content-Type"] = "application/pdf"
    assert post_form(ticket, CONTENT) == 403


def test_local_upload_enforces_size_policy(api: APIClient, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_BYTES = len(CONTENT)
    ticket = start_upload(api)
    assert post_form(ticket, CONTENT + b"more") == 400


def test_delete_removes_record_and_bytes(api: APIClient, settings: Any) -> None:
    ticket = start_upload(api)
    post_form(ticket, CONTENT)
    assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 200
    key = UploadedFile.objects.get(pk=ticket["file"]["id"]).key
    assert (settings.MEDIA_ROOT / key).exists()
    assert api.delete(f"/api/files/{ticket['file']['id']}/").status_code == 204
    assert not (settings.MEDIA_ROOT / key).exists()
    assert not any(path.is_file() for path in settings.MEDIA_ROOT.rglob("*"))
    assert not UploadedFile.objects.filter(pk=ticket["file"]["id"]).exists()


def test_purge_removes_only_stale_pending_uploads(api: APIClient) -> None:
    stale = start_upload(api)["file"]["id"]
    fresh = start_upload(api)["file"]["id"]
    UploadedFile.objects.filter(pk=stale).update(created_at=timezone.now() - timedelta(days=2))
    assert purge_stale_uploads() == 1
    assert list(UploadedFile.objects.values_list("pk", flat=True)) == [UploadedFile.objects.get(pk=fresh).pk]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-1.7", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        ("plain text, ünïcode".encode(), "text/plain"),
        (b"\x00\x01\x02binary", "application/octet-stream"),
    ],
)
def test_sniff_content_type(head: bytes, expected: str) -> None:
    assert sniff_content_type(head) == expected


def test_fast_representation_matches_field_by_field_rendering(
    api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = start_upload(api)
    post_form(ticket, CONTENT)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/files/{ticket['file']['id']}/complete/")
    start_upload(api)  # and one still pending: null timestamps
    listed = {item["id"]: item for item in api.get("/api/files/").json()["results"]}
    assert len(listed) == UploadedFile.objects.count() == 2
    for upload in UploadedFile.objects.all():
        serializer = UploadedFileSerializer(upload)
        field_by_field = serializers.ModelSerializer.to_representation(serializer, upload)
        assert serializer.data == field_by_field
        assert set(serializer.data) == set(UploadedFileSerializer.Meta.fields)
        assert listed[str(upload.id)] == field_by_field


def test_list_pages_by_cursor_newest_first(api: APIClient) -> None:
    ids = [start_upload(api)["file"]["id"] for _ in range(3)]
    first = api.get("/api/files/?page_size=2").json()
    assert [item["id"] for item in first["results"]] == ids[::-1][:2]
    second = api.get(first["next"]).json()
    assert [item["id"] for item in second["results"]] == ids[:1]
    assert second["next"] is None


def test_an_object_changed_after_its_check_is_not_moved(api: APIClient, settings: Any) -> None:
    """Completion moves exactly the bytes it checked (S3: CopySourceIfMatch on the checked ETag)."""
    from apps.files.storage import UploadChanged, get_upload_storage

    ticket = start_upload(api)
    assert post_form(ticket, CONTENT) == 204
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    storage = get_upload_storage()
    checked = storage.stat_incoming(record.key)
    assert post_form(ticket, CONTENT + b"3,Katherine Johnson\n") == 204
    with pytest.raises(UploadChanged) as changed:
        storage.confirm(record.key, checked)
    assert changed.value.args == (record.key,)
    assert storage.stat(record.key) is None


def test_a_same_size_rewrite_after_the_check_is_not_moved(api: APIClient, settings: Any) -> None:
    """The local version is the file's modification time and size: other bytes of the same length count too."""
    from apps.files.storage import UploadChanged, get_upload_storage

    ticket = start_upload(api)
    assert post_form(ticket, CONTENT) == 204
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    storage = get_upload_storage()
    checked = storage.stat_incoming(record.key)
    assert post_form(ticket, CONTENT.upper()) == 204
    # A later write: the clock may not have ticked between the two posts of this test.
    incoming = settings.MEDIA_ROOT / ticket["upload"]["fields"]["key"]
    written = incoming.stat().st_mtime_ns + 1_000_000
    os.utime(incoming, ns=(written, written))
    with pytest.raises(UploadChanged):
        storage.confirm(record.key, checked)
    assert storage.stat(record.key) is None


def test_upload_policy_is_public_and_read_from_settings(settings: Any) -> None:
    settings.FILE_ALLOWED_CONTENT_TYPES = ["text/csv", "image/png"]
    settings.FILE_UPLOAD_MAX_BYTES = 1234
    response = APIClient().get("/api/files/policy/")
    assert response.status_code == 200
    assert response.json() == {"allowed_content_types": ["text/csv", "image/png"], "max_bytes": 1234}


def test_upload_policy_matches_what_uploads_accept(api: APIClient, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_BYTES = 100
    policy = APIClient().get("/api/files/policy/").json()
    content_type = policy["allowed_content_types"][0]
    at_limit = {"filename": "a", "content_type": content_type, "size": policy["max_bytes"]}
    assert api.post("/api/files/uploads/", at_limit).status_code == 201
    assert api.post("/api/files/uploads/", {**at_limit, "size": policy["max_bytes"] + 1}).status_code == 400
    refused = {**at_limit, "content_type": "application/x-msdownload"}
    assert refused["content_type"] not in policy["allowed_content_types"]
    assert api.post("/api/files/uploads/", refused).status_code == 400


def test_upload_policy_is_documented_without_auth_or_errors() -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/files/policy/"]["get"]
    assert set(operation["responses"]) == {"200"}
    assert not any(operation.get("security", []))
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][body]["required"] == ["allowed_content_types", "max_bytes"]
