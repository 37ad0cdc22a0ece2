"""The Celery application the worker and the web processes use, configured from Django settings (CELERY_*).

``python -m config.worker`` runs the worker and ``python -m config.beat`` the scheduler (with an
application of its own that leaves Django's apps unloaded).
"""

import os

from celery import Celery, signals

from config import logging as project_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
signals.setup_logging.connect(project_logging.configure_from_settings)


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
