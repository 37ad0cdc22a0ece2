"""The default project's images, run the way production runs them: hardened, with production settings.

The session's backend and frontend images (conftest.py) run under podman with a read-only root file system and a
tmpfs at /tmp, every capability dropped and no-new-privileges. The backend runs `python -m config.server` (granian)
with ENVIRONMENT=prod on the session's PostgreSQL and Redis and S3 from moto, after its migrations ran in a one-off
container as a deploy runs them. Both containers share the host's network, so they reach those loopback servers.

Neither needs more than that to write: the backend writes nothing at all while serving (Celery beat's schedule file
defaults to /tmp); Next's standalone server writes only to .next/cache, and only for image optimisation and
incremental regeneration, which the generated frontend does not use.
"""

from __future__ import annotations

import re
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from support.backend import create_database, production_settings
from support.containers import ProjectImages, podman
from support.image_layers import RUNTIME_BASES, image_sizes
from support.measure import wait_healthy
from support.s3 import EMULATOR_CREDENTIALS, s3_emulator
from support.services import Services, free_port

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.xdist_group("containers")]

HARDENED = (
    "--network=host",
    "--read-only",
    "--tmpfs=/tmp",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
)
BUCKET = "images-media"
LIVENESS_PATH = "/api/health/"
ADMIN_LOGIN_PATH = "/api/admin/login/"
ONE_YEAR_SECONDS = 365 * 24 * 60 * 60
STARTUP_TIMEOUT_SECONDS = 90
SCRIPT_TYPES = ("text/javascript", "application/javascript")


@dataclass(frozen=True)
class Container:
    """A running container and where it serves HTTP."""

    name: str
    url: str

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a command inside the container (not checked: some are expected to fail)."""
        return podman("exec", self.name, *command, check=False)


@dataclass(frozen=True)
class Response:
    """What a GET answered."""

    status: int
    headers: dict[str, str]
    body: str


class AssetLinks(HTMLParser):
    """The stylesheets and scripts a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "link" and attributes.get("rel") == "stylesheet" and attributes.get("href"):
            self.stylesheets.append(attributes["href"] or "")
        elif tag == "script" and attributes.get("src"):
            self.scripts.append(attributes["src"] or "")


def get(url: str) -> Response:
    """GET a URL; error statuses are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read().decode())
    except urllib.error.HTTPError as error:
        return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode())


def asset_links(html: str) -> AssetLinks:
    """Parse a page for its stylesheets and scripts."""
    links = AssetLinks()
    links.feed(html)
    return links


def hardened_run(name: str, image: str, environment: dict[str, str], *arguments: str) -> tuple[str, ...]:
    """`podman run` arguments for the image as production runs it: read-only, no capabilities, non-root."""
    variables = [argument for key, value in environment.items() for argument in ("--env", f"{key}={value}")]
    return ("run", "--name", name, *HARDENED, *variables, *arguments, image)


@contextmanager
def running_container(
    name: str, image: str, environment: dict[str, str], port: int, health: str
) -> Iterator[Container]:
    """Start a hardened container in the background, wait until `health` answers, and remove it whatever happens."""
    container = Container(name, f"http://127.0.0.1:{port}")
    try:
        podman(*hardened_run(name, image, environment, "--detach"))
        try:
            wait_healthy(container.url + health, timeout=STARTUP_TIMEOUT_SECONDS)
        except TimeoutError as error:
            logs = podman("logs", name, check=False)
            raise AssertionError(f"{name} never answered:\n{(logs.stdout + logs.stderr)[-4000:]}") from error
        yield container
    finally:
        podman("rm", "--force", "--time", "5", name, check=False)


@pytest.fixture(scope="module")
def container_prefix() -> str:
    """Names this module's containers, apart from anyone else's on the shared podman."""
    return f"djaws-images-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto on loopback with the media bucket."""
    with s3_emulator(BUCKET) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def backend_environment(services: Services, s3_endpoint: str) -> dict[str, str]:
    """Production settings as the task definition gives them, pointed at loopback servers and plain HTTP."""
    return {
        **production_settings(create_database(services.database_url), services.redis_url, BUCKET),
        "DEBUG": "false",
        "SERVED_OVER_HTTPS": "false",
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        **EMULATOR_CREDENTIALS,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(free_port()),
    }


@pytest.fixture(scope="module")
def backend(
    built_images: ProjectImages, backend_environment: dict[str, str], container_prefix: str
) -> Iterator[Container]:
    """The web process after a one-off migration container, both hardened like the service."""
    migrate = hardened_run(f"{container_prefix}-migrate", built_images.backend, backend_environment, "--rm")
    podman(*migrate, "python", "manage.py", "migrate", "--noinput", timeout=300)
    port = int(backend_environment["WEB_PORT"])
    with running_container(
        f"{container_prefix}-web", built_images.backend, backend_environment, port, LIVENESS_PATH
    ) as web:
        yield web


@pytest.fixture(scope="module")
def frontend(built_images: ProjectImages, container_prefix: str) -> Iterator[Container]:
    """Next's standalone server on a loopback port."""
    port = free_port()
    environment = {"HOSTNAME": "127.0.0.1", "PORT": str(port)}
    with running_container(
        f"{container_prefix}-frontend", built_images.frontend, environment, port, "/healthz"
    ) as server:
        yield server


def test_backend_answers_liveness(backend: Container) -> None:
    assert get(backend.url + LIVENESS_PATH).status == 200


def test_admin_login_page_loads_its_stylesheets_and_scripts(backend: Container) -> None:
    # A 500 here is what an image whose collectstatic wrote no manifest gives (WhiteNoise's manifest storage).
    page = get(backend.url + ADMIN_LOGIN_PATH)
    assert page.status == 200, page.body[:500]
    links = asset_links(page.body)
    assert links.stylesheets and links.scripts, page.body[:2000]
    for path in links.stylesheets:
        answer = get(backend.url + path)
        assert (answer.status, answer.headers["content-type"].split(";")[0]) == (200, "text/css"), path
    for path in links.scripts:
        answer = get(backend.url + path)
        assert answer.status == 200, path
        assert answer.headers["content-type"].split(";")[0] in SCRIPT_TYPES, (path, answer.headers)


def test_hashed_static_file_is_cached_for_a_year(backend: Container) -> None:
    hashed = asset_links(get(backend.url + ADMIN_LOGIN_PATH).body).stylesheets
    assert hashed and all(re.search(r"\.[0-9a-f]{12}\.css$", path) for path in hashed), hashed
    cache_control = get(backend.url + hashed[0]).headers["cache-control"]
    max_age = re.search(r"max-age=(\d+)", cache_control)
    assert max_age and int(max_age.group(1)) >= ONE_YEAR_SECONDS and "immutable" in cache_control, cache_control


def test_frontend_serves_home_page_and_its_static_assets(frontend: Container) -> None:
    page = get(frontend.url + "/")
    assert page.status == 200
    links = asset_links(page.body)
    assets = [path for path in (*links.stylesheets, *links.scripts) if path.startswith("/_next/static/")]
    assert links.stylesheets and assets, page.body[:2000]
    for path in assets:
        assert get(frontend.url + path).status == 200, path


@pytest.mark.parametrize("service", ["backend", "frontend"])
def test_container_runs_unprivileged_on_read_only_root(service: str, request: pytest.FixtureRequest) -> None:
    container: Container = request.getfixturevalue(service)
    assert container.exec("id", "-u").stdout.strip() not in ("", "0")
    status = dict(
        line.split(":", 1) for line in container.exec("cat", "/proc/1/status").stdout.splitlines() if ":" in line
    )
    assert "0" not in status["Uid"].split(), status["Uid"]
    assert int(status["CapEff"], 16) == 0 and status["NoNewPrivs"].strip() == "1"
    for path in ("/probe", "/app/probe"):
        written = container.exec("touch", path)
        assert written.returncode != 0 and "Read-only file system" in written.stderr, (path, written.stderr)
    assert container.exec("touch", "/tmp/probe").returncode == 0


# What the project's own layers of each image may weigh, in MB: ~25% over what bench/image_sizes.py measures
# (backend 138: the virtualenv with its bytecode, 133, and the app with its hashed static files; frontend 20: Next's
# standalone server without sharp). A dependency added by accident, a copied node_modules or build tools in the
# final stage go over it.
PROJECT_LAYERS_BUDGET_MB = {"backend": 175, "frontend": 25}


@pytest.mark.parametrize("image", ["backend", "frontend"])
def test_project_layers_stay_within_their_size_budget(built_images: ProjectImages, image: str) -> None:
    sizes = image_sizes(getattr(built_images, image), RUNTIME_BASES[image])
    layers = [(round(layer.size_mb, 1), layer.created_by[:100]) for layer in sizes.project_layers]
    assert sizes.project_mb <= PROJECT_LAYERS_BUDGET_MB[image], layers
