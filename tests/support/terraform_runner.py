"""Run Terraform for the infra tests: offline provider installation, the emulator override, errors with output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLUGIN_MIRROR = Path(os.environ.get("DJAWS_TF_PLUGIN_DIR", "/opt/tf-plugins"))
CHECKOV = Path(os.environ.get("DJAWS_CHECKOV", "/opt/djaws-tools/checkov/bin/checkov"))
# Written next to the root module by the tests only; the template never ships it.
OVERRIDE_FILE = "zz_emulator_override.tf"
# Every service the stacks call; all of them go to the emulator.
EMULATED_SERVICES = (
    "acm",
    "applicationautoscaling",
    "budgets",
    "cloudwatch",
    "cloudwatchlogs",
    "ec2",
    "ecr",
    "ecs",
    "elasticache",
    "elbv2",
    "iam",
    "rds",
    "route53",
    "s3",
    "scheduler",
    "secretsmanager",
    "sns",
    "ssm",
    "sts",
)


class TerraformError(AssertionError):
    """A Terraform command failed; the message carries its output."""


def require_tools() -> str:
    """The terraform binary, or a loud failure naming what to install."""
    terraform = shutil.which("terraform")
    if terraform is None:
        raise TerraformError("terraform is not on PATH: install Terraform 1.11 (see .ci/install-infra-tools)")
    if not (PLUGIN_MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        raise TerraformError(f"no AWS provider in the plugin mirror {PLUGIN_MIRROR} (see .ci/install-infra-tools)")
    return terraform


def write_cli_config(directory: Path) -> Path:
    """A CLI config that installs providers from the local mirror and caches them across inits."""
    cache = directory / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    config = directory / "terraformrc"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path = "{PLUGIN_MIRROR}"\n  }}\n'
        "}\n"
        f'plugin_cache_dir = "{cache}"\n'
        # Without this, an init with no lock file yet (every stack here) installs from the mirror into the
        # cache again instead of linking from it, and parallel inits race ("mkdir ...: file exists").
        "plugin_cache_may_break_dependency_lock_file = true\n"
    )
    return config


def warm_plugin_cache(cli_config: Path) -> None:
    """Put the AWS provider into the plugin cache once, before stacks initialise in parallel.

    Terraform's plugin cache is not safe for concurrent writers: two inits writing it at once fail with
    "mkdir ...: file exists". Later inits only link from the filled cache (see write_cli_config).
    """
    module = cli_config.parent / "warm-plugin-cache"
    module.mkdir(exist_ok=True)
    (module / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "~> 5.100" }\n  }\n}\n'
    )
    Terraform(module, cli_config).init_offline()


def emulator_override(endpoint: str) -> str:
    """Provider settings that point every AWS call at the emulator (test-only override file)."""
    endpoints = "\n".join(f'    {service} = "{endpoint}"' for service in EMULATED_SERVICES)
    return (
        "# Written by djaws' infra tests; never part of a generated project.\n"
        'provider "aws" {\n'
        '  access_key                  = "testing"\n'
        '  secret_key                  = "testing"\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  s3_use_path_style           = true\n"
        "  # moto answers what it does not implement with HTTP 500; do not retry that for minutes.\n"
        "  max_retries = 2\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
        "}\n"
    )


def emulator_backend_args(endpoint: str) -> list[str]:
    """-backend-config flags that put the S3 backend on the emulator (state and lock file really in S3)."""
    settings = [
        f'endpoints={{s3="{endpoint}"}}',
        "use_path_style=true",
        "skip_credentials_validation=true",
        "skip_requesting_account_id=true",
        "skip_metadata_api_check=true",
        "skip_region_validation=true",
        "access_key=testing",
        "secret_key=testing",
    ]
    return [f"-backend-config={setting}" for setting in settings]


@dataclass
class Terraform:
    """Terraform in one root module directory."""

    directory: Path
    cli_config: Path
    timings: dict[str, float] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """Process environment: offline providers, no prompts, dummy credentials."""
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "TF_"))}
        environment.update(
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_EC2_METADATA_DISABLED="true",
        )
        return environment

    def run(
        self, *args: str, check: bool = True, timeout: float = 1200, label: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run one terraform command; raise TerraformError with its output when it fails and check is set."""
        started = time.monotonic()
        result = subprocess.run(
            ["terraform", *args, "-no-color"] if args[0] not in ("fmt", "version") else ["terraform", *args],
            cwd=self.directory,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if label:
            self.timings[label] = self.timings.get(label, 0.0) + time.monotonic() - started
        if check and result.returncode != 0:
            raise TerraformError(
                f"terraform {' '.join(args)} failed in {self.directory} (exit {result.returncode}):\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
            )
        return result

    def init_offline(self) -> None:
        """terraform init without a backend (fmt/validate/test)."""
        self.run("init", "-backend=false", "-input=false", label="init")

    def output(self) -> dict[str, Any]:
        """terraform output -json, as plain values."""
        raw = json.loads(self.run("output", "-json").stdout)
        return {name: entry["value"] for name, entry in raw.items()}

    def plan_json(self, *args: str) -> dict[str, Any]:
        """A plan as terraform show -json gives it."""
        plan_file = self.directory / "test.tfplan"
        self.run("plan", "-input=false", f"-out={plan_file.name}", *args, label="plan")
        try:
            return json.loads(self.run("show", "-json", plan_file.name).stdout)
        finally:
            plan_file.unlink(missing_ok=True)
