"""A stack applied by an earlier djaws keeps its resources when the project takes the shared modules.

The network, the alarm topic and the generated secrets moved from each target's root module into
``modules/``; ``moved.tf`` tells Terraform their old addresses. Without it the next plan would replace the
VPC (and the database, cache and host in it) and the secrets (everyone signed out). The ``upgraded_stacks``
fixture applies each target's demo stack as djaws rendered it before the move (from this repository's
history), puts the current project in its place, plans and applies; these tests judge what that did.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.upgrades import UpgradedStack

pytestmark = pytest.mark.xdist_group("infra-apply")

TARGETS = ("ecs-fargate", "ec2-all-in-one")


def actions(plan: dict[str, Any]) -> dict[str, list[str]]:
    """Every resource the plan touches: address -> Terraform's actions for it."""
    return {
        change["address"]: change["change"]["actions"]
        for change in plan.get("resource_changes", [])
        if change["change"]["actions"] != ["no-op"]
    }


@pytest.mark.parametrize("target", TARGETS)
def test_upgrade_moves_state_and_replaces_or_deletes_nothing(
    target: str, upgraded_stacks: dict[str, UpgradedStack]
) -> None:
    """The plan moves the network, topic and secrets into the modules, and deletes or replaces no resource."""
    plan = upgraded_stacks[target].plan
    changes = actions(plan)
    # A task definition is immutable: a changed one is a new revision, which Terraform shows as a replacement (the
    # services keep the revision ops deployed: ecs.tf ignores their task_definition). Nothing else may go.
    destructive = {
        address: verbs
        for address, verbs in changes.items()
        if "delete" in verbs and not address.startswith("aws_ecs_task_definition.")
    }
    assert destructive == {}
    moved = {
        change["address"]: change["previous_address"]
        for change in plan["resource_changes"]
        if change.get("previous_address")
    }
    expected = {
        "module.network.aws_vpc.main": "aws_vpc.main",
        "module.network.aws_subnet.public[0]": "aws_subnet.public"
        if target == "ec2-all-in-one"
        else "aws_subnet.public[0]",
        "module.alarm_topic.aws_sns_topic.alarms": "aws_sns_topic.alarms",
        "module.django_secret_key.aws_secretsmanager_secret.this": "aws_secretsmanager_secret.django_secret_key",
        "module.django_secret_key.aws_secretsmanager_secret_version.this": (
            "aws_secretsmanager_secret_version.django_secret_key"
        ),
    }
    assert expected.items() <= moved.items()
    # Nothing the earlier stack had is created again under its new address.
    recreated = [address for address in moved if "create" in changes.get(address, [])]
    assert recreated == []


@pytest.mark.parametrize("target", TARGETS)
def test_upgraded_stack_keeps_its_secret_values_and_settles(
    target: str, upgraded_stacks: dict[str, UpgradedStack]
) -> None:
    """After the upgrade is applied, each secret holds the value the earlier stack generated, and a new plan
    finds nothing to change."""
    upgraded = upgraded_stacks[target]
    assert upgraded.secrets_after == upgraded.secrets_before
    assert upgraded.replan_exit_code == 0, upgraded.replan_output[-3000:]
