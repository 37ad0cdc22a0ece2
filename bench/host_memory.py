"""Memory of the EC2 host's stack per service with real containers (podman): limit, at rest, peak under a short load.

Usage: .venv/bin/python bench/host_memory.py

Runs the host test's memory case (tests/template/test_ec2_host_deploy.py), which builds the generated project's
images, brings the host's compose stack up with deploy/ec2/deploy.sh under the compose file's memory limits, reads
each container's cgroup at rest, then again twice a second while signed-in users list, upload (the worker processes
each file) and hold websockets through nginx for 20 s. "under load" is the highest working set sampled (usage less
the inactive page cache, as `docker stats`); "cgroup peak" is the kernel's own high-water mark, page cache
included. The first run on a machine also makes the base images (a few minutes). Asserts nothing beyond the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.container_memory import ServiceMemory, table

REPOSITORY = Path(__file__).resolve().parent.parent
MARKER = "ec2-host-memory: "
TEST = "tests/template/test_ec2_host_deploy.py::test_stack_within_its_memory_limits_survives_a_short_load"


def main() -> int:
    """Run the memory test once and print its table."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", TEST],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
        return 1
    figures = json.loads(lines[-1].removeprefix(MARKER))
    print("MiB per service (working set: usage less inactive page cache)")
    print(table([ServiceMemory(**row) for row in figures["services"]]))
    print(f"load: {figures['api_requests']} API requests in 20 s through nginx, plus page loads and websockets")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
