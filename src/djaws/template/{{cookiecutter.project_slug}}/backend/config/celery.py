"""The Celery application: worker and beat read their configuration from Django settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def load_producer() -> None:
    """Import what sending a task needs (the finalized app, the broker transport) without connecting.

    The web server calls it before forking its workers, so they share these modules instead of each
    loading ~28 MiB on its first task.
    """
    app.finalize()
    connection = app.connection_for_write()
    try:
        _ = connection.transport
    finally:
        connection.release()
