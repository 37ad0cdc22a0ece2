"""The project's images: which ones exist in ECR for a tag, and building and pushing them.

Images are tagged with the git SHA and ECR refuses to overwrite a tag, so a tag always names the
code it was built from. Builds target linux/amd64 whatever the machine (Fargate and the EC2 host
run x86_64; an arm64 image fails there with "exec format error").
"""

from __future__ import annotations

import base64
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.aws import Aws
from ops.errors import OpsError, UsageError
from ops.project import Project

PLATFORM = "linux/amd64"
# Image name (the key of the ecr_repository_urls output) -> the directory holding its Dockerfile.
IMAGE_CONTEXTS = {"backend": "backend", "frontend": "frontend"}


def git_sha(project: Project) -> str:
    """The commit being released: ``git rev-parse HEAD`` in the project."""
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project.root, capture_output=True, text=True, check=False, timeout=30
    )
    if result.returncode != 0:
        raise UsageError("cannot read the git commit (not a git repository?): pass --tag SHA")
    return result.stdout.strip()


@dataclass(frozen=True)
class Image:
    """One of the project's images at one tag."""

    name: str
    repository_url: str
    tag: str

    @property
    def reference(self) -> str:
        return f"{self.repository_url}:{self.tag}"

    @property
    def repository_name(self) -> str:
        return self.repository_url.split("/", 1)[1]

    @property
    def registry(self) -> str:
        return self.repository_url.split("/", 1)[0]


def project_images(project: Project, outputs: dict[str, Any], tag: str) -> list[Image]:
    """Every image the project builds, at ``tag``: one per repository whose build context exists."""
    return [
        Image(name, url, tag)
        for name, url in sorted(outputs["ecr_repository_urls"].items())
        if (project.root / IMAGE_CONTEXTS.get(name, name) / "Dockerfile").is_file()
    ]


def missing_images(aws: Aws, images: list[Image]) -> list[Image]:
    """The images not in ECR yet."""
    ecr = aws.client("ecr")
    missing = []
    for image in images:
        try:
            ecr.describe_images(repositoryName=image.repository_name, imageIds=[{"imageTag": image.tag}])
        except ecr.exceptions.ImageNotFoundException:
            missing.append(image)
    return missing


def docker_login(aws: Aws, registry: str) -> None:
    """Log docker into ECR with a 12-hour token, passed on stdin (never on the command line)."""
    token = aws.client("ecr").get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    _run(["docker", "login", "--username", user, "--password-stdin", registry], stdin=password)


def build(project: Project, image: Image, push: bool) -> None:
    """``docker buildx build`` one image for linux/amd64, pushed to ECR or loaded locally."""
    context = project.root / IMAGE_CONTEXTS.get(image.name, image.name)
    command = [
        "docker",
        "buildx",
        "build",
        "--platform",
        PLATFORM,
        "--tag",
        image.reference,
        "--push" if push else "--load",
        str(context),
    ]
    _run(command, cwd=project.root)


def _run(command: list[str], stdin: str | None = None, cwd: Path | None = None) -> None:
    try:
        result = subprocess.run(command, input=stdin, text=True, cwd=cwd, check=False)
    except FileNotFoundError as error:
        raise OpsError(f"{command[0]} not found: install Docker with buildx") from error
    if result.returncode != 0:
        raise OpsError(f"{' '.join(command[:3])} failed (exit {result.returncode})")


def build_and_push(project: Project, aws: Aws, images: list[Image]) -> None:
    """Build every image and push it to ECR."""
    for registry in sorted({image.registry for image in images}):
        docker_login(aws, registry)
    for image in images:
        build(project, image, push=True)
