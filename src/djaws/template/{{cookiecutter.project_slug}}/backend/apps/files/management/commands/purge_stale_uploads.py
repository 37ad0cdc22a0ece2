from django.core.management.base import BaseCommand

from apps.files.processing import purge_stale_uploads


class Command(BaseCommand):
    """Remove uploads never completed (beat runs this hourly; use it from cron without Celery)."""

    help = "Delete pending uploads older than FILE_PENDING_TTL_HOURS, with any bytes that arrived."

    def handle(self, *args: object, **options: object) -> None:
        purged = purge_stale_uploads()
        self.stdout.write(f"purged {purged} stale uploads")
