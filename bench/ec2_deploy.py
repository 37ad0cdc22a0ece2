"""The EC2 host's zero-downtime deploy with real containers (podman): image sizes, deploy wall time, failed requests.

Runs the deploy test (tests/template/test_ec2_host_deploy.py), which builds the generated project's images, starts
the host's stack, and deploys a new tag under a load through nginx; prints the figures it records. The first run on
a machine also makes the base images (a few minutes). Asserts nothing beyond what the test asserts.
"""

from __future__ import annotations

from support.bench_runs import figures_from_test

MARKER = "ec2-deploy-figures: "
TEST = "tests/template/test_ec2_host_deploy.py::test_deploy_new_tag_answers_every_request"


def main() -> int:
    """Run the deploy test once and print its figures."""
    figures = figures_from_test(TEST, MARKER)
    if figures is None:
        return 1
    print(f"backend image:   {figures['backend_image_mb']} MB (podman, Debian Python 3.11 base)")
    print(f"frontend image:  {figures['frontend_image_mb']} MB (podman, Node 22 base)")
    print(
        f"image builds:    {figures['image_build_seconds']} s; base images this run: "
        f"{figures['base_image_build_seconds']} s (0 when cached)"
    )
    print(f"EC2 deploy:      {figures['deploy_seconds']} s wall time")
    print(f"requests:        {figures['requests_answered']} answered, {figures['failed_requests']} failed")
    print(f"slowest request: {figures['slowest_request_seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
