"""Health endpoints. Liveness (/api/health/) is answered by LivenessMiddleware; this is the view behind it
for the URL map and the API schema, and the readiness view."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.health import may_see_details, run_checks

_component = inline_serializer(
    "HealthComponent",
    fields={
        "status": serializers.ChoiceField(choices=["ok", "error"]),
        # Only for requests carrying READINESS_TOKEN (apps/core/health.py).
        "detail": serializers.CharField(required=False),
        "duration_ms": serializers.FloatField(required=False),
    },
)
_readiness = inline_serializer(
    "Readiness",
    fields={
        "status": serializers.ChoiceField(choices=["ok", "error"]),
        "components": serializers.DictField(child=_component),
    },
)


class LivenessView(APIView):
    """Is the process up? Touches no dependency (what the load balancer checks)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Never a 503 (apps/core/schema.py).
    reaches_no_service = True

    @extend_schema(responses=inline_serializer("Liveness", fields={"status": serializers.CharField()}), tags=["health"])
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class ReadinessView(APIView):
    """Can the process serve? Checks database, cache, storage and broker (details: apps/core/health.py)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: _readiness, 503: OpenApiResponse(_readiness, description="a dependency is failing")},
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        results = run_checks()
        ready = all(result.ok for result in results)
        detailed = may_see_details(request)
        body = {
            "status": "ok" if ready else "error",
            "components": {result.name: result.as_dict(detailed) for result in results},
        }
        return Response(body, status=200 if ready else 503)
