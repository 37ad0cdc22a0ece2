"""Celery: the processing task, the purge task and the beat schedule that runs it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.accounts.models import User
from apps.files.models import UploadedFile
from apps.files.storage import LocalUploadStorage
from config.celery import app

pytestmark = pytest.mark.django_db


def make_uploaded_file(user: User, content: bytes) -> UploadedFile:
    key = f"uploads/{user.pk}/manual/data.txt"
    LocalUploadStorage(settings.MEDIA_ROOT).save(key, "text/plain", [content])
    return UploadedFile.objects.create(
        owner=user, key=key, filename="data.txt", content_type="text/plain", size=len(content), status="uploaded"
    )


def test_process_task_records_checksum_and_type(user: User) -> None:
    from apps.files.tasks import process_uploaded_file

    upload = make_uploaded_file(user, b"some text\n")
    result = process_uploaded_file.apply(args=[str(upload.pk)])
    assert result.get() == "processed"
    upload.refresh_from_db()
    assert upload.checksum_sha256 == hashlib.sha256(b"some text\n").hexdigest()
    assert upload.detected_type == "text/plain"


def test_process_task_ignores_files_not_waiting(user: User) -> None:
    from apps.files.tasks import process_uploaded_file

    upload = make_uploaded_file(user, b"x")
    UploadedFile.objects.filter(pk=upload.pk).update(status="processed")
    assert process_uploaded_file.apply(args=[str(upload.pk)]).get() is None


def test_purge_task_removes_stale_pending_uploads(user: User) -> None:
    from apps.files.tasks import purge_stale_uploads

    stale = UploadedFile.objects.create(
        owner=user, key="uploads/x/1/a", filename="a", content_type="text/plain", size=1
    )
    UploadedFile.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert purge_stale_uploads.apply().get() == 1
    assert not UploadedFile.objects.exists()


def test_beat_schedules_registered_tasks() -> None:
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
