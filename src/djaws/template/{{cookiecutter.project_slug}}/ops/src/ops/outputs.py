"""An environment's Terraform outputs: every name and address ops works with, read from the state.

ops never spells an AWS name or address itself; it reads ``terraform output -json`` of the target's
root module with the environment's backend (``envs/ENV.s3.tfbackend``), exactly as ``make
infra-output`` does. The binary comes from ``$TERRAFORM`` (default ``terraform``).
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from ops.errors import NoInfrastructure, OpsError
from ops.project import Project


def terraform_binary() -> str:
    return os.environ.get("TERRAFORM", "terraform")


def _run_terraform(project: Project, *args: str) -> str:
    """Run terraform in the target's root module; a failure becomes one line with its last error line."""
    command = [terraform_binary(), *args]
    try:
        result = subprocess.run(
            command, cwd=project.stack_dir, capture_output=True, text=True, check=False, timeout=600
        )
    except FileNotFoundError as error:
        raise OpsError(f"{command[0]} not found: install Terraform 1.11 or set TERRAFORM") from error
    if result.returncode != 0:
        lines = [line.strip(" │╷╵") for line in (result.stderr or result.stdout).splitlines()]
        detail = next((line for line in lines if line.startswith("Error")), lines[-1] if lines else "")
        raise OpsError(f"terraform {args[0]} failed in {project.stack_dir}: {detail.strip()}")
    return result.stdout


def load_outputs(project: Project, environment: str) -> dict[str, Any]:
    """The environment's outputs as plain values; NoInfrastructure when its state has none."""
    project.check_environment(environment)
    _run_terraform(
        project,
        "init",
        "-input=false",
        "-reconfigure",
        "-no-color",
        f"-backend-config=envs/{environment}.s3.tfbackend",
    )
    raw = json.loads(_run_terraform(project, "output", "-json", "-no-color") or "{}")
    if not raw:
        raise NoInfrastructure(
            f"environment {environment} has no infrastructure yet (no Terraform outputs): "
            f"create it with `make infra-apply ENV={environment}`"
        )
    return {name: entry["value"] for name, entry in raw.items()}
