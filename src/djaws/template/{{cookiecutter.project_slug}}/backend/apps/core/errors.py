"""Errors Django answers itself (before or outside DRF) as JSON, like the rest of the API.

Every route is under /api/; clients parse JSON. Django's own 400 (a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, a bad Host), 403, 404 and 500 pages would be HTML.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "the request could not be understood (malformed or too large)"}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "you do not have permission to do this"}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "not found"}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "internal server error"}, status=500)
