"""Benchmark a generated project: generation, install, cold start, throughput, memory, dependency size.

Usage: .venv/bin/python bench/backend.py [--duration 15] [--repeat 3] [--servers granian,gunicorn,asgi] [--workers 2]

Everything runs on loopback: PostgreSQL 16 and Redis 7 started here, the backend with production
settings (ENVIRONMENT=prod) and its production server commands, load from wrk in a separate process
(`wrk -t2 -c32 -d15s --latency`). Prints one table of figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests
from support.backend import production_settings
from support.commands import beat_command, web_command, websocket_command, worker_command
from support.measure import memory_of, wait_healthy
from support.processes import background
from support.projects import uv_environment
from support.s3 import EMULATOR_CREDENTIALS, s3_emulator
from support.services import Services, free_port, running_services

SERVER_COMMANDS = {
    # The production command: granian (config/server.py), workers from WEB_CONCURRENCY.
    "granian": web_command(Path()),
    # The alternatives it was chosen over: sync gunicorn workers (installed here for the comparison) ...
    "gunicorn": [
        "gunicorn",
        "config.wsgi:application",
        "--workers",
        "{workers}",
        "--bind",
        "127.0.0.1:{port}",
        "--preload",
    ],
    # ... and one ASGI server for HTTP and websockets.
    "asgi": [
        "uvicorn",
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--workers",
        "{workers}",
        "--no-access-log",
        "--lifespan",
        "off",
    ],
}
MEMORY_BUCKET = "bench-media"
HTTPS_HEADER = "X-Forwarded-Proto: https"  # as the load balancer sends it; prod redirects plain HTTP


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Run a command to completion and return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env or uv_environment(), check=True, capture_output=True)
    return time.perf_counter() - started


def directory_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file() and not item.is_symlink())


def wrk(url: str, duration: int, headers: list[str]) -> dict[str, float]:
    """Fixed load from wrk: requests/s and latency percentiles in ms."""
    header_arguments = [argument for header in headers for argument in ("-H", header)]
    output = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", *header_arguments, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {"requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for percentile in ("50", "99"):
        value, unit = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE).groups()
        figures[f"p{percentile}_ms"] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["non_2xx"] = float(errors.group(1)) if errors else 0.0
    return figures


def production_environment(services: Services, venv: Path, database: str) -> dict[str, str]:
    """Production settings on the loopback servers, run from the production virtualenv."""
    database_url = services.database_url.rsplit("/", 1)[0] + f"/{database}"
    return {
        **uv_environment(),
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        **production_settings(database_url, services.redis_url, "bench-media"),
        "JWT_ACCESS_MINUTES": "120",
    }


SEED_SCRIPT = """
from apps.accounts.models import User
from apps.files.models import UploadedFile
from rest_framework_simplejwt.tokens import RefreshToken
user, _ = User.objects.get_or_create(email="bench@example.com")
UploadedFile.objects.filter(owner=user).delete()
UploadedFile.objects.bulk_create(
    UploadedFile(owner=user, key=f"uploads/{user.pk}/{i}/f.txt", filename=f"f{i}.txt", content_type="text/plain",
                 size=100 + i, status="processed")
    for i in range(20)
)
print(RefreshToken.for_user(user).access_token)
"""


def upload_flows(api: str, token: str, count: int) -> None:
    """Files through the whole flow: presigned POST to S3, completion (HEAD), processing by the worker."""
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
    for number in range(count):
        content = f"id,name\n{number},bench\n".encode()
        ticket = requests.post(
            f"{api}/files/uploads/",
            headers=headers,
            json={"filename": f"bench-{number}.csv", "content_type": "text/csv", "size": len(content)},
            timeout=10,
        ).json()
        form = ticket["upload"]
        requests.post(form["url"], data=form["fields"], files={"file": ("bench.csv", content)}, timeout=10)
        completed = requests.post(f"{api}/files/{ticket['file']['id']}/complete/", headers=headers, timeout=10)
        completed.raise_for_status()


def memory_in_use(backend: Path, venv: Path, environment: dict[str, str], workdir: Path) -> list[tuple[str, str]]:
    """RSS and PSS of web, worker and beat once started, and again after uploads end to end (S3 from moto).

    Freshly started, the processes have not loaded boto3, the broker client and the task code yet:
    the second reading is what they hold in production.
    """
    port = free_port()
    with s3_emulator(MEMORY_BUCKET) as endpoint:
        in_use = environment | EMULATOR_CREDENTIALS
        in_use |= {"AWS_STORAGE_BUCKET_NAME": MEMORY_BUCKET, "AWS_S3_ENDPOINT_URL": endpoint}
        in_use |= {"WEB_HOST": "127.0.0.1", "WEB_PORT": str(port), "LOG_LEVEL": "WARNING"}
        in_use |= {"BEAT_SCHEDULE_FILE": str(workdir / "celerybeat-schedule")}
        processes = {"web (granian, 2 workers)": web_command(venv / "bin")}
        if (backend / "config" / "worker.py").exists():
            processes["celery worker (threads pool, concurrency 4)"] = worker_command(venv / "bin")
            processes["celery beat"] = beat_command(venv / "bin")
        with ExitStack() as stack:
            running = {
                name: stack.enter_context(background(command, backend, in_use)) for name, command in processes.items()
            }
            wait_healthy(f"http://127.0.0.1:{port}/api/health/")
            time.sleep(8)  # worker and beat finish starting
            started = {name: memory_of(process.pid) for name, process in running.items()}
            upload_flows(f"http://127.0.0.1:{port}/api", bench_token(backend, venv, in_use), count=20)
            time.sleep(5)  # the worker finishes processing
            after_uploads = {name: memory_of(process.pid) for name, process in running.items()}
    rows = []
    for moment, figures in (("started", started), ("after 20 uploads", after_uploads)):
        rows += [
            (f"{name} memory, {moment}", f"RSS {rss:.0f} MiB, PSS {pss:.0f} MiB")
            for name, (rss, pss) in figures.items()
        ]
        total_rss = sum(rss for rss, _ in figures.values())
        total_pss = sum(pss for _, pss in figures.values())
        rows.append((f"web + worker + beat memory, {moment}", f"RSS {total_rss:.0f} MiB, PSS {total_pss:.0f} MiB"))
    return rows


def bench_token(backend: Path, venv: Path, environment: dict[str, str]) -> str:
    """An access token for the seeded bench user."""
    return (
        subprocess.run(
            [str(venv / "bin" / "python"), "manage.py", "shell", "-c", SEED_SCRIPT],
            cwd=backend,
            env=environment,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per endpoint (default 15)")
    parser.add_argument(
        "--servers", default="granian,gunicorn,asgi", help="HTTP servers to measure (granian,gunicorn,asgi)"
    )
    parser.add_argument("--workers", type=int, default=2, help="web worker processes (default 2)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="load runs per endpoint; the median is shown, as the machine is shared"
    )
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")

    results: list[tuple[str, str]] = []
    workdir = Path(tempfile.mkdtemp(prefix="djaws-bench-"))
    djaws = Path(sys.executable).parent / "djaws"
    started = time.perf_counter()
    subprocess.run([str(djaws), "new", "Bench Shop", "--no-input", "-o", str(workdir)], check=True, capture_output=True)
    results.append(("djaws new (wall, incl. interpreter start)", f"{time.perf_counter() - started:.2f} s"))
    backend = workdir / "bench_shop" / "backend"

    cold_cache = uv_environment() | {"UV_CACHE_DIR": str(workdir / "uv-cache")}
    production_venv = workdir / "production-venv"
    install_env = cold_cache | {"UV_PROJECT_ENVIRONMENT": str(production_venv)}
    results.append(
        (
            "backend install, empty uv cache (uv sync --locked --no-dev)",
            f"{timed(['uv', 'sync', '--locked', '--no-dev', '--quiet'], backend, install_env):.1f} s",
        )
    )
    shutil.rmtree(production_venv)
    results.append(
        (
            "backend install, warm uv cache",
            f"{timed(['uv', 'sync', '--locked', '--no-dev', '--quiet'], backend, install_env):.1f} s",
        )
    )
    site_packages = next(production_venv.glob("lib/python*/site-packages"))
    results.append(("production dependencies installed size", f"{directory_size(site_packages) / 1e6:.0f} MB"))
    if "gunicorn" in arguments.servers.split(","):
        subprocess.run(
            ["uv", "pip", "install", "--quiet", "--python", str(production_venv / "bin" / "python"), "gunicorn"],
            env=cold_cache,
            check=True,
        )

    with running_services() as services:
        environment = production_environment(services, production_venv, "bench")
        python = str(production_venv / "bin" / "python")
        subprocess.run(["createdb"], check=False, capture_output=True)
        subprocess.run(
            [
                python,
                "-c",
                "import psycopg,sys; c=psycopg.connect(sys.argv[1], autocommit=True); "
                "c.execute('CREATE DATABASE bench')",
                services.database_url,
            ],
            check=True,
        )
        subprocess.run(
            [python, "manage.py", "migrate", "--noinput"], cwd=backend, env=environment, check=True, capture_output=True
        )
        subprocess.run(
            [python, "manage.py", "collectstatic", "--noinput"],
            cwd=backend,
            env=environment,
            check=True,
            capture_output=True,
        )
        token = bench_token(backend, production_venv, environment)

        for mode in arguments.servers.split(","):
            port = free_port()
            command = [part.format(port=port, workers=arguments.workers) for part in SERVER_COMMANDS[mode]]
            server_env = environment | {
                "WEB_CONCURRENCY": str(arguments.workers),
                "WEB_HOST": "127.0.0.1",
                "WEB_PORT": str(port),
            }
            base = f"http://127.0.0.1:{port}"
            with background(command, backend, server_env) as server:
                cold_start = wait_healthy(f"{base}/api/health/")
                results.append((f"[{mode}] cold start to first healthy /api/health/", f"{cold_start:.2f} s"))
                for label, path, headers in (
                    ("/api/health/", "/api/health/", [HTTPS_HEADER]),
                    (
                        "GET /api/auth/me/ (JWT, one row, PostgreSQL)",
                        "/api/auth/me/",
                        [HTTPS_HEADER, f"Authorization: Bearer {token}"],
                    ),
                    (
                        "GET /api/files/ (JWT, 20 rows, PostgreSQL)",
                        "/api/files/",
                        [HTTPS_HEADER, f"Authorization: Bearer {token}"],
                    ),
                ):
                    runs = [wrk(f"{base}{path}", arguments.duration, headers) for _ in range(arguments.repeat)]
                    runs.sort(key=lambda figures: figures["requests_per_second"])
                    figures = runs[len(runs) // 2]
                    spread = "/".join(f"{run['requests_per_second']:.0f}" for run in runs)
                    results.append(
                        (
                            f"[{mode}] {label}",
                            f"{figures['requests_per_second']:.0f} req/s, p50 {figures['p50_ms']:.1f} ms, "
                            f"p99 {figures['p99_ms']:.1f} ms, non-2xx {sum(run['non_2xx'] for run in runs):.0f}"
                            + (f" (median of {spread})" if len(runs) > 1 else ""),
                        )
                    )
                rss, pss = memory_of(server.pid)
                results.append(
                    (
                        f"[{mode}] web memory after load ({arguments.workers} workers)",
                        f"RSS {rss:.0f} MiB, PSS {pss:.0f} MiB",
                    )
                )

        results.extend(memory_in_use(backend, production_venv, environment, workdir))
        uvicorn = production_venv / "bin" / "uvicorn"
        if uvicorn.exists():
            port = free_port()
            with background(websocket_command(production_venv / "bin", port), backend, environment) as websocket:
                wait_healthy(f"http://127.0.0.1:{port}/api/health/")
                rss, pss = memory_of(websocket.pid)
                results.append(("websocket process (uvicorn) memory", f"RSS {rss:.0f} MiB, PSS {pss:.0f} MiB"))

    shutil.rmtree(workdir, ignore_errors=True)
    width = max(len(label) for label, _ in results)
    print(f"\n{'measurement':<{width}}  figure")
    for label, figure in results:
        print(f"{label:<{width}}  {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
