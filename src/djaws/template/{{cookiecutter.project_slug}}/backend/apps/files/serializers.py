from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils import timezone
from rest_framework import serializers

from apps.core.json_types import JsonTypedSerializer
from apps.files.models import UploadedFile


def _iso(value: datetime | None, zone: tzinfo) -> str | None:
    """A datetime exactly as DRF's DateTimeField renders it (ISO 8601 in the current zone, UTC as Z)."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class UploadedFileSerializer(serializers.ModelSerializer):
    """A file record as the owner sees it, from a model instance or a ``values()`` row.

    Read-only, and on the hottest endpoint (the file list, which reads rows rather than model
    instances), so it renders each record directly instead of field by field: that halves the list's
    CPU time. The declared fields still describe the schema, and a test keeps both renderings identical.
    """

    class Meta:
        model = UploadedFile
        fields = (
            "id",
            "filename",
            "content_type",
            "size",
            "status",
            "failure_reason",
            "checksum_sha256",
            "detected_type",
            "created_at",
            "uploaded_at",
            "processed_at",
        )
        read_only_fields = fields

    @cached_property
    def _zone(self) -> tzinfo:
        """Looked up once per response: a list renders every row with the same serializer."""
        return timezone.get_current_timezone()

    def to_representation(self, upload: UploadedFile | Mapping[str, Any]) -> dict[str, Any]:
        row = upload if isinstance(upload, Mapping) else {name: getattr(upload, name) for name in self.Meta.fields}
        zone = self._zone
        return {
            "id": str(row["id"]),
            "filename": row["filename"],
            "content_type": row["content_type"],
            "size": row["size"],
            "status": row["status"],
            "failure_reason": row["failure_reason"],
            "checksum_sha256": row["checksum_sha256"],
            "detected_type": row["detected_type"],
            "created_at": _iso(row["created_at"], zone),
            "uploaded_at": _iso(row["uploaded_at"], zone),
            "processed_at": _iso(row["processed_at"], zone),
        }


class UploadRequestSerializer(JsonTypedSerializer):
    """What the client wants to upload; checked against the allow-list and size limit before any URL is signed."""

    filename = serializers.CharField(max_length=255)
    content_type = serializers.ChoiceField(choices=[])
    size = serializers.IntegerField(min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The allow-list and the limit, read from the settings each time: the schema shows what is checked."""
        super().__init__(*args, **kwargs)
        allowed = settings.FILE_ALLOWED_CONTENT_TYPES
        content_type = self.fields["content_type"]
        content_type.choices = allowed
        content_type.error_messages["invalid_choice"] = "content type {input!r} is not allowed; allowed: " + ", ".join(
            allowed
        )
        limit = settings.FILE_UPLOAD_MAX_BYTES
        self.fields["size"].validators.append(MaxValueValidator(limit, f"files may be at most {limit} bytes"))


class UploadPolicySerializer(serializers.Serializer):
    """What the uploads endpoint accepts, so a client can check a file before sending it."""

    allowed_content_types = serializers.ListField(child=serializers.CharField())
    max_bytes = serializers.IntegerField(min_value=1)


class PresignedPostSerializer(serializers.Serializer):
    """A form the client POSTs to: every field first, then the file as ``file``."""

    url = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField())


class UploadTicketSerializer(serializers.Serializer):
    """The new file record and where to send its bytes."""

    file = UploadedFileSerializer()
    upload = PresignedPostSerializer()
    expires_in = serializers.IntegerField()


class DownloadSerializer(serializers.Serializer):
    """A short-lived URL to fetch the file."""

    url = serializers.CharField()
    expires_in = serializers.IntegerField()
