"""Memory of a compose project's containers, read from their cgroups, and whether any process in them was killed.

The working set is what `docker stats` shows: the cgroup's usage less its inactive file cache (page cache the
kernel reclaims before it kills anything). The cgroup's own peak counts that cache too, so it is reported apart.
A process killed for memory inside a container that keeps running (a granian worker, which is replaced) shows only
in the cgroup's oom_kill count, not in the container's OOMKilled state: both are read.
Works with cgroup v1 (these machines: podman with runc on a hybrid layout) and v2.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from support.containers import podman

MIB = 1024 * 1024
CGROUP_ROOT = Path("/sys/fs/cgroup")
# The always-running services' limits add up to at most this on the 1 GiB t3.micro (docker-compose.prod.yml says
# how the rest of the host's memory is spent).
HOST_MEMORY_BUDGET_MIB = 900
MEM_LIMIT = re.compile(r"^\$\{(?P<variable>[A-Z_]+):-(?P<mib>\d+)m\}$")


@dataclass(frozen=True)
class ContainerState:
    """What `podman inspect` and the cgroup say about one service's container."""

    service: str
    name: str
    running: bool
    oom_killed: bool
    restarts: int
    oom_kills: int

    @property
    def healthy(self) -> bool:
        """Running, never restarted, and nothing in it killed for memory."""
        return self.running and not self.oom_killed and not self.restarts and not self.oom_kills


@dataclass(frozen=True)
class ServiceMemory:
    """One service's limit and memory in MiB: at rest, the highest sample under load, the cgroup's peak."""

    service: str
    limit: float
    at_rest: float
    under_load: float
    cgroup_peak: float


def compose_memory_limits(compose_file: Path) -> dict[str, int]:
    """Each always-running service's default `mem_limit` in MiB (`${NAME_MEMORY:-<n>m}`); services behind a
    profile (one-shot tools) are left out."""
    services = yaml.safe_load(compose_file.read_text())["services"]
    limits = {}
    for name, service in services.items():
        if service.get("profiles"):
            continue
        match = MEM_LIMIT.match(str(service.get("mem_limit", "")))
        if not match:
            raise AssertionError(f"{name}: mem_limit {service.get('mem_limit')!r} is not ${{NAME_MEMORY:-<n>m}}")
        limits[name] = int(match["mib"])
    return limits


def project_containers(project_name: str) -> dict[str, str]:
    """The running container of each compose service of the project (one per service, as between deploys)."""
    listing = podman("ps", "--filter", f"label=com.docker.compose.project={project_name}", "--format", "json").stdout
    containers: dict[str, str] = {}
    for container in json.loads(listing or "[]"):
        service = container["Labels"]["com.docker.compose.service"]
        if service in containers:
            raise AssertionError(f"{service} has more than one container: {container['Names']}")
        containers[service] = container["Names"][0]
    return containers


def cgroup_directory(container: str) -> Path:
    """The container's memory cgroup (v1: under the memory controller; v2: the unified tree)."""
    path = podman("inspect", "--format", "{{.State.CgroupPath}}", container).stdout.strip().lstrip("/")
    for candidate in (CGROUP_ROOT / "memory" / path, CGROUP_ROOT / path):
        if candidate.is_dir():
            return candidate
    raise AssertionError(f"no memory cgroup for {container} at {path}")


def read_stat(directory: Path) -> dict[str, int]:
    """memory.stat as numbers."""
    return {
        key: int(value)
        for key, value in (line.split() for line in (directory / "memory.stat").read_text().splitlines())
    }


def is_v1(directory: Path) -> bool:
    """cgroup v1 has memory.usage_in_bytes; v2 has memory.current."""
    return (directory / "memory.usage_in_bytes").exists()


def working_set(directory: Path) -> float:
    """Usage less the inactive file cache, in MiB (as `docker stats`)."""
    stat = read_stat(directory)
    if is_v1(directory):
        usage = int((directory / "memory.usage_in_bytes").read_text())
        return (usage - stat.get("total_inactive_file", 0)) / MIB
    return (int((directory / "memory.current").read_text()) - stat.get("inactive_file", 0)) / MIB


def limit(directory: Path) -> float:
    """The cgroup's memory limit in MiB."""
    raw = (directory / ("memory.limit_in_bytes" if is_v1(directory) else "memory.max")).read_text().strip()
    return float("inf") if raw == "max" else int(raw) / MIB


def cgroup_peak(directory: Path) -> float:
    """The highest usage the cgroup has seen (page cache included) in MiB; v2 kernels before 5.19 lack it (0)."""
    peak = directory / ("memory.max_usage_in_bytes" if is_v1(directory) else "memory.peak")
    return int(peak.read_text()) / MIB if peak.exists() else 0.0


def oom_kills(directory: Path) -> int:
    """How many processes the kernel killed in this cgroup for lack of memory."""
    events = directory / ("memory.oom_control" if is_v1(directory) else "memory.events")
    counts = dict(line.split() for line in events.read_text().splitlines())
    return int(counts.get("oom_kill", 0))


def container_states(project_name: str) -> list[ContainerState]:
    """Each service's container: running, killed for memory (container or any process in it), restarts."""
    states = []
    for service, name in sorted(project_containers(project_name).items()):
        inspected = json.loads(podman("inspect", name).stdout)[0]
        states.append(
            ContainerState(
                service,
                name,
                inspected["State"]["Running"],
                inspected["State"]["OOMKilled"],
                inspected["RestartCount"],
                oom_kills(cgroup_directory(name)),
            )
        )
    return states


@dataclass
class MemorySampler:
    """Samples every container's working set twice a second while in use; keeps the highest per service."""

    project_name: str
    interval: float = 0.5
    at_rest: dict[str, float] = field(default_factory=dict)
    highest: dict[str, float] = field(default_factory=dict)
    _directories: dict[str, Path] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _sample(self) -> None:
        for service, directory in self._directories.items():
            self.highest[service] = max(self.highest.get(service, 0.0), working_set(directory))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> MemorySampler:
        containers = project_containers(self.project_name)
        self._directories = {service: cgroup_directory(name) for service, name in containers.items()}
        self.at_rest = {service: working_set(directory) for service, directory in self._directories.items()}
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sample()

    def figures(self) -> list[ServiceMemory]:
        """Per service: limit, at rest (before the load), highest under load, the cgroup's own peak."""
        return [
            ServiceMemory(
                service, limit(directory), self.at_rest[service], self.highest[service], cgroup_peak(directory)
            )
            for service, directory in sorted(self._directories.items())
        ]


def table(figures: list[ServiceMemory]) -> str:
    """The figures as a table with sums (MiB)."""
    lines = [f"{'service':<10} {'limit':>7} {'at rest':>8} {'under load':>11} {'cgroup peak':>12}"]
    for row in figures:
        lines.append(
            f"{row.service:<10} {row.limit:>7.0f} {row.at_rest:>8.1f} {row.under_load:>11.1f} {row.cgroup_peak:>12.1f}"
        )
    lines.append(
        f"{'sum':<10} {sum(r.limit for r in figures):>7.0f} {sum(r.at_rest for r in figures):>8.1f} "
        f"{sum(r.under_load for r in figures):>11.1f} {sum(r.cgroup_peak for r in figures):>12.1f}"
    )
    return "\n".join(lines)
