"""Readiness checks: can this process reach everything it needs to serve requests?

Anyone may ask (load balancers, deploy checks) and learns which components fail. Why they fail (error
text naming hosts, ports, users) and how long each check took is shown only to requests carrying
READINESS_TOKEN, and always logged.
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest

from apps.files.storage import get_upload_storage

logger = logging.getLogger(__name__)
READINESS_HEADER = "X-Readiness-Token"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one dependency check."""

    name: str
    ok: bool
    detail: str
    duration_ms: float

    def as_dict(self, detailed: bool) -> dict[str, object]:
        """The component's status; with its detail and duration when the caller may see them."""
        status: dict[str, object] = {"status": "ok" if self.ok else "error"}
        if detailed:
            status.update(detail=self.detail, duration_ms=self.duration_ms)
        return status


def may_see_details(request: HttpRequest) -> bool:
    """Whether the request carries the configured READINESS_TOKEN (compared in constant time)."""
    token = settings.READINESS_TOKEN
    offered = request.headers.get(READINESS_HEADER, "")
    return bool(token) and hmac.compare_digest(offered.encode(), token.encode())


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("value written to the cache could not be read back")
    cache.delete(key)
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def check_storage() -> str:
    return get_upload_storage().check()


def check_broker() -> str:
    if not settings.USE_CELERY:
        return "disabled"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager (no broker)"
    from config.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=2)
    return "redis"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "storage": check_storage,
    "broker": check_broker,
}


def run_checks() -> list[CheckResult]:
    """Run every check, timing each; a failure is recorded, never raised."""
    results = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as error:  # any failure means "not ready"; report it, never raise
            detail, ok = f"{type(error).__name__}: {str(error)[:200]}", False
            logger.warning("readiness: %s failed: %s", name, detail, extra={"component": name})
        results.append(CheckResult(name, ok, detail, round((time.perf_counter() - started) * 1000, 1)))
    return results
