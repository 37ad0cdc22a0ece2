"""What happens to a file after its upload completes: checksum and content sniffing.

Runs in a Celery worker when the project has one, otherwise in the request's process after commit.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.notify import notify_user
from apps.files.models import UploadedFile
from apps.files.storage import get_upload_storage

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
SNIFF_BYTES = 512
TEXT_TYPES = {"text/plain", "text/csv"}

# Leading bytes of the binary formats the default allow-list accepts.
MAGIC_NUMBERS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
)


def sniff_content_type(head: bytes) -> str:
    """The content type the leading bytes reveal, whatever the client claimed."""
    for magic, content_type in MAGIC_NUMBERS:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the sniff boundary is still text.
            if error.start >= len(head) - 3:
                return "text/plain"
    return "application/octet-stream"


def matches_declared_type(declared: str, detected: str) -> bool:
    """Whether the bytes are what the client said they were (CSV is text, so text passes as CSV)."""
    return declared == detected or (declared in TEXT_TYPES and detected == "text/plain")


def process_file(file_id: UUID | str) -> UploadedFile | None:
    """Checksum and sniff an uploaded file, record the result and tell the owner."""
    upload = UploadedFile.objects.filter(pk=file_id, status=UploadedFile.Status.UPLOADED).first()
    if upload is None:
        logger.info("file %s is not waiting for processing; skipped", file_id)
        return None
    digest = hashlib.sha256()
    head = b""
    stream = get_upload_storage().open(upload.key)
    try:
        while chunk := stream.read(CHUNK_BYTES):
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            digest.update(chunk)
    finally:
        stream.close()
    upload.checksum_sha256 = digest.hexdigest()
    upload.detected_type = sniff_content_type(head)
    upload.processed_at = timezone.now()
    if matches_declared_type(upload.content_type, upload.detected_type):
        upload.status = UploadedFile.Status.PROCESSED
    else:
        upload.status = UploadedFile.Status.FAILED
        upload.failure_reason = f"content is {upload.detected_type}, not the declared {upload.content_type}"
    upload.save(update_fields=["checksum_sha256", "detected_type", "processed_at", "status", "failure_reason"])
    logger.info("processed file %s", upload.pk, extra={"file_id": str(upload.pk), "status": upload.status})

    from apps.files.serializers import UploadedFileSerializer

    notify_user(upload.owner_id, "file.processed", {"file": UploadedFileSerializer(upload).data})
    return upload


def schedule_processing(upload: UploadedFile) -> None:
    """Process the file once the current transaction commits: on a worker if there is one."""
    file_id = str(upload.pk)
    if settings.USE_CELERY:
        from apps.files.tasks import process_uploaded_file

        transaction.on_commit(lambda: process_uploaded_file.delay(file_id))
    else:
        transaction.on_commit(lambda: process_file(file_id))


def purge_stale_uploads(now: datetime | None = None) -> int:
    """Delete uploads that were never completed within FILE_PENDING_TTL, with any bytes that did arrive."""
    cutoff = (now or timezone.now()) - settings.FILE_PENDING_TTL
    stale = UploadedFile.objects.filter(status=UploadedFile.Status.PENDING, created_at__lt=cutoff)
    storage = get_upload_storage()
    purged = 0
    for upload in stale.iterator():
        storage.delete(upload.key)
        upload.delete()
        purged += 1
    if purged:
        logger.info("purged %d stale uploads", purged, extra={"purged": purged})
    return purged
