"""The project ops works on: its root, its deployment target and every AWS name, read from files.

Names come from ``infra/names.json`` (rendered once by djaws); nothing here derives or spells one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ops.errors import UsageError

NAMES_FILE = Path("infra") / "names.json"
TARGETS = ("ecs-fargate", "ec2-all-in-one")


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` (default: the working directory) holding infra/names.json."""
    override = os.environ.get("OPS_PROJECT_ROOT")
    if override:
        return Path(override).resolve()
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / NAMES_FILE).is_file():
            return directory
    raise UsageError(f"no {NAMES_FILE} here or above {here}: run ops inside the project")


@dataclass(frozen=True)
class Project:
    """One generated project on disk."""

    root: Path

    @classmethod
    def discover(cls) -> Project:
        return cls(find_root())

    @cached_property
    def names(self) -> dict[str, Any]:
        """The whole of infra/names.json."""
        return json.loads((self.root / NAMES_FILE).read_text())

    @property
    def environments(self) -> tuple[str, ...]:
        return tuple(self.names["environments"])

    @property
    def resource_prefix(self) -> str:
        return str(self.names["resource_prefix"])

    @property
    def shared_names(self) -> dict[str, str]:
        """Names shared by every environment (state bucket, deploy roles)."""
        return dict(self.names["shared"])

    @cached_property
    def target(self) -> str:
        """The deployment target: the one Terraform root module the project has."""
        present = [target for target in TARGETS if (self.terraform_root / target).is_dir()]
        if len(present) != 1:
            raise UsageError(
                f"expected one of {', '.join(TARGETS)} under {self.terraform_root}, found {present or 'none'}"
            )
        return present[0]

    @property
    def terraform_root(self) -> Path:
        return self.root / "infra" / "terraform"

    @property
    def stack_dir(self) -> Path:
        """The target's Terraform root module."""
        return self.terraform_root / self.target

    def environment_names(self, environment: str) -> dict[str, str]:
        """Every AWS name of one environment; a typo gets one line listing the real ones."""
        self.check_environment(environment)
        return dict(self.names["environments"][environment])

    def check_environment(self, environment: str) -> None:
        if environment not in self.environments:
            raise UsageError(f"unknown environment {environment!r}; this project has {', '.join(self.environments)}")
