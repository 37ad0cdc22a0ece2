"""One environment of the project, opened for a command: its outputs, AWS clients and releases."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rich.console import Console

from ops.aws import Aws
from ops.outputs import load_outputs
from ops.project import Project
from ops.releases import ReleaseStore

console = Console(highlight=False)


def poll_seconds() -> float:
    """Seconds between two status polls (``OPS_POLL_SECONDS``, default 10: AWS changes state in seconds)."""
    return float(os.environ.get("OPS_POLL_SECONDS", "10"))


def step(message: str) -> None:
    """One progress line: what ops is doing now."""
    console.print(f"[bold cyan]>[/] {message}")


@dataclass
class Environment:
    """An environment with infrastructure (opening one without raises NoInfrastructure)."""

    project: Project
    name: str
    outputs: dict[str, Any]
    aws: Aws

    @classmethod
    def open(cls, name: str) -> Environment:
        project = Project.discover()
        outputs = load_outputs(project, name)
        return cls(project, name, outputs, Aws(outputs["aws_region"]))

    @property
    def target(self) -> str:
        return self.project.target

    @cached_property
    def releases(self) -> ReleaseStore:
        return ReleaseStore(self.aws, self.project, self.name)
