"""The files API against S3 (moto's in-process mock): presigned POST policy, HEAD checks, presigned GET."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from rest_framework.test import APIClient

from apps.files.models import UploadedFile
from apps.files.storage import get_upload_storage

pytestmark = pytest.mark.django_db

CONTENT = b"hello from s3\n"


def start_upload(api: APIClient, content_type: str = "text/plain", size: int = len(CONTENT)) -> dict[str, Any]:
    response = api.post("/api/files/uploads/", {"filename": "hello.txt", "content_type": content_type, "size": size})
    assert response.status_code == 201, response.content
    return response.json()


def test_presigned_post_policy_limits_size_type_and_key(api: APIClient, s3_bucket: Any, settings: Any) -> None:
    ticket = start_upload(api)
    upload = ticket["upload"]
    assert "test-media-bucket" in upload["url"]
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, settings.FILE_UPLOAD_MAX_BYTES] in conditions
    assert {"Content-Type": "text/plain"} in conditions
    assert {"key": upload["fields"]["key"]} in conditions
    assert {"bucket": "test-media-bucket"} in conditions
    assert {"tagging": upload["fields"]["tagging"]} in conditions
    assert "upload-state" in upload["fields"]["tagging"]


def test_complete_checks_object_with_head_then_processes(
    api: APIClient, s3_bucket: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = start_upload(api)
    incoming = ticket["upload"]["fields"]["key"]
    s3_bucket.put_object(
        Bucket="test-media-bucket", Key=incoming, Body=CONTENT, ContentType="text/plain", Tagging="upload-state=pending"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert response.status_code == 200, response.content
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    assert record.status == "processed"
    assert record.checksum_sha256 == hashlib.sha256(CONTENT).hexdigest()
    # Moved from the incoming key, untagged: the lifecycle rule keeps it.
    assert s3_bucket.get_object_tagging(Bucket="test-media-bucket", Key=record.key)["TagSet"] == []
    keys = [item["Key"] for item in s3_bucket.list_objects_v2(Bucket="test-media-bucket")["Contents"]]
    assert keys == [record.key]


def test_a_form_replayed_after_completion_changes_nothing_served(
    api: APIClient, s3_bucket: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = start_upload(api)
    incoming = ticket["upload"]["fields"]["key"]
    s3_bucket.put_object(Bucket="test-media-bucket", Key=incoming, Body=CONTENT, ContentType="text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 200
    # What a replayed form can do: write the incoming key again, with other bytes.
    s3_bucket.put_object(Bucket="test-media-bucket", Key=incoming, Body=b"MZ\x90\x00", ContentType="text/plain")
    record = UploadedFile.objects.get(pk=ticket["file"]["id"])
    served = s3_bucket.get_object(Bucket="test-media-bucket", Key=record.key)["Body"].read()
    assert served == CONTENT
    assert record.checksum_sha256 == hashlib.sha256(served).hexdigest()


def test_complete_rejects_missing_object(api: APIClient, s3_bucket: Any) -> None:
    ticket = start_upload(api)
    assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 409


def test_complete_rejects_oversized_object_and_deletes_it(api: APIClient, s3_bucket: Any, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_BYTES = 8
    ticket = start_upload(api, size=8)
    key = ticket["upload"]["fields"]["key"]
    s3_bucket.put_object(Bucket="test-media-bucket", Key=key, Body=CONTENT, ContentType="text/plain")
    response = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert response.status_code == 400
    assert UploadedFile.objects.get(pk=ticket["file"]["id"]).status == "failed"
    assert s3_bucket.list_objects_v2(Bucket="test-media-bucket").get("KeyCount") == 0


def test_complete_rejects_other_content_type(api: APIClient, s3_bucket: Any) -> None:
    ticket = start_upload(api)
    key = ticket["upload"]["fields"]["key"]
    s3_bucket.put_object(Bucket="test-media-bucket", Key=key, Body=CONTENT, ContentType="application/pdf")
    assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 400


def test_download_is_short_lived_presigned_get(
    api: APIClient, s3_bucket: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = start_upload(api)
    s3_bucket.put_object(
        Bucket="test-media-bucket", Key=ticket["upload"]["fields"]["key"], Body=CONTENT, ContentType="text/plain"
    )
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/files/{ticket['file']['id']}/complete/")
    body = api.get(f"/api/files/{ticket['file']['id']}/download/").json()
    url = urlparse(body["url"])
    query = parse_qs(url.query)
    assert url.path.endswith(UploadedFile.objects.get(pk=ticket["file"]["id"]).key)
    assert query["X-Amz-Expires"] == [str(settings.FILE_DOWNLOAD_URL_TTL)]
    assert "attachment" in query["response-content-disposition"][0]
    assert body["expires_in"] == settings.FILE_DOWNLOAD_URL_TTL


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
