"""``ops status`` and ``ops logs`` on the applied ECS and EC2 demo stacks.

ops runs for real as a subprocess against the emulator (ops_runner.py). On ECS, status reads what
the emulator's services, target groups and events show after a deploy this module makes itself
(emulator.py writes ECS's events and registers each running task as a healthy target). On EC2 the
host's status comes from deploy/ec2/status.sh through SSM: the real script runs here with a
stand-in for ``docker``, and its JSON line is what the emulator's Run Command returns. Both targets
read logs from CloudWatch Logs, where each test puts the lines it expects.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from support.emulator import ContainerOutcome
from support.ops_runner import LoadBalancerStandIn, OpsRunner, deploy, interrupt, runner_for, runner_for_copy
from support.stacks import ENVIRONMENT, StackCycle

pytestmark = pytest.mark.xdist_group("infra-apply")

BALANCED = ("web", "websocket", "frontend")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) +(.*)$")
# What docker answers status.sh on the stand-in host: `docker ps` ids, `docker inspect` lines, the volume.
FAKE_DOCKER = """#!/bin/bash
case "$1 $2" in
    "ps --all") sed 's/.*/id/' "$FAKE_CONTAINERS" ;;
    "volume inspect") echo / ;;
    inspect*) cat "$FAKE_CONTAINERS" ;;
esac
"""


@pytest.fixture(scope="module")
def ecs_ops(ecs_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> OpsRunner:
    """ops installed in the applied ECS project, pointed at the emulator."""
    return runner_for(ecs_stack, tmp_path_factory.mktemp("summary") / "step-summary.md")


@pytest.fixture(scope="module")
def ec2_ops(ec2_stack: StackCycle, tmp_path_factory: pytest.TempPathFactory) -> OpsRunner:
    """ops installed in the applied EC2 project, pointed at the emulator."""
    return runner_for(ec2_stack, tmp_path_factory.mktemp("summary") / "step-summary.md")


def status_json(ops: OpsRunner) -> tuple[int, dict[str, Any], str]:
    """``ops status --json``: exit status, the parsed object, stderr."""
    result = ops.run("status", "--env", ENVIRONMENT, "--json")
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def described_services(stack: StackCycle) -> dict[str, dict[str, Any]]:
    """The demo services as ECS describes them, by process."""
    names = stack.outputs["ecs_service_names"]
    described = stack.emulator.client("ecs").describe_services(
        cluster=stack.outputs["ecs_cluster_name"], services=list(names.values())
    )["services"]
    by_name = {name: process for process, name in names.items()}
    return {by_name[service["serviceName"]]: service for service in described}


def put_lines(stack: StackCycle, service: str, lines: list[tuple[float, str]]) -> None:
    """Write (seconds ago, message) lines into a service's log group, as its log driver does."""
    logs = stack.emulator.client("logs")
    group, stream = stack.outputs["log_groups"][service], f"{service}/{service}/{uuid.uuid4().hex}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now_ms = int(time.time() * 1000)
    events = [{"timestamp": now_ms - int(ago * 1000), "message": message} for ago, message in lines]
    logs.put_log_events(
        logGroupName=group, logStreamName=stream, logEvents=sorted(events, key=lambda e: e["timestamp"])
    )


def printed_lines(output: str) -> list[tuple[str, str]]:
    """(service, message) of every ``time service message`` line; fails on any other line."""
    pairs = []
    for line in output.splitlines():
        match = LOG_LINE.match(line)
        assert match, f"not a log line: {line!r}"
        pairs.append((match[1], match[2]))
    return pairs


def read_until(lines: queue.Queue[str], text: str, timeout: float) -> str:
    """Lines from ``lines`` up to the first containing ``text``; fails after ``timeout`` seconds."""
    seen, deadline = "", time.monotonic() + timeout
    while text not in seen:
        try:
            seen += lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            pytest.fail(f"no {text!r} within {timeout}s; got {seen!r}")
    return seen


def line_queue(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stdout lines as they come, read by a thread (a pipe read blocks)."""
    stdout = process.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def container(service: str, state: str = "running", health: str = "healthy") -> dict[str, str]:
    """One container as status.sh has `docker inspect` describe it."""
    return {"service": service, "state": state, "health": health}


def host_report(stack: StackCycle, directory: Path, containers: list[dict[str, str]], tag: str) -> str:
    """The JSON line deploy/ec2/status.sh prints on a host running ``containers`` and ``tag``."""
    app = directory / "app"
    (app / "deploy" / "ec2").mkdir(parents=True)
    (app / "state").mkdir()
    script = app / "deploy" / "ec2" / "status.sh"
    script.write_text((stack.project / "deploy" / "ec2" / "status.sh").read_text())
    (app / "host.env").write_text(f"COMPOSE_PROJECT_NAME={stack.names.project_slug}\n")
    (app / "state" / "release.env").write_text(f"IMAGE_TAG={tag}\nPREVIOUS_IMAGE_TAG=\n")
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    listing = directory / "containers.jsonl"
    listing.write_text("".join(json.dumps(entry) + "\n" for entry in containers))
    result = subprocess.run(
        ["bash", str(script)],
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_CONTAINERS": str(listing)},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return lines[0]


def last_command(stack: StackCycle) -> dict[str, Any]:
    """The newest Run Command sent to the host."""
    commands = stack.emulator.client("ssm").list_commands(InstanceId=stack.outputs["instance_id"])["Commands"]
    return max(commands, key=lambda command: command["RequestedDateTime"])


# --- ECS status ----------------------------------------------------------------------------------


def test_status_after_a_deploy_shows_counts_revisions_tag_and_healthy_targets(
    ecs_stack: StackCycle, ecs_ops: OpsRunner, site: LoadBalancerStandIn
) -> None:
    """Every service at its configured count on the deployed revision and tag; balanced ones with healthy targets."""
    tag = deploy(ecs_stack, ecs_ops, site)
    configured = ecs_stack.outputs["service_desired_counts"]
    described = described_services(ecs_stack)

    code, status, stderr = status_json(ecs_ops)
    assert code == 0, stderr
    assert (status["ok"], status["problems"], status["host"]) == (True, [], None)
    assert status["target"] == "ecs-fargate" and status["site_url"] == ecs_stack.outputs["site_url"]
    assert status["release"]["sha"] == tag and status["release"]["status"] == "succeeded"
    services = {service["name"]: service for service in status["services"]}
    assert set(services) == set(configured)
    for process, service in services.items():
        count = configured[process]
        assert (service["desired"], service["running"], service["pending"]) == (count, count, 0), process
        assert service["revision"] == described[process]["taskDefinition"].rsplit("/", 1)[-1], process
        assert service["image_tag"] == tag and service["rollout"] == "COMPLETED", process
        # One target per task in each target group of the service (the packed one is in three).
        groups = len(set(BALANCED) & set(ecs_stack.outputs["service_containers"][process]))
        assert service["targets"] == ({"healthy": count * groups, "total": count * groups} if groups else None), process
        assert service["events"][0]["message"].endswith("has reached a steady state."), process
        assert len(service["events"]) == 3, process

    table = ecs_ops.run("status", "--env", ENVIRONMENT)
    assert table.returncode == 0, table.stderr
    for process, service in services.items():
        row = next(line for line in table.stdout.splitlines() if line.strip("│ ").startswith(process + " "))
        for cell in (f"{configured[process]}/{configured[process]}", service["revision"], tag[:12], "COMPLETED"):
            assert cell in row, (process, cell, row)
    assert f"release: {status['release']['id']}" in table.stdout and ecs_stack.outputs["site_url"] in table.stdout
    assert "has reached a steady state." in table.stdout


def test_status_exits_1_naming_the_service_that_is_short(
    ecs_stack: StackCycle, ecs_ops: OpsRunner, site: LoadBalancerStandIn, container_runtime: dict[str, ContainerOutcome]
) -> None:
    """The worker's new tasks keep crashing: exit 1 and one line naming the service that runs it."""
    deploy(ecs_stack, ecs_ops, site)
    ecs = ecs_stack.emulator.client("ecs")
    # The demo's packed layout: the worker is a container of the one service's task.
    key = next(key for key, containers in ecs_stack.outputs["service_containers"].items() if "worker" in containers)
    worker = {
        "cluster": ecs_stack.outputs["ecs_cluster_name"],
        "service": ecs_stack.outputs["ecs_service_names"][key],
    }
    container_runtime["config.worker"] = ContainerOutcome(1)
    ecs.update_service(**worker, forceNewDeployment=True)
    try:
        code, status, stderr = status_json(ecs_ops)
    finally:
        container_runtime.clear()
        ecs.update_service(**worker, forceNewDeployment=True)
    count = ecs_stack.outputs["service_desired_counts"][key]
    assert code == 1
    assert stderr.strip().splitlines() == [f"ops status: {key}: 0 of {count} tasks running ({count} pending)"]
    assert status["ok"] is False and status["problems"] == [f"{key}: 0 of {count} tasks running ({count} pending)"]
    worker_status = next(service for service in status["services"] if service["name"] == key)
    assert worker_status["rollout"] == "IN_PROGRESS"
    assert "unable to consistently start tasks" in worker_status["events"][0]["message"]


def test_status_and_logs_without_infrastructure_exit_3(ecs_ops: OpsRunner, tmp_path: Path) -> None:
    """An environment never applied: both commands exit 3 with one line, as the other commands do."""
    other = runner_for_copy(ecs_ops, tmp_path)
    for command in (("status", "--env", "dev"), ("logs", "web", "--env", "dev")):
        result = other.run(*command)
        assert result.returncode == 3, result.stdout + result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "no infrastructure" in result.stderr


# --- ECS logs ------------------------------------------------------------------------------------


def test_logs_of_one_service_since_an_hour(ecs_stack: StackCycle, ecs_ops: OpsRunner) -> None:
    """`ops logs web --since 1h`: web's lines of the last hour, oldest first; not older ones, not other services'."""
    marker = uuid.uuid4().hex[:8]
    put_lines(ecs_stack, "web", [(7200, f"{marker} two hours ago"), (600, f"{marker} first"), (60, f"{marker} second")])
    put_lines(ecs_stack, "worker", [(300, f"{marker} worker line")])

    result = ecs_ops.run("logs", "web", "--env", ENVIRONMENT, "--since", "1h")
    assert result.returncode == 0, result.stderr
    mine = [(service, message) for service, message in printed_lines(result.stdout) if marker in message]
    assert mine == [("web", f"{marker} first"), ("web", f"{marker} second")]

    every = ecs_ops.run("logs", "--env", ENVIRONMENT, "--since", "15m")
    assert every.returncode == 0, every.stderr
    mine = [(service, message) for service, message in printed_lines(every.stdout) if marker in message]
    assert mine == [("web", f"{marker} first"), ("worker", f"{marker} worker line"), ("web", f"{marker} second")]


def test_logs_grep_keeps_lines_containing_the_text(ecs_stack: StackCycle, ecs_ops: OpsRunner) -> None:
    """--grep TEXT is plain text, spaces and slashes included: only lines containing it exactly."""
    marker = uuid.uuid4().hex[:8]
    put_lines(
        ecs_stack,
        "web",
        [(90, f"{marker} GET /api/files/ 500"), (60, f"{marker} GET /api/files/ 200"), (30, f"{marker} GET /api/ 500")],
    )
    result = ecs_ops.run(
        "logs", "web", "--env", ENVIRONMENT, "--since", "5m", "--grep", f"{marker} GET /api/files/ 500"
    )
    assert result.returncode == 0, result.stderr
    assert printed_lines(result.stdout) == [("web", f"{marker} GET /api/files/ 500")]


def test_logs_of_an_unknown_service_exit_2(ecs_stack: StackCycle, ecs_ops: OpsRunner) -> None:
    """A service the environment lacks: exit 2 and one line listing the real ones."""
    result = ecs_ops.run("logs", "nginx", "--env", ENVIRONMENT)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"ops logs: unknown service 'nginx'; demo has {', '.join(sorted(ecs_stack.outputs['log_groups']))}"
    ]


def test_logs_follow_prints_new_lines_until_interrupted(ecs_stack: StackCycle, ecs_ops: OpsRunner) -> None:
    """--follow: the window, then each new line as it arrives; Ctrl-C ends it with exit 0."""
    marker = uuid.uuid4().hex[:8]
    put_lines(ecs_stack, "web", [(30, f"{marker} before")])
    process = ecs_ops.start("logs", "web", "--env", ENVIRONMENT, "--since", "5m", "--follow")
    lines = line_queue(process)
    try:
        read_until(lines, f"{marker} before", timeout=60)
        put_lines(ecs_stack, "web", [(0, f"{marker} after")])
        read_until(lines, f"{marker} after", timeout=20)
    finally:
        interrupt(process)
        process.wait(timeout=30)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""


# --- EC2 -----------------------------------------------------------------------------------------


def test_ec2_status_runs_the_status_script_through_ssm(
    ec2_stack: StackCycle, ec2_ops: OpsRunner, container_runtime: dict[str, ContainerOutcome], tmp_path: Path
) -> None:
    """status.sh on the host (its real output): every compose service running and healthy, the tag, the host's facts."""
    services = sorted(ec2_stack.outputs["log_groups"])
    containers, tag = [container(name) for name in services], "0123abcd" * 5
    container_runtime["status.sh"] = ContainerOutcome(0, (host_report(ec2_stack, tmp_path, containers, tag),))

    code, status, stderr = status_json(ec2_ops)
    assert code == 0, stderr
    assert (status["ok"], status["target"]) == (True, "ec2-all-in-one")
    assert status["services"] == [
        {"name": name, "containers": 1, "running": 1, "health": "healthy"} for name in services
    ]
    host = status["host"]
    assert host["image_tag"] == tag and set(host["disk_percent"]) == {"root", "data"}
    assert 0 < host["memory_mib"]["available"] <= host["memory_mib"]["total"] and host["uptime_seconds"] > 0
    command = last_command(ec2_stack)
    assert command["Parameters"]["commands"] == ["bash deploy/ec2/status.sh"]
    assert command["Parameters"]["workingDirectory"] == [ec2_stack.outputs["app_dir"]]

    table = ec2_ops.run("status", "--env", ENVIRONMENT)
    assert table.returncode == 0, table.stderr
    assert f"host: tag {tag[:12]}" in table.stdout and "MiB available" in table.stdout
    assert all(re.search(rf"{name} +│ 1/1 +│ healthy", table.stdout) for name in services), table.stdout


def test_ec2_status_exits_1_for_a_stopped_service_or_a_failing_script(
    ec2_stack: StackCycle, ec2_ops: OpsRunner, container_runtime: dict[str, ContainerOutcome], tmp_path: Path
) -> None:
    """A service whose only container exited, one still starting: a line each. A script failure: one line."""
    others = sorted(set(ec2_stack.outputs["log_groups"]) - {"web", "frontend"})
    containers = [
        container("web", state="exited", health=""),
        container("frontend", health="starting"),
        *(container(name, health="") for name in others),
    ]
    container_runtime["status.sh"] = ContainerOutcome(0, (host_report(ec2_stack, tmp_path, containers, "feed" * 10),))
    code, status, stderr = status_json(ec2_ops)
    assert code == 1
    assert stderr.strip().splitlines() == [
        "ops status: frontend: starting",
        "ops status: web: no container running (1 stopped)",
    ]
    assert status["problems"] == ["frontend: starting", "web: no container running (1 stopped)"]

    container_runtime["status.sh"] = ContainerOutcome(1, ("Cannot connect to the Docker daemon",))
    failed = ec2_ops.run("status", "--env", ENVIRONMENT)
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "ops status: deploy/ec2/status.sh failed on the host (exit 1): Cannot connect to the Docker daemon"
    ]


def test_ec2_logs_come_from_the_compose_services_log_groups(ec2_stack: StackCycle, ec2_ops: OpsRunner) -> None:
    """The host's containers log to CloudWatch (awslogs driver): `ops logs nginx` reads them there."""
    marker = uuid.uuid4().hex[:8]
    put_lines(ec2_stack, "nginx", [(120, f'{marker} "GET / HTTP/1.1" 200')])
    result = ec2_ops.run("logs", "nginx", "--env", ENVIRONMENT, "--since", "10m")
    assert result.returncode == 0, result.stderr
    assert [pair for pair in printed_lines(result.stdout) if marker in pair[1]] == [
        ("nginx", f'{marker} "GET / HTTP/1.1" 200')
    ]
