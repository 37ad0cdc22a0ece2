"""What happens to a file after its upload completes: checksum and content sniffing.

Runs in a Celery worker when the project has one, otherwise in the request's process after commit.

PostgreSQL, not the broker, says what is left to do: a file is ``uploaded`` until its result is
recorded. Sending the work can fail (Redis down) and a task can be lost (its worker killed, Redis
restarted empty); the retry sweep sends again every file left ``uploaded`` for longer than
FILE_PROCESSING_RETRY_SECONDS. So a file can be processed more than once at the same time, and the
result is recorded by the first run to finish; the others change nothing and notify no one.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core.notify import notify_user
from apps.files.models import UploadedFile
from apps.files.storage import get_upload_storage

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
# Processing started this often without a result: the file fails instead of being sent again forever.
PROCESSING_ATTEMPTS_LIMIT = 10
SNIFF_BYTES = 512
TEXT_TYPES = {"text/plain", "text/csv"}

# What processing records, in one conditional update.
RESULT_FIELDS = ("checksum_sha256", "detected_type", "processed_at", "status", "failure_reason")

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


def read_stored_file(key: str) -> tuple[str, bytes]:
    """The stored file's SHA-256 and its first SNIFF_BYTES, read in chunks."""
    digest = hashlib.sha256()
    head = b""
    stream = get_upload_storage().open(key)
    try:
        while chunk := stream.read(CHUNK_BYTES):
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            digest.update(chunk)
    finally:
        stream.close()
    return digest.hexdigest(), head


def process_file(file_id: UUID | str) -> UploadedFile | None:
    """Checksum and sniff an uploaded file, record the result (unless another run did) and tell the owner."""
    waiting = UploadedFile.objects.filter(pk=file_id, status=UploadedFile.Status.UPLOADED)
    if not waiting.update(processing_attempts=F("processing_attempts") + 1):
        logger.info("file %s is not waiting for processing; skipped", file_id)
        return None
    upload = UploadedFile.objects.get(pk=file_id)
    upload.checksum_sha256, head = read_stored_file(upload.key)
    upload.detected_type = sniff_content_type(head)
    upload.processed_at = timezone.now()
    if matches_declared_type(upload.content_type, upload.detected_type):
        upload.status = UploadedFile.Status.PROCESSED
    else:
        upload.status = UploadedFile.Status.FAILED
        upload.failure_reason = f"content is {upload.detected_type}, not the declared {upload.content_type}"
    result = {field: getattr(upload, field) for field in RESULT_FIELDS}
    if not waiting.update(**result):
        logger.info("file %s was processed by another run meanwhile; result dropped", file_id)
        return None
    logger.info("processed file %s", upload.pk, extra={"file_id": str(upload.pk), "status": upload.status})

    from apps.files.serializers import UploadedFileSerializer

    notify_user(upload.owner_id, "file.processed", {"file": UploadedFileSerializer(upload).data})
    return upload


def schedule_processing(upload: UploadedFile) -> None:
    """Process the file once the current transaction commits: on a worker if there is one."""
    file_id = str(upload.pk)
    transaction.on_commit(lambda: send_for_processing(file_id))


def send_for_processing(file_id: str) -> None:
    """Queue the file's processing task, or without Celery process it here; a failure is logged, not raised.

    The file stays ``uploaded`` in the database, so the retry sweep sends it again: the request that
    completed the upload succeeds whether or not Redis (or, without Celery, processing) works right now.
    """
    if settings.USE_CELERY:
        from kombu.exceptions import OperationalError

        from apps.files.tasks import process_uploaded_file

        try:
            process_uploaded_file.delay(file_id)
        except OperationalError as error:
            logger.warning(
                "could not queue processing of file %s (%s); the retry sweep sends it again",
                file_id,
                error,
                extra={"file_id": file_id},
            )
        return
    try:
        process_file(file_id)
    except Exception:  # the file stays uploaded for the retry sweep; the upload itself succeeded
        logger.exception("processing file %s failed; the retry sweep tries again", file_id, extra={"file_id": file_id})


def retry_unprocessed_uploads(now: datetime | None = None) -> int:
    """Send again every file uploaded (or last sent again) over FILE_PROCESSING_RETRY_SECONDS ago and not processed.

    A file whose processing started PROCESSING_ATTEMPTS_LIMIT times without a result fails instead.
    Returns how many files were sent again.
    """
    now = now or timezone.now()
    cutoff = now - settings.FILE_PROCESSING_RETRY_AFTER
    waiting = UploadedFile.objects.filter(status=UploadedFile.Status.UPLOADED)
    overdue = waiting.filter(Q(requeued_at__lt=cutoff) | Q(requeued_at__isnull=True, uploaded_at__lt=cutoff))
    given_up = overdue.filter(processing_attempts__gte=PROCESSING_ATTEMPTS_LIMIT).update(
        status=UploadedFile.Status.FAILED,
        failure_reason=f"processing did not finish in {PROCESSING_ATTEMPTS_LIMIT} attempts",
    )
    if given_up:
        logger.warning("%d files failed processing %d times; given up", given_up, PROCESSING_ATTEMPTS_LIMIT)
    file_ids = [str(file_id) for file_id in overdue.values_list("pk", flat=True)]
    UploadedFile.objects.filter(pk__in=file_ids).update(requeued_at=now)
    for file_id in file_ids:
        send_for_processing(file_id)
    if file_ids:
        logger.info("sent %d unprocessed files for processing again", len(file_ids), extra={"files": len(file_ids)})
    return len(file_ids)


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
