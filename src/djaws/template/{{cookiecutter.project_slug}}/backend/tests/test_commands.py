"""The management commands hosts run from cron: what each removes or sends again, and what it leaves."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.files.models import UploadedFile
from tests.test_files import CONTENT, post_form, start_upload

pytestmark = pytest.mark.django_db


def command(name: str) -> str:
    output = io.StringIO()
    call_command(name, stdout=output)
    return output.getvalue().strip()


def test_purge_stale_uploads_removes_stale_records_and_their_bytes_only(api: APIClient, settings: Any) -> None:
    stale, fresh = start_upload(api), start_upload(api)
    assert post_form(stale, CONTENT) == 204
    assert post_form(fresh, CONTENT) == 204
    old = timezone.now() - settings.FILE_PENDING_TTL - timedelta(seconds=1)
    UploadedFile.objects.filter(pk=stale["file"]["id"]).update(created_at=old)
    assert command("purge_stale_uploads") == "purged 1 stale uploads"
    assert list(UploadedFile.objects.values_list("pk", flat=True)) == [UploadedFile.objects.get().pk]
    assert str(UploadedFile.objects.get().pk) == fresh["file"]["id"]
    remaining = [
        path.name for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file() and "meta" not in path.name
    ]
    assert remaining == [Path(fresh["upload"]["fields"]["key"]).name]
    assert command("purge_stale_uploads") == "purged 0 stale uploads"


def test_retry_unprocessed_uploads_processes_overdue_files_and_leaves_recent_ones(
    api: APIClient, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    records = []
    for _ in range(2):
        ticket = start_upload(api)
        assert post_form(ticket, CONTENT) == 204
        # Completed, with the processing it schedules never run (its process died first).
        with django_capture_on_commit_callbacks(execute=False):
            assert api.post(f"/api/files/{ticket['file']['id']}/complete/").status_code == 200
        records.append(ticket["file"]["id"])
    assert set(UploadedFile.objects.values_list("status", flat=True)) == {UploadedFile.Status.UPLOADED}
    overdue = timezone.now() - settings.FILE_PROCESSING_RETRY_AFTER - timedelta(seconds=1)
    UploadedFile.objects.filter(pk=records[0]).update(uploaded_at=overdue)
    with django_capture_on_commit_callbacks(execute=True):
        assert command("retry_unprocessed_uploads") == "sent 1 unprocessed files for processing again"
    assert UploadedFile.objects.get(pk=records[0]).status == UploadedFile.Status.PROCESSED
    assert UploadedFile.objects.get(pk=records[1]).status == UploadedFile.Status.UPLOADED
