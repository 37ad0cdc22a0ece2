"""Errors answered as JSON, like the rest of the API.

Every route is under /api/; clients parse JSON. Django's own 400 (a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, a bad Host), 403, 404 and 500 pages would be HTML.

A server this process needs but cannot reach (PostgreSQL, Redis, S3) answers 503 with Retry-After,
not 500: nothing is wrong with the request, and sending it again once the server is back succeeds.
The body names the component, never the error text (hosts, ports, user names stay in the logs).
"""

from __future__ import annotations

import logging
from typing import Any

import botocore.exceptions
import redis.exceptions
from django import db
from django.http import HttpRequest, JsonResponse
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

logger = logging.getLogger(__name__)

# Long enough for a failover or restart to be under way; clients may retry sooner.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5


# The errors that say a component cannot be reached (refused, timed out, dropped), by component.
UNREACHABLE: dict[str, tuple[type[Exception], ...]] = {
    "database": (db.OperationalError, db.InterfaceError),
    "cache": (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError),
    "storage": (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError),
}
UNREACHABLE_ERRORS = tuple(error for errors in UNREACHABLE.values() for error in errors)


def unavailable_component(error: BaseException) -> str | None:
    """Which component an error says cannot be reached ("database", "cache" or "storage"), or None."""
    return next((name for name, errors in UNREACHABLE.items() if isinstance(error, errors)), None)


def api_exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, plus a 503 JSON answer when a component cannot be reached."""
    component = unavailable_component(error)
    if component is None:
        return exception_handler(error, context)
    logger.warning("%s unavailable: %s: %s", component, type(error).__name__, error, extra={"component": component})
    set_rollback()
    return Response(
        {
            "detail": f"a service this request needs is unavailable ({component}); try again shortly",
            "code": f"{component}_unavailable",
        },
        status=503,
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "the request could not be understood (malformed or too large)"}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "you do not have permission to do this"}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "not found"}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "internal server error"}, status=500)
