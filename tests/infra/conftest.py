"""Fixtures for the infra tests: Terraform offline, the emulator, and the two applied stacks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from support.aws_checks import role_exists
from support.emulator import ContainerOutcome, Emulator, running_emulator
from support.ops_runner import LoadBalancerStandIn
from support.stack_teardown import destroy_ec2_stack, destroy_ecs_stack
from support.stacks import EC2_PROJECT_NAME, ECS_PROJECT_NAME, StackCycle, new_cycle, start_cycles
from support.terraform_runner import require_tools, warm_plugin_cache, write_cli_config
from support.upgrades import UpgradedStack, prepare, upgrade

REGION = "ap-northeast-2"
APPLY_FIXTURES = {"ecs_stack", "ec2_stack"}
APPLIES_NEEDED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Note whether any selected test needs an applied stack, so the applies start only then."""
    config.stash[APPLIES_NEEDED] = any(APPLY_FIXTURES & set(getattr(item, "fixturenames", ())) for item in items)


@pytest.fixture(scope="session")
def terraform_cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Terraform CLI config using the local provider mirror; fails the session loudly without Terraform."""
    require_tools()
    cli_config = write_cli_config(tmp_path_factory.mktemp("terraform"))
    warm_plugin_cache(cli_config)
    return cli_config


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto server on a loopback port, patched where moto lacks what the stacks use."""
    with running_emulator(REGION) as running:
        yield running


@pytest.fixture(scope="session")
def stack_cycles(
    tmp_path_factory: pytest.TempPathFactory, emulator: Emulator, terraform_cli_config: Path
) -> Iterator[dict[str, Future[StackCycle]]]:
    """Both targets' demo stacks, bootstrapped and applied in parallel, once per session."""
    root = tmp_path_factory.mktemp("applied")
    cycles = {
        "ecs": new_cycle(
            ECS_PROJECT_NAME, "ecs-fargate", root, emulator, terraform_cli_config, github_owner="acme-corp"
        ),
        "ec2": new_cycle(EC2_PROJECT_NAME, "ec2-all-in-one", root, emulator, terraform_cli_config, use_celery="n"),
    }
    executor, futures = start_cycles(cycles)
    yield futures
    executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def ecs_stack(stack_cycles: dict[str, Future[StackCycle]]) -> Iterator[StackCycle]:
    """The ECS Fargate demo stack, applied to the emulator; destroyed after its last test, leaving nothing."""
    stack = stack_cycles["ecs"].result()
    yield stack
    destroy_ecs_stack(stack)


@pytest.fixture(scope="session")
def ec2_stack(stack_cycles: dict[str, Future[StackCycle]]) -> Iterator[StackCycle]:
    """The EC2 all-in-one demo stack, applied to the emulator; destroyed after its last test, leaving nothing."""
    stack = stack_cycles["ec2"].result()
    yield stack
    destroy_ec2_stack(stack)


# The upgraded stacks: ECS without Celery (so its scheduled tasks are tested on it too), EC2 without Celery.
UPGRADED_PROJECTS = {
    "ecs-fargate": ("Fabrikam Upgrade Path Storefront", {"use_celery": "n"}),
    "ec2-all-in-one": ("Tailspin Upgrade Path Host", {"use_celery": "n"}),
}


@pytest.fixture(scope="session")
def upgraded_stacks(
    tmp_path_factory: pytest.TempPathFactory, emulator: Emulator, terraform_cli_config: Path
) -> Iterator[dict[str, UpgradedStack]]:
    """Each target's demo stack as an earlier djaws made it, upgraded to the current project and applied
    (support/upgrades.py), in parallel. The ECS one is destroyed afterwards, leaving nothing, schedules included;
    the EC2 one is left to the session's emulator (its destroy is the session EC2 stack's test)."""
    root = tmp_path_factory.mktemp("upgrade")
    projects = {
        target: prepare(target, name, options, root / target) for target, (name, options) in UPGRADED_PROJECTS.items()
    }
    with ThreadPoolExecutor(max_workers=len(UPGRADED_PROJECTS), thread_name_prefix="upgrade") as executor:
        futures = {
            target: executor.submit(upgrade, target, name, projects[target], emulator, terraform_cli_config)
            for target, (name, _) in UPGRADED_PROJECTS.items()
        }
        upgraded = {target: future.result() for target, future in futures.items()}
    yield upgraded
    ecs = upgraded["ecs-fargate"].cycle
    destroy_ecs_stack(ecs)
    scheduler = emulator.client("scheduler")
    groups = {entry["Name"] for entry in scheduler.list_schedule_groups()["ScheduleGroups"]}
    assert ecs.environment_names["scheduler_group"] not in groups
    assert not role_exists(emulator, ecs.environment_names["iam_scheduler_role"])


@pytest.fixture(scope="session", autouse=True)
def applies_start_early(request: pytest.FixtureRequest) -> None:
    """Start the applies before the first infra test: they mostly wait, so the static checks run meanwhile."""
    # Under xdist every worker collects every test; only the one that runs them should apply.
    if request.config.stash.get(APPLIES_NEEDED, False) and not os.environ.get("PYTEST_XDIST_WORKER"):
        request.getfixturevalue("stack_cycles")


@pytest.fixture
def container_runtime(emulator: Emulator) -> Iterator[dict[str, ContainerOutcome]]:
    """What containers and host scripts do when they "run" (the emulator's runtime table), emptied after the test."""
    yield emulator.runtime.outcomes
    emulator.runtime.outcomes.clear()


@pytest.fixture
def site() -> Iterator[LoadBalancerStandIn]:
    """The load balancer's stand-in for deploys: 200 on every path unless a test says otherwise."""
    with LoadBalancerStandIn().serving() as running:
        yield running
