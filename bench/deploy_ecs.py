"""Time ``ops deploy`` of the ECS target against the AWS API emulator, with status polls at ~0.

Generates an ECS project, applies its demo stack to the emulator (minutes, untimed), installs ops
from the project's lock, then runs N deploys of new image tags and prints, per deploy: the wall
time of the ``ops deploy`` process, the part spent reading the Terraform outputs (``terraform init``
+ ``output``, timed separately with ``ops outputs``), and the AWS API calls the deploy made (ops
counts them with a botocore hook and writes them into the job summary).

    .venv/bin/python bench/deploy_ecs.py [--deploys 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from support.emulator import running_emulator
from support.ops_runner import LoadBalancerStandIn, push_images, runner_for
from support.stacks import ECS_PROJECT_NAME, new_cycle
from support.terraform_runner import require_tools, warm_plugin_cache, write_cli_config

AWS_CALLS = re.compile(r"AWS calls: (\d+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deploys", type=int, default=3)
    arguments = parser.parse_args()
    require_tools()
    with (
        tempfile.TemporaryDirectory(prefix="djaws-bench-deploy-") as scratch,
        running_emulator("ap-northeast-2") as emulator,
    ):
        root = Path(scratch)
        cli_config = write_cli_config(root / "terraform")
        warm_plugin_cache(cli_config)
        cycle = new_cycle(ECS_PROJECT_NAME, "ecs-fargate", root / "project", emulator, cli_config)
        started = time.monotonic()
        cycle.run_to_applied()
        print(f"demo stack applied in {time.monotonic() - started:.0f} s (untimed below)")
        summary = root / "summary.md"
        ops = runner_for(cycle, summary)
        ops.extra_environment["OPS_POLL_SECONDS"] = "0"
        outputs_times = []
        for _ in range(3):
            started = time.monotonic()
            assert ops.run("outputs", "--env", "demo").returncode == 0
            outputs_times.append(time.monotonic() - started)
        print(f"ops outputs (terraform init + output): median {statistics.median(outputs_times):.2f} s")
        print(f"{'deploy':>6} {'wall s':>8} {'without outputs s':>18} {'AWS calls':>10}")
        with LoadBalancerStandIn().serving() as site:
            for number in range(1, arguments.deploys + 1):
                tag = f"{number:08x}" + "be" * 16
                push_images(cycle, tag)
                summary.write_text("")
                started = time.monotonic()
                result = ops.run("deploy", "--env", "demo", "--tag", tag, "--url", site.url)
                wall = time.monotonic() - started
                if result.returncode != 0:
                    raise SystemExit(f"deploy {number} failed: {result.stderr}")
                calls = AWS_CALLS.search(summary.read_text())
                without = wall - statistics.median(outputs_times)
                print(f"{number:>6} {wall:>8.2f} {without:>18.2f} {calls.group(1) if calls else '?':>10}")


if __name__ == "__main__":
    main()
