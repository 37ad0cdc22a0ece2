"""Projects without Celery process an upload in the request that completes it: a failure there leaves the file
waiting for the retry sweep (`manage.py retry_unprocessed_uploads`), never fails the completion."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.files import processing
from tests.test_outages import complete_an_upload, refuse_database

pytestmark = pytest.mark.django_db


def test_completion_succeeds_when_processing_in_the_request_fails(
    api: APIClient,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(processing, "read_stored_file", refuse_database)
    assert complete_an_upload(api, django_capture_on_commit_callbacks)["status"] == "uploaded"
    assert "the retry sweep tries again" in caplog.text
