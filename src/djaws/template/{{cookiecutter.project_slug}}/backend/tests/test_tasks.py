"""Celery: the processing task, the purge and retry sweeps and the beat schedule that runs them, redelivery,
and completing an upload while the broker is unreachable."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from apps.accounts.models import User
from apps.files import processing
from apps.files.models import UploadedFile
from apps.files.storage import LocalUploadStorage
from config.celery import app
from tests.conftest import PRODUCTION_VARIABLES, run_fresh
from tests.test_outages import complete_an_upload

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


def test_process_task_ignores_files_not_waiting(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    from apps.files.tasks import process_uploaded_file

    upload = make_uploaded_file(user, b"x")
    UploadedFile.objects.filter(pk=upload.pk).update(status="processed", detected_type="text/plain")
    before = UploadedFile.objects.filter(pk=upload.pk).values().get()
    notified: list[tuple] = []
    monkeypatch.setattr(processing, "notify_user", lambda *arguments: notified.append(arguments))
    assert process_uploaded_file.apply(args=[str(upload.pk)]).get() is None
    # Not even the attempt counter moves, and the owner hears nothing.
    assert UploadedFile.objects.filter(pk=upload.pk).values().get() == before
    assert notified == []


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


def python(code: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter, as a container starts."""
    return run_fresh([sys.executable, "-c", code], **variables)


def test_beat_reads_the_schedule_without_setting_django_up() -> None:
    result = python(
        "import django.apps\n"
        "from config.beat import app\n"
        "entry = app.conf.beat_schedule['purge-stale-uploads']\n"
        "print(entry['task'], entry['schedule'].total_seconds(), app.conf.beat_schedule_filename)\n"
        "print('django apps loaded:', django.apps.apps.ready)",
        FILE_PURGE_INTERVAL_SECONDS="90",
        BEAT_SCHEDULE_FILE="/srv/beat/schedule",
    )
    assert result.returncode == 0, result.stderr
    schedule, loaded = result.stdout.strip().splitlines()
    assert schedule.split() == ["apps.files.tasks.purge_stale_uploads", "90.0", "/srv/beat/schedule"]
    assert loaded == "django apps loaded: False"


def test_worker_runs_a_pool_of_threads_sized_from_the_environment() -> None:
    result = python(
        "from config.celery import app; print(app.conf.worker_pool, app.conf.worker_concurrency)",
        WORKER_CONCURRENCY="6",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["threads", "6"]


@pytest.mark.parametrize("module", ["config.celery", "config.beat"])
def test_worker_and_beat_log_json_lines_outside_local(module: str) -> None:
    """What the worker and beat do at start (app.log.setup) must give the project's JSON lines, not Celery's text."""
    result = python(
        f"import logging\nfrom {module} import app\n"
        "app.log.setup(loglevel='INFO', redirect_stdouts=False)\n"
        "logging.getLogger('celery.beat').info('schedule checked')",
        ENVIRONMENT="demo",
        **PRODUCTION_VARIABLES,
    )
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"logger": "celery.beat", "level": "INFO", "message": "schedule checked"}.items() <= entries[-1].items()


def test_beat_sends_the_retry_sweep_as_often_as_files_may_wait() -> None:
    result = python(
        "from config.beat import app\n"
        "entry = app.conf.beat_schedule['retry-unprocessed-uploads']\n"
        "print(entry['task'], entry['schedule'].total_seconds())",
        FILE_PROCESSING_RETRY_SECONDS="45",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["apps.files.tasks.retry_unprocessed_uploads", "45.0"]


def test_a_task_whose_worker_dies_is_delivered_again() -> None:
    """Acknowledged at its end, so Redis delivers it again after the visibility timeout; no result backend."""
    result = python(
        "from config.celery import app; c = app.conf\n"
        "print(c.task_acks_late, c.task_reject_on_worker_lost, c.broker_transport_options['visibility_timeout'],"
        " c.task_ignore_result, c.result_backend)",
        TASK_VISIBILITY_TIMEOUT_SECONDS="120",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "120", "True", "None"]


def test_completion_succeeds_while_the_broker_is_unreachable(
    api: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any, caplog: Any, settings: Any
) -> None:
    from kombu.exceptions import OperationalError

    from apps.files.tasks import process_uploaded_file

    def refuse(*arguments: object) -> None:
        raise OperationalError("Error 111 connecting to cache.internal:6379. Connection refused.")

    monkeypatch.setattr(process_uploaded_file, "delay", refuse)
    record = complete_an_upload(api, django_capture_on_commit_callbacks)
    assert record["status"] == "uploaded"
    assert "could not queue processing" in caplog.text

    # Redis is back: the retry sweep sends the file, which the worker processes.
    monkeypatch.undo()
    settings.FILE_PROCESSING_RETRY_AFTER = timedelta(0)
    assert processing.retry_unprocessed_uploads() == 1
    assert UploadedFile.objects.get(pk=record["id"]).status == "processed"


@pytest.mark.parametrize(
    ("url", "expected"), [("rediss://cache.internal:6379/0", "True"), ("redis://cache.internal:6379/0", "False")]
)
def test_the_broker_verifies_the_server_certificate_of_a_rediss_url(url: str, expected: str) -> None:
    program = (
        "import ssl; from config.celery import app; options = app.conf.broker_use_ssl or {}; "
        "print(options.get('ssl_cert_reqs') == ssl.CERT_REQUIRED)"
    )
    result = run_fresh(
        [sys.executable, "manage.py", "shell", "-c", program],
        ENVIRONMENT="demo",
        **{**PRODUCTION_VARIABLES, "REDIS_URL": url},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == expected


def test_readiness_is_503_when_the_broker_cannot_be_reached(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.test import Client

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    response = Client().get("/api/health/ready/")
    assert response.status_code == 503
    components = response.json()["components"]
    assert components["broker"]["status"] == "error"
    assert components["database"]["status"] == "ok"
