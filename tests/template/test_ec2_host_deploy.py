"""The EC2 all-in-one host's deploy, for real with containers: podman stands in for Docker (see support.containers).

A generated ec2-all-in-one project (with the frontend, Celery and websockets) gets the session's images (built once
for the xdist group "containers" in conftest.py: an option set's backend and frontend differ only in the project's
name), a host directory as first boot leaves it (host.env, the shipped scripts), and deploy/ec2/deploy.sh runs
unchanged with a `docker` command that maps to podman and an `aws` command that serves the two secrets from a local
file (so render-env.sh runs too) and has no registry to log in to. S3 is moto on the host. While a bounded load runs
through nginx on loopback, a new tag is deployed (no failed request), then a tag whose web readiness fails (the
previous tag comes back on every service, no failed request, non-zero exit).

Seen here and not a property of deploy.sh: while podman starts or removes any container of the project (worker and
beat included, which nginx never routes to), traffic through the project's network pauses for 2-30 s on these
shared VMs; nginx then answers the waiting requests. The load's timeout leaves room for that, and the slowest
request is reported with the figures.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from support.container_memory import (
    HOST_MEMORY_BUDGET_MIB,
    MemorySampler,
    compose_memory_limits,
    container_states,
    table,
)
from support.containers import (
    ProjectImages,
    build,
    image_size_mb,
    podman,
    podman_environment,
    write_docker_shim,
)
from support.ec2_host import FAKE_AWS, LOGGING_OVERRIDE, create_compose_network, yaml_services
from support.host_load import NotificationSockets, run_api_load, seed_users
from support.projects import OptionSet, generate_option_set
from support.s3 import EMULATOR_CREDENTIALS, s3_emulator
from support.services import free_port

# One worker runs the whole module: its tests share one compose stack (project "host_deploy"), and the images
# built once per session (conftest.py) with the other modules of the group.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("containers")]

HOST_PROJECT = OptionSet(
    "ec2_host", {"project_name": "Host Deploy", "aws_deployment": "ec2-all-in-one", "frontend": "nextjs"}
)
FIRST, SECOND, BROKEN = "release-1", "release-2", "broken-3"
SITE_HOST = "localhost"
BENCH_MARKER = "ec2-deploy-figures: "
MEMORY_MARKER = "ec2-host-memory: "
PROJECT_NAME = "host_deploy"
LOAD_USERS = 8
LOAD_SECONDS = 20
REQUEST_TIMEOUT_SECONDS = 120
BUCKET = "host-deploy-media"
SECRETS = {"django-secret": "k" * 50, "db-password": "host-deploy-db-password", "readiness-token": "r" * 40}

# Readiness fails in this image: the database check raises (as a release with a broken setting would).
BROKEN_READINESS_DOCKERFILE = """FROM {base}
USER root
RUN printf '%s\\n' '' 'def check_database():' '    raise RuntimeError("broken on purpose")' '' '' \\
    'CHECKS["database"] = check_database' >> apps/core/health.py
USER 1000:1000
"""


@dataclass
class Host:
    """The host directory, its HTTP port and the environment its scripts run in."""

    app_dir: Path
    http_port: int
    environment: dict[str, str]

    def deploy(self, tag: str) -> subprocess.CompletedProcess[str]:
        """Run deploy/ec2/deploy.sh TAG as SSM would, from the app directory."""
        return subprocess.run(
            ["deploy/ec2/deploy.sh", tag],
            cwd=self.app_dir,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def services_images(self) -> dict[str, list[str]]:
        """The image of every running container of the project, by compose service."""
        listing = podman("ps", "--filter", "label=com.docker.compose.project=host_deploy", "--format", "json").stdout
        images: dict[str, list[str]] = {}
        for container in json.loads(listing or "[]"):
            images.setdefault(container["Labels"]["com.docker.compose.service"], []).append(container["Image"])
        return images


@dataclass
class Load:
    """A few threads requesting pages through nginx until stopped; each request on a fresh connection."""

    port: int
    paths: dict[str, int]
    threads: int = 4
    ok: int = 0
    slowest_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _request(self, path: str, expected: int) -> None:
        # Generous: podman's network set-up and tear-down on this VM pause traffic for seconds at a time (see the
        # module docstring); a request that waits through it is answered, which is what is counted.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        started = time.monotonic()
        try:
            connection.request("GET", path, headers={"Host": SITE_HOST})
            response = connection.getresponse()
            response.read()
            outcome = None if response.status == expected else f"{path}: {response.status}"
        except OSError as error:
            outcome = f"{time.strftime('%H:%M:%S')} {path}: {type(error).__name__}: {error}"
        finally:
            connection.close()
        with self._lock:
            self.slowest_seconds = max(self.slowest_seconds, time.monotonic() - started)
            if outcome:
                self.failures.append(outcome)
            else:
                self.ok += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            for path, expected in self.paths.items():
                self._request(path, expected)
            time.sleep(0.02)

    def __enter__(self) -> Load:
        self._workers = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=60)


@pytest.fixture(scope="module")
def host_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated ec2-all-in-one project with the Next.js frontend."""
    return generate_option_set(HOST_PROJECT, tmp_path_factory.mktemp("ec2-host"))


@pytest.fixture(scope="module")
def images(built_images: ProjectImages, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectImages]:
    """The session's images under three more tags: two good ones and one whose readiness fails."""
    backend, frontend = built_images.backend_repository, built_images.frontend_repository
    for repository in (backend, frontend):
        for tag in (FIRST, SECOND):
            podman("tag", f"{repository}:{built_images.tag}", f"{repository}:{tag}")
    podman("tag", built_images.frontend, f"{frontend}:{BROKEN}")
    broken = tmp_path_factory.mktemp("broken-image")
    (broken / "Dockerfile").write_text(BROKEN_READINESS_DOCKERFILE.format(base=built_images.backend))
    build(broken, f"{backend}:{BROKEN}")
    yield built_images
    for repository in (backend, frontend):
        for tag in (FIRST, SECOND, BROKEN):
            podman("rmi", "--force", f"{repository}:{tag}", check=False)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto on all interfaces, reached from the containers at the host's address."""
    with s3_emulator(BUCKET, reachable_from_containers=True) as endpoint:
        yield endpoint


def host_settings(http_port: int, s3_endpoint: str, images: ProjectImages) -> dict[str, str]:
    """host.env as Terraform writes it at first boot, pointed at local images, moto and a loopback port."""
    return {
        "COMPOSE_PROJECT_NAME": "host_deploy",
        "ENVIRONMENT": "demo",
        "AWS_REGION": "us-east-1",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        # The emulator checks presigned POSTs against these keys' signatures.
        "AWS_ACCESS_KEY_ID": EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "ALLOWED_HOSTS": f"{SITE_HOST},127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"http://{SITE_HOST}",
        "SITE_URL": f"http://{SITE_HOST}",
        "SERVED_OVER_HTTPS": "false",
        "ECR_REGISTRY": "",
        "BACKEND_IMAGE": images.backend_repository,
        "FRONTEND_IMAGE": images.frontend_repository,
        "IMAGE_TAG": FIRST,
        "LOG_GROUP_PREFIX": "/host-deploy/demo",
        "POSTGRES_DB": "host_deploy",
        "POSTGRES_USER": "app",
        "DJANGO_SECRET_KEY_ARN": "django-secret",
        "POSTGRES_PASSWORD_SECRET_ARN": "db-password",
        "READINESS_TOKEN_SECRET_ARN": "readiness-token",
        "BACKUP_S3_URI": f"s3://{BUCKET}/backups/postgres/",
        "HTTP_PORT": str(http_port),
        # Published even with no certificate (TLS_MODE unset: off): a free port, not the host's 443.
        "HTTPS_PORT": str(free_port()),
        # The memory test's users all sign in from one address: the credential throttles would refuse most.
        "AUTH_THROTTLE_RATE": "1000000/minute",
        "AUTH_ACCOUNT_THROTTLE_RATE": "1000000/minute",
    }


def write_host(project: Path, tools: Path, http_port: int, s3_endpoint: str, images: ProjectImages) -> dict[str, str]:
    """The files first boot leaves on the host, plus the local stand-ins for AWS and Docker."""
    settings = host_settings(http_port, s3_endpoint, images)
    (project / "host.env").write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    secrets = tools / "secrets.json"
    secrets.write_text(json.dumps(SECRETS))
    services = yaml_services(project)
    (project / "docker-compose.override.yml").write_text(
        LOGGING_OVERRIDE.format(
            services="\n".join(f"  {name}:\n    logging: !override\n      driver: k8s-file" for name in services)
        )
    )
    write_docker_shim(tools)
    fake_aws = tools / "aws"
    fake_aws.write_text(FAKE_AWS.replace("__SECRETS__", str(secrets)))
    fake_aws.chmod(0o755)
    environment = podman_environment(extra_path=tools)
    # A good container is ready in seconds here; the broken release needs not hold the test for deploy.sh's 120 s.
    environment["READY_TIMEOUT_SECONDS"] = "45"
    return environment


@pytest.fixture(scope="module")
def host(
    images: ProjectImages, host_project: Path, s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Host]:
    """The host after its first deploy (tag FIRST); everything the project created is removed afterwards."""
    http_port = free_port()
    environment = write_host(host_project, tmp_path_factory.mktemp("host-tools"), http_port, s3_endpoint, images)
    host = Host(host_project, http_port, environment)
    try:
        create_compose_network("host_deploy")
        first = host.deploy(FIRST)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-6000:]
        yield host
    finally:
        subprocess.run(
            [
                "docker",
                "compose",
                "-f",
                "docker-compose.prod.yml",
                "-f",
                "docker-compose.override.yml",
                "down",
                "--volumes",
                "--timeout",
                "5",
            ],
            cwd=host_project,
            env=environment,
            capture_output=True,
            timeout=300,
        )
        leftovers = podman("ps", "--all", "--quiet", "--filter", "label=com.docker.compose.project=host_deploy")
        for container in leftovers.stdout.split():
            podman("rm", "--force", container, check=False)
        podman("volume", "rm", "--force", "host_deploy_postgres-data", check=False)
        podman("network", "rm", "--force", "host_deploy_default", check=False)


def load_paths() -> dict[str, int]:
    """What the load requests: liveness, an API endpoint (anonymous: 401) and the frontend's home page.

    Not readiness: it reports whether the dependencies answered within their short timeouts (the broker's is two
    seconds), and on this VM podman pauses container traffic for seconds whenever a container starts or stops, so a
    correct 503 from the old container would count as a lost request. deploy.sh checks readiness itself.
    """
    return {"/api/health/": 200, "/api/auth/me/": 401, "/": 200}


def deploy_log(deployed: subprocess.CompletedProcess[str]) -> str:
    """deploy.sh's own lines (timed), without the container tools' output."""
    return "\n".join(line for line in deployed.stderr.splitlines() if line.startswith("deploy: "))


def last_json_line(output: str) -> dict:
    """deploy.sh's result: the last line on stdout."""
    return json.loads(output.strip().splitlines()[-1])


def test_backend_container_runs_unprivileged_and_answers_liveness(host: Host) -> None:
    """The web container runs as uid 1000 and answers liveness; readiness shows its checks' details only to a
    request carrying the token render-env.sh read from Secrets Manager."""
    web = podman(
        "ps",
        "--filter",
        "label=com.docker.compose.project=host_deploy",
        "--filter",
        "label=com.docker.compose.service=web",
        "--format",
        "{{.Names}}",
    ).stdout.split()[0]
    assert podman("exec", web, "id", "-u").stdout.strip() == "1000"
    status = podman(
        "exec",
        web,
        "python",
        "-c",
        "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8000/api/health/').status)",
    ).stdout.strip()
    assert status == "200"
    ready = f"http://127.0.0.1:{host.http_port}/api/health/ready/"
    plain = requests.get(ready, headers={"Host": SITE_HOST}, timeout=10).json()
    detailed = requests.get(
        ready, headers={"Host": SITE_HOST, "X-Readiness-Token": SECRETS["readiness-token"]}, timeout=10
    ).json()
    assert "detail" not in plain["components"]["database"]
    assert detailed["components"]["database"]["detail"] == "postgresql"


def answers_after_load(host: Host, users: list[dict[str, str]]) -> dict[str, bool]:
    """Whether each service still does its job: readiness through nginx (web, PostgreSQL, Redis), the frontend's page,
    a new websocket answering a ping, the worker answering Celery's ping, beat's process alive."""
    containers = {state.service: state.name for state in container_states(PROJECT_NAME)}
    socket = NotificationSockets(f"ws://127.0.0.1:{host.http_port}", f"http://{SITE_HOST}", users[:1])
    with socket:
        socket.ping()
    worker = podman("exec", containers["worker"], "celery", "-A", "config.celery", "inspect", "ping", check=False)
    beat = podman("exec", containers["beat"], "python", "-c", "import os; os.kill(1, 0)", check=False)
    with Load(host.http_port, {"/api/health/ready/": 200, "/": 200}, threads=1) as checks:
        while checks.ok + len(checks.failures) < 2:
            time.sleep(0.1)
    return {
        "nginx, web, postgres, redis, frontend": checks.failures == [],
        "websocket": socket.received.get("pong", 0) == 1,
        "worker": worker.returncode == 0 and "pong" in worker.stdout,
        "beat": beat.returncode == 0,
    }


def test_stack_within_its_memory_limits_survives_a_short_load(host: Host) -> None:
    limits = compose_memory_limits(host.app_dir / "docker-compose.prod.yml")
    assert sum(limits.values()) <= HOST_MEMORY_BUDGET_MIB, limits
    users = seed_users(host.app_dir, host.environment, LOAD_USERS)
    base_url = f"http://127.0.0.1:{host.http_port}"
    with (
        MemorySampler(PROJECT_NAME) as sampler,
        NotificationSockets(f"ws://127.0.0.1:{host.http_port}", f"http://{SITE_HOST}", users) as sockets,
        Load(host.http_port, {"/": 200}, threads=2) as pages,
    ):
        api = run_api_load(base_url, users, connections=LOAD_USERS, duration=LOAD_SECONDS)
        sockets.wait_for("file.processed", timeout=60)
    figures = sampler.figures()
    # The limits compose declares are the ones the containers run under.
    assert {row.service: round(row.limit) for row in figures} == limits
    states = container_states(PROJECT_NAME)
    assert [state for state in states if not state.healthy] == []
    assert api["server_errors"] == 0 and api["connection_errors"] == {}, api
    completed = api["endpoints"].get("complete", {"requests": 0, "statuses": {}})
    assert completed["requests"] > 0 and completed["statuses"] == {"200": completed["requests"]}, api
    assert pages.failures == [] and sockets.closed_early == [], (pages.failures[:10], sockets.closed_early)
    assert sockets.received.get("file.processed", 0) > 0, sockets.received
    assert answers_after_load(host, users) == dict.fromkeys(
        ("nginx, web, postgres, redis, frontend", "websocket", "worker", "beat"), True
    )
    print(f"\n{table(figures)}")
    # bench/host_memory.py reads this line.
    requests = sum(endpoint["requests"] for endpoint in api["endpoints"].values())
    print(f"\n{MEMORY_MARKER}{json.dumps({'services': [vars(row) for row in figures], 'api_requests': requests})}")


def test_deploy_new_tag_answers_every_request(host: Host, images: ProjectImages, base_images: dict[str, float]) -> None:
    started = time.monotonic()
    with Load(host.http_port, load_paths()) as load:
        deployed = host.deploy(SECOND)
    seconds = time.monotonic() - started
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-6000:]
    outcome = last_json_line(deployed.stdout)
    assert outcome == {
        "tag": SECOND,
        "previous_tag": FIRST,
        "migration_exit_code": 0,
        "status": "deployed",
        "failed": "",
    }
    assert load.failures == [], (load.failures[:20], deploy_log(deployed))
    assert load.ok > 50
    running = host.services_images()
    for service in ("nginx", "postgres", "redis"):
        assert len(running.pop(service)) == 1
    assert running and all(tags == [f"{tags[0].rsplit(':', 1)[0]}:{SECOND}"] for tags in running.values()), running
    assert set(running) == {"web", "websocket", "worker", "beat", "frontend"}
    release = (host.app_dir / "state" / "release.env").read_text()
    assert f"IMAGE_TAG={SECOND}\nPREVIOUS_IMAGE_TAG={FIRST}\n" in release
    figures = {
        "deploy_seconds": round(seconds, 1),
        "requests_answered": load.ok,
        "failed_requests": len(load.failures),
        "slowest_request_seconds": round(load.slowest_seconds, 1),
        "backend_image_mb": round(image_size_mb(images.backend)),
        "frontend_image_mb": round(image_size_mb(images.frontend)),
        "image_build_seconds": {name: round(value) for name, value in images.build_seconds.items()},
        "base_image_build_seconds": round(sum(base_images.values())),
    }
    # bench/ec2_deploy.py reads this line.
    print(f"\n{BENCH_MARKER}{json.dumps(figures)}")


def test_deploy_with_failing_readiness_restores_previous_tag(host: Host) -> None:
    with Load(host.http_port, load_paths()) as load:
        deployed = host.deploy(BROKEN)
    assert deployed.returncode != 0
    outcome = last_json_line(deployed.stdout)
    assert outcome["status"] == "rolled_back", outcome
    assert outcome["failed"] == "web readiness"
    assert outcome["migration_exit_code"] == 0
    assert load.failures == [], (load.failures[:20], deploy_log(deployed))
    images = host.services_images()
    for service in ("web", "websocket", "worker", "beat", "frontend"):
        assert [tag.rsplit(":", 1)[1] for tag in images[service]] == [SECOND], images
    assert f"IMAGE_TAG={SECOND}\n" in (host.app_dir / ".env").read_text()
    assert (host.app_dir / "state" / "release.env").read_text().startswith(f"IMAGE_TAG={SECOND}\n")


def test_manage_runs_a_command_on_the_current_tag(host: Host) -> None:
    result = subprocess.run(
        ["deploy/ec2/manage.sh", "showmigrations", "--plan"],
        cwd=host.app_dir,
        env=host.environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[X]" in result.stdout
    failing = subprocess.run(
        ["deploy/ec2/manage.sh", "no_such_command"],
        cwd=host.app_dir,
        env=host.environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert failing.returncode != 0


def test_redis_keeps_queued_work_across_a_restart(host: Host) -> None:
    redis = {state.service: state.name for state in container_states(PROJECT_NAME)}["redis"]
    assert podman("exec", redis, "redis-cli", "RPUSH", "djaws-restart-probe", "queued").stdout.strip() == "1"
    podman("restart", "--time", "10", redis)
    deadline = time.monotonic() + 60
    while podman("exec", redis, "redis-cli", "PING", check=False).stdout.strip() != "PONG":
        assert time.monotonic() < deadline, "redis did not come back"
        time.sleep(0.5)
    assert podman("exec", redis, "redis-cli", "LRANGE", "djaws-restart-probe", "0", "-1").stdout.split() == ["queued"]
    podman("exec", redis, "redis-cli", "DEL", "djaws-restart-probe")
