"""HTTPS on the EC2 all-in-one host, for real with containers and a local ACME server standing in for Let's Encrypt.

A generated ec2-all-in-one project runs as in test_ec2_host_deploy.py (podman for Docker, the session's images, a
fake `aws` serving the secrets, moto for S3), with TLS_MODE=letsencrypt. Pebble (Debian's package, the ACME test
server Let's Encrypt publishes) listens on the project network's gateway, where the certbot container reaches it;
pebble-challtestsrv answers its DNS queries with 127.0.0.1, so pebble validates http-01 challenges through the port
nginx (or certbot's own server) is published on, as Let's Encrypt does through the domain's A record. certbot
trusts pebble's API through REQUESTS_CA_BUNDLE; the test's HTTPS client trusts the root pebble issues from.

In order: the first deploy cannot reach the ACME server, and the site stays on plain HTTP (no redirect to a port
that serves nothing, the app not told HTTPS); once it can, the twice-daily `tls.sh renew` gets the first
certificate and redeploys, and the site is served over HTTPS with HTTP redirecting; a renewal replaces the served
certificate while requests keep being answered; before nginx ever ran (a new host), certbot answers the challenge
itself.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from support.containers import ProjectImages, podman
from support.ec2_host import (
    create_compose_network,
    logging_override,
    network_gateway,
    remove_compose_project,
    write_tools,
)
from support.projects import OptionSet, generate_option_set
from support.s3 import s3_emulator
from support.services import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("containers")]

PROJECT = OptionSet(
    "ec2_https", {"project_name": "Https Host", "aws_deployment": "ec2-all-in-one", "frontend": "nextjs"}
)
COMPOSE_PROJECT = "https_host"
DOMAIN = "shop.djaws.test"
TAG = "https-1"
BUCKET = "https-host-media"
SECRETS = {"django-secret": "s" * 50, "db-password": "https-host-db-password"}
REQUEST_TIMEOUT_SECONDS = 120
# How long after a renewal the served certificate may take to change (nginx reloads gracefully).
RENEWED_WITHIN_SECONDS = 60

# certbot trusts the ACME server's own certificate (made here) through this mount.
CERTBOT_OVERRIDE = """
  certbot:
    environment:
      REQUESTS_CA_BUNDLE: /acme-ca/ca.pem
    volumes:
      - {ca_dir}:/acme-ca:ro
"""


def make_certificate_authority(directory: Path, addresses: list[str]) -> Path:
    """A CA and a certificate it signs for `addresses` (pebble's API); returns the CA file."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "djaws test ACME API CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pebble")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address)) for address in addresses]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return directory / "ca.pem"


@dataclass
class AcmeServer:
    """Pebble and its DNS, started when a test says so, on the project network's gateway and loopback."""

    directory: Path
    http_port: int
    acme_port: int = field(default_factory=free_port)
    management_port: int = field(default_factory=free_port)
    dns_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    gateway: str = ""

    @property
    def ca_file(self) -> Path:
        """The CA of pebble's own API certificate (certbot trusts it)."""
        return self.directory / "ca.pem"

    @property
    def directory_url(self) -> str:
        """ACME_DIRECTORY_URL: set before pebble starts, as an unreachable server is part of the story."""
        return f"https://{self.gateway}:{self.acme_port}/dir"

    def start(self) -> None:
        """challtestsrv answers every A query with 127.0.0.1; pebble validates through the published HTTP port."""
        make_certificate_authority(self.directory, [self.gateway, "127.0.0.1"])
        config = {
            "pebble": {
                "listenAddress": f"{self.gateway}:{self.acme_port}",
                "managementListenAddress": f"127.0.0.1:{self.management_port}",
                "certificate": str(self.directory / "cert.pem"),
                "privateKey": str(self.directory / "key.pem"),
                "httpPort": self.http_port,
                "tlsPort": free_port(),
                "ocspResponderURL": "",
                "externalAccountBindingRequired": False,
            }
        }
        (self.directory / "pebble.json").write_text(json.dumps(config))
        log = (self.directory / "acme.log").open("ab")
        self.processes.append(
            subprocess.Popen(
                [
                    "pebble-challtestsrv",
                    "-dns01",
                    f"127.0.0.1:{self.dns_port}",
                    "-http01",
                    "",
                    "-https01",
                    "",
                    "-tlsalpn01",
                    "",
                    "-management",
                    f"127.0.0.1:{free_port()}",
                    "-defaultIPv4",
                    "127.0.0.1",
                    "-defaultIPv6",
                    "",
                ],
                stdout=log,
                stderr=log,
            )
        )
        environment = {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PATH": "/usr/bin:/bin"}
        self.processes.append(
            subprocess.Popen(
                ["pebble", "-config", str(self.directory / "pebble.json"), "-dnsserver", f"127.0.0.1:{self.dns_port}"],
                stdout=log,
                stderr=log,
                env=environment,
            )
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.root()
                return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"pebble did not start: {(self.directory / 'acme.log').read_text()[-3000:]}")

    def root(self) -> str:
        """The root pebble issues certificates from (its management API, /roots/0)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        with urllib.request.urlopen(f"https://127.0.0.1:{self.management_port}/roots/0", context=context) as answer:
            return answer.read().decode()

    def stop(self) -> None:
        """Stop pebble and its DNS by PID."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


@dataclass
class Host:
    """The host directory, its ports and the environment its scripts run in."""

    app_dir: Path
    http_port: int
    https_port: int
    environment: dict[str, str]

    def run(self, *command: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """Run a host script as SSM or cron would, from the app directory."""
        return subprocess.run(
            list(command), cwd=self.app_dir, env=self.environment, capture_output=True, text=True, timeout=timeout
        )

    def env_value(self, name: str) -> str:
        """A setting of the .env the app containers start with."""
        match = re.search(rf"^{name}=(.*)$", (self.app_dir / ".env").read_text(), re.MULTILINE)
        assert match, f"{name} is not in .env"
        return match.group(1)

    def http(self, path: str) -> http.client.HTTPResponse:
        """GET through nginx's port 80 with the site's name, redirects not followed."""
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=REQUEST_TIMEOUT_SECONDS)
        connection.request("GET", path, headers={"Host": DOMAIN})
        response = connection.getresponse()
        response.read()
        connection.close()
        return response


@dataclass
class HttpsAnswer:
    """What an HTTPS request through nginx got: status, headers and the served certificate's serial."""

    status: int
    headers: dict[str, str]
    serial: int


def https_get(port: int, path: str, root: str) -> HttpsAnswer:
    """GET https://DOMAIN:port/path at 127.0.0.1 (SNI and Host are the domain), trusting only pebble's root."""
    context = ssl.create_default_context(cadata=root)
    raw = socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT_SECONDS)
    tls = context.wrap_socket(raw, server_hostname=DOMAIN)
    served = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
    connection = http.client.HTTPSConnection(DOMAIN, port, timeout=REQUEST_TIMEOUT_SECONDS, context=context)
    connection.sock = tls
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return HttpsAnswer(
            response.status, {key.lower(): value for key, value in response.getheaders()}, served.serial_number
        )
    finally:
        connection.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated ec2-all-in-one project with the Next.js frontend."""
    return generate_option_set(PROJECT, tmp_path_factory.mktemp("ec2-https"))


@pytest.fixture(scope="module")
def images(built_images: ProjectImages) -> Iterator[ProjectImages]:
    """The session's images under this module's tag."""
    for repository in (built_images.backend_repository, built_images.frontend_repository):
        podman("tag", f"{repository}:{built_images.tag}", f"{repository}:{TAG}")
    yield built_images
    for repository in (built_images.backend_repository, built_images.frontend_repository):
        podman("rmi", "--force", f"{repository}:{TAG}", check=False)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto on all interfaces, reached from the containers at the host's address."""
    with s3_emulator(BUCKET, reachable_from_containers=True) as endpoint:
        yield endpoint


def host_settings(http_port: int, https_port: int, s3_endpoint: str, images: ProjectImages, acme: AcmeServer) -> str:
    """host.env as Terraform writes it with tls_mode = letsencrypt, pointed at local stand-ins."""
    settings = {
        "COMPOSE_PROJECT_NAME": COMPOSE_PROJECT,
        "ENVIRONMENT": "demo",
        "AWS_REGION": "us-east-1",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "ALLOWED_HOSTS": f"{DOMAIN},127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"http://{DOMAIN}",
        "SITE_URL": f"http://{DOMAIN}",
        "SERVED_OVER_HTTPS": "false",
        "DOMAIN_NAME": DOMAIN,
        "TLS_MODE": "letsencrypt",
        "ACME_EMAIL": "",
        "ACME_DIRECTORY_URL": acme.directory_url,
        "TLS_CERTIFICATE_SECRET_ARN": "",
        "ECR_REGISTRY": "",
        "BACKEND_IMAGE": images.backend_repository,
        "FRONTEND_IMAGE": images.frontend_repository,
        "IMAGE_TAG": TAG,
        "LOG_GROUP_PREFIX": "/https-host/demo",
        "POSTGRES_DB": "https_host",
        "POSTGRES_USER": "app",
        "DJANGO_SECRET_KEY_ARN": "django-secret",
        "POSTGRES_PASSWORD_SECRET_ARN": "db-password",
        "BACKUP_S3_URI": f"s3://{BUCKET}/backups/postgres/",
        "HTTP_PORT": str(http_port),
        "HTTPS_PORT": str(https_port),
        "WEB_CONCURRENCY": "1",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AcmeServer]:
    """The ACME server, not started yet; stopped after the module."""
    server = AcmeServer(tmp_path_factory.mktemp("acme"), http_port=free_port())
    yield server
    if server.processes:
        server.stop()


@pytest.fixture(scope="module")
def host(
    images: ProjectImages,
    project: Path,
    s3_endpoint: str,
    acme: AcmeServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Host]:
    """The host after its first deploy, made while the ACME server was unreachable; removed afterwards."""
    environment = write_tools(tmp_path_factory.mktemp("https-tools"), SECRETS)
    environment["READY_TIMEOUT_SECONDS"] = "60"
    host = Host(project, acme.http_port, free_port(), environment)
    try:
        create_compose_network(COMPOSE_PROJECT)
        acme.gateway = network_gateway(COMPOSE_PROJECT)
        (project / "host.env").write_text(host_settings(host.http_port, host.https_port, s3_endpoint, images, acme))
        (project / "docker-compose.override.yml").write_text(
            logging_override(project) + CERTBOT_OVERRIDE.format(ca_dir=acme.directory)
        )
        first = host.run("deploy/ec2/deploy.sh", TAG)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-6000:]
        yield host
    finally:
        remove_compose_project(COMPOSE_PROJECT)
        # certbot and the containers write as root into the state directory.
        shutil.rmtree(project / "state", ignore_errors=True)


@pytest.fixture(scope="module")
def first_certificate(host: Host, acme: AcmeServer) -> subprocess.CompletedProcess[str]:
    """The ACME server comes up; the next twice-daily renewal run gets the first certificate."""
    acme.start()
    return host.run("bash", "deploy/ec2/tls.sh", "renew")


def test_without_a_certificate_the_site_stays_on_plain_http(host: Host) -> None:
    assert host.http("/api/health/ready/").status == 200, "HTTP serves the site, it does not redirect"
    assert host.http("/").status == 200
    assert host.env_value("SERVED_OVER_HTTPS") == "false"
    assert host.env_value("CSRF_TRUSTED_ORIGINS") == f"http://{DOMAIN}"
    assert "include /etc/nginx/site.conf;" in (host.app_dir / "state/nginx/http.conf").read_text()
    assert "listen 443" not in (host.app_dir / "state/nginx/tls.conf").read_text()
    assert not (host.app_dir / "state/tls/site.pem").exists()


def test_first_certificate_turns_https_on_and_http_redirects(
    host: Host, acme: AcmeServer, first_certificate: subprocess.CompletedProcess[str]
) -> None:
    assert first_certificate.returncode == 0, first_certificate.stderr[-6000:]
    assert "first certificate: redeploying" in first_certificate.stderr
    root = acme.root()
    ready = https_get(host.https_port, "/api/health/ready/", root)
    assert ready.status == 200
    # Django knows it is served over HTTPS: it sends HSTS (only on secure requests).
    assert ready.headers["strict-transport-security"].startswith("max-age=")
    assert https_get(host.https_port, "/", root).status == 200, "the frontend over HTTPS"
    redirect = host.http("/api/auth/me/?next=1")
    assert redirect.status == 301
    assert redirect.getheader("Location") == f"https://{DOMAIN}/api/auth/me/?next=1"
    challenge = host.http("/.well-known/acme-challenge/not-a-token")
    assert challenge.status == 404, "ACME challenges stay on HTTP"
    assert host.env_value("SERVED_OVER_HTTPS") == "true"
    assert host.env_value("SITE_URL") == f"https://{DOMAIN}"
    assert host.env_value("CSRF_TRUSTED_ORIGINS") == f"https://{DOMAIN}"
    assert (host.app_dir / "state/tls/site.pem").stat().st_mode & 0o077 == 0, "the key is readable by root only"


def test_renewal_replaces_the_served_certificate_while_requests_are_answered(
    host: Host, acme: AcmeServer, first_certificate: subprocess.CompletedProcess[str]
) -> None:
    root = acme.root()
    before = https_get(host.https_port, "/api/health/ready/", root).serial
    # Pebble's certificates live five years; certbot's own setting makes this one due now.
    renewal = host.app_dir / "state/letsencrypt/renewal/site.conf"
    settings = re.sub(r"(?m)^renew_before_expiry.*\n", "", renewal.read_text())
    # A top-level key: it goes before the [renewalparams] section.
    renewal.write_text(f"renew_before_expiry = 3000 days\n{settings}")
    failures: list[str] = []
    # The certificate each answered request was served with, in order.
    served: list[int] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                answer = https_get(host.https_port, "/api/health/ready/", root)
                if answer.status == 200:
                    served.append(answer.serial)
                else:
                    failures.append(str(answer.status))
            # Any failure is counted; none may end the load thread silently.
            except Exception as error:
                failures.append(f"{type(error).__name__}: {error}")
            time.sleep(0.05)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    deadline = time.monotonic() + RENEWED_WITHIN_SECONDS
    while not served and not failures and time.monotonic() < deadline:
        time.sleep(0.05)  # the load is answered before the renewal starts
    renewed = host.run("bash", "deploy/ec2/tls.sh", "renew")
    # The load goes on until it has been answered with the renewed certificate (nginx's reload is
    # graceful, so old workers may still answer for a moment): it then spans the whole switch.
    deadline = time.monotonic() + RENEWED_WITHIN_SECONDS
    while renewed.returncode == 0 and not any(serial != before for serial in served) and not failures:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    stop.set()
    worker.join(timeout=REQUEST_TIMEOUT_SECONDS)
    assert renewed.returncode == 0, renewed.stderr[-6000:]
    assert failures == []
    assert served and served[0] == before, "the load was answered before the renewal"
    assert any(serial != before for serial in served), "nginx serves the renewed certificate"
    after = https_get(host.https_port, "/api/health/ready/", root).serial
    assert after != before


def test_before_nginx_ever_ran_certbot_answers_the_challenge_itself(
    host: Host, acme: AcmeServer, first_certificate: subprocess.CompletedProcess[str]
) -> None:
    """A new host's first deploy: nothing holds port 80 yet, so certbot serves the challenge (--standalone)."""
    nginx = podman(
        "ps",
        "--quiet",
        "--filter",
        f"label=com.docker.compose.project={COMPOSE_PROJECT}",
        "--filter",
        "label=com.docker.compose.service=nginx",
    ).stdout.split()
    for container in nginx:
        podman("rm", "--force", container)
    shutil.rmtree(host.app_dir / "state/letsencrypt")
    (host.app_dir / "state/tls/site.pem").unlink()
    prepared = host.run("bash", "deploy/ec2/tls.sh", "prepare")
    assert prepared.returncode == 0, prepared.stderr[-6000:]
    assert "(standalone)" in prepared.stderr
    assert host.run("bash", "deploy/ec2/tls.sh", "serving").returncode == 0
    certificate = x509.load_pem_x509_certificate((host.app_dir / "state/tls/site.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == [DOMAIN]
