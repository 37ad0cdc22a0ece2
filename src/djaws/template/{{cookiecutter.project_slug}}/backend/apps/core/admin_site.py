"""The admin site, with its login form under the same rate limits as the API's credential endpoints."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from apps.accounts.throttling import first_refusal


class ProjectAdminSite(admin.AdminSite):
    """Django's admin; only its login is changed."""

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "POST":
            wait = first_refusal(request)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                response = HttpResponse(
                    f"Too many sign-in attempts. Try again in {seconds} seconds.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(seconds)
                return response
        return super().login(request, extra_context)
