"""Time a full Terraform cycle of each deployment target against the AWS API emulator.

Generates a project per target, applies its bootstrap stack (the state bucket), then times
``terraform init`` (S3 backend), ``plan``, ``apply`` and ``destroy`` of the demo environment and
counts the resources in state. The provider's fixed waits (RDS ~80 s, ALB ~60 s) dominate.

    .venv/bin/python bench/infra_cycle.py [--target ecs-fargate|ec2-all-in-one]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from support.emulator import running_emulator
from support.stacks import EC2_PROJECT_NAME, ECS_PROJECT_NAME, StackCycle, new_cycle
from support.terraform_runner import require_tools, write_cli_config

PROJECT_NAMES = {"ecs-fargate": ECS_PROJECT_NAME, "ec2-all-in-one": EC2_PROJECT_NAME}
PHASES = ("init", "plan", "apply", "destroy")


def run_cycle(cycle: StackCycle) -> dict[str, float]:
    """Bootstrap (untimed), then init, plan+apply and destroy, timed by the Terraform runner."""
    cycle.bootstrap()
    started = time.monotonic()
    cycle.init()
    cycle.apply()
    cycle.destroy()
    return {**cycle.timings, "total": time.monotonic() - started}


def main() -> None:
    """Run the selected targets one after the other and print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=sorted(PROJECT_NAMES), action="append", help="default: both")
    targets = parser.parse_args().target or sorted(PROJECT_NAMES, reverse=True)
    require_tools()
    with tempfile.TemporaryDirectory(prefix="djaws-bench-") as scratch, running_emulator("ap-northeast-2") as emulator:
        root = Path(scratch)
        cli_config = write_cli_config(root / "terraform")
        rows = []
        for target in targets:
            cycle = new_cycle(PROJECT_NAMES[target], target, root, emulator, cli_config)
            timings = run_cycle(cycle)
            rows.append((target, cycle.resource_count, timings))
            print(f"{target}: done", file=sys.stderr)
    print(f"{'target':<16} {'resources':>9} " + " ".join(f"{phase:>8}" for phase in (*PHASES, "total")))
    for target, count, timings in rows:
        cells = " ".join(f"{timings.get(phase, 0.0):>7.1f}s" for phase in (*PHASES, "total"))
        print(f"{target:<16} {count:>9} {cells}")


if __name__ == "__main__":
    main()
