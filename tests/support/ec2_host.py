"""An EC2 all-in-one host directory on this machine, for tests that run the generated host scripts unchanged.

The scripts (deploy/ec2/*.sh) call `docker` (support.containers' shim onto podman) and `aws`; here `aws` is a
stand-in that serves secrets from a local JSON file, finds no deploy bundle in S3 and has no registry password.
podman has no awslogs driver, so an override file gives every service a local log driver.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml
from support.containers import podman, podman_environment, write_docker_shim

# The `aws` calls the host scripts make: no deploy bundle in S3, no registry password, secrets from a local file.
FAKE_AWS = """#!/bin/bash
set -euo pipefail
case "$1 $2" in
    "s3 ls") exit 1 ;;
    "ecr get-login-password") echo local ;;
    "secretsmanager get-secret-value")
        secret_id="$(sed -n 's/.*--secret-id \\([^ ]*\\).*/\\1/p' <<< "$*")"
        python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "__SECRETS__" "$secret_id" ;;
    *) echo "fake aws: unexpected call: $*" >&2; exit 1 ;;
esac
"""

# podman has no awslogs driver; production keeps awslogs.
LOGGING_OVERRIDE = """services:
{services}
"""


def yaml_services(project: Path) -> list[str]:
    """Every service of the rendered docker-compose.prod.yml, those behind a profile included."""
    return list(yaml.safe_load((project / "docker-compose.prod.yml").read_text())["services"])


def logging_override(project: Path) -> str:
    """An override giving every service podman's local log driver."""
    services = yaml_services(project)
    return LOGGING_OVERRIDE.format(
        services="\n".join(f"  {name}:\n    logging: !override\n      driver: k8s-file" for name in services)
    )


def write_tools(tools: Path, secrets: dict[str, str]) -> dict[str, str]:
    """The `docker` shim and the fake `aws` in `tools`; the environment the host scripts run in."""
    tools.mkdir(parents=True, exist_ok=True)
    secrets_file = tools / "secrets.json"
    secrets_file.write_text(json.dumps(secrets))
    write_docker_shim(tools)
    fake_aws = tools / "aws"
    fake_aws.write_text(FAKE_AWS.replace("__SECRETS__", str(secrets_file)))
    fake_aws.chmod(0o755)
    return podman_environment(extra_path=tools)


def create_compose_network(project_name: str) -> None:
    """The network compose would create, made first: `podman network create` failed once here for no lasting
    reason (exit 125), which podman-compose does not retry; what deploy.sh does is unchanged."""
    network = f"{project_name}_default"
    for attempt in range(3):
        podman("network", "rm", "--force", network, check=False)
        created = podman(
            "network",
            "create",
            "--label",
            f"io.podman.compose.project={project_name}",
            "--label",
            f"com.docker.compose.project={project_name}",
            network,
            check=False,
        )
        if created.returncode == 0:
            return
        time.sleep(2 * (attempt + 1))
    raise AssertionError(f"podman network create failed: {created.stderr[-2000:]}")


def network_gateway(project_name: str) -> str:
    """The host's address on the project's network: what containers reach the host at."""
    inspected = json.loads(podman("network", "inspect", f"{project_name}_default").stdout)[0]
    return inspected["subnets"][0]["gateway"]


def remove_compose_project(project_name: str) -> None:
    """Every container, volume and network of the compose project, gone."""
    leftovers = podman("ps", "--all", "--quiet", "--filter", f"label=com.docker.compose.project={project_name}")
    for container in leftovers.stdout.split():
        podman("rm", "--force", container, check=False)
    volumes = podman("volume", "ls", "--quiet", "--filter", f"label=com.docker.compose.project={project_name}")
    for volume in volumes.stdout.split():
        podman("volume", "rm", "--force", volume, check=False)
    podman("volume", "rm", "--force", f"{project_name}_postgres-data", check=False)
    podman("network", "rm", "--force", f"{project_name}_default", check=False)
