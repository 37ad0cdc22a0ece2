"""Run a generated project's ``ops`` CLI for real against the emulator, as CI runs it against AWS.

ops is started as a subprocess through ``uv run --project ops`` in the generated project. Only the
environment differs from production: boto3 goes to the emulator through ``AWS_ENDPOINT_URL`` and
``terraform init`` puts the S3 backend there through Terraform's own ``TF_CLI_ARGS_init``, so ops
has no test-only code path. A loopback HTTP server stands in for the load balancer (``--url``), and
ECR ``PutImage`` of a manifest stands in for ``ops build --push``. Shared by the deploy tests and
``bench/deploy_ecs.py``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from support.emulator import ACCESS_KEY, SECRET_KEY, Emulator
from support.stacks import ENVIRONMENT, StackCycle
from support.terraform_runner import emulator_backend_args

# Status polls every 0.2 s instead of every 10 s: the emulator changes state at once.
POLL_SECONDS = "0.2"
OPS_COMMAND = ("uv", "run", "--project", "ops", "--locked", "--quiet", "ops")
_tag_numbers = itertools.count(1)


@dataclass
class OpsRunner:
    """``uv run --project ops ops ...`` in one generated project, pointed at the emulator."""

    project: Path
    emulator: Emulator
    cli_config: Path
    summary_file: Path
    extra_environment: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """The process environment: the emulator for AWS and the backend, fast polls, a job summary file."""
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "TF_", "GITHUB_"))
        }
        environment.update(
            AWS_ENDPOINT_URL=self.emulator.endpoint,
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_EC2_METADATA_DISABLED="true",
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
            TF_CLI_ARGS_init=shlex.join(emulator_backend_args(self.emulator.endpoint)),
            OPS_POLL_SECONDS=POLL_SECONDS,
            GITHUB_ACTOR="deploy-test",
            GITHUB_STEP_SUMMARY=str(self.summary_file),
            NO_COLOR="1",
            COLUMNS="200",
        )
        environment.update(self.extra_environment)
        return environment

    def sync(self) -> None:
        """Install ops from the project's lock (once per project)."""
        subprocess.run(
            ["uv", "sync", "--project", "ops", "--locked", "--quiet"],
            cwd=self.project,
            env=self.environment(),
            check=True,
            timeout=300,
        )

    def run(self, *arguments: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run one ops command; its exit status and output (never raises on a non-zero exit).

        Its stdin is empty, as in CI: a command that would ask a question says how to answer it instead.
        """
        return subprocess.run(
            [*OPS_COMMAND, *arguments],
            cwd=self.project,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, *arguments: str) -> subprocess.Popen[str]:
        """Start one ops command that runs until stopped (``logs --follow``), in its own process group."""
        return subprocess.Popen(
            [*OPS_COMMAND, *arguments],
            cwd=self.project,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )


def interrupt(process: subprocess.Popen[str]) -> None:
    """Ctrl-C: SIGINT to the whole process group, as a terminal sends it (uv forwards none itself)."""
    os.killpg(process.pid, signal.SIGINT)


def runner_for(stack: StackCycle, summary_file: Path) -> OpsRunner:
    """An OpsRunner for an applied stack's project, with ops installed."""
    runner = OpsRunner(stack.project, stack.emulator, stack.cli_config, summary_file)
    runner.sync()
    return runner


def runner_for_copy(ops: OpsRunner, directory: Path) -> OpsRunner:
    """An OpsRunner for a copy of the project in ``directory``: pointing Terraform at another
    environment's backend there leaves the applied stack's directory alone."""
    copy = directory / "project"
    shutil.copytree(ops.project, copy, ignore=shutil.ignore_patterns(".terraform", ".venv", "*.tfstate"))
    return OpsRunner(copy, ops.emulator, ops.cli_config, ops.summary_file)


def new_tag() -> str:
    """A fresh 40-hex "git SHA" for each deploy, unique in the session: ECR tags are immutable."""
    return f"{next(_tag_numbers):08x}" + "c0ffee" * 5 + "00"


def deploy(stack: StackCycle, ops: OpsRunner, site: LoadBalancerStandIn, tag: str | None = None) -> str:
    """Push images under a new tag and deploy them to the ECS stack; the tag."""
    tag = tag or new_tag()
    push_images(stack, tag)
    result = ops.run("deploy", "--env", ENVIRONMENT, "--tag", tag, "--url", site.url)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return tag


def push_images(stack: StackCycle, tag: str) -> dict[str, str]:
    """Stand in for ``ops build --push``: put an image manifest under ``tag`` in each ECR repository."""
    ecr = stack.emulator.client("ecr")
    references = {}
    for name, url in stack.outputs["ecr_repository_urls"].items():
        digest = hashlib.sha256(f"{name}:{tag}".encode()).hexdigest()
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 2,
                "digest": f"sha256:{digest}",
            },
            "layers": [],
        }
        ecr.put_image(repositoryName=url.split("/", 1)[1], imageManifest=json.dumps(manifest), imageTag=tag)
        references[name] = f"{url}:{tag}"
    return references


class LoadBalancerStandIn:
    """A loopback HTTP server answering each path with the status a test sets (default 200).

    A request carrying ``readiness_token`` in X-Readiness-Token gets the path's ``detailed`` body instead, as the
    backend's readiness view answers such a request.
    """

    def __init__(self) -> None:
        self.statuses: dict[str, int] = {}
        self.requests: list[str] = []
        self.readiness_token = ""
        self.detailed: dict[str, dict[str, Any]] = {}
        self.detailed_requests: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.requests.append(self.path)
                status = stand_in.statuses.get(self.path, 200)
                body = json.dumps({"status": "ok" if status == 200 else "unavailable"}).encode()
                offered = self.headers.get("X-Readiness-Token", "")
                if stand_in.readiness_token and offered == stand_in.readiness_token and self.path in stand_in.detailed:
                    stand_in.detailed_requests.append(self.path)
                    body = json.dumps(stand_in.detailed[self.path]).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @contextmanager
    def serving(self) -> Iterator[LoadBalancerStandIn]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def release_records(stack: StackCycle) -> list[dict[str, Any]]:
    """Every release record ops wrote for the demo environment, oldest first."""
    s3 = stack.emulator.client("s3")
    bucket = stack.names.shared()["state_bucket"]
    prefix = f"{stack.names.resource_prefix}/demo/releases/"
    keys = sorted(entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))
    return [json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys]
