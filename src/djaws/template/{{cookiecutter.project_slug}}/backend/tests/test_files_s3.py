"""The files API against S3 (moto's in-process mock, checking posted forms as S3 does): the presigned
POST contract, HEAD checks on completion, presigned GET."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.files.models import UploadedFile
from apps.files.storage import get_upload_storage
from tests.s3_post_policy import (
    PostRefused,
    check_post,
    conditions_of,
    decode_policy,
    expiration_of,
    tags_from_form,
    unbound_fields,
)

pytestmark = pytest.mark.django_db

CONTENT = b"hello from s3\n"
BUCKET = "test-media-bucket"
PENDING = {"upload-state": "pending"}


def start_upload(api: APIClient, content_type: str = "text/plain", size: int = len(CONTENT)) -> dict[str, Any]:
    response = api.post("/api/files/uploads/", {"filename": "hello.txt", "content_type": content_type, "size": size})
    assert response.status_code == 201, response.content
    return response.json()


def post_form(ticket: dict[str, Any], content: bytes = CONTENT, **changes: str | None) -> requests.Response:
    """Post the bytes as the browser does (the presigned fields, then the file), with fields changed or dropped."""
    form = {**ticket["upload"]["fields"], **changes}
    fields = {name: value for name, value in form.items() if value is not None}
    return requests.post(ticket["upload"]["url"], data=fields, files={"file": ("hello.txt", content)}, timeout=10)


def stored_keys(s3: Any) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def signing_keys() -> dict[str, str]:
    """The credentials the backend signs with inside moto's mock (set by mock_aws)."""
    return {os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]}


def signed_at(form: dict[str, str]) -> datetime:
    return datetime.strptime(form["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def test_every_form_field_is_bound_by_the_signed_policy(api: APIClient, s3_bucket: Any, user: User) -> None:
    form = start_upload(api)["upload"]["fields"]
    conditions = conditions_of(decode_policy(form))
    assert unbound_fields(form, conditions) == []
    assert {"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy"} <= set(form)
    # The key is bound exactly, and it is the user's own incoming key.
    key_conditions = [(condition.operator, condition.value) for condition in conditions if condition.field == "key"]
    assert key_conditions == [("eq", form["key"])]
    assert form["key"].startswith(f"incoming/{user.pk}/")
    # The form as handed out is one S3 accepts.
    check_post(form, bucket=BUCKET, size=len(CONTENT), secret_keys=signing_keys(), now=signed_at(form))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"key": "incoming/999/f00/hello.txt"}, "AccessDenied"),  # another user's prefix
        ({"key": "uploads/{user}/f00/hello.txt"}, "AccessDenied"),  # straight to a final key
        ({"key": "incoming/{user}/other/hello.txt"}, "AccessDenied"),  # another key under the user's prefix
        ({"Content-Type": "application/pdf"}, "AccessDenied"),
        ({"tagging": None}, "AccessDenied"),  # the pending tag cannot be dropped ...
        ({"tagging": "<Tagging><TagSet></TagSet></Tagging>"}, "AccessDenied"),  # ... nor replaced
        ({"acl": "public-read"}, "AccessDenied"),  # no field the policy does not name
        ({"x-amz-meta-owner": "someone"}, "AccessDenied"),
        ({"bucket": "another-bucket"}, "AccessDenied"),
        ({"x-amz-signature": "0" * 64}, "SignatureDoesNotMatch"),
    ],
)
def test_s3_refuses_a_form_the_browser_changed(
    api: APIClient, s3_bucket: Any, user: User, change: dict[str, str | None], code: str
) -> None:
    form = start_upload(api)["upload"]["fields"]
    for name, value in change.items():
        if value is None:
            del form[name]
        else:
            form[name] = value.format(user=user.pk)
    bucket = form.pop("bucket", BUCKET)
    with pytest.raises(PostRefused) as refused:
        check_post(form, bucket=bucket, size=len(CONTENT), secret_keys=signing_keys(), now=signed_at(form))
    assert refused.value.code == code


def test_the_size_limit_is_signed_into_the_form(api: APIClient, s3_bucket: Any, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_BYTES = 100
    form = start_upload(api, size=10)["upload"]["fields"]
    keys, now = signing_keys(), signed_at(form)
    check_post(form, bucket=BUCKET, size=100, secret_keys=keys, now=now)
    check_post(form, bucket=BUCKET, size=1, secret_keys=keys, now=now)
    for size, code in ((101, "EntityTooLarge"), (0, "EntityTooSmall")):
        with pytest.raises(PostRefused) as refused:
            check_post(form, bucket=BUCKET, size=size, secret_keys=keys, now=now)
        assert refused.value.code == code
    # Widening the limit in the policy breaks its signature.
    policy = decode_policy(form)
    policy["conditions"] = [
        ["content-length-range", 1, 10**12] if isinstance(entry, list) and entry[0] == "content-length-range" else entry
        for entry in policy["conditions"]
    ]
    widened = {**form, "policy": base64.b64encode(json.dumps(policy).encode()).decode()}
    with pytest.raises(PostRefused) as refused:
        check_post(widened, bucket=BUCKET, size=101, secret_keys=keys, now=now)
    assert refused.value.code == "SignatureDoesNotMatch"


def test_the_form_expires_after_the_upload_url_ttl(api: APIClient, s3_bucket: Any, settings: Any) -> None:
    settings.FILE_UPLOAD_URL_TTL = 120
    ticket = start_upload(api)
    form, keys = ticket["upload"]["fields"], signing_keys()
    assert ticket["expires_in"] == 120
    signed = signed_at(form)
    # botocore takes the expiry's clock reading just before the signature's: they may differ by a second.
    assert 119 <= (expiration_of(decode_policy(form)) - signed).total_seconds() <= 120
    check_post(form, bucket=BUCKET, size=len(CONTENT), secret_keys=keys, now=signed + timedelta(seconds=118))
    with pytest.raises(PostRefused, match="expired"):
        check_post(form, bucket=BUCKET, size=len(CONTENT), secret_keys=keys, now=signed + timedelta(seconds=120))


def test_s3_stores_a_posted_form_with_its_type_and_the_pending_tag_from_the_form(
    api: APIClient, s3_bucket: Any
) -> None:
    ticket = start_upload(api)
    incoming = ticket["upload"]["fields"]["key"]
    assert tags_from_form(ticket["upload"]["fields"]) == PENDING
    posted = post_form(ticket)
    assert posted.status_code == 204, posted.text
    head = s3_bucket.head_object(Bucket=BUCKET, Key=incoming)
    assert (head["ContentType"], head["ContentLength"]) == ("text/plain", len(CONTENT))
    tags = s3_bucket.get_object_tagging(Bucket=BUCKET, Key=incoming)["TagSet"]
    assert {tag["Key"]: tag["Value"] for tag in tags} == PENDING


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"Content-Type": "application/pdf"}, 403, "AccessDenied"),
        ({"tagging": None}, 403, "AccessDenied"),
        ({"key": "incoming/999/f00/hello.txt"}, 403, "AccessDenied"),
    ],
)
def test_s3_refuses_a_changed_form_and_stores_nothing(
    api: APIClient, s3_bucket: Any, change: dict[str, str | None], status: int, code: str
) -> None:
    ticket = start_upload(api)
    posted = post_form(ticket, **change)
    assert posted.status_code == status
    assert f"<Code>{code}</Code>" in posted.text
    assert stored_keys(s3_bucket) == []
    assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 409


def test_s3_refuses_an_oversized_post_and_stores_nothing(api: APIClient, s3_bucket: Any, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_BYTES = 8
    ticket = start_upload(api, size=8)
    posted = post_form(ticket, CONTENT)
    assert posted.status_code == 400
    assert "<Code>EntityTooLarge</Code>" in posted.text
    assert stored_keys(s3_bucket) == []
    assert post_form(ticket, CONTENT[:8]).status_code == 204
    assert stored_keys(s3_bucket) == [ticket["upload"]["fields"]["key"]]


def test_complete_checks_object_with_head_then_processes(
    api: APIClient, s3_bucket: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = start_upload(api)
    assert post_form(ticket).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert response.status_code == 200, response.content
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    assert record.status == "processed"
    assert record.checksum_sha256 == hashlib.sha256(CONTENT).hexdigest()
    # Moved from the incoming key (tagged pending by the form), untagged: the lifecycle rule keeps it.
    assert s3_bucket.get_object_tagging(Bucket=BUCKET, Key=record.key)["TagSet"] == []
    assert stored_keys(s3_bucket) == [record.key]


def test_a_form_replayed_after_completion_changes_nothing_served(
    api: APIClient, s3_bucket: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = start_upload(api)
    assert post_form(ticket).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 200
    # What a replayed form can do: write the incoming key again, with other bytes.
    assert post_form(ticket, b"MZ\x90\x00").status_code == 204
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    served = s3_bucket.get_object(Bucket=BUCKET, Key=record.key)["Body"].read()
    assert served == CONTENT
    assert record.checksum_sha256 == hashlib.sha256(served).hexdigest()


def test_complete_rejects_missing_object(api: APIClient, s3_bucket: Any) -> None:
    ticket = start_upload(api)
    assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 409


@pytest.mark.parametrize(
    ("limit", "content_type", "reason"),
    [
        # Bytes that did not come through this form: S3 would refuse them on a post (tests above).
        (8, "text/plain", f"the file is {len(CONTENT)} bytes; the limit is 8"),
        (1024, "application/pdf", "the stored content type 'application/pdf' differs from 'text/plain'"),
    ],
)
def test_a_refused_completion_deletes_the_object_and_fails_the_file(
    api: APIClient, s3_bucket: Any, settings: Any, limit: int, content_type: str, reason: str
) -> None:
    ticket = start_upload(api, size=8)
    settings.FILE_UPLOAD_MAX_BYTES = limit
    key = ticket["upload"]["fields"]["key"]
    s3_bucket.put_object(Bucket=BUCKET, Key=key, Body=CONTENT, ContentType=content_type)
    response = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert response.status_code == 400
    assert response.json()["detail"] == reason
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    assert (record.status, record.failure_reason, record.uploaded_at) == ("failed", reason, None)
    assert stored_keys(s3_bucket) == []
    # A failed file stays failed: completing it again changes nothing.
    again = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert (again.status_code, again.json()["status"], again.json()["failure_reason"]) == (200, "failed", reason)


def test_download_is_short_lived_presigned_get(
    api: APIClient, s3_bucket: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = start_upload(api)
    assert post_form(ticket).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/files/{ticket['file']['id']}/complete/")
    body = api.get(f"/api/files/{ticket['file']['id']}/download/").json()
    url = urlparse(body["url"])
    query = parse_qs(url.query)
    assert url.path.endswith(UploadedFile.objects.get(pk=ticket["file"]["id"]).key)
    assert query["X-Amz-Expires"] == [str(settings.FILE_DOWNLOAD_URL_TTL)]
    assert "attachment" in query["response-content-disposition"][0]
    assert body["expires_in"] == settings.FILE_DOWNLOAD_URL_TTL


@pytest.mark.parametrize(
    ("filename", "disposition"),
    [
        (
            'Ünïcödé "Straße".txt',
            'attachment; filename="ncd Strae.txt"; '
            "filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B6d%C3%A9%20%22Stra%C3%9Fe%22.txt",
        ),
        ("データ", "attachment; filename=\"download\"; filename*=UTF-8''%E3%83%87%E3%83%BC%E3%82%BF"),
    ],
)
def test_a_download_link_names_the_file_in_ascii_and_utf_8(
    api: APIClient, s3_bucket: Any, django_capture_on_commit_callbacks: Any, filename: str, disposition: str
) -> None:
    response = api.post("/api/files/uploads/", {"filename": filename, "content_type": "text/plain", "size": 5})
    ticket = response.json()
    assert post_form(ticket, b"hello").status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 200
    url = api.get(f"/api/files/{ticket['file']['id']}/download/").json()["url"]
    assert parse_qs(urlparse(url).query)["response-content-disposition"] == [disposition]
    fetched = requests.get(url, timeout=10)
    assert (fetched.content, fetched.headers["Content-Disposition"]) == (b"hello", disposition)


def test_an_s3_object_changed_after_its_check_is_not_moved(api: APIClient, s3_bucket: Any) -> None:
    """Completion copies exactly the bytes it checked (CopySourceIfMatch on the checked ETag)."""
    from apps.files.storage import UploadChanged

    ticket = start_upload(api)
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    storage = get_upload_storage()
    assert post_form(ticket).status_code == 204
    checked = storage.stat_incoming(record.key)
    assert post_form(ticket, b"other bytes!!!").status_code == 204
    with pytest.raises(UploadChanged) as changed:
        storage.confirm(record.key, checked)
    assert changed.value.args == (record.key,)
    assert storage.stat(record.key) is None
    # The next check sees the new bytes and moves them.
    storage.confirm(record.key, storage.stat_incoming(record.key))
    assert s3_bucket.get_object(Bucket=BUCKET, Key=record.key)["Body"].read() == b"other bytes!!!"


def test_an_s3_completion_that_lost_a_race_changes_nothing(api: APIClient, s3_bucket: Any) -> None:
    """Two completions checked the same object; the second finds it already moved."""
    from apps.files.storage import UploadChanged

    ticket = start_upload(api)
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    storage = get_upload_storage()
    assert post_form(ticket).status_code == 204
    checked = storage.stat_incoming(record.key)
    storage.confirm(record.key, checked)
    with pytest.raises(UploadChanged):
        storage.confirm(record.key, checked)
    assert stored_keys(s3_bucket) == [record.key]
    assert storage.stat(record.key) == checked


def test_forms_and_links_are_signed_for_the_configured_region_and_endpoint(
    api: APIClient, s3_bucket: Any, settings: Any
) -> None:
    settings.AWS_REGION = "eu-central-1"
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"
    ticket = start_upload(api)
    form = ticket["upload"]["fields"]
    assert ticket["upload"]["url"] == f"http://127.0.0.1:9/{BUCKET}"
    assert form["x-amz-credential"].split("/")[2:] == ["eu-central-1", "s3", "aws4_request"]
    assert form["key"].startswith("incoming/")


def test_threads_starting_together_share_one_client(s3_bucket: Any) -> None:
    """A worker's threads take their first tasks at once; they must not each build a client."""
    storage = get_upload_storage()
    start = threading.Barrier(8)

    def first_use(_: int) -> int:
        start.wait()
        return id(storage.client)

    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = set(pool.map(first_use, range(8)))
    assert len(clients) == 1
