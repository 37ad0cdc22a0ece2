"""Servers that cannot be reached: a 503 JSON answer naming the component (never its address), readiness
details only for the token, sign-in rate limits that fail open, and processing that is recorded once and
retried by the sweep."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import redis.exceptions
from botocore.exceptions import EndpointConnectionError
from django.conf import settings
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.throttling import FailOpenThrottle
from apps.core import health
from apps.files import processing
from apps.files.models import UploadedFile
from apps.files.storage import LocalUploadStorage
from apps.files.views import FileViewSet
from tests.conftest import PASSWORD
from tests.test_files import CONTENT as CSV
from tests.test_files import post_form, start_upload

pytestmark = pytest.mark.django_db

# What a real connection error says: the address must reach the logs only.
ADDRESS = "db.internal.example:5432"
CONTENT = b"some text\n"


def refuse_database(*arguments: object, **keywords: object) -> Any:
    raise OperationalError(f'connection to server at "{ADDRESS}" failed: Connection refused')


def make_uploaded_file(user: User, uploaded_ago: timedelta = timedelta(0)) -> UploadedFile:
    """A file whose upload completed ``uploaded_ago``, its bytes stored, its processing not recorded."""
    key = f"uploads/{user.pk}/manual/{timezone.now().timestamp()}.txt"
    LocalUploadStorage(settings.MEDIA_ROOT).save(key, "text/plain", [CONTENT])
    return UploadedFile.objects.create(
        owner=user,
        key=key,
        filename="data.txt",
        content_type="text/plain",
        size=len(CONTENT),
        status="uploaded",
        uploaded_at=timezone.now() - uploaded_ago,
    )


def complete_an_upload(api: APIClient, django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """Upload bytes with a new ticket's form and complete the upload (running what it schedules); its record."""
    ticket = start_upload(api)
    assert post_form(ticket, CSV) == 204
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert response.status_code == 200, response.content
    return response.json()


def test_database_unreachable_answers_503_json_without_its_address(
    api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FileViewSet, "get_queryset", refuse_database)
    response = api.get("/api/files/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_unavailable"
    assert ADDRESS not in response.content.decode()


def test_storage_unreachable_at_completion_answers_503_and_the_file_stays_pending(
    api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = api.post("/api/files/uploads/", {"filename": "a.txt", "content_type": "text/plain", "size": 3}).json()

    def unreachable(*arguments: object) -> None:
        raise EndpointConnectionError(endpoint_url="https://media.s3.eu-west-1.amazonaws.com/incoming/a.txt")

    monkeypatch.setattr(LocalUploadStorage, "stat_incoming", unreachable)
    response = api.post(f"/api/files/{ticket['file']['id']}/complete/")
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert "amazonaws" not in response.content.decode()
    assert UploadedFile.objects.get(pk=ticket["file"]["id"]).status == "pending"


def test_readiness_shows_why_a_component_fails_only_with_the_token(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.READINESS_TOKEN = "readiness-token-for-tests"
    monkeypatch.setitem(health.CHECKS, "database", refuse_database)
    client = Client()
    anonymous = client.get("/api/health/ready/")
    assert anonymous.status_code == 503
    assert anonymous.json()["components"]["database"] == {"status": "error"}
    assert anonymous.json()["components"]["cache"] == {"status": "ok"}
    assert ADDRESS not in anonymous.content.decode()
    wrong = client.get("/api/health/ready/", HTTP_X_READINESS_TOKEN="a-guess")
    assert wrong.json()["components"]["database"] == {"status": "error"}
    detailed = client.get("/api/health/ready/", HTTP_X_READINESS_TOKEN="readiness-token-for-tests")
    assert detailed.status_code == 503
    assert ADDRESS in detailed.json()["components"]["database"]["detail"]
    assert "duration_ms" in detailed.json()["components"]["cache"]


def test_readiness_shows_no_details_when_no_token_is_configured(settings: Any) -> None:
    settings.READINESS_TOKEN = ""
    response = Client().get("/api/health/ready/", HTTP_X_READINESS_TOKEN="")
    assert all(set(component) == {"status"} for component in response.json()["components"].values())


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs a Redis server (REDIS_URL)")
def test_the_cache_reconnects_when_redis_dropped_its_connections() -> None:
    """After a Redis restart every pooled connection is dead; the next command is sent again on a new one."""
    from django.core.cache import cache

    cache.set("outage-probe", "kept", timeout=60)
    killer = redis.Redis.from_url(settings.REDIS_URL)
    assert killer.client_kill_filter(_type="normal", skipme=True) >= 1
    killer.close()
    assert cache.get("outage-probe") == "kept"


class UnreachableCache:
    """The cache as the throttles see it while Redis is away."""

    def get(self, *arguments: object, **keywords: object) -> None:
        raise redis.exceptions.ConnectionError("Error 111 connecting to cache.internal:6379. Connection refused.")

    set = get


def test_sign_in_works_without_rate_limits_while_the_cache_is_unreachable(
    user: User, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(FailOpenThrottle, "cache", UnreachableCache())
    with caplog.at_level(logging.WARNING, logger="apps.accounts.throttling"):
        response = APIClient().post("/api/auth/token/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    assert "rate limit auth not applied" in caplog.text


def test_processing_records_its_result_once(user: User) -> None:
    upload = make_uploaded_file(user)
    assert processing.process_file(upload.pk) is not None
    first = UploadedFile.objects.get(pk=upload.pk)
    assert processing.process_file(upload.pk) is None
    again = UploadedFile.objects.get(pk=upload.pk)
    assert (again.status, again.processed_at, again.processing_attempts) == ("processed", first.processed_at, 1)


def test_a_run_that_finishes_second_changes_nothing_and_notifies_no_one(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs at once (a redelivered task beside a re-sent one): the first to finish records the result."""
    upload = make_uploaded_file(user)
    notified: list[str] = []
    monkeypatch.setattr(processing, "notify_user", lambda user_id, event, payload: notified.append(event))
    read = processing.read_stored_file

    def read_while_another_run_finishes(key: str) -> tuple[str, bytes]:
        monkeypatch.setattr(processing, "read_stored_file", read)
        assert processing.process_file(upload.pk) is not None
        return read(key)

    monkeypatch.setattr(processing, "read_stored_file", read_while_another_run_finishes)
    assert processing.process_file(upload.pk) is None
    record = UploadedFile.objects.get(pk=upload.pk)
    assert (record.status, record.processing_attempts) == ("processed", 2)
    assert notified == ["file.processed"]


def test_retry_sweep_processes_files_left_uploaded_too_long(user: User, settings: Any) -> None:
    settings.FILE_PROCESSING_RETRY_AFTER = timedelta(minutes=5)
    overdue = make_uploaded_file(user, uploaded_ago=timedelta(minutes=6))
    recent = make_uploaded_file(user, uploaded_ago=timedelta(minutes=1))
    assert processing.retry_unprocessed_uploads() == 1
    overdue.refresh_from_db()
    recent.refresh_from_db()
    assert (overdue.status, overdue.processing_attempts) == ("processed", 1)
    assert overdue.requeued_at is not None
    assert (recent.status, recent.processing_attempts, recent.requeued_at) == ("uploaded", 0, None)


def test_retry_sweep_waits_as_long_again_after_sending_a_file(user: User, settings: Any) -> None:
    settings.FILE_PROCESSING_RETRY_AFTER = timedelta(minutes=5)
    upload = make_uploaded_file(user, uploaded_ago=timedelta(hours=1))
    UploadedFile.objects.filter(pk=upload.pk).update(requeued_at=timezone.now() - timedelta(minutes=1))
    assert processing.retry_unprocessed_uploads() == 0


def test_retry_sweep_gives_up_after_the_attempts_limit(user: User, settings: Any) -> None:
    settings.FILE_PROCESSING_RETRY_AFTER = timedelta(minutes=5)
    upload = make_uploaded_file(user, uploaded_ago=timedelta(hours=1))
    UploadedFile.objects.filter(pk=upload.pk).update(processing_attempts=processing.PROCESSING_ATTEMPTS_LIMIT)
    assert processing.retry_unprocessed_uploads() == 0
    upload.refresh_from_db()
    assert upload.status == "failed"
    assert "attempts" in upload.failure_reason
