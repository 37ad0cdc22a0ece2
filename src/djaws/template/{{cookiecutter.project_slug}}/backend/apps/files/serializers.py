from django.conf import settings
from rest_framework import serializers

from apps.files.models import UploadedFile


class UploadedFileSerializer(serializers.ModelSerializer):
    """A file record as the owner sees it."""

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


class UploadRequestSerializer(serializers.Serializer):
    """What the client wants to upload; checked against the allow-list and size limit before any URL is signed."""

    filename = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=100)
    size = serializers.IntegerField(min_value=1)

    def validate_content_type(self, value: str) -> str:
        if value not in settings.FILE_ALLOWED_CONTENT_TYPES:
            allowed = ", ".join(settings.FILE_ALLOWED_CONTENT_TYPES)
            raise serializers.ValidationError(f"content type {value!r} is not allowed; allowed: {allowed}")
        return value

    def validate_size(self, value: int) -> int:
        if value > settings.FILE_UPLOAD_MAX_BYTES:
            raise serializers.ValidationError(f"files may be at most {settings.FILE_UPLOAD_MAX_BYTES} bytes")
        return value


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
