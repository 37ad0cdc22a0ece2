"""gunicorn settings for the web process (HTTP). Every value can be overridden by the environment."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: the API is short database requests, so processes (not threads or an event loop)
# give the best throughput per MiB; see bench/ in the djaws repository for the measurements.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# Recycle workers now and then so slow leaks cannot grow without bound on small hosts.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# The app logs each request as JSON; gunicorn's own access log would repeat it.
accesslog = None
errorlog = "-"
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
forwarded_allow_ips = "*"
preload_app = True
