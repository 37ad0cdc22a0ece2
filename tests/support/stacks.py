"""One deployment target's full cycle against the emulator: bootstrap, init, apply, re-plan, destroy.

The tests and ``bench/infra_cycle.py`` share it. Each cycle runs once per session (the provider
waits fixed times on RDS and the ALB, so a cycle takes minutes); the ECS and EC2 cycles run in
parallel threads because both mostly wait.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.emulator import Emulator
from support.terraform_runner import OVERRIDE_FILE, Terraform, emulator_backend_args, emulator_override

from djaws.generate import generate
from djaws.naming import ProjectNames, derive_names
from djaws.options import defaults

ENVIRONMENT = "demo"
# Exactly 60 characters each: every AWS name must still fit its service's limit.
ECS_PROJECT_NAME = "Northwind Traders International Online Marketplace Platforms"
EC2_PROJECT_NAME = "Contoso Logistics Worldwide Fulfilment and Trading Service X"


@dataclass
class StackCycle:
    """A generated project and its Terraform, applied to the emulator."""

    project: Path
    target: str
    emulator: Emulator
    cli_config: Path
    names: ProjectNames
    timings: dict[str, float] = field(default_factory=dict)
    resource_count: int = 0
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def stack(self) -> Terraform:
        """Terraform in the target's root module."""
        return Terraform(self.project / "infra" / "terraform" / self.target, self.cli_config, self.timings)

    @property
    def bootstrap_stack(self) -> Terraform:
        """Terraform in the bootstrap root module (local state)."""
        return Terraform(self.project / "infra" / "terraform" / "bootstrap", self.cli_config, {})

    @property
    def state_key(self) -> str:
        """Where the S3 backend keeps this environment's state."""
        return f"{self.names.resource_prefix}/{ENVIRONMENT}/terraform.tfstate"

    @property
    def environment_names(self) -> dict[str, str]:
        """The naming module's names for the applied environment."""
        return self.names.for_environment(ENVIRONMENT)

    def write_override(self, stack: Terraform) -> None:
        """Point the provider at the emulator (a test-only file, never in the template)."""
        (stack.directory / OVERRIDE_FILE).write_text(emulator_override(self.emulator.endpoint))

    def bootstrap(self) -> None:
        """Apply the project's bootstrap stack: it creates the state bucket the stacks keep state in."""
        bootstrap = self.bootstrap_stack
        self.write_override(bootstrap)
        bootstrap.run("init", "-input=false")
        bootstrap.run("apply", "-input=false", "-auto-approve")

    def init(self) -> None:
        """terraform init with the S3 backend in the emulator, as envs/<env>.s3.tfbackend configures it."""
        stack = self.stack
        self.write_override(stack)
        stack.run(
            "init",
            "-input=false",
            "-reconfigure",
            f"-backend-config=envs/{ENVIRONMENT}.s3.tfbackend",
            *emulator_backend_args(self.emulator.endpoint),
            label="init",
        )

    def apply(self) -> None:
        """Apply the environment from its tfvars file alone."""
        stack = self.stack
        stack.run("plan", "-input=false", f"-var-file=envs/{ENVIRONMENT}.tfvars", "-out=cycle.tfplan", label="plan")
        stack.run("apply", "-input=false", "cycle.tfplan", label="apply")
        (stack.directory / "cycle.tfplan").unlink(missing_ok=True)
        addresses = stack.run("state", "list").stdout.split()
        self.resource_count = sum(1 for address in addresses if not f".{address}".count(".data."))
        self.outputs = stack.output()

    def replan_exit_code(self, *extra: str) -> tuple[int, str]:
        """terraform plan -detailed-exitcode: 0 means no changes."""
        result = self.stack.run(
            "plan", "-input=false", "-detailed-exitcode", f"-var-file=envs/{ENVIRONMENT}.tfvars", *extra, check=False
        )
        return result.returncode, result.stdout + result.stderr

    def destroy(self) -> None:
        """Destroy the environment."""
        self.stack.run(
            "destroy", "-input=false", "-auto-approve", f"-var-file=envs/{ENVIRONMENT}.tfvars", label="destroy"
        )

    def run_to_applied(self) -> StackCycle:
        """Bootstrap, init and apply; returns itself for Future.result()."""
        self.bootstrap()
        self.init()
        self.apply()
        return self

    def state_object(self) -> dict[str, Any]:
        """The state document the S3 backend wrote into the state bucket."""
        body = self.emulator.client("s3").get_object(Bucket=self.names.shared()["state_bucket"], Key=self.state_key)
        return json.loads(body["Body"].read())


def generate_project(project_name: str, target: str, output_dir: Path, **answers: str) -> Path:
    """Render a project for one deployment target."""
    return generate({**defaults(), "project_name": project_name, "aws_deployment": target, **answers}, output_dir).path


def new_cycle(
    project_name: str, target: str, root: Path, emulator: Emulator, cli_config: Path, **answers: str
) -> StackCycle:
    """A cycle for a freshly generated project."""
    project = generate_project(project_name, target, root / target, **answers)
    return StackCycle(project, target, emulator, cli_config, derive_names(project_name))


def start_cycles(cycles: dict[str, StackCycle]) -> tuple[ThreadPoolExecutor, dict[str, Future[StackCycle]]]:
    """Run every cycle up to applied, in parallel."""
    executor = ThreadPoolExecutor(max_workers=len(cycles), thread_name_prefix="stack")
    return executor, {name: executor.submit(cycle.run_to_applied) for name, cycle in cycles.items()}
