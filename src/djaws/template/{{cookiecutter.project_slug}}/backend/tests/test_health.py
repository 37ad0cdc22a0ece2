"""Liveness for the load balancer, readiness with per-component results."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings


def test_liveness_answers_any_host_without_touching_dependencies() -> None:
    # No django_db mark: pytest-django fails the test if anything queries the database.
    response = Client(HTTP_HOST="10.0.1.23:8000").get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_reports_every_component() -> None:
    response = Client().get("/api/health/ready/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "cache", "storage", "broker"}
    assert all(component["status"] == "ok" for component in body["components"].values())


@pytest.mark.django_db
def test_readiness_is_503_when_storage_fails(s3_bucket: Any, settings: Any) -> None:
    settings.AWS_STORAGE_BUCKET_NAME = "bucket-that-does-not-exist"
    response = Client().get("/api/health/ready/")
    assert response.status_code == 503
    components = response.json()["components"]
    assert components["storage"]["status"] == "error"
    assert components["database"]["status"] == "ok"


def test_readiness_rejects_unknown_hosts() -> None:
    assert Client(HTTP_HOST="evil.example").get("/api/health/ready/").status_code == 400


def test_request_id_is_echoed_or_generated() -> None:
    client = Client()
    assert client.get("/api/schema/", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    generated = client.get("/api/schema/", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
    assert len(generated) == 32


def test_openapi_schema_and_docs_are_served() -> None:
    client = Client()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/files/uploads/" in paths
    assert "/api/auth/token/" in paths
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_admin_login_page_renders_with_static_files() -> None:
    response = Client().get("/api/admin/login/")
    assert response.status_code == 200
    assert b"/api/static/admin/css/" in response.content


@pytest.mark.django_db
def test_readiness_is_503_when_the_cache_cannot_be_reached() -> None:
    # A port nothing listens on: the cache client's connection is refused at once.
    unreachable = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    with override_settings(CACHES={"default": unreachable}):
        response = Client().get("/api/health/ready/")
    assert response.status_code == 503
    components = response.json()["components"]
    assert components["cache"]["status"] == "error"
    assert components["database"]["status"] == "ok"
    assert "detail" not in components["cache"]  # no token: the error text stays in the logs
