from django.core.management.base import BaseCommand

from apps.files.processing import retry_unprocessed_uploads


class Command(BaseCommand):
    """Process again files whose processing never finished (beat runs this; use it from cron without Celery)."""

    help = "Process files left uploaded for over FILE_PROCESSING_RETRY_SECONDS (failed after repeated attempts)."

    def handle(self, *args: object, **options: object) -> None:
        retried = retry_unprocessed_uploads()
        self.stdout.write(f"sent {retried} unprocessed files for processing again")
