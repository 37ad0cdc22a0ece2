"""The Celery worker: ``python -m config.worker``.

It is ``celery -A config.celery worker`` without the celery command line, whose click plugins cost
each process ~8 MiB. Its options are settings like any other: the pool and its size
(CELERY_WORKER_POOL, WORKER_CONCURRENCY), the log level and format (LOG_LEVEL, LOG_FORMAT). The
command line still works for the rest: ``celery -A config.celery inspect ping``.
"""

from __future__ import annotations

from config import env
from config import logging as project_logging
from config.celery import app


def main() -> int:
    env.load_dotenv()
    worker = app.Worker(**project_logging.celery_start_options())
    worker.start()
    return worker.exitcode


if __name__ == "__main__":
    raise SystemExit(main())
