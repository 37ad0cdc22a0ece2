"""The EC2 host: run its deploy, manage and status scripts through SSM Run Command (no SSH keys, no open port).

The host-side scripts do the work (deploy/ec2/deploy.sh pulls the tag, migrates, replaces the
services one at a time, checks readiness through nginx, and restores the previous tag itself when
anything fails); ops starts them on the instance, waits, prints their output and records the release.
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass, field
from typing import Any

from ops.environment import Environment, poll_seconds, step
from ops.errors import OpsError
from ops.releases import Migration, Release

DEPLOY_SCRIPT = "deploy/ec2/deploy.sh"
MANAGE_SCRIPT = "deploy/ec2/manage.sh"
STATUS_SCRIPT = "deploy/ec2/status.sh"
RUNNING_STATUSES = {"Pending", "InProgress", "Delayed"}
FIRST_POLL_SECONDS = 1.0
# status.sh reads a few numbers and lists the containers: seconds, unless the host is in trouble.
STATUS_TIMEOUT_SECONDS = 60
OUTPUT_TAIL_LINES = 20


@dataclass(frozen=True)
class HostResult:
    """How a script ended on the host."""

    exit_code: int
    status: str
    output: list[str]
    # The last line deploy.sh writes to stdout: a JSON object describing the outcome.
    report: dict[str, Any] = field(default_factory=dict)


def run_on_host(environment: Environment, arguments: list[str], timeout: float, echo: bool = True) -> HostResult:
    """Run one script in the project directory on the host; its exit code and output (printed unless not ``echo``)."""
    ssm = environment.aws.client("ssm")
    instance_id = environment.outputs["instance_id"]
    script = shlex.join(arguments)
    if echo:
        step(f"running `{script}` on {instance_id} through SSM")
    command = ssm.send_command(
        InstanceIds=[instance_id],
        DocumentName="AWS-RunShellScript",
        Comment=f"ops: {script}"[:100],
        TimeoutSeconds=60,
        Parameters={
            "commands": [script],
            "workingDirectory": [environment.outputs["app_dir"]],
            "executionTimeout": [str(int(timeout))],
        },
    )["Command"]
    deadline = time.monotonic() + timeout + 60
    # Short scripts (status, most management commands) end within seconds: poll soon, then less often.
    wait = FIRST_POLL_SECONDS
    while True:
        try:
            invocation = ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=instance_id)
        except ssm.exceptions.InvocationDoesNotExist:
            invocation = {"Status": "Pending"}
        if invocation["Status"] not in RUNNING_STATUSES:
            break
        if time.monotonic() >= deadline:
            raise OpsError(f"`{script}` still {invocation['Status']} on {instance_id} after {timeout:.0f}s")
        time.sleep(min(wait, poll_seconds()))
        wait *= 2
    stdout = invocation.get("StandardOutputContent", "").splitlines()
    output = stdout + invocation.get("StandardErrorContent", "").splitlines()
    if echo:
        for line in output:
            print(f"  | {line}")
    return HostResult(int(invocation.get("ResponseCode", -1)), invocation["Status"], output, last_json_line(stdout))


def last_json_line(lines: list[str]) -> dict[str, Any]:
    """The JSON object on the last non-empty line, or {} when that line is not one."""
    for line in reversed(lines):
        if line.strip():
            try:
                parsed = json.loads(line)
            except ValueError:
                return {}
            return parsed if isinstance(parsed, dict) else {}
    return {}


def deploy(environment: Environment, release: Release, timeout: float) -> None:
    """Run deploy.sh with the release's tag (a rollback passes an older one).

    The script restores the previous tag itself when anything fails, so a failure means rolled back.
    """
    store = environment.releases
    current = store.current()
    release.previous_image_tag = current.image_tag if current else ""
    store.save(release)
    result = run_on_host(environment, ["bash", DEPLOY_SCRIPT, release.image_tag], timeout)
    migration_exit_code = result.report.get("migration_exit_code")
    release.migration = Migration(
        exit_code=migration_exit_code if isinstance(migration_exit_code, int) else None,
        output_tail=result.output[-OUTPUT_TAIL_LINES:],
    )
    if result.exit_code != 0:
        failed = result.report.get("failed") or (result.output[-1] if result.output else result.status)
        message = f"deploy of {release.image_tag} failed on the host (exit {result.exit_code}): {failed}"
        if result.report.get("status") == "failed":
            # Stopped before any service moved (pull, database, migrations).
            release.finish("failed", message)
            store.save(release)
            raise OpsError(f"{message}; no service was changed")
        release.finish("rolled-back", message)
        store.save(release)
        raise OpsError(f"{message}; the host is back on its previous images")
    release.finish("succeeded")
    store.save(release)


def manage(environment: Environment, arguments: list[str], timeout: float) -> int:
    """Run a management command on the host (manage.sh runs it in a one-off web container)."""
    return run_on_host(environment, ["bash", MANAGE_SCRIPT, *arguments], timeout).exit_code


def status_report(environment: Environment) -> dict[str, Any]:
    """What status.sh reports about the host: its one JSON line, parsed."""
    result = run_on_host(environment, ["bash", STATUS_SCRIPT], STATUS_TIMEOUT_SECONDS, echo=False)
    if result.exit_code != 0 or not result.report:
        last = result.output[-1] if result.output else result.status
        raise OpsError(f"{STATUS_SCRIPT} failed on the host (exit {result.exit_code}): {last}")
    return result.report
