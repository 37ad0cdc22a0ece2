"""A file a user uploads straight to storage; the database holds its record, never its bytes."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class UploadedFile(models.Model):
    """One upload, from the presigned URL being handed out to the file being processed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the upload"
        UPLOADED = "uploaded", "Uploaded, being processed"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="files")
    key = models.CharField(max_length=512, unique=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField(help_text="Bytes; declared at first, measured once uploaded.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField(max_length=255, blank=True)
    checksum_sha256 = models.CharField(max_length=64, blank=True)
    detected_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times processing started; the result is recorded by the first to finish."
    )
    requeued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the retry sweep last sent the file for processing again."
    )

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="files_owner_created_idx"),
            models.Index(fields=["status", "created_at"], name="files_status_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
