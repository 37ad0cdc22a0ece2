"""The ECS services of one environment: revisions, one-off tasks, service moves and steady state.

Only AWS calls live here; ``rollout.py`` decides what to do with them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ops.environment import Environment, poll_seconds
from ops.errors import OpsError
from ops.releases import Migration

# What register_task_definition accepts back from describe_task_definition.
REGISTRATION_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)
OUTPUT_TAIL_LINES = 20
# What UpdateSchedule takes back from GetSchedule: UpdateSchedule replaces the whole schedule.
SCHEDULE_FIELDS = (
    "Name",
    "GroupName",
    "Description",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "FlexibleTimeWindow",
    "State",
    "KmsKeyArn",
    "ActionAfterCompletion",
    "Target",
)


def revision_label(arn: str) -> str:
    """``family:revision`` from a task-definition ARN."""
    return arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ServiceState:
    """Where a service is: its task definition and desired count."""

    task_definition: str
    desired_count: int


class EcsServices:
    """The cluster and services of one environment, named by the Terraform outputs."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.ecs = environment.aws.client("ecs")
        outputs = environment.outputs
        self.cluster: str = outputs["ecs_cluster_name"]
        self.service_names: dict[str, str] = outputs["ecs_service_names"]
        self.families: dict[str, str] = outputs["ecs_task_definition_families"]
        self.configured_counts: dict[str, int] = outputs["service_desired_counts"]
        # What each service's task runs: one process, or every process (the packed layout).
        self.containers: dict[str, list[str]] = outputs.get(
            "service_containers", {service: [service] for service in self.service_names}
        )
        self.repository_urls: list[str] = list(outputs["ecr_repository_urls"].values())

    @property
    def processes(self) -> list[str]:
        """The services' keys: each process, or ``app`` when one task runs them all."""
        return sorted(self.service_names)

    def runs(self, process: str) -> bool:
        """Whether any service's task runs this process."""
        return any(process in containers for containers in self.containers.values())

    def one_off_revision(self) -> str:
        """The web revision of the running release, for a one-off task (``ops manage``).

        With a web service, the revision it runs. In the packed layout no service runs the web-only
        family: its newest revision with the running task's backend image (every deploy registers one).
        """
        if "web" in self.service_names:
            return self.states()["web"].task_definition
        running = self.states()
        images = {image for state in running.values() for image in self.images_of(state.task_definition)}
        pages = self.ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=self.families["web"], status="ACTIVE", sort="DESC"
        )
        for arn in (arn for page in pages for arn in page["taskDefinitionArns"]):
            if revision_label(arn).rsplit(":", 1)[0] == self.families["web"] and set(self.images_of(arn)) <= images:
                return str(arn)
        raise OpsError(f"no revision of {self.families['web']} runs the deployed images: run `ops deploy` first")

    def describe(self) -> dict[str, dict[str, Any]]:
        """Every service as ECS describes it, by process."""
        by_name = {name: process for process, name in self.service_names.items()}
        described: dict[str, dict[str, Any]] = {}
        names = list(by_name)
        for start in range(0, len(names), 10):
            response = self.ecs.describe_services(cluster=self.cluster, services=names[start : start + 10])
            if response["failures"]:
                failure = response["failures"][0]
                raise OpsError(f"cannot describe ECS service {failure.get('arn')}: {failure.get('reason')}")
            for service in response["services"]:
                described[by_name[service["serviceName"]]] = service
        return described

    def states(self) -> dict[str, ServiceState]:
        return {
            process: ServiceState(service["taskDefinition"], service["desiredCount"])
            for process, service in self.describe().items()
        }

    # --- Task definitions ------------------------------------------------------------------------

    def _registration(self, definition: dict[str, Any], tags: list[dict[str, str]]) -> dict[str, Any]:
        registration = {
            key: definition[key] for key in REGISTRATION_FIELDS if definition.get(key) not in (None, [], {})
        }
        if tags:
            registration["tags"] = tags
        return registration

    def _with_image_tag(self, containers: list[dict[str, Any]], tag: str) -> list[dict[str, Any]]:
        """The containers with only their image tag changed (images of this project's repositories)."""
        changed = []
        for container in containers:
            repository = container["image"].rsplit(":", 1)[0] if "@" not in container["image"] else ""
            if repository in self.repository_urls:
                container = {**container, "image": f"{repository}:{tag}"}
            changed.append(container)
        return changed

    def register_revisions(self, tag: str) -> dict[str, str]:
        """A new revision of every family with the images at ``tag``, based on the family's latest revision.

        The latest, not the one the service runs: a settings change in Terraform registers a new
        revision (still on the placeholder image) that the next deploy must carry.
        """
        revisions = {}
        # Every family: the services' and, in the packed layout, the web-only one migrations run.
        for process in sorted(self.families):
            response = self.ecs.describe_task_definition(taskDefinition=self.families[process], include=["TAGS"])
            definition = response["taskDefinition"]
            registration = self._registration(definition, response.get("tags", []))
            registration["containerDefinitions"] = self._with_image_tag(definition["containerDefinitions"], tag)
            registered = self.ecs.register_task_definition(**registration)["taskDefinition"]
            revisions[process] = registered["taskDefinitionArn"]
        return revisions

    def ensure_registered(self, arn: str) -> str:
        """The revision itself, or an identical new one if it has been deregistered since."""
        response = self.ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        definition = response["taskDefinition"]
        if definition.get("status") == "ACTIVE":
            return arn
        registration = self._registration(definition, response.get("tags", []))
        return str(self.ecs.register_task_definition(**registration)["taskDefinition"]["taskDefinitionArn"])

    def images_of(self, arn: str) -> list[str]:
        definition = self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        return [container["image"] for container in definition["containerDefinitions"]]

    # --- Services --------------------------------------------------------------------------------

    def move(self, targets: dict[str, str], desired_counts: dict[str, int | None]) -> None:
        """Point every service at its target revision (and set its count where one is given).

        ``targets`` may hold families no service runs (the packed layout's web-only family): skipped.
        """
        for process, task_definition in targets.items():
            if process not in self.service_names:
                continue
            arguments: dict[str, Any] = {
                "cluster": self.cluster,
                "service": self.service_names[process],
                "taskDefinition": task_definition,
            }
            if desired_counts.get(process) is not None:
                arguments["desiredCount"] = desired_counts[process]
            self.ecs.update_service(**arguments)

    def wait_steady(self, targets: dict[str, str], timeout: float) -> None:
        """Wait until every service runs only its target revision at its desired count.

        A deployment the circuit breaker failed ends the wait at once; so does the timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            pending = []
            for process, service in self.describe().items():
                if process not in targets:
                    continue
                failed = [
                    deployment for deployment in service["deployments"] if deployment.get("rolloutState") == "FAILED"
                ]
                if failed:
                    reason = failed[0].get("rolloutStateReason") or "the circuit breaker stopped it"
                    raise OpsError(f"{process} deployment failed: {reason}")
                deployments = service["deployments"]
                steady = (
                    len(deployments) == 1
                    and deployments[0]["taskDefinition"] == targets[process]
                    and service["runningCount"] == service["desiredCount"]
                )
                if not steady:
                    pending.append(process)
            if not pending:
                return
            if time.monotonic() >= deadline:
                raise OpsError(f"services not steady after {timeout:.0f}s: {', '.join(sorted(pending))}")
            time.sleep(poll_seconds())

    # --- One-off tasks ---------------------------------------------------------------------------

    def run_one_off(self, task_definition: str, command: list[str], timeout: float) -> tuple[Migration, list[str]]:
        """Run ``command`` as a one-off Fargate task of ``task_definition``; its exit code and log lines."""
        migration_task = self.environment.outputs["migration_task"]
        container = migration_task["container_name"]
        response = self.ecs.run_task(
            cluster=self.cluster,
            taskDefinition=task_definition,
            launchType="FARGATE",
            count=1,
            startedBy="ops",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": migration_task["subnet_ids"],
                    "securityGroups": migration_task["security_group_ids"],
                    "assignPublicIp": "ENABLED" if migration_task["assign_public_ip"] else "DISABLED",
                }
            },
            overrides={"containerOverrides": [{"name": container, "command": command}]},
        )
        if response.get("failures") or not response.get("tasks"):
            failure = (response.get("failures") or [{}])[0]
            raise OpsError(f"could not start the task: {failure.get('reason', 'no task started')}")
        task = self._wait_stopped(response["tasks"][0]["taskArn"], timeout)
        exit_code = next(
            (entry.get("exitCode") for entry in task.get("containers", []) if entry.get("name") == container), None
        )
        lines = self.task_log_lines(task_definition, container, task["taskArn"])
        if exit_code is None:
            lines.append(task.get("stoppedReason") or "the container did not run")
        return Migration(exit_code=exit_code, output_tail=lines[-OUTPUT_TAIL_LINES:]), lines

    def _wait_stopped(self, task_arn: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            task = self.ecs.describe_tasks(cluster=self.cluster, tasks=[task_arn])["tasks"][0]
            if task["lastStatus"] == "STOPPED":
                return dict(task)
            if time.monotonic() >= deadline:
                self.ecs.stop_task(cluster=self.cluster, task=task_arn, reason="ops: timed out")
                raise OpsError(
                    f"task {task_arn.rsplit('/', 1)[-1]} still {task['lastStatus']} after {timeout:.0f}s; stopped it"
                )
            time.sleep(poll_seconds())

    def task_log_lines(self, task_definition: str, container: str, task_arn: str) -> list[str]:
        """The container's lines from its awslogs stream; none if it wrote nothing."""
        definition = self.ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
        configuration = next(
            (
                entry.get("logConfiguration") or {}
                for entry in definition["containerDefinitions"]
                if entry["name"] == container
            ),
            {},
        )
        options = configuration.get("options") or {}
        if configuration.get("logDriver") != "awslogs" or "awslogs-stream-prefix" not in options:
            return []
        logs = self.environment.aws.client("logs")
        stream = f"{options['awslogs-stream-prefix']}/{container}/{task_arn.rsplit('/', 1)[-1]}"
        lines: list[str] = []
        arguments: dict[str, Any] = {
            "logGroupName": options["awslogs-group"],
            "logStreamName": stream,
            "startFromHead": True,
        }
        try:
            while True:
                page = logs.get_log_events(**arguments)
                lines.extend(event["message"] for event in page["events"])
                if not page["events"] or page.get("nextForwardToken") == arguments.get("nextToken"):
                    return lines
                arguments["nextToken"] = page["nextForwardToken"]
        except logs.exceptions.ResourceNotFoundException:
            return lines

    # --- Management schedules (ECS without Celery) -----------------------------------------------

    def point_schedules(self, revision: str) -> list[str]:
        """Make every management schedule run revision (of the web family); the names of those changed."""
        schedules = self.environment.outputs.get("management_schedules") or {}
        if not schedules.get("group"):
            return []
        scheduler = self.environment.aws.client("scheduler")
        changed = []
        for name in schedules["names"]:
            current = scheduler.get_schedule(GroupName=schedules["group"], Name=name)
            parameters = current["Target"]["EcsParameters"]
            if parameters["TaskDefinitionArn"] == revision:
                continue
            update = {key: current[key] for key in SCHEDULE_FIELDS if current.get(key) not in (None, "")}
            update["Target"] = {**current["Target"], "EcsParameters": {**parameters, "TaskDefinitionArn": revision}}
            scheduler.update_schedule(**update)
            changed.append(name)
        return changed

    # --- Load balancer ---------------------------------------------------------------------------

    def target_health(self, target_group_arn: str) -> tuple[int, int]:
        """Healthy targets and all targets but the draining ones (tasks on their way out) of a target group."""
        elbv2 = self.environment.aws.client("elbv2")
        descriptions = elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
        states = [description["TargetHealth"]["State"] for description in descriptions]
        counted = [state for state in states if state != "draining"]
        return counted.count("healthy"), len(counted)

    # --- Autoscaling -----------------------------------------------------------------------------

    def resume_autoscaling(self) -> list[str]:
        """Resume the scaling Terraform registered suspended (it waits for the first verified release)."""
        resource_ids = list(self.environment.outputs.get("autoscaling_resource_ids", {}).values())
        if not resource_ids:
            return []
        scaling = self.environment.aws.client("application-autoscaling")
        targets = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=resource_ids)["ScalableTargets"]
        resumed = []
        for target in targets:
            if any((target.get("SuspendedState") or {}).values()):
                scaling.register_scalable_target(
                    ServiceNamespace="ecs",
                    ResourceId=target["ResourceId"],
                    ScalableDimension=target["ScalableDimension"],
                    SuspendedState={
                        "DynamicScalingInSuspended": False,
                        "DynamicScalingOutSuspended": False,
                        "ScheduledScalingSuspended": False,
                    },
                )
                resumed.append(target["ResourceId"])
        return resumed
