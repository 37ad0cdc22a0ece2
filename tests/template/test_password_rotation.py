"""The generated backend survives a rotation of the RDS-managed database password, for real.

The production web server (granian, ENVIRONMENT=prod) reads its database password from a secret in moto's
Secrets Manager (reached through AWS_ENDPOINT_URL) and connects to PostgreSQL 16 on loopback, where its
role must authenticate with that password. While a few threads keep it busy with database-backed requests,
and every request opens a new connection (DB_CONN_MAX_AGE=0), the password is rotated twice the way RDS
does it: the new value staged as AWSPENDING, the database's password changed, a second with connections
refused under the old one, then AWSCURRENT moved. No request may fail. Then the database gets a password
the secret does not hold: readiness answers 503 naming it, and Secrets Manager is not asked in a loop.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from support.commands import web_command
from support.processes import background
from support.projects import run, uv_environment
from support.s3 import EMULATOR_CREDENTIALS
from support.services import Services, free_port, postgres_bin_dir, wait_for_port
from werkzeug.serving import make_server

pytestmark = [pytest.mark.slow, pytest.mark.services]

BUCKET = "rotation-media-bucket"
WEB_WORKERS = 2
LOAD_THREADS = 3
# RDS changes the database's password a moment before it moves AWSCURRENT; connections opened in
# between are refused with the old password. Long enough here for every worker to open several.
ROTATION_WINDOW_SECONDS = 1.0
STEADY_LOAD_SECONDS = 1.5
# Readiness shows why the database fails only to requests carrying it.
READINESS_TOKEN = "rotation-" + uuid.uuid4().hex


@dataclass
class SecretsEmulator:
    """moto's server on loopback, counting the GetSecretValue calls it answers."""

    endpoint: str
    reads: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str) -> Any:
        """A boto3 client of the emulator, as the test's own AWS account."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=EMULATOR_CREDENTIALS["AWS_REGION"],
            aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def counting(self, app: Any) -> Any:
        """The emulator's WSGI app, counting GetSecretValue requests on their way in."""

        def counted(environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("HTTP_X_AMZ_TARGET") == "secretsmanager.GetSecretValue":
                with self.lock:
                    self.reads += 1
            return app(environ, start_response)

        return counted


@contextmanager
def secrets_emulator() -> Iterator[SecretsEmulator]:
    """moto on a loopback port (as ThreadedMotoServer serves it, plus the count); stopped on exit."""
    port = free_port()
    emulator = SecretsEmulator(endpoint=f"http://127.0.0.1:{port}")
    app = emulator.counting(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield emulator
    finally:
        server.shutdown()
        thread.join()


def rds_secret_value(username: str, password: str) -> str:
    """The secret's value as RDS writes it for a managed master password."""
    return json.dumps({"engine": "postgres", "username": username, "password": password})


@dataclass(frozen=True)
class PasswordRole:
    """A login role of the test server that must give its password over TCP, and its own database."""

    superuser_url: str
    name: str

    def sql(self, statement: str) -> str:
        """Run one statement as the superuser (psql from the server's own binaries)."""
        result = subprocess.run(
            [str(postgres_bin_dir() / "psql"), self.superuser_url, "-Atc", statement],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def set_password(self, password: str) -> None:
        """Change the role's password in the database only (the secret is the test's business)."""
        self.sql(f"ALTER ROLE {self.name} PASSWORD '{password}'")


@contextmanager
def password_role(services: Services, password: str) -> Iterator[PasswordRole]:
    """A role with a password on the session's server, which trusts every other role: pg_hba.conf gets
    one scram-sha-256 line for this role, removed again on exit."""
    role = PasswordRole(services.database_url, f"rotation_{uuid.uuid4().hex[:8]}")
    role.sql(f"CREATE ROLE {role.name} LOGIN PASSWORD '{password}'")
    role.sql(f"CREATE DATABASE {role.name} OWNER {role.name}")
    hba = Path(role.sql("SHOW hba_file"))
    trusting = hba.read_text()
    hba.write_text(f"host all {role.name} 127.0.0.1/32 scram-sha-256\n{trusting}")
    role.sql("SELECT pg_reload_conf()")
    try:
        yield role
    finally:
        hba.write_text(trusting)
        role.sql("SELECT pg_reload_conf()")


@dataclass
class Load:
    """Threads making database-backed requests until stopped, recording every outcome."""

    api: str
    headers: dict[str, str]
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def hammer(self, path: str, headers: dict[str, str]) -> None:
        """One thread's loop: GET the path until stopped; anything but 200 is a failure.

        A new HTTP connection each time, so requests spread over every web worker process.
        """
        while not self.stopping.is_set():
            try:
                response = requests.get(f"{self.api}{path}", headers=headers, timeout=10)
            except requests.RequestException as error:
                self.failures.append(f"{path}: {error}")
                continue
            self.outcomes[f"{path} {response.status_code}"] += 1
            if response.status_code != 200:
                self.failures.append(f"{path}: {response.status_code} {response.text[:300]}")

    @contextmanager
    def running(self) -> Iterator[None]:
        """The authenticated file list from all threads but one, which checks readiness (database included)."""
        paths = [("/files/", self.headers)] * (LOAD_THREADS - 1) + [("/health/ready/", {})]
        threads = [threading.Thread(target=self.hammer, args=path) for path in paths]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            self.stopping.set()
            for thread in threads:
                thread.join(timeout=30)


def rotate_like_rds(emulator: SecretsEmulator, secret_arn: str, role: PasswordRole, password: str) -> None:
    """createSecret, setSecret, finishSecret: the database changes before AWSCURRENT does."""
    secrets = emulator.client("secretsmanager")
    value = rds_secret_value(role.name, password)
    secrets.put_secret_value(SecretId=secret_arn, SecretString=value, VersionStages=["AWSPENDING"])
    role.set_password(password)
    time.sleep(ROTATION_WINDOW_SECONDS)
    # moto's update_secret_version_stage leaves get_secret_value on the old version; a new AWSCURRENT
    # version with the same value is what a client sees after the real finishSecret step.
    secrets.put_secret_value(SecretId=secret_arn, SecretString=value)


def test_rotation_under_load_fails_no_request(
    generated_projects: dict[str, Path],
    installed_backends: dict[str, Path],
    services: Services,
    tmp_path: Path,
) -> None:
    python = installed_backends["default"]
    backend = generated_projects["default"] / "backend"
    web_port = free_port()
    server = urlsplit(services.database_url)

    with ExitStack() as stack:
        role = stack.enter_context(password_role(services, "first-password"))
        emulator = stack.enter_context(secrets_emulator())
        emulator.client("s3").create_bucket(Bucket=BUCKET)
        secret_arn = emulator.client("secretsmanager").create_secret(
            Name=f"rds!db-{uuid.uuid4()}", SecretString=rds_secret_value(role.name, "first-password")
        )["ARN"]
        environment = {
            **uv_environment(),
            "ENVIRONMENT": "prod",
            "SECRET_KEY": "rotation-" + uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SERVED_OVER_HTTPS": "false",
            "DB_HOST": str(server.hostname),
            "DB_PORT": str(server.port),
            "DB_NAME": role.name,
            "DB_USER": role.name,
            "DB_PASSWORD_SECRET_ARN": secret_arn,
            "DB_REQUIRE_SSL": "false",
            # Every request opens its own connection, so connections are opened throughout the rotation.
            "DB_CONN_MAX_AGE": "0",
            "REDIS_URL": services.redis_url,
            "AWS_ENDPOINT_URL": emulator.endpoint,
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": emulator.endpoint,
            **EMULATOR_CREDENTIALS,
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(web_port),
            "WEB_CONCURRENCY": str(WEB_WORKERS),
            "PYTHONUNBUFFERED": "1",
            "READINESS_TOKEN": READINESS_TOKEN,
        }
        run([str(python), "manage.py", "migrate", "--noinput"], backend, env=environment)
        log = tmp_path / "web.log"
        web = stack.enter_context(background(web_command(python.parent), backend, environment, log))
        wait_for_port(web_port)
        api = f"http://127.0.0.1:{web_port}/api"
        ready = requests.get(f"{api}/health/ready/", timeout=10)
        assert ready.status_code == 200, ready.text
        credentials = {"email": "rotation@example.com", "password": "correct-horse-battery-staple"}
        assert requests.post(f"{api}/auth/register/", json=credentials, timeout=10).status_code == 201
        access = requests.post(f"{api}/auth/token/", json=credentials, timeout=10).json()["access"]

        load = Load(api, {"Authorization": f"Bearer {access}"})
        reads_before = emulator.reads
        started = time.monotonic()
        with load.running():
            time.sleep(STEADY_LOAD_SECONDS)
            rotate_like_rds(emulator, secret_arn, role, "second-password")
            time.sleep(STEADY_LOAD_SECONDS)
            rotate_like_rds(emulator, secret_arn, role, "third-password")
            time.sleep(STEADY_LOAD_SECONDS)
        elapsed = time.monotonic() - started
        reads_during_load = emulator.reads - reads_before
        requests_made = sum(load.outcomes.values())
        retried = log.read_text().count("database password was refused; using the secret's")
        print(
            f"rotation under load: {requests_made} requests in {elapsed:.1f} s, {len(load.failures)} failed, "
            f"{retried} connections retried, {reads_during_load} GetSecretValue calls; {dict(load.outcomes)}"
        )
        assert web.poll() is None, log.read_text()[-3000:]
        assert load.failures == [], load.failures[:5]
        assert requests_made > 30
        # The rotations really refused connections, and each was answered by one re-read of the secret.
        assert retried >= 1
        # Per worker: its first read (when warming up missed it), then AWSCURRENT and AWSPENDING per rotation.
        assert reads_during_load <= WEB_WORKERS * (1 + 2 * 2)

        # A password the secret does not hold: a clear failure, and no call per request to Secrets Manager.
        role.set_password("not-the-secret-value")
        reads_before = emulator.reads
        token = {"X-Readiness-Token": READINESS_TOKEN}
        answers = [requests.get(f"{api}/health/ready/", headers=token, timeout=10) for _ in range(20)]
        reads_while_refused = emulator.reads - reads_before
        print(f"wrong password: {len(answers)} readiness requests, {reads_while_refused} GetSecretValue calls")
        assert {answer.status_code for answer in answers} == {503}
        database = answers[-1].json()["components"]["database"]
        assert database["status"] == "error"
        assert "password authentication failed" in database["detail"]
        assert reads_while_refused <= WEB_WORKERS * 2
        assert requests.get(f"{api}/health/", timeout=10).status_code == 200
