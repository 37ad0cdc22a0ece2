"""Celery tasks: thin wrappers so the logic in processing.py also runs without Celery."""

from apps.core.errors import UNREACHABLE_ERRORS
from apps.files import processing
from config.celery import app


# A server that cannot be reached is retried with backoff; after that, the retry sweep sends the file again.
@app.task(bind=True, autoretry_for=(OSError, *UNREACHABLE_ERRORS), retry_backoff=True, max_retries=5)
def process_uploaded_file(self, file_id: str) -> str | None:
    """Checksum and sniff one uploaded file."""
    upload = processing.process_file(file_id)
    return upload.status if upload else None


@app.task
def purge_stale_uploads() -> int:
    """Periodic (beat): remove uploads never completed."""
    return processing.purge_stale_uploads()


@app.task
def retry_unprocessed_uploads() -> int:
    """Periodic (beat): send again the files whose processing never finished."""
    return processing.retry_unprocessed_uploads()
