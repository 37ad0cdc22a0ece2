"""Celery beat: ``python -m config.beat`` sends the periodic tasks of CELERY_BEAT_SCHEDULE.

Beat only puts task names on the broker, so its application reads the CELERY_* settings without
setting Django up: the Django fix-up config/celery.py gets would load every model, the admin and DRF,
~33 MiB held for nothing. Run exactly one beat per environment; it
keeps its schedule's state in BEAT_SCHEDULE_FILE. A scheduler that reads its entries from the database
(django-celery-beat) needs Django's apps: start beat from config.celery's application instead.
"""

from __future__ import annotations

import os

from celery import Celery, signals

from config import env
from config import logging as project_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config", fixups=[])
app.config_from_object("django.conf:settings", namespace="CELERY")
signals.setup_logging.connect(project_logging.configure_from_settings)


def main() -> int:
    env.load_dotenv()
    app.Beat(**project_logging.celery_start_options()).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
