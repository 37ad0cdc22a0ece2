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

from support.bench_runs import figures_from_test
from support.container_memory import ServiceMemory, table

MARKER = "ec2-host-memory: "
TEST = "tests/template/test_ec2_host_deploy.py::test_stack_within_its_memory_limits_survives_a_short_load"


def main() -> int:
    """Run the memory test once and print its table."""
    figures = figures_from_test(TEST, MARKER)
    if figures is None:
        return 1
    print("MiB per service (working set: usage less inactive page cache)")
    print(table([ServiceMemory(**row) for row in figures["services"]]))
    print(f"load: {figures['api_requests']} API requests in 20 s through nginx, plus page loads and websockets")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
