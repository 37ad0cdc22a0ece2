"""The production HTTP server: granian serving the WSGI application.

``python -m config.server`` serves; ``python -m config.server --check`` prints the configuration the
environment gives and exits (``make check`` runs it).

Granian (HTTP handled in Rust, Django in worker processes) was chosen by measurement: on 2 cores it
served the authenticated file list faster than sync gunicorn workers with the same memory, and far
faster than one ASGI process (see bench/ in the djaws repository). Websockets run in their own
process (uvicorn, config.asgi). Every value below can be overridden by the environment or .env.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
from typing import Any

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import Server

from config import env
from config import logging as project_logging

APPLICATION = "config.wsgi:application"


def log_config(log_format: str) -> dict[str, Any]:
    """Granian's own lines (start, stop, respawns) in the same format as the application's."""
    if log_format == "json":
        formatter = {"()": "config.logging.JsonFormatter"}
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    return {"formatters": {"generic": formatter, "access": formatter}}


def server_options() -> dict[str, Any]:
    """Granian's settings, from the environment (and .env, as settings.py reads it)."""
    env.load_dotenv()
    return {
        "interface": Interfaces.WSGI,
        "address": env.text("WEB_HOST", "0.0.0.0"),
        "port": env.integer("WEB_PORT", 8000),
        # Django is CPU-bound between short database calls: a process per core, one thread each.
        "workers": env.integer("WEB_CONCURRENCY", 2),
        "blocking_threads": env.integer("WEB_THREADS", 1),
        "websockets": False,
        # A worker that dies is replaced; one that outgrows the limit (a slow leak) is replaced gracefully.
        "respawn_failed_workers": True,
        "workers_max_rss": env.integer("WEB_WORKER_MAX_RSS_MIB", 200) or None,
        # Requests in flight get this long to finish on SIGTERM (ECS waits 30 s before SIGKILL).
        "workers_kill_timeout": env.integer("WEB_GRACEFUL_TIMEOUT", 20),
        "log_level": LogLevels(project_logging.level_from_environment().lower()),
        "log_dictconfig": log_config(project_logging.format_from_environment()),
        # The application logs each request with its request id; granian's access log would repeat it.
        "log_access": False,
    }


def preload() -> None:
    """Load Django, the views, the S3 client's data and the task producer once, before the workers fork.

    The workers share those pages instead of each building its own copy (like gunicorn's
    preload_app); see bench/ for the figures. Nothing here opens a connection. gc.freeze() keeps the
    collector from touching, and so copying, the shared objects.
    """
    from django.urls import reverse

    import config.wsgi  # noqa: F401  (sets Django up)
    from apps.files.storage import load_client_data

    # What each worker's first request would otherwise import and build on its own, ~6 MiB apiece:
    # every view (reversing a URL loads the URLconf and its maps) and the JWT backend.
    reverse("health-live")
    importlib.import_module("rest_framework_simplejwt.state")
    load_client_data()
    if importlib.util.find_spec("config.celery"):  # projects generated with Celery
        from config.celery import load_producer

        load_producer()
    gc.freeze()


def main(arguments: list[str]) -> None:
    options = server_options()
    server = Server(APPLICATION, **options)
    if arguments == ["--check"]:
        shown = ("address", "port", "workers", "blocking_threads", "workers_max_rss", "workers_kill_timeout")
        print(f"granian {APPLICATION}: " + ", ".join(f"{name}={options[name]}" for name in shown))
        return
    preload()
    server.serve()


if __name__ == "__main__":
    main(sys.argv[1:])
