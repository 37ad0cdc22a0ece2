"""The EC2 host's nginx configuration in every TLS state, checked by `nginx -t` in the nginx image's stand-in
(Debian's nginx, support.containers) with the files mounted where docker-compose.prod.yml mounts them.

deploy/ec2/tls.sh itself writes the state files nginx includes (state/nginx/tls.conf and http.conf) from host.env
and the certificate it finds: a self-signed one made here stands in for Let's Encrypt's and for a Cloudflare origin
certificate (which the fake `aws` serves from "Secrets Manager"). No certbot runs: with a certificate installed,
`tls.sh prepare` has nothing to ask for.
"""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from support.containers import NGINX, podman
from support.ec2_host import write_tools
from support.projects import OPTION_SETS_BY_NAME, OptionSet, generate_option_set

pytestmark = pytest.mark.xdist_group("containers")

DOMAIN = "shop.example.com"
OPTION_SETS = {
    "full": OptionSet(
        "ec2_nginx_full",
        {"project_name": "Nginx Full", "aws_deployment": "ec2-all-in-one", "frontend": "nextjs", "use_websocket": "y"},
    ),
    "no_frontend": OPTION_SETS_BY_NAME["ec2_no_frontend"],
}
UPSTREAMS = """upstream web { server 127.0.0.1:8000; }
upstream websocket { server 127.0.0.1:8001; }
upstream frontend { server 127.0.0.1:3000; }
"""


def self_signed_pem() -> str:
    """A certificate for DOMAIN and its key, in one PEM text as tls.sh installs it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(DOMAIN)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    ).decode()


def prepare(project: Path, tools: Path, mode: str) -> subprocess.CompletedProcess[str]:
    """host.env for `mode`, then deploy/ec2/tls.sh prepare as deploy.sh runs it."""
    pem = self_signed_pem()
    settings = {
        "COMPOSE_PROJECT_NAME": "nginx_config",
        "AWS_REGION": "us-east-1",
        "DOMAIN_NAME": DOMAIN,
        "TLS_MODE": mode,
        "ACME_EMAIL": "",
        "ACME_DIRECTORY_URL": "https://acme.invalid/dir",
        "TLS_CERTIFICATE_SECRET_ARN": "tls-certificate",
    }
    (project / "host.env").write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    if mode == "letsencrypt":
        # What an earlier issuance left: the certificate, and the domain it is for.
        (project / "state/tls").mkdir(parents=True, exist_ok=True)
        (project / "state/tls/site.pem").write_text(pem)
        (project / "state/tls/domain").write_text(f"{DOMAIN}\n")
    environment = write_tools(tools, {"tls-certificate": pem})
    return subprocess.run(
        ["bash", "deploy/ec2/tls.sh", "prepare"], cwd=project, env=environment, capture_output=True, text=True
    )


def nginx_test(project: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` with every file mounted as the compose file mounts it for the nginx service."""
    compose = yaml.safe_load((project / "docker-compose.prod.yml").read_text())
    mounts = []
    for volume in compose["services"]["nginx"]["volumes"]:
        source, target, *options = volume.split(":")
        mounts += ["--volume", ":".join([str((project / source).resolve()), target, *options])]
    return podman("run", "--rm", "--network", "none", *mounts, NGINX, "nginx", "-t", check=False)


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory, base_images: dict[str, float]) -> dict[str, Path]:
    """The option sets rendered once; each test works on its own copy."""
    return {
        name: generate_option_set(option_set, tmp_path_factory.mktemp(name)) for name, option_set in OPTION_SETS.items()
    }


@pytest.fixture
def project(request: pytest.FixtureRequest, projects: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the rendered project with the upstreams deploy.sh would write (loopback addresses, so `nginx -t`
    needs no other container), and the directories deploy.sh makes."""
    copy = tmp_path / "project"
    subprocess.run(["cp", "-a", str(projects[request.param]), str(copy)], check=True)
    (copy / "state/nginx").mkdir(parents=True)
    (copy / "state/nginx/upstreams.conf").write_text(UPSTREAMS)
    return copy


@pytest.mark.parametrize("project", list(OPTION_SETS), indirect=True)
@pytest.mark.parametrize("mode", ["off", "letsencrypt", "cloudflare"])
def test_nginx_accepts_the_configuration_in_every_tls_mode(project: Path, tmp_path: Path, mode: str) -> None:
    prepared = prepare(project, tmp_path / "tools", mode)
    assert prepared.returncode == 0, prepared.stderr
    tested = nginx_test(project)
    assert tested.returncode == 0, tested.stderr
    assert "test is successful" in tested.stderr
    tls = (project / "state/nginx/tls.conf").read_text()
    http = (project / "state/nginx/http.conf").read_text()
    if mode == "off":
        assert "listen 443" not in tls and "include /etc/nginx/site.conf;" in http
    else:
        assert "listen 443 ssl default_server;" in tls and "return 301 https://$host$request_uri;" in http
    assert ("real_ip_header CF-Connecting-IP;" in tls) == (mode == "cloudflare")


@pytest.mark.parametrize("project", ["full"], indirect=True)
def test_https_without_its_certificate_is_refused_by_nginx(project: Path, tmp_path: Path) -> None:
    """Why tls.sh writes the HTTPS server only next to a certificate: without one nginx refuses the whole config."""
    assert prepare(project, tmp_path / "tools", "letsencrypt").returncode == 0
    (project / "state/tls/site.pem").unlink()
    tested = nginx_test(project)
    assert tested.returncode != 0
    assert "site.pem" in tested.stderr


@pytest.mark.parametrize("project", ["full"], indirect=True)
def test_an_empty_certificate_secret_leaves_the_site_on_http(project: Path, tmp_path: Path) -> None:
    """Cloudflare mode before the certificate is stored: HTTP serves, nothing redirects."""
    environment = write_tools(tmp_path / "tools", {})
    (project / "host.env").write_text(
        f"COMPOSE_PROJECT_NAME=nginx_config\nAWS_REGION=us-east-1\nDOMAIN_NAME={DOMAIN}\nTLS_MODE=cloudflare\n"
        "TLS_CERTIFICATE_SECRET_ARN=tls-certificate\n"
    )
    prepared = subprocess.run(
        ["bash", "deploy/ec2/tls.sh", "prepare"], cwd=project, env=environment, capture_output=True, text=True
    )
    assert prepared.returncode == 0, prepared.stderr
    assert "the site stays on HTTP" in prepared.stderr
    assert "include /etc/nginx/site.conf;" in (project / "state/nginx/http.conf").read_text()
    assert nginx_test(project).returncode == 0
    serving = subprocess.run(
        ["bash", "deploy/ec2/tls.sh", "serving"], cwd=project, env=environment, capture_output=True, text=True
    )
    assert serving.returncode == 1
