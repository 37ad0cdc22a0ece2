"""Shared fixtures. The suite runs on the embedded default, or on PostgreSQL and Redis when
DATABASE_URL and REDIS_URL are set."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.models import User
from apps.files import storage

PASSWORD = "correct-horse-battery-staple"
BACKEND = Path(__file__).resolve().parent.parent
# What every environment but local requires (hosts that do not resolve: nothing here connects).
PRODUCTION_VARIABLES = {
    "SECRET_KEY": "x7Hq-3vZk!r9Wm2pLs8Tn4Yb6Jc1Fd5Gh0Ke+Nu=Pa*Qw&Ro^Sx%Vy$Zt#",
    "ALLOWED_HOSTS": "shop.example.com",
    "DATABASE_URL": "postgres://app:secret@db.internal:5432/app",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "AWS_STORAGE_BUCKET_NAME": "shop-media-prod",
}


def fresh_process_environment(**variables: str) -> dict[str, str]:
    """Only PATH and the given variables, as a fresh container has; a developer's own .env stays out."""
    return {"PATH": os.environ["PATH"], "ENV_FILE": str(BACKEND / "tests" / "no-such.env"), **variables}


def run_fresh(command: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    """Run a command in backend/ as a fresh container would, with only the given variables."""
    return subprocess.run(
        command, cwd=BACKEND, env=fresh_process_environment(**variables), capture_output=True, text=True, timeout=120
    )


@pytest.fixture(autouse=True)
def isolated_state(settings: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Each test gets its own media directory, an empty cache and local file storage."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_STORAGE = "local"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def celery_runs_in_process() -> Iterator[None]:
    """With a real broker configured, run tasks in the test process so their effects can be asserted."""
    if not settings.USE_CELERY:
        yield
        return
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def user(db: None) -> User:
    """A regular user with a known password."""
    return User.objects.create_user(email="ada@example.com", password=PASSWORD)


@pytest.fixture
def other_user(db: None) -> User:
    """A second user, to prove one user cannot reach another's files."""
    return User.objects.create_user(email="grace@example.com", password=PASSWORD)


def client_for(user: User) -> APIClient:
    """An API client carrying a real JWT access token for the user."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def api(user: User) -> APIClient:
    """An API client signed in as ``user``."""
    return client_for(user)


@pytest.fixture
def s3_bucket(settings: pytest.FixtureRequest) -> Iterator[object]:
    """An S3 bucket in moto's in-process mock, with the settings pointing at it.

    Posted forms and conditional copies are checked as S3 checks them (tests/s3_post_policy.py,
    tests/s3_copy_conditions.py): moto alone accepts any post and ignores x-amz-copy-source-if-match.
    """
    import boto3
    from moto import mock_aws

    from tests.s3_copy_conditions import enforcing_copy_source_if_match
    from tests.s3_post_policy import enforcing_post_policies

    with (
        mock_aws(),
        # mock_aws sets fake credentials in the environment; the backend signs its forms with them.
        enforcing_post_policies({os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]}),
        enforcing_copy_source_if_match(),
    ):
        settings.FILE_STORAGE = "s3"
        settings.AWS_STORAGE_BUCKET_NAME = "test-media-bucket"
        settings.AWS_REGION = "us-east-1"
        settings.AWS_S3_ENDPOINT_URL = None
        storage._s3_client.cache_clear()
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="test-media-bucket")
        yield client
        storage._s3_client.cache_clear()
