"""The services' log lines, read from CloudWatch Logs: a time window, a filter, and new lines as they come.

Both targets send each service's output to its own log group, named by the ``log_groups`` output:
on ECS through each task definition's awslogs driver, on the EC2 host through Docker's awslogs
driver (docker-compose.prod.yml). Reading them there needs no shell on a task or the host, has no
output limit, and still works when the task or container that wrote them is gone.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from ops.environment import Environment
from ops.errors import OpsError, UsageError

DURATION = re.compile(r"^(\d+)([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
FOLLOW_POLL_SECONDS = 2.0
# The awslogs driver sends lines in batches with the time they were written, so a line can arrive
# after newer ones were read: each poll reads this far back again and skips the lines already shown.
FOLLOW_OVERLAP_MS = 30_000


def parse_since(text: str, now: datetime) -> datetime:
    """``15m``, ``2h``, ``1d`` before ``now``, or an ISO time (UTC unless it says otherwise)."""
    match = DURATION.match(text.strip())
    if match:
        return now - timedelta(seconds=int(match[1]) * UNIT_SECONDS[match[2]])
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        expected = "a duration (15m, 2h, 1d) or an ISO time (2026-01-31T09:00Z)"
        raise UsageError(f"--since {text!r}: give {expected}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def plain_text_pattern(text: str) -> str:
    """A CloudWatch filter pattern matching lines that contain ``text`` exactly (case-sensitive)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@dataclass(frozen=True)
class LogLine:
    """One log event of one service."""

    timestamp_ms: int
    service: str
    message: str
    event_id: str

    def render(self, service_width: int) -> str:
        moment = datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        return f"{stamp} {self.service:<{service_width}} {self.message.rstrip()}"


class LogReader:
    """The log groups of some of an environment's services, read with one filter pattern."""

    def __init__(self, environment: Environment, service: str | None, pattern: str | None) -> None:
        groups: dict[str, str] = environment.outputs["log_groups"]
        if service is not None and service not in groups:
            raise UsageError(f"unknown service {service!r}; {environment.name} has {', '.join(sorted(groups))}")
        self.groups = {service: groups[service]} if service else dict(sorted(groups.items()))
        self.pattern = pattern
        self.logs = environment.aws.client("logs")

    @property
    def service_width(self) -> int:
        return max(len(service) for service in self.groups)

    def _events(self, service: str, start_ms: int) -> Iterator[LogLine]:
        arguments: dict[str, Any] = {"logGroupName": self.groups[service], "startTime": start_ms}
        if self.pattern:
            arguments["filterPattern"] = self.pattern
        try:
            while True:
                page = self.logs.filter_log_events(**arguments)
                for event in page.get("events", []):
                    yield LogLine(event["timestamp"], service, event["message"], event["eventId"])
                if not page.get("nextToken"):
                    return
                arguments["nextToken"] = page["nextToken"]
        except self.logs.exceptions.ResourceNotFoundException as error:
            raise OpsError(f"log group {self.groups[service]} of {service} does not exist") from error

    def read(self, start_ms: int, limit: int | None = None) -> tuple[list[LogLine], bool]:
        """Every service's lines from ``start_ms`` in time order, at most ``limit``; and whether there were more."""
        lines: list[LogLine] = []
        for service in self.groups:
            lines.extend(islice(self._events(service, start_ms), None if limit is None else limit + 1))
        lines.sort(key=lambda line: (line.timestamp_ms, line.service))
        if limit is None or len(lines) <= limit:
            return lines, False
        return lines[:limit], True

    def follow(self, shown: list[LogLine], start_ms: int) -> Iterator[LogLine]:
        """Lines newer than those ``shown``, every FOLLOW_POLL_SECONDS, until interrupted."""
        seen = {line.event_id: line.timestamp_ms for line in shown}
        while True:
            if seen:
                start_ms = max(start_ms, max(seen.values()) - FOLLOW_OVERLAP_MS)
                seen = {event_id: stamp for event_id, stamp in seen.items() if stamp >= start_ms}
            time.sleep(FOLLOW_POLL_SECONDS)
            lines, _ = self.read(start_ms)
            for line in lines:
                if line.event_id not in seen:
                    seen[line.event_id] = line.timestamp_ms
                    yield line
