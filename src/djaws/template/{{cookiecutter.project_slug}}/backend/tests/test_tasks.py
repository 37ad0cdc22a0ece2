"""Celery: the processing task, the purge task and the beat schedule that runs it."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.accounts.models import User
from apps.files.models import UploadedFile
from apps.files.storage import LocalUploadStorage
from config.celery import app
from tests.conftest import PRODUCTION_VARIABLES, run_fresh

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
