"""The production HTTP server: granian serving Django through config/rsgi.py.

``python -m config.server`` serves; ``python -m config.server --check`` prints the configuration the
environment gives and exits (``make check`` runs it).

Granian handles HTTP in Rust, in worker processes; config/rsgi.py reads each request body on the
worker's event loop and runs Django's WSGI handler in a thread once the body is complete, so slow or
stalled clients hold no Django thread. Granian's own WSGI interface reads bodies in Django's
thread (two stalled uploads would stop two single-threaded workers); Django's ASGI handler costs
about ten times more per request. Websockets run in their own process (uvicorn, config.asgi).
Every value below can be overridden by the environment or .env.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
from typing import Any

from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server

from config import env
from config import logging as project_logging

APPLICATION = "config.rsgi:application"


def log_config(log_format: str) -> dict[str, Any]:
    """Granian's own lines (start, stop, respawns) in the same format as the application's."""
    if log_format == "json":
        formatter = {"()": "config.logging.JsonFormatter"}
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    return {"formatters": {"generic": formatter, "access": formatter}}


def django_threads() -> int:
    """Threads running Django in each worker (config/rsgi.py): one, as Django is CPU-bound between short queries."""
    return env.integer("WEB_THREADS", 1)


def body_timeout_seconds() -> int:
    """How long a request body may take to arrive in full before config/rsgi.py answers 408."""
    return env.integer("CLIENT_BODY_TIMEOUT_SECONDS", 30)


def server_options() -> dict[str, Any]:
    """Granian's settings, from the environment (and .env, as settings.py reads it)."""
    env.load_dotenv()
    return {
        "interface": Interfaces.RSGI,
        # In a container the port is reachable only as published; WEB_HOST narrows it elsewhere.
        "address": env.text("WEB_HOST", "0.0.0.0"),  # noqa: S104
        "port": env.integer("WEB_PORT", 8000),
        # Django is CPU-bound between short database calls: a process per core (threads: django_threads).
        "workers": env.integer("WEB_CONCURRENCY", 2),
        # Headers not complete within this long close the connection (bodies: CLIENT_BODY_TIMEOUT_SECONDS).
        "http1_settings": HTTP1Settings(header_read_timeout=env.integer("CLIENT_HEADER_TIMEOUT_SECONDS", 10) * 1000),
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
    preload_app). Nothing here opens a connection. gc.freeze() keeps the
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
        shown = {name: options[name] for name in ("address", "port", "workers")}
        shown["threads"] = django_threads()
        shown |= {name: options[name] for name in ("workers_max_rss", "workers_kill_timeout")}
        shown["header_timeout"] = options["http1_settings"].header_read_timeout // 1000
        shown["body_timeout"] = body_timeout_seconds()
        print(f"granian {APPLICATION}: " + ", ".join(f"{name}={value}" for name, value in shown.items()))
        return
    preload()
    server.serve()


if __name__ == "__main__":
    main(sys.argv[1:])
