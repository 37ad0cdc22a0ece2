"""Load on a generated project run as production runs it, steady and during a rolling restart of the web process.

Usage: .venv/bin/python bench/load.py [--project DIR] [--connections 64] [--duration 60] [--workers 2] [--keep]

The default project (or DIR, a generated project) gets its production dependencies (`uv sync --locked --no-dev`)
and runs with ENVIRONMENT=prod: the web process under its production server (`python -m config.server`, granian),
the Celery worker and beat, on PostgreSQL 16 and Redis 7 started here and S3 from moto. A separate process
(support/http_load.py) keeps `--connections` persistent connections busy for `--duration` seconds, each a signed-in
user going through liveness checks, file lists and uploads (start, presigned POST to S3, complete) and signing in
again now and then. Then the same load runs while the web process gets SIGHUP, granian's rolling restart: each
worker in turn gets a replacement, and the old one stops taking requests and finishes those it holds. Prints
requests/s and p50/p99 per endpoint, 5xx answers and connection errors, and the memory (PSS) of every process
before and after; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from support.backend import create_database, production_settings
from support.commands import beat_command, web_command, worker_command
from support.http_load import SEED_SCRIPT
from support.measure import descendants, process_memory, wait_healthy
from support.processes import background
from support.projects import OPTION_SETS_BY_NAME, generate_option_set, run, uv_environment
from support.s3 import EMULATOR_CREDENTIALS, s3_emulator
from support.services import Services, free_port, running_services

BUCKET = "load-media"
USERS = 16
WARM_UP = {"connections": 8, "duration": 5}
# The credential endpoints allow 20 sign-ins a minute per address and 10 per account; every client here shares
# one address, so the limits are raised for the bench (and said so in its output).
THROTTLE_RATES = {"AUTH_THROTTLE_RATE": "1000000/minute", "AUTH_ACCOUNT_THROTTLE_RATE": "1000000/minute"}
WORKER_READY_TIMEOUT_SECONDS = 60
RESTART_DONE = re.compile(r"Stopped old worker-(\d+)")


def parse_arguments() -> argparse.Namespace:
    """The project, the load's shape and the web process's worker count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a generated project (default: generate the default one)")
    parser.add_argument("--connections", type=int, default=64, help="persistent connections (default 64)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of each load run (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="granian workers, WEB_CONCURRENCY (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, virtualenv)")
    return parser.parse_args()


def production_venv(backend: Path, venv: Path) -> Path:
    """The production dependencies only, from the lock, as the image installs them; returns the bin directory."""
    run(
        ["uv", "sync", "--locked", "--no-dev", "--quiet"],
        backend,
        env=uv_environment() | {"UV_PROJECT_ENVIRONMENT": str(venv)},
    )
    return venv / "bin"


def production_environment(
    binaries: Path, database_url: str, services: Services, s3_endpoint: str, port: int, workers: int, workdir: Path
) -> dict[str, str]:
    """ENVIRONMENT=prod with every required variable, on loopback servers, the throttles raised (THROTTLE_RATES)."""
    return {
        **uv_environment(),
        "PATH": f"{binaries}:{os.environ['PATH']}",
        **production_settings(database_url, services.redis_url, BUCKET),
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        **EMULATOR_CREDENTIALS,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "BEAT_SCHEDULE_FILE": str(workdir / "celerybeat-schedule"),
        **THROTTLE_RATES,
    }


def prepare_database(binaries: Path, backend: Path, environment: dict[str, str]) -> list[dict[str, str]]:
    """Migrate, collect static files, and seed USERS users with 20 files each; returns their credentials and a
    first access token each."""
    python = str(binaries / "python")
    run([python, "manage.py", "migrate", "--noinput"], backend, env=environment)
    run([python, "manage.py", "collectstatic", "--noinput"], backend, env=environment)
    seeded = run(
        [python, "manage.py", "shell", "-c", SEED_SCRIPT], backend, env=environment | {"LOAD_USERS": str(USERS)}
    )
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def wait_for_log(log: Path, marker: str, timeout: float) -> None:
    """Block until a process's log shows `marker` (Celery has no port to wait for)."""
    deadline = time.monotonic() + timeout
    while marker not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{log.name} did not log {marker!r} within {timeout} s")
        time.sleep(0.2)


def start_load(base_url: str, users: list[dict[str, str]], connections: int, duration: int) -> subprocess.Popen[str]:
    """The load generator in a process of its own (its own interpreter and GIL), already running."""
    plan = {
        "base_url": base_url,
        "users": users,
        "connections": connections,
        "duration": duration,
        # As the load balancer sends it: production redirects plain HTTP to HTTPS.
        "headers": {"X-Forwarded-Proto": "https"},
    }
    generator = subprocess.Popen(
        [sys.executable, "-m", "support.http_load"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert generator.stdin is not None
    generator.stdin.write(json.dumps(plan))
    generator.stdin.close()
    return generator


def load_figures(generator: subprocess.Popen[str]) -> dict[str, Any]:
    """Wait for the load generator and return its figures."""
    assert generator.stdout is not None
    output = generator.stdout.read()
    if generator.wait() != 0:
        raise RuntimeError(f"the load generator failed:\n{output[-4000:]}")
    return json.loads(output)


def child_label(pid: int, service: str) -> str:
    """What a service's child process is: multiprocessing's resource tracker, or one of its workers."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        command = b""
    return f"{service}: {'resource tracker' if b'resource_tracker' in command else 'worker'}"


def memory(services: dict[str, int]) -> dict[str, tuple[str, float]]:
    """PSS (RSS where PSS is unreadable) in MiB of every process of every service, by pid; PSS splits the pages
    processes share (a forked worker's inherited ones) between them, so the figures add up."""
    figures = {}
    for service, pid in services.items():
        for one in (pid, *descendants(pid)):
            rss, pss = process_memory(one)
            figures[str(one)] = (service if one == pid else child_label(one, service), pss or rss)
    return figures


def rolling_restart(web_pid: int, log: Path, after_seconds: float, workers: int) -> float:
    """SIGHUP the web process `after_seconds` from now; returns the seconds until every old worker stopped."""
    time.sleep(after_seconds)
    already = len(RESTART_DONE.findall(log.read_text(errors="replace")))
    started = time.monotonic()
    os.kill(web_pid, signal.SIGHUP)
    while len(RESTART_DONE.findall(log.read_text(errors="replace"))) < already + workers:
        if time.monotonic() - started > 120:
            raise TimeoutError("the rolling restart did not finish within 120 s")
        time.sleep(0.1)
    return time.monotonic() - started


def print_load(title: str, figures: dict[str, Any]) -> None:
    """One line per endpoint, then the failures."""
    print(f"\n{title} ({figures['seconds']:.1f} s)")
    print(f"  {'endpoint':<14} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
    for endpoint, row in figures["endpoints"].items():
        print(
            f"  {endpoint:<14} {row['requests']:>8} {row['per_second']:>8.1f} {row['p50_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {row['max_ms']:>8.0f}  {row['statuses']}"
        )
    total = sum(row["requests"] for endpoint, row in figures["endpoints"].items() if endpoint != "s3 post")
    print(f"  API requests/s (without the S3 POSTs): {total / figures['seconds']:.1f}")
    print(
        f"  5xx answers: {figures['server_errors']}, other unexpected statuses: {figures['unexpected_statuses']}, "
        f"connection errors: {figures['connection_errors'] or 0}, "
        f"retried on a closed keep-alive connection: {figures['stale_connection_retries']}"
    )


def print_memory(before: dict[str, tuple[str, float]], after: dict[str, tuple[str, float]], title: str) -> None:
    """PSS of each process before and after, and the growth of the total."""
    print(f"\nmemory (PSS, MiB) {title}")
    for pid in sorted(set(before) | set(after), key=lambda pid: ((after.get(pid) or before[pid])[0], int(pid))):
        label = (after.get(pid) or before[pid])[0]
        was, now = before.get(pid, ("", 0.0))[1], after.get(pid, ("", 0.0))[1]
        growth = f"{(now - was) / was * 100:+.1f} %" if was and now else "(new)" if now else "(gone)"
        print(f"  {label:<40} pid {pid:>7}  {was:>7.1f} -> {now:>7.1f}  {growth}")
    was, now = sum(pss for _, pss in before.values()), sum(pss for _, pss in after.values())
    print(f"  {'all processes':<40} {'':>11}  {was:>7.1f} -> {now:>7.1f}  {(now - was) / was * 100:+.1f} %")


def measure(backend: Path, binaries: Path, services: Services, arguments: argparse.Namespace, workdir: Path) -> None:
    """Start the processes, warm them up, then the steady run and the run with a rolling restart."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with s3_emulator(BUCKET) as s3_endpoint, ExitStack() as stack:
        database_url = create_database(services.database_url, prefix="load")
        environment = production_environment(
            binaries, database_url, services, s3_endpoint, port, arguments.workers, workdir
        )
        users = prepare_database(binaries, backend, environment)
        commands = {"web": web_command(binaries), "worker": worker_command(binaries), "beat": beat_command(binaries)}
        running = {
            name: stack.enter_context(background(command, backend, environment, workdir / f"{name}.log")).pid
            for name, command in commands.items()
        }
        print(f"cold start to healthy: {wait_healthy(base_url + '/api/health/'):.1f} s")
        wait_for_log(workdir / "worker.log", " ready.", WORKER_READY_TIMEOUT_SECONDS)
        load_figures(start_load(base_url, users, WARM_UP["connections"], WARM_UP["duration"]))
        before = memory(running)
        steady = load_figures(start_load(base_url, users, arguments.connections, arguments.duration))
        after = memory(running)
        print_load(f"steady load: {arguments.connections} connections for {arguments.duration} s", steady)
        print_memory(before, after, f"after a {WARM_UP['duration']} s warm-up -> after the steady load")
        generator = start_load(base_url, users, arguments.connections, arguments.duration)
        restart_seconds = rolling_restart(
            running["web"], workdir / "web.log", arguments.duration / 4, arguments.workers
        )
        during_restart = load_figures(generator)
        print_load(
            f"same load, the web process getting SIGHUP after {arguments.duration / 4:.0f} s: its "
            f"{arguments.workers} workers were replaced one by one within {restart_seconds:.1f} s",
            during_restart,
        )
        print_memory(after, memory(running), "after the steady load -> after the restart run (new workers)")


def main() -> int:
    """Generate (or take) the project, install it, start the servers and measure."""
    arguments = parse_arguments()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's line per request
    workdir = Path(tempfile.mkdtemp(prefix="djaws-load-"))
    try:
        project = arguments.project or generate_option_set(OPTION_SETS_BY_NAME["default"], workdir)
        backend = project.resolve() / "backend"
        binaries = production_venv(backend, workdir / "venv")
        version = run([str(binaries / "python"), "-c", "import granian; print(granian.__version__)"], backend).stdout
        print(f"project: {project}\ngranian {version.strip()}, {arguments.workers} workers; work directory {workdir}")
        print(f"raised for the bench: {', '.join(f'{name}={value}' for name, value in THROTTLE_RATES.items())}")
        with running_services() as services:
            measure(backend, binaries, services, arguments, workdir)
    finally:
        if not arguments.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    # Figures from a shared machine swing with what else runs on it.
    print(f"\nmachine load average (1/5/15 min) at the end: {' '.join(f'{load:.1f}' for load in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
