"""What runs in an environment now, and what keeps it from being healthy.

ECS: each service's task counts, task-definition revision, image tag, rollout, load-balancer
target health and last events. EC2: what deploy/ec2/status.sh reports from the host through SSM
(each compose service's containers and health, the tag, disk, memory, uptime). Both: the current
release and the site URL. ``problems`` says, one line each, what is wrong; none means healthy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from ops import host
from ops.ecs import EcsServices, revision_label
from ops.environment import Environment
from ops.errors import OpsError

ECS = "ecs-fargate"
EVENTS_SHOWN = 3
# Images and the database share the host's disk: past this, the next deploy or a busy day fills it.
DISK_FULL_PERCENT = 90
# A running container's health, best first ("" when its service has no health check).
HEALTH_ORDER = ("healthy", "", "starting", "unhealthy")
RELEASE_FIELDS = ("id", "kind", "sha", "status", "actor", "finished_at")


@dataclass(frozen=True)
class Targets:
    """A service's load-balancer targets: healthy ones of all but the draining ones."""

    healthy: int
    total: int


@dataclass(frozen=True)
class ServiceEvent:
    """One ECS service event (newest first, as ECS lists them)."""

    at: str
    message: str


@dataclass(frozen=True)
class EcsService:
    """One ECS service as ``ops status`` shows it."""

    name: str
    desired: int
    running: int
    pending: int
    revision: str
    image_tag: str
    rollout: str
    targets: Targets | None
    events: list[ServiceEvent]

    def problem(self, configured: int) -> str | None:
        if self.desired == 0 and configured > 0:
            return f"{self.name}: no tasks (desired 0 of the configured {configured}): never deployed? run `ops deploy`"
        if self.running < self.desired:
            return f"{self.name}: {self.running} of {self.desired} tasks running ({self.pending} pending)"
        targets = self.targets
        if targets is not None and self.running > 0 and (targets.total == 0 or targets.healthy < targets.total):
            return f"{self.name}: {targets.healthy} of {targets.total} load-balancer targets healthy"
        return None


@dataclass(frozen=True)
class HostService:
    """One compose service on the EC2 host: its containers, how many run, the best health among those."""

    name: str
    containers: int
    running: int
    health: str

    def problem(self) -> str | None:
        if self.containers == 0:
            return f"{self.name}: no container"
        if self.running == 0:
            return f"{self.name}: no container running ({self.containers} stopped)"
        if self.health in ("starting", "unhealthy"):
            return f"{self.name}: {self.health}"
        return None


@dataclass(frozen=True)
class HostFacts:
    """The EC2 host itself: the tag it runs, disk use in percent, memory in MiB, uptime."""

    image_tag: str
    disk_percent: dict[str, int]
    memory_mib: dict[str, int]
    uptime_seconds: int


@dataclass
class Status:
    """An environment's status; ``problems`` empty means every service runs as it should."""

    environment: str
    target: str
    site_url: str
    release: dict[str, Any] | None
    services: list[EcsService] | list[HostService]
    host: HostFacts | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def image_tag(reference: str) -> str:
    """The tag of an image reference (or its short digest when pinned by digest)."""
    if "@" in reference:
        return reference.split("@", 1)[1][:19]
    return reference.rsplit(":", 1)[-1] if ":" in reference.rsplit("/", 1)[-1] else "latest"


def _rollout(service: dict[str, Any]) -> str:
    deployments = service.get("deployments") or []
    primary: dict[str, Any] = next(
        (deployment for deployment in deployments if deployment.get("status") == "PRIMARY"), {}
    )
    state = primary.get("rolloutState", "") or "-"
    return state if len(deployments) <= 1 else f"{state} ({len(deployments)} deployments)"


def _targets(services: EcsServices, service: dict[str, Any]) -> Targets | None:
    groups = [entry["targetGroupArn"] for entry in service.get("loadBalancers") or [] if entry.get("targetGroupArn")]
    if not groups:
        return None
    counts = [services.target_health(arn) for arn in groups]
    return Targets(sum(healthy for healthy, _ in counts), sum(total for _, total in counts))


def ecs_services(environment: Environment) -> tuple[list[EcsService], list[str]]:
    """Every ECS service of the environment, and a line for each one short of tasks or healthy targets."""
    services = EcsServices(environment)
    described = services.describe()
    statuses, problems = [], []
    for process in services.processes:
        service = described[process]
        images = services.images_of(service["taskDefinition"])
        status = EcsService(
            name=process,
            desired=service["desiredCount"],
            running=service["runningCount"],
            pending=service["pendingCount"],
            revision=revision_label(service["taskDefinition"]),
            image_tag=image_tag(images[0]) if images else "-",
            rollout=_rollout(service),
            targets=_targets(services, service),
            events=[
                ServiceEvent(utc_text(event["createdAt"]), event["message"])
                for event in (service.get("events") or [])[:EVENTS_SHOWN]
            ],
        )
        statuses.append(status)
        problem = status.problem(services.configured_counts.get(process, 0))
        if problem:
            problems.append(problem)
    return statuses, problems


def _host_service(name: str, containers: list[dict[str, str]]) -> HostService:
    running = [container for container in containers if container["state"] == "running"]
    healths = [container["health"] if container["health"] in HEALTH_ORDER else "unhealthy" for container in running]
    best = min(healths, key=HEALTH_ORDER.index) if healths else ""
    return HostService(name, len(containers), len(running), best)


def host_status(environment: Environment) -> tuple[list[HostService], HostFacts, list[str]]:
    """The host's compose services (those the stack defines: one log group each), its facts and its problems."""
    report = host.status_report(environment)
    try:
        containers = [
            {key: str(container[key] or "") for key in ("service", "state", "health")}
            for container in report["containers"]
        ]
        facts = HostFacts(
            image_tag=str(report["image_tag"] or "-"),
            disk_percent={volume: int(percent) for volume, percent in report["disk_percent"].items()},
            memory_mib={kind: int(kib) // 1024 for kind, kib in report["memory_kib"].items()},
            uptime_seconds=int(report["uptime_seconds"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise OpsError(f"{host.STATUS_SCRIPT} reported something unexpected ({error!r}): {report}") from error
    services = [
        _host_service(name, [container for container in containers if container["service"] == name])
        for name in sorted(environment.outputs["log_groups"])
    ]
    problems = [problem for service in services if (problem := service.problem())]
    problems += [
        f"disk {volume}: {percent}% used"
        for volume, percent in facts.disk_percent.items()
        if percent >= DISK_FULL_PERCENT
    ]
    return services, facts, problems


def current_release(environment: Environment) -> dict[str, Any] | None:
    """The release that runs now (the newest that succeeded), in brief."""
    release = environment.releases.current()
    return None if release is None else {name: getattr(release, name) for name in RELEASE_FIELDS}


def environment_status(environment: Environment) -> Status:
    """Everything ``ops status`` shows, for either target."""
    status = Status(
        environment=environment.name,
        target=environment.target,
        site_url=environment.outputs["site_url"],
        release=current_release(environment),
        services=[],
    )
    if environment.target == ECS:
        status.services, status.problems = ecs_services(environment)
    else:
        status.services, status.host, status.problems = host_status(environment)
    return status
